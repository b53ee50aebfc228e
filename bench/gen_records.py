"""A realistic generator of bug records and queries for the speed benchmarks.

Errors come from families modelled on what real projects hit (missing modules, key and
attribute errors, database and network failures, Django/Flask/SQLAlchemy/pandas/numpy
errors, Node TypeErrors, ESM/CJS mix-ups, ...). Each family has slots filled from large
vocabularies, so there are many distinct messages; frames come from shared libraries and
from a generated application; records repeat with other machines' paths, line numbers,
values and call sites (near-duplicates). Frequencies follow a Zipf-like law.

    python bench/gen_records.py N OUT_DIR   # writes N bug record files into OUT_DIR/.teamlore/bugs
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memory_store.bugs.records import KIND, VERSION, BugStore  # noqa: E402
from memory_store.jsonio import dumps  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vo", "qu", "zi", "bar", "dex", "pol", "sen", "tri", "um", "wex", "yo",
             "fen", "gra", "hol", "jas", "nor", "pex", "sul", "tav")
USERS = ("alice", "bob", "chen", "dana", "eli", "fatima", "gus", "hiro", "ines", "jon", "kim", "li", "maria")
PY_LIBS = {
    "django": ["django/db/models/query.py:get", "django/db/backends/utils.py:execute", "django/apps/registry.py:"
               "check_apps_ready", "django/conf/__init__.py:_setup", "django/core/handlers/base.py:_get_response"],
    "requests": ["requests/api.py:get", "requests/sessions.py:request", "requests/adapters.py:send"],
    "sqlalchemy": ["sqlalchemy/engine/base.py:_execute_context", "sqlalchemy/orm/session.py:execute",
                   "sqlalchemy/pool/base.py:connect"],
    "pandas": ["pandas/core/frame.py:__getitem__", "pandas/core/indexes/base.py:get_loc",
               "pandas/io/parsers/readers.py:read_csv"],
    "numpy": ["numpy/core/fromnumeric.py:reshape", "numpy/linalg/linalg.py:inv"],
    "flask": ["flask/app.py:wsgi_app", "flask/globals.py:_lookup_app_object", "werkzeug/local.py:_get_current_object"],
    "redis": ["redis/connection.py:connect", "redis/client.py:execute_command"],
    "psycopg2": ["psycopg2/__init__.py:connect"],
    "boto3": ["botocore/auth.py:add_auth", "botocore/client.py:_make_api_call"],
    "celery": ["celery/app/task.py:__call__", "kombu/connection.py:_ensure_connection"],
}
JS_LIBS = {
    "express": ["express/lib/router/layer.js:Layer.handle", "express/lib/router/route.js:next"],
    "react-dom": ["react-dom/cjs/react-dom.development.js:renderWithHooks"],
    "axios": ["axios/lib/core/settle.js:settle", "axios/lib/adapters/http.js:dispatchHttpRequest"],
    "mongoose": ["mongoose/lib/model.js:Model.findOne"],
    "webpack": ["webpack/lib/Compilation.js:Compilation.buildModule"],
}


@dataclass(frozen=True)
class Family:
    exc_type: str
    message: str
    """With {slot} placeholders: {name} identifier, {n} number, {host}, {path}, {col}."""
    libs: tuple[str, ...]
    fix: str
    lang: str = "python"
    volatile: tuple[str, ...] = ("n",)
    """Slots that vary between occurrences of the same bug (the others name the bug)."""


FAMILIES: tuple[Family, ...] = (
    Family("ModuleNotFoundError", "No module named '{name}'", (), "add {name} to the requirements and reinstall"),
    Family("ImportError", "cannot import name '{name}' from '{mod}' ({path})", (),
           "{name} moved in the new {mod}; import it from its new module", volatile=("path",)),
    Family("KeyError", "'{name}'", ("pandas",), "column {name} is optional: use df.get('{name}')"),
    Family("AttributeError", "'NoneType' object has no attribute '{name}'", (),
           "guard against a missing result before reading .{name}"),
    Family("AttributeError", "module '{mod}' has no attribute '{name}'", (),
           "{mod} removed {name}: pin the old version or use the replacement"),
    Family("TypeError", "{name}() got an unexpected keyword argument '{col}'", (),
           "{name} renamed its {col} parameter; update the call"),
    Family("TypeError", "Object of type {name} is not JSON serializable", (),
           "serialize {name} values explicitly (default=str)"),
    Family("ValueError", "invalid literal for int() with base 10: '{name}'", (),
           "validate the {name} input before int()", volatile=("name",)),
    Family("ValueError", "could not convert string to float: '{name}'", ("pandas",),
           "clean the numeric column before converting", volatile=("name",)),
    Family("ValueError", "operands could not be broadcast together with shapes ({n},) ({n},{n})", ("numpy",),
           "reshape the center vector to a column first"),
    Family("FileNotFoundError", "[Errno 2] No such file or directory: '{path}'", (),
           "create the {name} directory on first run", volatile=("path",)),
    Family("PermissionError", "[Errno 13] Permission denied: '{path}'", (),
           "run the exporter with write access to its output dir", volatile=("path",)),
    Family("django.core.exceptions.ImproperlyConfigured",
           "Requested setting {NAME}, but settings are not configured. You must either define the environment "
           "variable DJANGO_SETTINGS_MODULE or call settings.configure() before accessing settings.", ("django",),
           "set DJANGO_SETTINGS_MODULE before importing settings", volatile=("NAME",)),
    Family("django.core.exceptions.AppRegistryNotReady", "Apps aren't loaded yet.", ("django",),
           "call django.setup() before importing models"),
    Family("django.db.utils.OperationalError", "no such table: {name}_{col}", ("django",),
           "run manage.py migrate for the {name} app"),
    Family("sqlalchemy.exc.OperationalError",
           "(psycopg2.OperationalError) connection to server at \"{host}\" ({ip}), port {n} failed: Connection refused",
           ("sqlalchemy", "psycopg2"), "the database runs in docker: connect to the service name, not localhost",
           volatile=("n", "ip")),
    Family("sqlalchemy.exc.IntegrityError",
           "(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint \"{name}_{col}_key\"",
           ("sqlalchemy", "psycopg2"), "upsert {name} rows instead of inserting twice"),
    Family("sqlite3.OperationalError", "database is locked", (), "serialize writers or enable WAL"),
    Family("redis.exceptions.ConnectionError", "Error {n} connecting to {host}:6379. Connection refused.",
           ("redis",), "start redis-server (or point REDIS_URL at the running instance)"),
    Family("requests.exceptions.ConnectionError",
           "HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: /api/{name}/{n} (Caused by "
           "NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x{hex}>: Failed to establish a new "
           "connection: [Errno -3] Temporary failure in name resolution'))", ("requests",),
           "{host} is only resolvable inside the VPN", volatile=("n", "hex", "name")),
    Family("requests.exceptions.HTTPError", "{code} Client Error: Unauthorized for url: https://{host}/v2/{name}",
           ("requests",), "refresh the API token for {host}", volatile=("name",)),
    Family("botocore.exceptions.NoCredentialsError", "Unable to locate credentials", ("boto3",),
           "configure AWS credentials for the worker"),
    Family("RuntimeError", "Working outside of application context.", ("flask",),
           "push app.app_context() in the script"),
    Family("OSError", "[Errno 98] Address already in use", (), "a previous server still holds the port: kill it"),
    Family("RecursionError", "maximum recursion depth exceeded while calling a Python object", (),
           "the {name} setter assigns to itself; use a backing attribute"),
    Family("UnicodeDecodeError", "'{codec}' codec can't decode byte 0x{hex} in position {n}: invalid start byte", (),
           "open the file with encoding='utf-8'", volatile=("n", "hex")),
    Family("celery.exceptions.TimeoutError", "The operation timed out.", ("celery",),
           "raise the result backend timeout for {name}"),
    Family("TypeError", "Cannot read properties of undefined (reading '{name}')", ("express",),
           "initialise {name} before the first render", lang="js"),
    Family("TypeError", "{name} is not a function", ("react-dom",), "{name} is a default export; import it as such",
           lang="js"),
    Family("ReferenceError", "{name} is not defined", (), "declare {name} or import it", lang="js"),
    Family("Error", "Cannot find module '{mod}'", ("webpack",), "install {mod} (npm i {mod})", lang="js"),
    Family("Error [ERR_REQUIRE_ESM]", "require() of ES Module {path} not supported.", (),
           "switch to import() for ESM-only packages", lang="js", volatile=("path",)),
    Family("AxiosError", "Request failed with status code {code}", ("axios",),
           "handle {code} from the {name} API", lang="js"),
    Family("MongooseError", "Operation `{name}.findOne()` buffering timed out after 10000ms", ("mongoose",),
           "connect mongoose before issuing queries", lang="js"),
)


def _word(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


class Generator:
    """Deterministic stream of (error text, fix) pairs with a realistic mix."""

    def __init__(self, seed: int = 7, vocabulary: int = 3000):
        self.rng = random.Random(seed)
        rng = self.rng
        self.names = [_word(rng, rng.choice((2, 3))) + rng.choice(("", "_id", "_at", "s", "_url", "2"))
                      for _ in range(vocabulary)]
        self.mods = [rng.choice(("py", "", "lib", "fast")) + _word(rng, 2) for _ in range(vocabulary // 3)]
        self.hosts = [f"{_word(rng)}.{rng.choice(('internal', 'example.com', 'svc.local'))}" for _ in range(300)]
        self.app_mods = [f"{_word(rng)}/{_word(rng)}" for _ in range(400)]
        self.app_funcs = [f"{rng.choice(('get', 'load', 'save', 'build', 'sync', 'handle', 'run'))}_{_word(rng)}"
                          for _ in range(800)]
        weights = [1.0 / (i + 1) ** 0.8 for i in range(len(FAMILIES))]
        rng.shuffle(weights)
        self.weights = weights
        self.slot_zipf = [1.0 / (i + 1) ** 1.1 for i in range(vocabulary)]

    def _pick(self, seq: list[str]) -> str:
        # Zipf over the vocabulary: a few identifiers are very common (near-duplicates)
        return self.rng.choices(seq, weights=self.slot_zipf[:len(seq)])[0]

    def slots(self, fam: Family) -> dict[str, str]:
        rng = self.rng
        name = self._pick(self.names)
        return {"name": name, "NAME": name.upper(), "mod": self._pick(self.mods), "col": self._pick(self.names),
                "host": self._pick(self.hosts), "n": str(rng.randint(1, 99999)), "hex": f"{rng.getrandbits(40):x}",
                "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "code": rng.choice(("401", "403", "404", "429", "500", "502")),
                "codec": rng.choice(("utf-8", "ascii", "charmap", "cp1252")),
                "path": self._path(rng.choice(USERS), f"{_word(rng)}/{self._pick(self.names)}.json")}

    def _path(self, user: str, rest: str) -> str:
        return self.rng.choice((f"/home/{user}/{rest}", f"/Users/{user}/{rest}", f"C:\\Users\\{user}\\{rest}"))

    def error(self, fam: Family | None = None, slots: dict[str, str] | None = None) -> tuple[str, str, Family,
                                                                                            dict[str, str]]:
        rng = self.rng
        fam = fam or rng.choices(FAMILIES, weights=self.weights)[0]
        slots = dict(slots) if slots else self.slots(fam)
        fresh = self.slots(fam)
        for v in fam.volatile:  # what varies between occurrences of one bug
            slots[v] = fresh[v]
            if v == "name":
                slots["NAME"] = fresh["NAME"]
        message = fam.message.format(**slots)
        user = rng.choice(USERS)
        text = self._js(fam, message, user) if fam.lang == "js" else self._py(fam, message, user)
        return text, fam.fix.format(**slots), fam, slots

    def _app_frames(self, k: int) -> list[tuple[str, str]]:
        return [(f"{self.rng.choice(self.app_mods)}.py", self.rng.choice(self.app_funcs)) for _ in range(k)]

    def _py(self, fam: Family, message: str, user: str) -> str:
        rng = self.rng
        venv = rng.choice((f"/home/{user}/.venv/lib/python3.11/site-packages",
                           f"/usr/local/lib/python3.{rng.randint(8, 12)}/site-packages",
                           f"C:\\Users\\{user}\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\site-packages"))
        root = rng.choice((f"/home/{user}/src/proj", f"/srv/{_word(rng)}", f"D:\\work\\{_word(rng)}"))
        sep = "\\" if root[1:2] == ":" else "/"
        lines = ["Traceback (most recent call last):"]
        for mod, func in self._app_frames(rng.randint(1, 4)):
            lines += [f'  File "{root}{sep}{mod.replace("/", sep)}", line {rng.randint(1, 900)}, in {func}',
                      f"    result = {func}(payload)"]
        for lib in fam.libs:
            for spec in PY_LIBS.get(lib, []):
                if rng.random() < 0.8:
                    path, func = spec.split(":")
                    lsep = "\\" if venv[1:2] == ":" else "/"
                    lines += [f'  File "{venv}{lsep}{path.replace("/", lsep)}", line {rng.randint(10, 3000)}, '
                              f"in {func}", "    return self._call(*args)"]
        lines.append(f"{fam.exc_type}: {message}")
        return "\n".join(lines) + "\n"

    def _js(self, fam: Family, message: str, user: str) -> str:
        rng = self.rng
        root = rng.choice((f"/home/{user}/web/{_word(rng)}", f"/Users/{user}/code/{_word(rng)}",
                           f"C:\\projects\\{_word(rng)}"))
        lines = [f"{fam.exc_type}: {message}"]
        for mod, func in self._app_frames(rng.randint(1, 3)):
            lines.append(f"    at {func} ({root}/src/{mod[:-3]}.js:{rng.randint(1, 400)}:{rng.randint(1, 80)})")
        for lib in fam.libs:
            for spec in JS_LIBS.get(lib, []):
                path, func = spec.split(":")
                lines.append(f"    at {func} ({root}/node_modules/{path}:{rng.randint(1, 900)}:{rng.randint(1, 60)})")
        lines.append("    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")
        return "\n".join(lines) + "\n"


def generate(n: int, seed: int = 7, duplicate_rate: float = 0.3) -> Iterator[tuple[str, str]]:
    """``n`` (error text, fix) pairs; ``duplicate_rate`` of them re-occur with other machines' details."""
    gen = Generator(seed)
    seen: list[tuple[Family, dict[str, str]]] = []
    for _ in range(n):
        if seen and gen.rng.random() < duplicate_rate:
            fam, slots = gen.rng.choice(seen)
            text, fix, _, _ = gen.error(fam, slots)
        else:
            text, fix, fam, slots = gen.error()
            if len(seen) < 50_000:
                seen.append((fam, slots))
        yield text, fix


def queries(n: int, seed: int = 99) -> list[str]:
    """Fresh errors from the same families (some re-occurrences of stored bugs, some new)."""
    gen = Generator(seed=7)  # same vocabulary as the records
    gen.rng = random.Random(seed)
    return [gen.error()[0] for _ in range(n)]


def build_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = BugStore(Workspace(Path(tmp)))
        out = []
        for i, (text, fix) in enumerate(generate(n, seed)):
            rec = store.build(text, fix, author="gen", source="bench", minutes=5 + i % 90)
            rec["id"] = f"bug-{i:07d}"
            out.append(rec)
        return out


def write_records(records: list[dict[str, Any]], root: Path) -> Path:
    """Record files as the store writes them (without fsync: this is a fixture, not the product path)."""
    directory = root / ".teamlore" / "bugs"
    directory.mkdir(parents=True, exist_ok=True)
    for rec in records:
        rec = dict(rec, schema=f"teamlore.{KIND}/{VERSION}")
        (directory / f"{rec['id']}.json").write_text(dumps(rec), encoding="utf-8")
    return directory


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    directory = write_records(build_records(n), out)
    print(json.dumps({"records": n, "directory": str(directory)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
