"""The published snapshot the seller portal API reads, and how it follows each new publish.

``publish_warehouse`` renames a new file over ``MPO_PUBLISHED_WAREHOUSE``. The server stats that
path on every request (a couple of microseconds); when the file is another one (device, inode,
mtime or size changed), a background thread opens it while requests keep being answered from the
current snapshot, and swaps it in once it is ready. Requests in flight finish on the snapshot
they started with: each holds a reference, and a replaced snapshot is closed by the last one out
(the replaced file's disk space is freed then).

Each snapshot is its own in-memory DuckDB database with the file attached read-only: DuckDB
shares one database per path within a process, so ``duckdb.connect(path)`` would keep answering
from the first snapshot it opened. File access is then switched off for that database, so a query
can read nothing else and write nothing at all.

At open, every report's rows at the latest as-of date of each window (the default request) are
read into memory as one JSON text per seller, written by DuckDB: answering is a dictionary look-up.
A past as-of date is a point query on the file. Memory: about 1.3 kB per row of those slices
(10,000 sellers, 2 windows, ~3 campaigns each: ~100 MB), twice while a new snapshot replaces the
previous one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from mpo_pipeline.seller_portal.queries import (
    REPORTS,
    Report,
    as_of_dates_sql,
    attach_sql,
    columns_sql,
    published_at_sql,
    seller_sql,
    sellers_sql,
    slice_sql,
)

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RETRY_FAILED_OPEN_SECONDS = 10.0


class SnapshotUnavailable(RuntimeError):
    """No snapshot can be served (none published yet, or the published file cannot be read)."""


@dataclass(frozen=True)
class FileIdentity:
    """What tells one published file from the next (a publish renames a new file into place)."""

    device: int
    inode: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        """The identity of the file at ``path`` now; None if there is none."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


Slice = dict[int, bytes]  # seller id -> the JSON array of the seller's rows


class Snapshot:
    """One published file, open read-only, with what the API needs to answer quickly."""

    def __init__(
        self,
        path: Path,
        identity: FileIdentity | None,
        con: duckdb.DuckDBPyConnection,
        published_at: datetime,
        columns: dict[str, list[tuple[str, str]]],
        as_of_dates: dict[str, dict[int, tuple[date, ...]]],
        sellers: frozenset[int],
        slices: dict[tuple[str, int], Slice],
    ) -> None:
        self.path = path
        self.identity = identity
        self.published_at = published_at
        self._con = con
        self._columns = columns
        self._as_of_dates = as_of_dates
        self._as_of_sets = {
            name: {w: frozenset(days) for w, days in by_window.items()}
            for name, by_window in as_of_dates.items()
        }
        self._sellers = sellers
        self._slices = slices
        self._lock = threading.Lock()
        self._refs = 1  # the store's own reference
        self._closed = False

    @classmethod
    def open(cls, path: Path, identity: FileIdentity | None = None) -> Snapshot:
        """Open the published file at ``path`` read-only and load its latest slices."""
        con = duckdb.connect(":memory:")
        try:
            con.execute(attach_sql(str(Path(path).absolute())))
            con.execute("set enable_external_access = false")
            con.execute("set lock_configuration = true")
            (published_us,) = _one(
                con, f"select epoch_us(published_at) from ({published_at_sql()})"
            )
            published_at = EPOCH + timedelta(microseconds=published_us)
            columns: dict[str, list[tuple[str, str]]] = {}
            as_of_dates: dict[str, dict[int, tuple[date, ...]]] = {}
            slices: dict[tuple[str, int], Slice] = {}
            for report in REPORTS:
                schema, table = report.schema_and_name
                columns[report.name] = [
                    (name, kind)
                    for name, kind in con.execute(
                        columns_sql(), {"schema": schema, "table": table}
                    ).fetchall()
                ]
                if not columns[report.name]:
                    raise SnapshotUnavailable(f"the published snapshot has no {report.table}")
                by_window: dict[int, list[date]] = {}
                for window, as_of in con.execute(as_of_dates_sql(report)).fetchall():
                    by_window.setdefault(int(window), []).append(as_of)
                as_of_dates[report.name] = {w: tuple(d) for w, d in by_window.items()}
                for window, days in by_window.items():
                    rows = con.execute(
                        slice_sql(report, columns[report.name]),
                        {"window": window, "as_of": days[-1]},
                    ).fetchall()
                    slices[(report.name, window)] = {
                        int(seller): f"[{text}]".encode() for seller, text in rows
                    }
            sellers = frozenset(int(s) for (s,) in con.execute(sellers_sql()).fetchall())
        except Exception:
            con.close()
            raise
        return cls(Path(path), identity, con, published_at, columns, as_of_dates, sellers, slices)

    # -- what the snapshot holds ---------------------------------------------------------------

    def knows(self, seller_id: int) -> bool:
        """Whether the seller has figures in this snapshot (any window, any date)."""
        return seller_id in self._sellers

    def windows(self, report: Report) -> tuple[int, ...]:
        """The windows (days) a report holds, ascending."""
        return tuple(sorted(self._as_of_dates.get(report.name, {})))

    def as_of_range(self, report: Report, window: int) -> tuple[date, date] | None:
        """The first and last as-of dates of a report's window."""
        days = self._as_of_dates.get(report.name, {}).get(window)
        return (days[0], days[-1]) if days else None

    def has_as_of(self, report: Report, window: int, as_of: date) -> bool:
        return as_of in self._as_of_sets.get(report.name, {}).get(window, frozenset())

    def in_memory(self, report: Report, window: int, as_of: date) -> bool:
        """Whether ``rows`` answers from memory (the latest day) rather than a query."""
        latest = self.as_of_range(report, window)
        return latest is not None and as_of == latest[1]

    def rows(self, report: Report, seller_id: int, window: int, as_of: date) -> bytes:
        """A seller's rows of a report for one window and as-of date: a JSON array (bytes).

        Each row is an object of the mart's columns but the request keys (as_of_date,
        window_days, seller_id); DECIMAL columns are exact decimal strings.
        """
        if self.in_memory(report, window, as_of):
            return self._slices[(report.name, window)].get(seller_id, b"[]")
        with self._lock:  # creating a cursor on a shared connection is not thread-safe
            cursor = self._con.cursor()
        try:
            cursor.execute(
                seller_sql(report, self._columns[report.name]),
                {"window": window, "as_of": as_of, "seller": seller_id},
            )
            texts = [text for (text,) in cursor.fetchall()]
        finally:
            cursor.close()
        return f"[{','.join(texts)}]".encode()

    # -- lifetime: one reference per request in flight, plus the store's -----------------------

    def acquire(self) -> bool:
        """Take a reference; False if the snapshot is already closed."""
        with self._lock:
            if self._closed:
                return False
            self._refs += 1
            return True

    def release(self) -> None:
        """Drop a reference; the last one closes the database."""
        with self._lock:
            self._refs -= 1
            if self._refs > 0 or self._closed:
                return
            self._closed = True
        self._con.close()

    @property
    def closed(self) -> bool:
        return self._closed


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    row = con.execute(sql).fetchone()
    if row is None:
        raise SnapshotUnavailable("the published file has no meta.published_at row")
    return row


