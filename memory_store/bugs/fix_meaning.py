"""What a fix says: two fix texts compared by meaning, not by wording.

A fix is a sentence or two a developer wrote ("install libffi-dev and rebuild Python"). Two
records of one cause are often worded differently, while fixes of different causes share
everyday words ("install", "set", "the package"). So each term counts by what it tells:

- code terms name the very thing changed and are strong evidence: backticked spans, calls,
  dotted and snake_case names (environment variables such as ``DJANGO_SETTINGS_MODULE``),
  hyphenated or digit-bearing package names (``libffi-dev``, ``python3-tk``), command-line
  flags, paths, ``name=value`` settings and ``name@version`` pins;
- a version (``2.6.7``) on both sides is evidence of its own;
- other words count by how rare they are among the distinct fixes in the memory
  (:class:`FixVocabulary`, an inverse document frequency kept up to date as records come and
  go), and the words any fix uses (install, set, run, use, add, update, version, package...)
  count little wherever they occur, so a small memory is not misled either.

:func:`fix_similarity` is the weighted share of the lighter fix's terms that the other one
holds, a code term both name counting twice; two fixes *agree* from :data:`FIX_AGREE` when they
share more than generic words. The comparison is symmetric.
"""

from __future__ import annotations

import heapq
import math
import re
import zlib
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from memory_store.bugs.features import PlainDataError
from memory_store.errors.normalize import STOPWORDS

FIX_AGREE = 0.5
"""Weighted share of the lighter fix's terms the other must hold to say the same thing: at
least half of what it says. Fixes are only compared between near-equal candidates for one
error; bench/match_quality.py reports how such pairs score on the development sets. The fixes
of one root cause written in other words score 0.50 to 0.87 there (one outlier at 0.25), the
fixes of two causes up to 0.60 (one pair; the next is at 0.41): no share separates them. At 0.6
three of six same-cause pairs were rivals and out-of-sample confident-correct on the Python set
was 0.536 / 0.505 (full output / error line, 6 fold splits); at a half it is 0.591 / 0.561 with
about as many wrong answers (6.5 / 7.5 of 141 against 6.8 / 7.0). Two fixes wrongly taken as one turn a
look-alike's record from a rival into support, so the share stays at a half."""
CODE_WEIGHT = 2.0
VERSION_WEIGHT = 1.0
WORD_WEIGHT = 1.0
GENERIC_WEIGHT = 0.2
"""Weight of a word every kind of fix uses: it says what was done, not to what."""
PSEUDO_FIXES = 10
"""Fixes assumed beside the memory's own that lack any given term, so that in a memory of a
few fixes a word shared by two of them is not taken for a common one."""
SAMPLE = 512
"""Distinct fixes whose terms are counted for the document frequencies (a sample chosen by a
hash of the text: the same fixes whatever the order they arrive in, a bounded cost per record)."""

_EXTRA_STOPWORDS = frozenset({
    "e", "g", "eg", "i", "ie", "etc", "via", "also", "just", "only", "still", "rather", "both", "either",
    "neither", "not", "no", "any", "all", "some", "each", "every", "such", "very", "too", "one", "ones",
    "up", "out", "off", "over", "about", "because", "since", "until", "after", "before", "again", "instead",
    "them", "itself", "whatever", "whichever", "how", "why", "whether", "like", "per", "s", "t",
    # discourse words of any English sentence: they carry no fix
    "alone", "enough", "fact", "actually", "already", "yet", "however", "though", "although", "unless",
    "otherwise", "else", "even", "ever", "never", "always", "often", "sometimes", "usually", "now", "thus",
    "therefore", "likely", "probably", "maybe", "perhaps", "simply", "really", "quite", "much", "many", "more",
    "most", "less", "least", "few", "several", "whole", "own", "something", "anything", "nothing",
    "everything", "someone", "anyone", "sure", "able", "unable", "without", "within", "through", "across",
    "between", "against", "during", "above", "below", "under", "along", "around", "behind", "beyond",
    "toward", "towards", "upon", "whose", "whom", "here", "gets", "got", "gotten", "done", "doing", "makes",
    "made", "goes", "went", "gone", "come", "came", "comes", "back", "away", "once", "twice",
})
_STOP = STOPWORDS | _EXTRA_STOPWORDS

