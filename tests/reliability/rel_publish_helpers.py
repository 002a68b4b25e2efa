"""BI readers of the published warehouse, as child processes, for ``test_rel_publish.py``.

A reader queries the published file over and over, the way a BI tool does, and checks that every
snapshot it sees is whole: the three daily facts agree on total clicks, and ``meta.published_at``
/ ``meta.published_tables`` match the tables and rows it counts. ``reconnect`` opens a new
read-only connection for every round (a tool without a pool); ``hold`` opens one when the file
appears and keeps it to the end (a pooled connection held for hours). It writes what it saw to a
JSON file about once a second and when the stop file appears.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from support.processes import Child, clean_environ, wait_until

READER = r'''
import json, os, sys, time
import duckdb

path, mode, out, stop = sys.argv[1:5]
FACTS = (
    "marts.fct_seller_campaign_stats_daily",
    "marts.fct_seller_stats_daily",
    "marts.fct_campaign_stats_daily",
)
PUBLISHED = ("marts", "finance", "ops")
seen = {
    "mode": mode, "queries": 0, "ok": 0, "errors": 0, "error_examples": [], "inconsistent": [],
    "snapshots": [], "waits": 0, "closes_seen": 0, "clicks": None, "first_ok": None,
    "last_ok": None, "max_round_seconds": 0.0,
}


def one_round(con):
    """Read one snapshot through ``con``; return (snapshot, problems, close rows, clicks)."""
    published_at, run_id, tables, rows = con.execute(
        "select published_at, run_id, tables, rows from meta.published_at"
    ).fetchall()[0]
    snapshot = (published_at.isoformat(), run_id)
    problems = []
    clicks = [
        con.execute(f"select coalesce(sum(clicks), 0) from {t}").fetchall()[0][0] for t in FACTS
    ]
    if len(set(clicks)) != 1:
        problems.append(f"{snapshot}: the daily facts disagree on clicks: {clicks}")
    listed = con.execute(
        "select table_schema, table_name, rows from meta.published_tables"
    ).fetchall()
    present = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        f"and schema_name in {PUBLISHED}"
    ).fetchall()[0][0]
    if not tables == len(listed) == present:
        problems.append(f"{snapshot}: published_at.tables={tables}, listed {len(listed)}, "
                        f"present {present}")
    counted = 0
    close_rows = 0
    for schema, name, listed_rows in listed:
        actual = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
        counted += actual
        if actual != listed_rows:
            problems.append(f"{snapshot}: {schema}.{name} has {actual} rows, listed {listed_rows}")
        if (schema, name) == ("finance", "month_close_statements"):
            close_rows = actual
    if counted != rows:
        problems.append(f"{snapshot}: published_at.rows={rows} but the tables hold {counted}")
    return snapshot, problems, close_rows, clicks[0]


def dump():
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(seen, fh)
    os.replace(tmp, out)


held = None
last_dump = 0.0
while not os.path.exists(stop):
    if time.monotonic() - last_dump > 1.0:
        dump()
        last_dump = time.monotonic()
    if not seen["ok"] and not os.path.exists(path):
        seen["waits"] += 1  # nothing published yet: not an error
        time.sleep(0.1)
        continue
    seen["queries"] += 1
    started = time.monotonic()
    con = None
    try:
        if mode == "hold":
            if held is None:
                held = duckdb.connect(path, read_only=True)
            con = held
        else:
            con = duckdb.connect(path, read_only=True)
        snapshot, problems, close_rows, clicks = one_round(con)
    except Exception as exc:
        seen["errors"] += 1
        if len(seen["error_examples"]) < 20:
            seen["error_examples"].append(f"{time.time():.3f} {type(exc).__name__}: {exc}")
        time.sleep(0.05)
        continue
    finally:
        if con is not None and con is not held:
            con.close()
    now = time.time()
    seen["ok"] += 1
    seen["max_round_seconds"] = max(seen["max_round_seconds"], time.monotonic() - started)
    seen["first_ok"] = seen["first_ok"] or now
    seen["last_ok"] = now
    seen["closes_seen"], seen["clicks"] = close_rows, clicks
    seen["inconsistent"] += problems[: max(0, 20 - len(seen["inconsistent"]))]
    if not seen["snapshots"] or seen["snapshots"][-1][:2] != list(snapshot):
        seen["snapshots"].append([*snapshot, now])
    time.sleep(0.5)  # a BI tool refreshing often; leaves the 2 cores to the runs and other tests
dump()
if held is not None:
    held.close()
'''


@dataclass
class Reader:
    """A reader child process and the files it reports through."""

    child: Child
    report: Path
    stop: Path

    def seen(self) -> dict:
        """What the reader has reported so far (empty before its first report)."""
        try:
            return json.loads(self.report.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def finish(self, timeout: float = 60) -> dict:
        """Stop the reader and return its final report."""
        self.stop.touch()
        code = self.child.wait(timeout)
        if code != 0:
            raise RuntimeError(f"reader {self.child.name} exited {code}:\n{self.child.tail()}")
        return self.seen()


def start_reader(name: str, mode: str, published: Path, base: Path) -> Reader:
    """Start a ``reconnect`` or ``hold`` reader of ``published`` as a child process."""
    script = base / "reader.py"
    script.write_text(READER)
    report, stop = base / f"{name}.json", base / f"{name}.stop"
    command = [sys.executable, str(script), str(published), mode, str(report), str(stop)]
    child = Child(name, command, clean_environ(), base / "logs")
    return Reader(child, report, stop)


def wait_for_reads(readers: list[Reader], rounds: int, timeout: float, what: str) -> None:
    """Wait until every reader has read ``rounds`` snapshots without error (bounded)."""

    def ready() -> bool:
        for reader in readers:
            if not reader.child.alive():
                raise RuntimeError(f"{reader.child.name} died:\n{reader.child.tail()}")
        return all(reader.seen().get("ok", 0) >= rounds for reader in readers)

    wait_until(ready, timeout, what, interval=0.2)