Opener = Callable[[Path, FileIdentity | None], Snapshot]


class SnapshotStore:
    """The snapshot currently served, replaced when a new file is published at ``path``.

    By default a thread opens a new file, and requests keep the current snapshot until it is
    ready (with none yet, they are told so: ``SnapshotUnavailable``), so a request never waits
    for an open; ``open_now`` opens in the caller (the server's start). ``background=False``
    opens in the request that noticed the new file (tests). A file that fails to open is retried
    when it changes again, or after ``retry_seconds``.
    """

    def __init__(
        self,
        path: Path,
        *,
        opener: Opener = Snapshot.open,
        background: bool = True,
        retry_seconds: float = RETRY_FAILED_OPEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._opener = opener
        self._background = background
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below
        self._open_lock = threading.Lock()  # one open at a time
        self._current: Snapshot | None = None
        self._seen: FileIdentity | None = None  # the file last opened, or last failed
        self._failed_at: float | None = None
        self._opening: threading.Thread | None = None
        self.last_error: str | None = None

    @contextmanager
    def use(self) -> Iterator[Snapshot]:
        """The snapshot to answer one request from, held until the block exits."""
        self.refresh()
        while True:
            with self._lock:
                snapshot, opening = self._current, self._opening is not None
            if snapshot is None:
                raise SnapshotUnavailable(
                    "the published snapshot is being opened"
                    if opening
                    else self.last_error or "nothing is published yet"
                )
            if snapshot.acquire():
                break  # else it was replaced and closed just now: take the new one
        try:
            yield snapshot
        finally:
            snapshot.release()

    def refresh(self) -> None:
        """Open the file at ``path`` if it is not the one served (see the class doc)."""
        identity = FileIdentity.of(self.path)
        with self._lock:
            if identity is None or (identity == self._seen and not self._retry_due()):
                return
            if self._opening is not None:
                return  # a thread is opening it already
            if self._background:
                self._opening = threading.Thread(
                    target=self._open, args=(identity,), name="seller-portal-open", daemon=True
                )
                self._opening.start()
                return
        self._open(identity)

    def open_now(self) -> None:
        """Open the published file in this thread, if there is one and it is not open yet."""
        identity = FileIdentity.of(self.path)
        if identity is not None:
            self._open(identity)

    def _retry_due(self) -> bool:
        return self._failed_at is not None and (
            self._clock() - self._failed_at >= self._retry_seconds
        )

    def _open(self, identity: FileIdentity) -> None:
        try:
            with self._open_lock:
                self._open_locked(identity)
        finally:
            with self._lock:
                if self._opening is threading.current_thread():
                    self._opening = None

    def _open_locked(self, identity: FileIdentity) -> None:
        # Stat again: the file may have been replaced while this thread waited for the lock
        # (and the identity recorded must be the one of the file about to be opened).
        identity = FileIdentity.of(self.path) or identity
        with self._lock:
            if identity == self._seen and not self._retry_due():
                return  # another request opened it while this one waited
        try:
            snapshot = self._opener(self.path, identity)
        except Exception as exc:
            with self._lock:
                self._seen, self._failed_at = identity, self._clock()
                self.last_error = (
                    f"cannot read the published snapshot ({type(exc).__name__}: {exc})"
                )
            log.error("seller portal: %s", self.last_error)
            return
        with self._lock:
            previous, self._current = self._current, snapshot
            self._seen, self._failed_at, self.last_error = identity, None, None
        log.info(
            "seller portal: serving the snapshot published at %s",
            snapshot.published_at.isoformat(),
        )
        if previous is not None:
            previous.release()  # closed now, or by the last request still on it

    def wait_idle(self, timeout: float) -> None:
        """Wait for a background open to finish (shutdown, tests)."""
        with self._lock:
            thread = self._opening
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        """Stop serving: release the current snapshot (closed once no request holds it)."""
        self.wait_idle(10.0)
        with self._lock:
            snapshot, self._current, self._seen = self._current, None, None
        if snapshot is not None:
            snapshot.release()