_GENERIC_WORDS = (
    # what was done
    "install", "uninstall", "reinstall", "set", "unset", "run", "rerun", "use", "add", "remove", "delete",
    "update", "upgrade", "change", "fix", "make", "check", "ensure", "call", "create", "pass", "move",
    "rename", "replace", "put", "get", "give", "keep", "need", "try", "work", "point", "write", "edit",
    "enable", "disable", "apply", "switch", "allow", "provide", "define", "declare", "specify", "supply",
    "configure", "build", "rebuild", "restart", "start", "stop", "open", "close", "load", "import", "find",
    # to what, said of any project
    "package", "version", "file", "code", "project", "error", "issue", "problem", "value", "line",
    "command", "directory", "folder", "module", "library", "dependency", "latest", "newer", "older", "new",
    "old", "correct", "right", "wrong", "proper", "properly", "explicit", "explicitly", "missing", "default",
    "system", "environment", "variable", "config", "configuration", "setting", "app", "application",
    "program", "script", "tool", "user", "machine", "local", "global", "same", "different", "first", "other",
    "another", "way", "thing", "case", "place", "name", "path", "support", "supported", "instead", "there",
    # package managers and their usual words: what is installed matters, not with what
    "pip", "pip3", "pipx", "npm", "npx", "yarn", "pnpm", "apt", "brew", "conda", "mamba", "gem", "bundle",
    "sudo", "dnf", "yum", "apk", "choco", "winget", "poetry", "pipenv", "save", "dev", "devel", "lib", "libs",
    "cli", "sdk", "core", "common", "util", "utils", "tools", "plugin", "plugins", "bin", "src", "pkg",
)

_WORD = re.compile(r"[a-z][a-z0-9]*")
_CODE = re.compile(
    r"`(?P<tick>[^`\n]{1,80})`"
    r"|(?P<call>\b[a-z_][\w.]*[a-z0-9_])\("
    r"|(?P<flag>(?<![\w-])--[a-z][\w-]*)"
    r"|(?P<path>(?<![\w.])(?:~|\.{1,2})?/[\w.@-]+(?:/[\w.@-]+)*)"
    r"|(?P<assign>\b[\w.-]+=[^\s,;)]+)"
    r"|(?P<pin>\b[a-z][\w.-]*@[\w.^~*-]*\d[\w.-]*)"
    r"|(?P<name>\b[a-z_][\w-]*(?:\.[a-z_][\w-]*)+\b"
    r"|\b[a-z0-9]*_[a-z0-9_]*[a-z][a-z0-9_]*\b"
    r"|\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b"
    r"|\b[a-z]+\d[a-z0-9]*\b)")
"""Code terms of a lower-cased fix (see the module's docstring)."""
_NOT_CODE = frozenset({"e.g", "i.e", "etc", "vs", "a.k.a"})
_ENGLISH_COMPOUND = re.compile(
    r"(?:self|non|off|on|pre|post|re|co|well|up|out|over|under|built|front|back|end|read|write|case|one|two|"
    r"multi|cross|left|right|top|low|high|long|short|full|half|hard|soft|run|build|compile|third|first)-[a-z]+$"
    r"|[a-z]+-(?:only|aware|based|enabled|free|safe|time|side|level|wide|like|specific|compatible|related|in|up|"
    r"out|off|on)$")
"""Hyphenated English (``self-compiled``, ``esm-only``, ``built-in``): words, not a package's name."""
_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+|\d+\.x)(?![\w])")


def _stem(word: str) -> str:
    """A light suffix stripper: ``installs``/``installed``/``installing`` -> ``install``,
    ``configure``/``configured``/``configuration`` -> ``configur``. Enough to let a fix's
    paraphrase meet it; words with digits are names and stay as they are."""
    if not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ation", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # running -> run, stopped -> stop
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_GENERIC = frozenset(_stem(w) for w in _GENERIC_WORDS)


def _code_weight(term: str) -> float:
    """A code term made of generic words only (``apt-get``, ``--save-dev``) says no more than they do."""
    if all(len(w) < 3 or w in _STOP or _stem(w) in _GENERIC for w in _WORD.findall(term)):
        return GENERIC_WEIGHT
    return CODE_WEIGHT


