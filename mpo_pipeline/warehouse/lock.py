"""A process-wide exclusive lock for writers of the warehouse.

DuckDB allows one writing process per file. Dagster's ``duckdb`` pool (limit 1) serialises writers
launched through one Dagster instance; this lock also covers writers started outside it (two
``make load`` at once, a run in the UI plus a CLI close), so they queue instead of failing.

A DuckDB file or a DuckLake with a SQLite catalog is written from one machine: the lock is a
``flock`` on a file next to it (``warehouse.duckdb.writer.lock``). A DuckLake whose catalog is in
PostgreSQL may be written from several machines, which share no file: the lock is then a
PostgreSQL session-level advisory lock in the catalog's database, held by one connection for the
whole block. It goes when that session ends: at the end of the block, when the holding process
dies (its socket closes), or when the server no longer hears from a vanished machine (TCP
keepalives, about two minutes).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from mpo_pipeline.config import WarehouseTarget

# The advisory lock's key. Advisory locks belong to one database and a DuckLake catalog is one
# database, so one fixed key per catalog is enough.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"mpo-pipeline warehouse writer").digest()[:8], "big", signed=True
)
# How the server notices a holder whose machine vanished without closing its connection.
_KEEPALIVES = {"keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}


def lock_path(warehouse: Path) -> Path:
    """The lock file next to the warehouse (``warehouse.duckdb.writer.lock``)."""
    return warehouse.with_name(warehouse.name + ".writer.lock")


def warehouse_writer(
    warehouse: Path | WarehouseTarget,
    *,
    timeout: float = 3600.0,
    on_wait: Callable[[str], None] | None = None,
    poll: float = 0.5,
) -> AbstractContextManager[None]:
    """Hold the exclusive writer lock of ``warehouse`` for the block; wait at most ``timeout``
    (then ``TimeoutError``), calling ``on_wait`` once if it has to wait.

    ``warehouse``: a target (``Settings.target``), or the path of a file the lock goes next to."""
    if isinstance(warehouse, WarehouseTarget) and warehouse.kind == "ducklake-postgres":
        return _advisory_lock(warehouse, timeout=timeout, on_wait=on_wait, poll=poll)
    path = warehouse if isinstance(warehouse, Path) else warehouse.path
    assert path is not None  # a file or a SQLite catalog
    return _file_lock(path, timeout=timeout, on_wait=on_wait, poll=poll)


@contextmanager
def _file_lock(
    warehouse: Path, *, timeout: float, on_wait: Callable[[str], None] | None, poll: float
) -> Iterator[None]:
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has held the warehouse writer lock {path} for "
                        f"{timeout:.0f} s; is a dbt build or month close stuck?"
                    ) from None
                if on_wait is not None and not announced:
                    on_wait(f"waiting for another writer of {warehouse} to finish")
                    announced = True
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(
    target: WarehouseTarget,
    *,
    timeout: float,
    on_wait: Callable[[str], None] | None,
    poll: float,
) -> Iterator[None]:
    """The advisory lock ``ADVISORY_LOCK_KEY`` on one session of the catalog's database.

    Not through DuckDB's postgres extension: it keeps a pool of connections and gives no
    guarantee that two queries run on the same session, which a session-level lock needs."""
    import psycopg2

    where = target.describe()
    me = f"mpo-pipeline writer {socket.gethostname()} pid {os.getpid()}"[:63]
    try:
        conn = psycopg2.connect(
            target.location.reveal(), application_name=me, connect_timeout=30, **_KEEPALIVES
        )
    except psycopg2.Error as exc:
        message = str(exc).strip().replace(target.location.reveal(), f"<{where}>")
        raise ConnectionError(
            f"cannot take the warehouse writer lock in the catalog {where}: {message}"
        ) from None
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            # The server's side of the keepalives: a dead holder's session (and lock) is dropped.
            for name, value in _KEEPALIVES.items():
                cur.execute(f"set tcp_{name} = {int(value)}")
            deadline = time.monotonic() + timeout
            announced = False
            while True:
                cur.execute("select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process ({_holder(cur) or 'on any machine'}) has held the "
                        f"warehouse writer lock of {where} for {timeout:.0f} s; is a dbt build "
                        "or month close stuck?"
                    )
                if on_wait is not None and not announced:
                    holder = _holder(cur)
                    on_wait(
                        f"waiting for another writer of {where} to finish"
                        + (f" ({holder})" if holder else "")
                    )
                    announced = True
                time.sleep(poll)
        yield
    finally:
        conn.close()  # ends the session, and the lock with it


def _holder(cur) -> str:
    """Who holds the advisory lock, as its session names itself (empty if not visible)."""
    key = ADVISORY_LOCK_KEY & 0xFFFFFFFFFFFFFFFF
    try:
        cur.execute(
            "select a.application_name, host(a.client_addr) from pg_locks l "
            "join pg_stat_activity a on a.pid = l.pid "
            "where l.locktype = 'advisory' and l.granted and l.database = "
            "(select oid from pg_database where datname = current_database()) "
            "and l.classid::bigint = %s and l.objid::bigint = %s and l.objsubid = 1",
            (key >> 32, key & 0xFFFFFFFF),
        )
        found = cur.fetchone()
    except Exception:
        return ""
    if not found:
        return ""
    name, address = found
    return ", ".join(part for part in (name, f"from {address}" if address else "") if part)
