"""Reading, validating and analysing bug record files for the index: the work of a first start.

A record file's outcome depends on that file alone, so a large memory is analysed in several
processes (:func:`analyse`); the caller applies the outcomes in file-name order, so the index
is the one a sequential load builds. Files are read through :mod:`memory_store.bulkread`; any
file it declines is read by the reference reader, whose result or reported problem stands.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory_store.bugs.features import ErrorFeatures, features_of, normalize_fix, parsed_from_record
from memory_store.bugs.records import KIND, VERSION, validate_bug
from memory_store.bulkread import DECLINED, DirReader, decode_strict, encode_compact
from memory_store.jsonio import FileProblem, MemoryFileError
from memory_store.recordfiles import RecordDir

log = logging.getLogger(__name__)

Stamp = tuple[int, int]

PARALLEL_MIN = 4000
"""Below this many files, starting worker processes costs more than it saves."""
CHUNK = 2500
"""Files per task handed to a worker process."""


@dataclass(slots=True)
class Outcome:
    """One record file, read and analysed; ``problem`` set when it cannot be used."""

    name: str
    rid: str | None = None
    raw: bytes | None = None
    """The record as compact JSON; None when it is kept decoded in ``record``."""
    record: dict[str, Any] | None = None
    features: ErrorFeatures | None = None
    """None when the record holds no usable error (it is then not indexed)."""
    fix_norm: str = ""
    problem: FileProblem | None = None
    stamp: Stamp | None = None
    """Modification time (ns) and size of the file as read; None (and no problem) when it is gone."""


def _read(files: RecordDir, reader: DirReader, name: str) -> tuple[dict[str, Any], bytes | None, Stamp] | None:
    """The validated record, its compact JSON (None when only the reference reader took it) and
    the stamp of the file read; None when the file is gone."""
    path = files.directory / name
    got = reader.read_stamped(name)
    obj = DECLINED if got is None else decode_strict(got[0])
    if got is None or obj is DECLINED:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        rec = files.read_path(path)
        validate_bug(path, rec)
        return rec, None, (st.st_mtime_ns, st.st_size)
    rec = files.validate(path, obj)
    validate_bug(path, rec)
    return rec, encode_compact(rec), (got[1], got[2])


def analyse_files(directory: Path, names: list[str]) -> list[Outcome]:
    """Read, validate and analyse the record files ``names`` of ``directory``, in this process."""
    files = RecordDir(directory, KIND, VERSION)
    out: list[Outcome] = []
    with DirReader(directory) as reader:
        for name in names:
            try:
                got = _read(files, reader, name)
            except MemoryFileError as exc:
                out.append(Outcome(name, problem=exc.problem))
                continue
            if got is None:
                out.append(Outcome(name))
                continue
            rec, raw, stamp = got
            try:
                features: ErrorFeatures | None = features_of(parsed_from_record(rec))
            except (ValueError, TypeError):
                features = None
            out.append(Outcome(name, rec["id"], raw, rec if raw is None else None, features,
                               normalize_fix(str(rec.get("fix") or "")), None, stamp))
    return out


def _worker(directory: str, names: list[str]) -> list[tuple[Any, ...]]:
    """:func:`analyse_files` in a worker process, as plain tuples (the cheapest to send back;
    equal feature sets are one object in the worker, so the pickle holds each once)."""
    return [(o.name, o.rid, o.raw, o.record, o.features, o.fix_norm, o.problem, o.stamp)
            for o in analyse_files(Path(directory), names)]


def _from_worker(rows: list[tuple[Any, ...]]) -> list[Outcome]:
    return [Outcome(*row) for row in rows]


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def analyse(directory: Path, names: list[str]) -> Iterator[Outcome]:
    """The outcome of every file of ``names``, in that order; split across processes (one per
    usable core) for a large memory. The worker processes start at once: the caller can do
    other work before it takes the first outcome."""
    workers = min(_workers(), -(-len(names) // CHUNK))
    if len(names) < PARALLEL_MIN or workers < 2:
        return iter(analyse_files(directory, names))
    # fork is cheapest, but forking a process that runs other threads (the language server)
    # can copy a lock another thread holds: a fresh server process forks the workers then.
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() \
        else "forkserver"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])
    chunks = [names[i:i + CHUNK] for i in range(0, len(names), CHUNK)]
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        futures = [pool.submit(_worker, str(directory), chunk) for chunk in chunks]
    except (OSError, RuntimeError) as exc:
        log.info("analysing records in this process only: %s", exc)
        return iter(analyse_files(directory, names))
    return _collect(directory, chunks, futures, pool)


def _collect(directory: Path, chunks: list[list[str]], futures: list[Future[list[tuple[Any, ...]]]],
             pool: ProcessPoolExecutor) -> Iterator[Outcome]:
    """The workers' outcomes in order; a chunk whose worker failed is analysed here."""
    with pool:
        for chunk, future in zip(chunks, futures, strict=True):
            try:
                outcomes = _from_worker(future.result())
            except (OSError, RuntimeError, BrokenProcessPool) as exc:  # no processes to be had here
                log.info("analysing records in this process: %s", exc)
                outcomes = analyse_files(directory, chunk)
            yield from outcomes