@lru_cache(maxsize=8192)
def fix_terms(fix: str) -> Mapping[str, float]:
    """The terms of a (normalized) fix text with their weights before rarity: ``c:`` code
    terms, ``v:`` versions and stemmed words."""
    text = fix.lower()
    terms: dict[str, float] = {}
    for m in _CODE.finditer(text):
        value = (m.group(m.lastgroup or 0) or "").strip(" .,:;'\"").replace("'", "").replace('"', "")
        if len(value) > 1 and value not in _NOT_CODE and not _ENGLISH_COMPOUND.match(value):
            terms["c:" + value] = _code_weight(value)
            if m.lastgroup in ("assign", "pin"):  # the setting or package alone, whatever its value
                name = re.split(r"[=@]", value, maxsplit=1)[0].strip(".")
                if len(name) > 1:
                    terms["c:" + name] = _code_weight(name)
    for m in _VERSION.finditer(text):
        terms.setdefault("v:" + m.group(1), VERSION_WEIGHT)
    for w in _WORD.findall(text):
        if len(w) < 3 or w in _STOP:  # two letters: file extensions, abbreviations
            continue
        stem = _stem(w)
        weight = GENERIC_WEIGHT if stem in _GENERIC else WORD_WEIGHT
        if terms.get(stem, 0.0) < weight:
            terms[stem] = weight
    return MappingProxyType(terms)  # cached: shared by every caller, so read-only


class FixVocabulary:
    """How many distinct fixes of the memory use each term: the rarity that weighs a term.

    Counted over a sample of at most :data:`SAMPLE` distinct fixes, those with the lowest hash
    of their text (a bottom-k sample: deterministic and independent of the order records
    arrive in, each fix's terms extracted at most once). Not thread-safe for writers: the owner
    (the bug index) serializes additions and removals; readers only look values up."""

    def __init__(self, sample: int = SAMPLE) -> None:
        self._capacity = sample
        self._records: dict[str, int] = {}
        """Distinct fix text -> records carrying it."""
        self._sampled: dict[str, int] = {}
        """Fix text -> its hash, for the fixes whose terms are counted."""
        self._heap: list[tuple[int, str]] = []
        """(-hash, fix) of sampled fixes (stale rows skipped): the largest hash on top."""
        self._df: dict[str, int] = {}
        self.version = 0
        """Changes whenever the sample (and so any term's rarity) changes."""

    def __len__(self) -> int:
        return len(self._sampled)

    def to_plain(self) -> dict[str, Any]:
        """The sample and its term counts as plain data (for the index cache); the fixes' record
        counts are not included: they follow from the records (see :meth:`from_plain`)."""
        return {"sampled": list(self._sampled), "df": dict(self._df)}

    @classmethod
    def from_plain(cls, data: Any, records: Mapping[str, int], sample: int = SAMPLE) -> FixVocabulary:
        """The vocabulary :meth:`to_plain` described, over ``records`` (distinct fix -> records
        carrying it, in the order the fixes arrived): the same state as adding those records one
        at a time, without extracting any fix's terms. The sample is taken as stored, not drawn
        again: after removals it depends on the history. :class:`PlainDataError` for data of any
        other shape."""
        if type(data) is not dict or len(data) != 2:
            raise PlainDataError("fix vocabulary of the wrong shape")
        sampled, df = data.get("sampled"), data.get("df")
        if type(sampled) is not list or type(df) is not dict or len(sampled) > sample:
            raise PlainDataError("fix vocabulary of the wrong shape")
        vocab = cls(sample)
        for fix in sampled:
            if type(fix) is not str or not fix or fix in vocab._sampled or records.get(fix, 0) < 1:
                raise PlainDataError("sampled fix not among the records' fixes")
            vocab._sampled[fix] = zlib.crc32(fix.encode("utf-8", "surrogatepass"))
        for term, count in df.items():
            if type(term) is not str or type(count) is not int or not 0 < count <= len(sampled):
                raise PlainDataError("fix term count of the wrong type")
        for fix, count in records.items():
            if type(fix) is not str or type(count) is not int or count < 1:
                raise PlainDataError("fix record count of the wrong type")
        vocab._records = dict(records)
        vocab._df = dict(df)
        vocab._heap = [(-h, f) for f, h in vocab._sampled.items()]
        heapq.heapify(vocab._heap)
        return vocab

    def add(self, fix: str) -> None:
        count = self._records.get(fix, 0)
        self._records[fix] = count + 1
        if count or not fix:
            return
        h = zlib.crc32(fix.encode("utf-8", "surrogatepass"))
        if len(self._sampled) >= self._capacity:
            top = self._top()
            if top is None or h >= top[0]:
                return
            self._unsample(top[1])
        self._sampled[fix] = h
        self.version += 1
        heapq.heappush(self._heap, (-h, fix))
        for term in fix_terms(fix):
            self._df[term] = self._df.get(term, 0) + 1

    def remove(self, fix: str) -> None:
        count = self._records.get(fix, 0)
        if count > 1:
            self._records[fix] = count - 1
            return
        self._records.pop(fix, None)
        if fix in self._sampled:
            self._unsample(fix)

    def _top(self) -> tuple[int, str] | None:
        while self._heap:
            neg, fix = self._heap[0]
            if self._sampled.get(fix) == -neg:
                return -neg, fix
            heapq.heappop(self._heap)
        return None

    def _unsample(self, fix: str) -> None:
        del self._sampled[fix]
        self.version += 1
        for term in fix_terms(fix):
            left = self._df.get(term, 0) - 1
            if left > 0:
                self._df[term] = left
            else:
                self._df.pop(term, None)
        if len(self._heap) > 4 * self._capacity:  # drop stale rows now and then
            self._heap = [(-h, f) for f, h in self._sampled.items()]
            heapq.heapify(self._heap)

    def rarity(self, term: str) -> float:
        """0..1: 1 for a term of one fix (or none), falling as more fixes use it."""
        n = len(self._sampled) + PSEUDO_FIXES
        df = max(1, self._df.get(term, 0))
        return min(1.0, math.log(n / df) / math.log(n)) if df < n else 0.0


