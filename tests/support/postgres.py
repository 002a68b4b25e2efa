"""A throwaway PostgreSQL server for the tests (``initdb`` + ``pg_ctl`` from PATH).

PostgreSQL refuses to run as root. As root, the cluster is owned by an unprivileged system user
(``postgres`` if it exists, else ``nobody``) and every server command runs through
``runuser -u USER --``; otherwise it runs as the current user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from support.processes import free_port, wait_until

USER = "dagster"
DB = "dagster"
PASSWORD = "e2e-only-password"  # a throwaway cluster on loopback, deleted after the tests


def available() -> str | None:
    """None if a server can be started here, else the reason why not."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _unprivileged_user() is None):
        return "running as root without runuser or an unprivileged user for PostgreSQL"
    return None


def _unprivileged_user() -> str | None:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


class PostgresServer:
    """PostgreSQL on 127.0.0.1:<free port> in a temporary directory, with database ``dagster``."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: that one is private to root and the server user must own
        # its directory.
        self.root = Path(tempfile.mkdtemp(prefix="mpo-e2e-pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = _unprivileged_user()
            assert owner is not None
            entry = pwd.getpwnam(owner)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as = ["runuser", "-u", owner, "--"]
        self.started = False

    @property
    def env(self) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables the repository's dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": USER,
            "DAGSTER_PG_PASSWORD": PASSWORD,
            "DAGSTER_PG_DB": DB,
        }

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> PostgresServer:
        """initdb (password auth), start on loopback, create the ``dagster`` database."""
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        shutil.chown(pwfile, *_owner_of(self.root))
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
            "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        # Durability is pointless for a throwaway cluster; these make it start and write faster.
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started = True
        wait_until(self._create_database, 30, "PostgreSQL accepting connections")
        return self

    def _create_database(self) -> bool:
        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname="postgres"
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DB}"')
        finally:
            conn.close()
        return True

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (then immediate if needed), and remove the cluster."""
        try:
            if self.started:
                try:
                    self._run(
                        "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop"
                    )
                except (RuntimeError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _owner_of(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid
