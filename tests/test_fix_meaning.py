"""Fixes compared by what they say: paraphrases agree, look-alikes in the same domain do not,
and a word counts by how rare it is among the memory's fixes."""

from __future__ import annotations

import pytest

from memory_store.bugs.features import PlainDataError, normalize_fix
from memory_store.bugs.fix_meaning import FixComparer, FixVocabulary, fix_similarity, fix_terms, fixes_agree
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace

PARAPHRASES = [
    ("Run `npx prisma generate` after editing schema.prisma.",
     "The Prisma client was stale; regenerate it with prisma generate (schema.prisma had changed)."),
    ("Set PGSSLMODE=disable when connecting to the local database.",
     "Local postgres has no TLS: export PGSSLMODE=disable before starting the app."),
    ("Raise the inotify limit: sysctl fs.inotify.max_user_watches=524288.",
     "Increase fs.inotify.max_user_watches (to 524288) in /etc/sysctl.conf and reload it."),
    ("Upgrade pyyaml to 6.0.1, which builds against Cython 3.",
     "pyyaml 6.0.1 fixes the build with cython 3; bump the pin."),
    ("Add the missing `await` before fetchUser() in the login handler.",
     "fetchUser() returns a promise: await it in the login handler."),
]

LOOKALIKES = [
    ("Install the system package libpq-dev before pip install psycopg2.",
     "Install the system package libjpeg-dev before pip install pillow."),
    ("Set DEBUG=False in the production settings.",
     "Set ALLOWED_HOSTS to the site's domain in the production settings."),
    ("Run the database migrations with `alembic upgrade head` before starting.",
     "Run the tests with `pytest -x` before pushing."),
    ("Upgrade node to 18 so the global fetch exists.",
     "Upgrade react to 18 and use the new root API."),
    ("Restart the docker daemon after changing daemon.json.",
     "Restart the nginx container after changing nginx.conf."),
    ("npm install --save-dev typescript", "npm install --save-dev prettier"),
    ("sudo apt-get install libpq-dev", "sudo apt-get install libjpeg-dev"),
    ("pip install requests", "pip install numpy"),
]


@pytest.mark.parametrize("a, b", PARAPHRASES)
def test_paraphrases_of_one_fix_agree(a: str, b: str) -> None:
    a, b = normalize_fix(a), normalize_fix(b)
    assert fixes_agree(a, b) and fixes_agree(b, a)


@pytest.mark.parametrize("a, b", LOOKALIKES)
def test_fixes_sharing_only_generic_words_disagree(a: str, b: str) -> None:
    a, b = normalize_fix(a), normalize_fix(b)
    assert not fixes_agree(a, b) and not fixes_agree(b, a)


def test_the_comparison_holds_in_a_memory_of_all_these_fixes() -> None:
    """Weighed by a vocabulary of all the fixes above (as a bug index keeps it), the verdicts stand."""
    vocab = FixVocabulary()
    for a, b in PARAPHRASES + LOOKALIKES:
        vocab.add(normalize_fix(a))
        vocab.add(normalize_fix(b))
    meaning = FixComparer(vocab)
    assert all(meaning.agree(normalize_fix(a), normalize_fix(b)) for a, b in PARAPHRASES)
    assert not any(meaning.agree(normalize_fix(a), normalize_fix(b)) for a, b in LOOKALIKES)


def test_code_terms_versions_and_generic_words_are_told_apart() -> None:
    terms = fix_terms(normalize_fix("Set `NODE_OPTIONS=--max-old-space-size=4096` and install node-gyp@9.4.0; "
                                    "use python3 for the build, see ~/.npmrc"))
    assert {"c:node_options=--max-old-space-size=4096", "c:node-gyp@9.4.0", "c:python3", "c:~/.npmrc",
            "c:node-gyp", "v:9.4.0"} <= set(terms)
    assert terms["set"] < terms["python3"]  # a generic verb is weak evidence
    assert terms["c:node-gyp"] > terms["gyp"]  # a package name is strong evidence
    installer = fix_terms(normalize_fix("sudo apt-get install libpq-dev"))
    assert installer["c:apt-get"] < installer["c:libpq-dev"]  # a code term of generic words is no package
    english = fix_terms(normalize_fix("Use the built-in self-compiled interpreter, e.g. the esm-only build"))
    assert not any(t.startswith("c:") for t in english)  # hyphenated English is no package name


def test_a_word_many_fixes_use_counts_less() -> None:
    a = normalize_fix("Give the kubernetes pod more memory.")
    b = normalize_fix("The kubernetes pod needs a larger memory limit.")
    vocab = FixVocabulary()
    vocab.add(a)
    vocab.add(b)
    before = fix_similarity(a, b, vocab)
    for i in range(40):
        vocab.add(normalize_fix(f"Restart the kubernetes pod memory job number {i} with backoff{i}"))
    after = fix_similarity(a, b, vocab)
    assert after < before
    assert fixes_agree(a, b, FixVocabulary()) and not fixes_agree(a, b, vocab)


