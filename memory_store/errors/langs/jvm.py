"""Java/Kotlin output: exceptions (``Exception in thread "main" pkg.Type: msg``, ``at
pkg.Class.method(File.java:12)`` frames, ``Caused by:`` chains, ``... 12 more``), javac and
kotlinc errors, Gradle's ``* What went wrong:`` block, Maven's ``[ERROR]`` lines and
Android build errors (AAPT, manifest merger)."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, quote_marks, walk
from memory_store.errors.model import Frame

MARKERS = ('at ', 'Exception', 'Error', 'Caused by:', 'What went wrong', 'Execution failed', 'A problem occurred',
           '[ERROR]', '.java:', '.kt', 'e: ', 'AAPT', 'Throwable', 'Could not ', 'No matching ', 'Plugin [id',
           'does not exist', 'cannot find symbol', 'incompatible types', 'Failed to ', 'Duplicate class',
           'Manifest merger', 'SDK location', 'Unsupported class file', 'APPLICATION FAILED TO START')
"""Substrings one of which an output holds when this parser can find anything in it."""

_TYPE = r"(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*"
_HEADER = re.compile(r"^(?:Exception in thread \"[^\"]*\"\s+|Caused by:\s+|Suppressed:\s+|Uncaught exception:\s+"
                     r"|FATAL Priority.EXCEPTION: \S+\s*)?(?P<type>" + _TYPE + r")(?::\s*(?P<msg>.*))?$")
_AT = re.compile(r"^\s*at (?:[\w.$-]+/+)?(?P<func>[\w$.<>\[\]-]+)\((?P<src>[^)]*)\)(?: ~?\[[^\]]*\])?$")
_MORE = re.compile(r"^\s*\.\.\. \d+ (?:more|common frames omitted)$")
_JAVAC = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:]+\.(?:java|kt|kts|groovy|scala)):(?P<line>\d+):(?:\d+:)?\s*"
                    r"error:\s*(?P<msg>.+)$")
_MAVEN_LOC = re.compile(r"^\[ERROR\]\s+(?P<path>(?:[A-Za-z]:)?[^\s:\[]+\.(?:java|kt|scala)):\[(?P<line>\d+),\d+\]"
                        r"\s*(?:error:\s*)?(?P<msg>.+)$")
_KOTLINC = re.compile(r"^e: (?:file://)?(?P<path>(?:[A-Za-z]:)?[^\s:]+\.kts?)(?::\s*\(|:)(?P<line>\d+)[,:]\s*\d+\)?:?"
                      r"\s*(?P<msg>.+)$")
_MAVEN_GOAL = re.compile(r"^\[ERROR\]\s+Failed to execute goal (?P<goal>\S+)(?: \([^)]*\))? on project [\w.\-]+:"
                         r"\s*(?P<msg>.+?)(?:\s*->\s*\[Help \d+\])?$")
_MAVEN_ERROR = re.compile(r"^\[ERROR\]\s+(?:error:\s*)?(?P<msg>.+)$")
_MAVEN_NOISE = re.compile(r"^(?:-> \[Help|\[Help|To see the full|Re-run Maven|For more information|See |"
                          r"After correcting|mvn <args>|Failed to execute goal|COMPILATION ERROR|BUILD FAILURE"
                          r"|\s*$|Errors?:?$|Picked up|Total time|Finished at|The build could not read|"
                          r"\d+ errors?$|Compilation failure:?$|Found \d+ errors|Help \d+)")
_GRADLE_WRONG = re.compile(r"^\*\s*What went wrong:\s*$")
_GRADLE_END = re.compile(r"^\*\s*(?:Try|Exception is|Get more help|Where):|^BUILD FAILED|^={5,}$")
_GRADLE_WRAPPER = re.compile(r"^(?:Execution failed for task|A failure occurred while executing|A problem occurred "
                             r"(?:evaluating|configuring|running)|Could not create an instance of|Failed to apply "
                             r"plugin|An exception occurred applying plugin|Could not resolve all (?:files|dependencies"
                             r"|artifacts)|Could not determine the dependencies|Build failed with an exception)")
_GRADLE_CAUSE = re.compile(r"^(?:Could not (?:find|resolve|GET|HEAD|get|download|create|open|load|compile|apply"
                           r"|determine|initialize|isolate|run|generate|locate|read)\b|No matching (?:variant|config"
                           r"uration)|Plugin \[id: |Failed to (?:transform|apply|notify|calculate|install|create|find"
                           r"|resolve|compile|load)\b|Duplicate class |Manifest merger failed|SDK location not found"
                           r"|Unsupported class file major version|Dependency requires at least JVM|Minimum supported"
                           r" Gradle version|Android resource linking failed|Unable to make field)")
"""Gradle's own causes: a ``> `` line starting so is Gradle's even when posted alone."""
_JAVAC_BARE = re.compile(r"^(?:error: )?(?P<msg>(?:package [a-z_][\w.]* does not exist|cannot find symbol|incompatible"
                         r" types: |class [\w$]+ is public, should be declared in a file named|unreported exception "
                         r"[\w.$]+; must be caught).*|(?<=error: )(?:cannot access [\w.$]+|invalid (?:source|target)"
                         r" release|release version \d+ not supported|Source option \d+ is no longer supported|method "
                         r"does not override).*)$")
"""javac errors posted without their ``File.java:12:`` prefix; javac's most distinctive
wordings also without ``error:``."""
_KOTLINC_BARE = re.compile(r"^e: (?!file:|/|[A-Za-z]:[\\/])(?P<msg>[A-Z'\[(].+)$")
_AAPT = re.compile(r"^(?:ERROR:\s*)?(?:\S+:\s+)?AAPT:\s*error:\s*(?P<msg>.+)$")
_RUNTIME_PKGS = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.coroutines.", "scala.",
                 "android.", "dalvik.", "com.android.internal.", "org.junit.", "junit.", "org.gradle.",
                 "worker.org.gradle.", "org.testng.", "org.apache.maven.surefire.", "jdk.internal.")
_LIBRARY_PKGS = ("org.springframework.", "org.apache.", "com.google.", "io.netty.", "com.fasterxml.",
                 "org.hibernate.", "io.grpc.", "okhttp3.", "okio.", "retrofit2.", "org.eclipse.", "io.micronaut.",
                 "io.quarkus.", "ch.qos.logback.", "org.slf4j.", "com.squareup.", "reactor.", "io.reactivex.",
                 "org.jetbrains.", "org.mockito.", "com.zaxxer.", "androidx.", "com.android.", "io.ktor.",
                 "org.glassfish.", "com.mysql.", "org.postgresql.", "org.mongodb.", "com.mongodb.")


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    if s == _SPRING_BANNER:
        return _spring_failure(lines, i)
    if _GRADLE_WRONG.match(s) or _GRADLE_WRAPPER.match(s):
        return _gradle(lines, i if _GRADLE_WRONG.match(s) else i - 1)
    m = _MAVEN_LOC.match(s) or _JAVAC.match(s) or _KOTLINC.match(s)
    if m:
        loc = make_frame(m.group("path"), int(m.group("line")), None, root)
        lang = "kotlin" if re.search(r"\.kts?$", m.group("path")) else "java"
        tool = "kotlinc" if lang == "kotlin" else "maven" if s.startswith("[ERROR]") else "javac"
        return Candidate(Priority.LOCATED, i, error(tool, m.group("msg"), lang, location=loc))
    m = _JAVAC_BARE.match(s) or _KOTLINC_BARE.match(s)
    if m:
        lang = "kotlin" if s.startswith("e:") else "java"
        return Candidate(Priority.TOOL, i, error("kotlinc" if lang == "kotlin" else "javac", m.group("msg"), lang))
    if _GRADLE_CAUSE.match(s) and quote_marks(lines, i) > 0:
        return _gradle(lines, i - 1)  # a Gradle cause posted alone, with its "> " level marks
    m = _MAVEN_GOAL.match(s)
    if m:
        # "Failed to execute goal" wraps the reason the [ERROR] lines around it give.
        return Candidate(Priority.WRAPPER, i, error("maven", m.group("msg"), "java", detail=[m.group("goal")]))
    if s.startswith("[ERROR]"):
        m = _MAVEN_ERROR.match(s)
        if m and not _MAVEN_NOISE.match(m.group("msg")) and not _HEADER.match(m.group("msg")):
            return Candidate(Priority.TOOL, i, error("maven", m.group("msg"), "java"))
        s = s[len("[ERROR]"):].strip()
    m = _AAPT.match(s)
    if m:
        return Candidate(Priority.LOCATED, i, error("aapt", m.group("msg"), "java", code="AAPT"))
    m = _HEADER.match(s)
    if m and _exception_like(m.group("type"), m.group("msg"), lines, i):
        return _exception(lines, i, root)
    return None


_SPRING_BANNER = "APPLICATION FAILED TO START"
_SPRING_FIELD = re.compile(r"^(?P<field>Description|Reason|Action):\s*(?P<rest>.*)$")
MAX_SPRING_LINES = 40


def _spring_failure(lines: list[str], i: int) -> Found:
    """Spring Boot's failure analysis (``APPLICATION FAILED TO START``): its Description is the
    error (``Failed to configure a DataSource: 'url' attribute is not specified ...``, ``Web
    server failed to start. Port 8080 was already in use.``); Reason and Action are detail."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    j = i + 1
    end = min(len(lines), i + MAX_SPRING_LINES)
    while j < end:
        s = lines[j].strip()
        m = _SPRING_FIELD.match(s)
        if m:
            current = fields.setdefault(m.group("field"), [])
            if m.group("rest"):
                current.append(m.group("rest"))
        elif s and current is not None and not s.startswith("*****"):
            current.append(s)
        elif not s and current and "Action" in fields:
            break
        j += 1
    description = fields.get("Description")
    if not description:
        return None, i + 1
    detail = [f"{name}: {' '.join(fields[name])}" for name in ("Reason", "Action") if fields.get(name)]
    return Candidate(Priority.EXCEPTION, i, error("spring-boot", " ".join(description), "java", detail=detail),
                     end=j), j