class FixComparer:
    """Fix comparisons for one query: term weights and verdicts are remembered, since the
    candidates of a query carry few distinct fixes."""

    def __init__(self, vocabulary: FixVocabulary | None = None) -> None:
        self._vocabulary = vocabulary
        self._weights: dict[str, tuple[dict[str, float], float]] = {}
        self._similar: dict[tuple[str, str], float] = {}

    def _weighted(self, fix: str) -> tuple[dict[str, float], float]:
        """The fix's terms weighed by their rarity, and its total with a code term counted as a
        plain word: a code term is strong evidence when both fixes name it, while one the other
        fix does not name is only detail."""
        got = self._weights.get(fix)
        if got is None:
            vocab = self._vocabulary
            terms = fix_terms(fix)
            weights = dict(terms) if vocab is None else {t: w * vocab.rarity(t) for t, w in terms.items()}
            plain = math.fsum(w * WORD_WEIGHT / CODE_WEIGHT if terms[t] == CODE_WEIGHT and t.startswith("c:") else w
                              for t, w in weights.items())
            got = self._weights[fix] = (weights, plain)
        return got

    def similarity(self, a: str, b: str) -> float:
        """Weighted share (0..1) of the lighter fix's terms that the other fix holds."""
        if a == b:
            return 1.0
        key = (a, b) if a < b else (b, a)
        got = self._similar.get(key)
        if got is None:
            (wa, plain_a), (wb, plain_b) = self._weighted(a), self._weighted(b)
            shared = math.fsum(min(w, wb[t]) for t, w in wa.items() if t in wb)
            lighter = min(plain_a, plain_b)
            got = self._similar[key] = min(1.0, shared / lighter) if lighter > 0 else 0.0
        return got

    def agree(self, a: str, b: str) -> bool:
        """Do two (normalized) fix texts describe the same fix, in whatever words? An empty fix
        disagrees with nothing."""
        if not a or not b or a == b:
            return True
        if self.similarity(a, b) < FIX_AGREE:
            return False
        ta, tb = fix_terms(a), fix_terms(b)
        return any(w > GENERIC_WEIGHT and t in tb for t, w in ta.items())  # not by generic words alone


def fix_similarity(a: str, b: str, vocabulary: FixVocabulary | None = None) -> float:
    """:meth:`FixComparer.similarity` for one pair (words weighed by ``vocabulary`` when given)."""
    return FixComparer(vocabulary).similarity(a, b)


def fixes_agree(a: str, b: str, vocabulary: FixVocabulary | None = None) -> bool:
    """:meth:`FixComparer.agree` for one pair (words weighed by ``vocabulary`` when given)."""
    return FixComparer(vocabulary).agree(a, b)