def test_the_vocabulary_follows_records_added_and_removed() -> None:
    vocab = FixVocabulary()
    common = normalize_fix("Pin grpcio below 1.60")
    vocab.add(common)
    vocab.add(common)  # a second record of the same fix: one distinct fix
    assert len(vocab) == 1
    alone = vocab.rarity("grpcio")
    other = normalize_fix("grpcio wheels need a newer pip")
    vocab.add(other)
    assert vocab.rarity("grpcio") < alone
    vocab.remove(other)
    assert vocab.rarity("grpcio") == alone
    vocab.remove(common)
    assert len(vocab) == 1  # one record of it is still there
    vocab.remove(common)
    assert len(vocab) == 0 and vocab.rarity("grpcio") == 1.0


def test_the_sample_is_the_same_whatever_the_order_records_arrive_in() -> None:
    fixes = [normalize_fix(f"bump libfoo{i} to {i}.0 and rebuild module{i % 7}") for i in range(60)]
    forward, backward = FixVocabulary(sample=16), FixVocabulary(sample=16)
    for f in fixes:
        forward.add(f)
    for f in reversed(fixes):
        backward.add(f)
    assert len(forward) == len(backward) == 16
    words = {t for f in fixes for t in fix_terms(f)}
    assert all(forward.rarity(t) == backward.rarity(t) for t in words)


def test_an_empty_fix_disagrees_with_nothing_and_identical_fixes_agree() -> None:
    assert fixes_agree("", "reinstall the wheel") and fixes_agree("reinstall the wheel", "")
    assert fixes_agree("reinstall the wheel", "reinstall the wheel")
    assert fix_similarity("reinstall the wheel", "reinstall the wheel") == 1.0


TRACE = ("Traceback (most recent call last):\n  File \"/home/dana/src/shop/db.py\", line 8, in connect\n"
         "    conn = psycopg2.connect(dsn)\npsycopg2.OperationalError: server does not support SSL, "
         "but SSL was required")


def test_a_paraphrased_fix_in_the_index_supports_the_answer(workspace: Workspace) -> None:
    """Two records of one error whose fixes are worded differently are no rivals in a match."""
    store = BugStore(workspace)
    recs = [store.build(TRACE, "Set PGSSLMODE=disable when connecting to the local database.", author="a"),
            store.build(TRACE.replace("dana", "lee"),
                        "Local postgres has no TLS: export PGSSLMODE=disable before starting the app.", author="b")]
    found = BugIndex(recs).match(TRACE.replace("dana", "kim"), include_weak=True)
    assert found[0].evidence["rivals"] == 0.0 and found[0].evidence["agree_share"] == 1.0
    assert not any("different fixes" in r for r in found[0].reasons)


def test_the_index_keeps_the_fix_vocabulary_as_records_come_and_go(workspace: Workspace) -> None:
    """Two fixes that share only words many other fixes of the memory use stop agreeing while
    those records are in the index, and agree again once they are removed."""
    store = BugStore(workspace)
    error = "OOMKilled: container api exceeded its memory limit"
    recs = [store.build(error, "Give the kubernetes pod more memory.", author="a"),
            store.build(error, "The kubernetes pod needs a larger memory limit.", author="b")]
    others = [store.build(f"KeyError: 'field_{i}'", f"Restart the kubernetes pod memory job number {i} with backoff{i}",
                          author="c") for i in range(40)]
    index = BugIndex(recs)
    assert index.match(error, include_weak=True)[0].evidence["rivals"] == 0.0
    for rec in others:
        index.add(rec)
    assert index.match(error, include_weak=True)[0].evidence["rivals"] > 0.0
    for rec in others:
        index.remove(rec["id"])
    assert index.match(error, include_weak=True)[0].evidence["rivals"] == 0.0


def test_the_version_changes_exactly_when_the_sample_does() -> None:
    fixes = [normalize_fix(f"bump libfoo{i} to {i}.0 and rebuild module{i % 7}") for i in range(40)]
    vocab = FixVocabulary(sample=8)
    for fix in fixes:
        before, sampled_before = vocab.version, vocab.to_plain()
        vocab.add(fix)
        assert (vocab.version != before) == (vocab.to_plain() != sampled_before), fix
    before = vocab.version
    vocab.add(vocab.to_plain()["sampled"][0])  # another record of a sampled fix: the same sample
    unsampled = next(f for f in fixes if f not in vocab.to_plain()["sampled"])
    vocab.remove(unsampled)  # a fix outside the sample leaves
    assert vocab.version == before
    vocab.remove(vocab.to_plain()["sampled"][1])
    assert vocab.version != before


def test_a_vocabulary_restored_from_plain_data_goes_on_like_the_original() -> None:
    fixes = [normalize_fix(f"set opt_{i % 13} and pin libbar{i} to {i}.2") for i in range(50)]
    original = FixVocabulary(sample=10)
    for fix in fixes + fixes[::4]:
        original.add(fix)
    for fix in fixes[::3]:
        original.remove(fix)
    restored = FixVocabulary.from_plain(original.to_plain(), dict(original._records), sample=10)
    words = {t for f in fixes for t in fix_terms(f)}
    for vocab in (original, restored):
        for fix in fixes[::5]:
            vocab.remove(fix)
        for fix in fixes[1::3]:
            vocab.add(fix)
    assert restored.to_plain()["df"] == original.to_plain()["df"] and len(restored) == len(original)
    assert all(restored.rarity(t) == original.rarity(t) for t in words)
    with pytest.raises(PlainDataError):
        FixVocabulary.from_plain({"sampled": [fixes[0]] * 2, "df": {}}, {fixes[0]: 1}, sample=10)