_JVM_ROOTS = ("java.", "javax.", "jakarta.", "kotlin.", "kotlinx.", "android.", "androidx.", "scala.", "groovy.",
              "org.", "com.", "io.", "net.")
_HEAD_PREFIXES = ("Exception in thread", "Caused by:", "FATAL Priority.EXCEPTION", "Uncaught exception")


def _exception_like(exc_type: str, msg: str | None, lines: list[str], i: int) -> bool:
    """A JVM exception line: printed by the JVM (``Exception in thread``, ``Caused by:``),
    followed by ``at`` frames, or a throwable of the JVM's own package roots. A dotted
    ``pkg.FooError: msg`` alone may as well be another language's (Python's)."""
    if lines[i].lstrip().startswith(_HEAD_PREFIXES):
        return True
    if i + 1 < len(lines) and _AT.match(lines[i + 1]) is not None:
        return True
    last = exc_type.rsplit(".", 1)[-1]
    return exc_type.startswith(_JVM_ROOTS) and last.endswith(("Exception", "Error", "Throwable"))


def _exception(lines: list[str], i: int, root: Path | None) -> tuple[Candidate, int]:
    """One exception with its ``Caused by:`` chain: the root cause (the last one) is the
    error, the others its chain; frames are the root cause's, outermost first."""
    n = len(lines)
    blocks: list[tuple[str, str, list[Frame]]] = []
    j = i
    while j < n:
        s = lines[j].strip()
        hm = _HEADER.match(s)
        if hm and (j == i or s.startswith(("Caused by:", "Suppressed:"))):
            if s.startswith("Suppressed:"):
                j += 1
                continue
            blocks.append((hm.group("type"), (hm.group("msg") or "").strip(), []))
            j += 1
            continue
        am = _AT.match(lines[j])
        if am and blocks:
            if len(blocks[-1][2]) < 200:
                blocks[-1][2].append(_jvm_frame(am.group("func"), am.group("src"), root))
            j += 1
            continue
        if _MORE.match(lines[j]) or (blocks and not blocks[-1][2] and s and len(blocks) == 1 and j < i + 4
                                     and not _GRADLE_WRONG.match(s)):
            j += 1  # "... 12 more", or a multi-line message before the first frame
            continue
        break
    exc_type, message, frames = blocks[-1]
    message = _binary_name(exc_type, message)
    chain = [f"{t}: {msg}" if msg else t for t, msg, _ in blocks[:-1]]
    frames = list(reversed(frames))
    if not frames and len(blocks) > 1:
        frames = list(reversed(blocks[0][2]))
    lang = "kotlin" if exc_type.startswith("kotlin.") or any(f.path.endswith(".kt") for f in frames) else "java"
    return Candidate(Priority.EXCEPTION, i, error(exc_type, message, lang, frames=frames, chain=chain[-3:]),
                     end=j - 1), max(j, i + 1)


