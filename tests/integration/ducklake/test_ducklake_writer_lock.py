"""The writer lock of a DuckLake whose catalog is in PostgreSQL (a real server on loopback).

Writers on different machines share no file, so the lock is an advisory lock in the catalog's
database. Each writer here is a process of its own "machine": its own ``MPO_DATA_DIR``, so no lock
file could serialise them; they take the lock the way the assets do
(``WarehouseResource.writer()``, which also opens the DuckLake).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.postgres import PASSWORD, USER, PostgresServer, available
from support.processes import clean_environ, wait_until

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.warehouse.lock import warehouse_writer

pytestmark = pytest.mark.skipif(available() is not None, reason=f"PostgreSQL: {available()}")

# One writer: takes the lock through the resource, says when it holds it, holds it for argv[1] s.
WRITER = """
import sys, time
from mpo_pipeline.defs.resources import warehouse_resource
def say(what):
    print(what, time.time(), flush=True)
with warehouse_resource().writer(on_wait=lambda m: say("WAIT " + m)) as con:
    con.execute("create table if not exists lock_probe (host varchar, held_at double)")
    con.execute("insert into lock_probe values (?, ?)", [sys.argv[2], time.time()])
    say("HOLD")
    time.sleep(float(sys.argv[1]))
    say("FREE")
"""


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def catalog(postgres, tmp_path):
    """A fresh database for the catalog (each test its own), data files in a shared folder."""
    import psycopg2

    name = f"lock_{tmp_path.name.lower().replace('-', '_')}"[:60]
    admin = psycopg2.connect(host="127.0.0.1", port=postgres.port, user=USER,
                             password=PASSWORD, dbname="postgres")  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    admin.close()
    conninfo = f"dbname={name} host=127.0.0.1 port={postgres.port} user={USER}"
    return {"MPO_WAREHOUSE": f"ducklake:postgres:{conninfo}",
            "MPO_WAREHOUSE_DATA_PATH": str(tmp_path / "lake_files")}  # fmt: skip


class Writer:
    """One writer process on its own "machine" (data directory), its output read as it comes."""

    def __init__(self, tmp_path: Path, host: str, catalog: dict, hold: float) -> None:
        env = clean_environ(MPO_DATA_DIR=str(tmp_path / host), PGPASSWORD=PASSWORD, **catalog)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(hold), host],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[tuple[str, float]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            text, _, at = line.rstrip("\n").rpartition(" ")
            self.lines.append((text, float(at)))

    def said(self, prefix: str) -> tuple[str, float] | None:
        return next((line for line in self.lines if line[0].startswith(prefix)), None)

    def says(self, prefix: str) -> tuple[str, float] | None:
        """``said``, for ``wait_until``: a writer that died without saying it fails at once."""
        found = self.said(prefix)
        if found is None and self.proc.poll() is not None:
            raise AssertionError(
                f"the writer exited {self.proc.returncode}: {self.proc.stderr.read()}"
            )
        return found

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(5)
        return code


def test_writers_on_two_machines_take_turns(tmp_path, catalog):
    first = Writer(tmp_path, "host-a", catalog, hold=30.0)
    wait_until(lambda: first.says("HOLD"), 60, "the first writer holding the lock")
    second = Writer(tmp_path, "host-b", catalog, hold=0.0)
    waiting = wait_until(lambda: second.says("WAIT"), 60, "the second writer announcing its wait")
    assert first.finish() == 0, first.proc.stderr.read()
    assert second.finish() == 0, second.proc.stderr.read()
    freed, held = first.said("FREE"), second.said("HOLD")
    assert held[1] >= freed[1]  # the second held it only once the first had let it go
    assert "waiting for another writer of ducklake:postgres:" in waiting[0]
    assert "mpo-pipeline writer" in waiting[0]  # who holds it, as its session names itself
    assert PASSWORD not in waiting[0]
    # No lock file could have done it: each "machine" has its own data directory.
    assert not list(tmp_path.rglob("*.writer.lock"))


def test_a_killed_holder_lets_the_next_writer_in(tmp_path, catalog):
    holder = Writer(tmp_path, "host-a", catalog, hold=120.0)
    wait_until(lambda: holder.says("HOLD"), 60, "the first writer holding the lock")
    waiter = Writer(tmp_path, "host-b", catalog, hold=0.0)
    wait_until(lambda: waiter.says("WAIT"), 30, "the second writer announcing its wait")
    killed_at = time.time()
    os.kill(holder.proc.pid, signal.SIGKILL)
    assert waiter.finish(timeout=30) == 0, waiter.proc.stderr.read()
    assert holder.finish() == -signal.SIGKILL
    assert waiter.said("HOLD")[1] - killed_at < 10


def test_a_lock_held_too_long_times_out_and_a_bad_password_is_not_shown(catalog, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    target = WarehouseTarget.parse(catalog["MPO_WAREHOUSE"], catalog["MPO_WAREHOUSE_DATA_PATH"])
    messages: list[str] = []
    with warehouse_writer(target):
        with (
            pytest.raises(TimeoutError, match="has held the warehouse writer lock of ducklake"),
            warehouse_writer(target, timeout=0.3, poll=0.05, on_wait=messages.append),
        ):
            pass
        assert len(messages) == 1
    with warehouse_writer(target, timeout=1):  # released with its session
        pass
    wrong = WarehouseTarget.parse(
        catalog["MPO_WAREHOUSE"] + " password=not-the-Password", catalog["MPO_WAREHOUSE_DATA_PATH"]
    )
    with pytest.raises(ConnectionError) as failed, warehouse_writer(wrong):
        pass
    assert "not-the-Password" not in str(failed.value)
    assert "password=***" in str(failed.value)
