"""Match results kept across memory changes that cannot alter them (used by :mod:`memory_store.bugs.live`).

After a record is recorded, every forwarded diagnostic and every hovered error would be
matched again. When a record was only *added*, most results cannot change, and this cache
keeps them. Whether one can change follows from how :class:`BugIndex` scores (see
``memory_store/bugs/features.py`` and ``match.py``): a query is scored only against candidate
groups reached through a shared word, the same exception type or the same fingerprint; a
new record changes the index only in its own group (joined or created) and, for a new
group, the word weights (idf) of that group's words. So a cached result stays exact unless

- the query shares a word, its exception type or its fingerprint with the record's group;
- the record made a new group and one of the query's candidate groups holds one of its
  words (their scores use the changed weights); or
- the number of groups grew enough for the index to recompute every weight; or
- the record's fix is new to the memory and joined the sample of fixes whose terms weigh fix
  comparisons (:class:`memory_store.bugs.fix_meaning.FixVocabulary`): every term's rarity
  changes with it, so whether two candidates' fixes agree may change for any query.

Anything else (a record changed or removed, a reload) empties the cache. Results are the
same as matching again: ``tests/lsp/test_live_units.py`` compares them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from memory_store.bugs.features import ErrorFeatures, features_of
from memory_store.bugs.match import MAX_CANDIDATE_GROUPS, BugIndex
from memory_store.errors import ParsedError

CANDIDATE_CHECKS = 64
"""Candidate look-ups per addition at most (about 0.5 ms each); beyond, results are dropped."""


@dataclass(slots=True)
class _Cached:
    matches: list[Any]
    query: ErrorFeatures
    words: frozenset[str]


class MatchCache:
    """``key -> matches`` for one index; the oldest entries go first when it is full."""

    def __init__(self, size: int):
        self.size = size
        self._entries: dict[str, _Cached | list[Any]] = {}
        self.kept = 0
        """Entries that survived additions so far (for tests and benchmarks)."""
        self._vocabulary: int | None = None
        """:attr:`FixVocabulary.version` the entries were computed with (None: not known)."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> list[Any] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        return entry.matches if isinstance(entry, _Cached) else entry

    def put(self, key: str, matches: list[Any], parsed: ParsedError | None, index: BugIndex | None = None) -> None:
        """Remember ``matches`` for ``key``; ``parsed`` is the query (None: not an error, so
        no record can ever match it); ``index`` the index matched (without it, the next
        addition empties the cache: whether the fix vocabulary changed is not known)."""
        if index is not None:
            self._vocabulary = index._fixes.version
        while len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]
        if parsed is None:
            self._entries[key] = matches
            return
        try:
            query = features_of(parsed)
        except (ValueError, TypeError):
            self._entries[key] = matches  # the index cannot match it either
            return
        self._entries[key] = _Cached(matches, query, query.token_set | frozenset(query.tokens))

    def clear(self) -> None:
        self._entries.clear()
        self._vocabulary = None

    def record_added(self, index: BugIndex | None, record_id: str) -> None:
        """``record_id`` was just added to ``index``: drop the results it may change."""
        if not self._entries or index is None:
            return
        with index._lock:
            entry = index._entries.get(record_id)
            if entry is None:
                return  # nothing indexable: the index did not change
            if index._fixes.version != self._vocabulary:  # a new fix joined the sample (or not known)
                self.clear()
                return
            tokens = index._tokens
            group = tokens.groups[entry.features.fingerprint]
            feats = group.features
            words = feats.token_set | frozenset(feats.tokens)
            touched: set[str] = set()
            if len(group.ids) == 1:  # a new group: the weights of its words changed
                n, n0 = len(tokens.groups), tokens._idf_n
                if abs(n - n0) * 10 > n0:
                    self.clear()  # every weight is recomputed at the next query
                    return
                for word in words:
                    touched.update(tokens.postings.get(word, ()))
            budget = CANDIDATE_CHECKS
            for key, cached in list(self._entries.items()):
                if not isinstance(cached, _Cached):
                    continue
                q = cached.query
                if q.fingerprint == feats.fingerprint or (q.stype and q.stype == feats.stype) \
                        or not cached.words.isdisjoint(words):
                    del self._entries[key]
                elif touched:
                    # The query's candidates are the same as before the addition (it shares no
                    # word, type or fingerprint with the new group), but their weights changed
                    # if one of them holds a word of the new group. Past the budget, results
                    # are dropped without looking (the locks are held meanwhile).
                    if budget <= 0 or not touched.isdisjoint(tokens.candidates(q, MAX_CANDIDATE_GROUPS)):
                        del self._entries[key]
                    else:
                        self.kept += 1
                    budget -= 1
                else:
                    self.kept += 1


class RecordMap(MutableMapping[str, dict[str, Any]]):
    """The loaded records (possibly decoded lazily from the index cache) plus the changes
    made since, without copying the loaded ones."""

    def __init__(self, base: Mapping[str, dict[str, Any]]):
        self._base = base
        self._added: dict[str, dict[str, Any]] = {}
        self._gone: set[str] = set()

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key in self._added:
            return self._added[key]
        if key in self._gone:
            raise KeyError(key)
        return self._base[key]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self._added[key] = value
        self._gone.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._added.pop(key, None)
        if key in self._base:
            self._gone.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._added or (key not in self._gone and key in self._base)

    def __iter__(self) -> Iterator[str]:
        yield from self._added
        for key in self._base:
            if key not in self._gone and key not in self._added:
                yield key

    def __len__(self) -> int:
        extra = sum(1 for k in self._added if k not in self._base)
        return len(self._base) - len(self._gone) + extra