_INTERNAL_NAME = re.compile(r"^L?(?P<name>[A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)+);?$")


def _binary_name(exc_type: str, message: str) -> str:
    """``NoClassDefFoundError: javax/xml/bind/JAXBException`` names the class in the JVM's
    internal form; ``ClassNotFoundException`` prints ``javax.xml.bind.JAXBException``. The
    dotted form is kept so that both read alike."""
    m = _INTERNAL_NAME.match(message) if exc_type.endswith("NoClassDefFoundError") else None
    return m.group("name").replace("/", ".") if m else message


def _jvm_frame(func: str, src: str, root: Path | None) -> Frame:
    """``com.example.shop.Cart.total`` in ``Cart.java:12``: module ``com.example.shop.Cart``,
    function ``total``; the kind from the package (the JDK, Kotlin and test runners are the
    runtime, well-known libraries are dependencies, the rest is the application)."""
    cls, _, method = func.rpartition(".")
    file, _, line = src.partition(":")
    pkg_path = cls.rpartition(".")[0].replace(".", "/")
    path = f"{pkg_path}/{file}" if pkg_path and file and " " not in file else (file or cls)
    number = int(line) if line.isdecimal() else None
    if func.startswith(_RUNTIME_PKGS):
        return Frame(path=path, line=number, function=method or func, module=cls or None, kind="stdlib")
    if func.startswith(_LIBRARY_PKGS):
        return Frame(path=path, line=number, function=method or func, module=cls or None, kind="library")
    source = _source_file(root, path) if root is not None and "/" in path else None
    f = make_frame(source or path, number, method or func, root)
    return Frame(path=f.path, line=f.line, function=f.function, module=cls or f.module, kind="app")


_SOURCE_ROOTS = ("src/main/java", "src/main/kotlin", "src/test/java", "src/test/kotlin", "src")
MAX_MODULES = 50
MAX_ENTRIES = 2000


def _source_file(root: Path, package_path: str) -> str | None:
    """``com/acme/App.java`` -> ``src/main/java/com/acme/App.java`` (or under a Gradle/Maven
    module: ``app/src/main/java/...``) when that file exists in the workspace: JVM frames
    name the class's package, not where its source lives."""
    for module in _modules(root):
        for src in _SOURCE_ROOTS:
            rel = f"{module}{src}/{package_path}"
            candidate = root / rel
            try:
                if candidate.is_file() and not candidate.is_symlink():
                    return rel
            except OSError:
                return None
    return None


@lru_cache(maxsize=64)
def _modules(root: Path) -> tuple[str, ...]:
    """The workspace itself and its first-level folders holding a ``src`` folder (build modules)."""
    found: list[str] = []
    try:
        for entry in islice(root.iterdir(), MAX_ENTRIES):
            if not entry.name.startswith(".") and entry.is_dir() and (entry / "src").is_dir():
                found.append(entry.name + "/")
    except OSError:
        pass
    return ("", *sorted(found)[:MAX_MODULES])


def _gradle(lines: list[str], i: int) -> tuple[Candidate | None, int]:
    """``* What went wrong:``: the first line says what failed (``Execution failed for task
    ':app:x'.``), ``>`` lines nested under it say why, each level a deeper cause, with
    continuation lines (``Required by:``) between; the innermost cause is the message."""
    n = len(lines)
    base = quote_marks(lines, i) if i >= 0 and _GRADLE_WRONG.match(lines[i].strip()) else None
    j = i + 1
    reasons: list[str] = []
    depths: list[int] = []
    while j < n and j < i + 40:
        s = lines[j].strip()
        if _GRADLE_END.match(s):
            break
        if s:
            reasons.append(s.lstrip("> ").strip())
            depths.append(quote_marks(lines, j))
        elif reasons and j + 1 < n and lines[j + 1].strip().startswith("*"):
            break
        elif reasons and base is None:
            break  # a cause posted alone ends at its first blank line
        j += 1
    if not reasons:
        return None, j
    floor = depths[0] if base is None else base
    causes = [(d, k) for k, d in enumerate(depths) if d > floor and not _GRADLE_WRAPPER.match(reasons[k])]
    if causes:
        deepest = max(d for d, _ in causes)
        message = reasons[next(k for d, k in causes if d == deepest)]
    else:
        # no level marks (already stripped): the first line that is not a wrapper
        message = next((r for r in reasons if not _GRADLE_WRAPPER.match(r)), reasons[-1])
    chain = [r for r in reasons if r != message][:4]
    lang = "kotlin" if any(".kts" in r or "Kotlin" in r for r in reasons) else "java"
    pri = Priority.WRAPPER if message.startswith(("Compilation error. See log", "Compilation failed; see the compiler",
                                         "Script compilation error")) else Priority.TOOL
    return Candidate(pri, i, error("gradle", message, lang, chain=chain), end=j - 1), j
