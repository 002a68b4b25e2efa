"""The tests' S3 server (``support.seaweedfs``): a real SeaweedFS on loopback.

Objects written through it read back byte for byte and show in listings; DuckDB's httpfs writes
and reads Parquet on it with the keys of the server; a server that cannot start says why (the end
of its log); and once the block ends, no process of the server is left.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psutil
import pytest
from support.seaweedfs import (
    GRPC_SOCKET_DIR,
    REGION,
    S3Server,
    available,
    seaweedfs_server,
)

from mpo_pipeline.warehouse.access import load_extensions

pytestmark = [
    pytest.mark.skipif(available() is not None, reason=f"SeaweedFS: {available()}"),
    pytest.mark.timeout(180),
]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="module")
def bucket(s3: S3Server) -> str:
    return s3.make_bucket("mpo-tests")


def test_bytes_round_trip(s3: S3Server, bucket: str) -> None:
    fs = s3.filesystem()
    body = secrets.token_bytes(300_000) + b"\x00\xff end"
    fs.pipe(f"{bucket}/round/trip.bin", body)

    assert fs.cat(f"{bucket}/round/trip.bin") == body
    assert fs.info(f"{bucket}/round/trip.bin")["size"] == len(body)


def test_listing_shows_what_was_written(s3: S3Server, bucket: str) -> None:
    fs = s3.filesystem()
    written = {f"{bucket}/listed/a.txt": b"a", f"{bucket}/listed/sub/b.txt": b"bb"}
    fs.pipe(written)

    assert sorted(fs.find(f"{bucket}/listed")) == sorted(written)
    assert sorted(fs.ls(f"{bucket}/listed")) == [f"{bucket}/listed/a.txt", f"{bucket}/listed/sub"]
    fs.rm(f"{bucket}/listed/a.txt")
    assert fs.find(f"{bucket}/listed") == [f"{bucket}/listed/sub/b.txt"]


def test_env_names_the_lake_on_this_server(s3: S3Server, bucket: str) -> None:
    assert s3.env(bucket) == {
        "MPO_LAKE_DIR": f"s3://{bucket}/lake",
        "MPO_S3_ENDPOINT": s3.endpoint,
        "MPO_S3_REGION": REGION,
        "MPO_S3_URL_STYLE": "path",
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
    }
    assert s3.env(bucket, prefix="/a/b/")["MPO_LAKE_DIR"] == f"s3://{bucket}/a/b"
    assert s3.endpoint.startswith("http://127.0.0.1:")


def test_duckdb_writes_and_reads_parquet(s3: S3Server, bucket: str) -> None:
    con = duckdb.connect()
    try:
        load_extensions(con, ("httpfs",))
        con.execute(
            f"""
            create secret (
                type s3, key_id '{s3.access_key}', secret '{s3.secret_key}', region '{REGION}',
                endpoint '{s3.host_port}', url_style 'path', use_ssl false
            )
            """
        )
        con.execute(f"copy (select 1 as x) to 's3://{bucket}/t.parquet'")
        assert con.execute(f"select x from 's3://{bucket}/t.parquet'").fetchall() == [(1,)]
    finally:
        con.close()

    fs = s3.filesystem()  # the object is really on the server, a Parquet file
    with fs.open(f"{bucket}/t.parquet", "rb") as fh:
        assert fh.read(4) == b"PAR1"


def test_wrong_keys_are_refused(s3: S3Server, bucket: str) -> None:
    fs = S3Server(s3.endpoint, s3.access_key, "not-the-secret").filesystem()
    with pytest.raises(PermissionError):
        fs.cat(f"{bucket}/t.parquet")


def _weed_processes(port: int) -> list[psutil.Process]:
    """The processes serving S3 on ``port``, found by their command line."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if f"-s3.port={port}" in (proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_no_process_is_left_after_the_block(tmp_path: Path) -> None:
    started = time.monotonic()
    with seaweedfs_server(tmp_path) as server:
        ready = time.monotonic()
        port = int(server.endpoint.rsplit(":", 1)[1])
        running = _weed_processes(port)
        assert len(running) == 1, running  # the check below does see a server that runs
        cmdline = running[0].cmdline()
        assert server.make_bucket("one") == "one"
        stopping = time.monotonic()
    stopped = time.monotonic()
    print(f"SeaweedFS: S3 ready in {ready - started:.2f} s, stopped in {stopped - stopping:.2f} s")

    assert _weed_processes(port) == []
    assert not psutil.pid_exists(running[0].pid)
    # Nor a Unix socket of its gRPC services in the fixed folder SeaweedFS puts them in.
    grpc_ports = [arg.split("=", 1)[1] for arg in cmdline if ".port.grpc=" in arg]
    assert len(grpc_ports) == 5
    assert [
        p
        for p in GRPC_SOCKET_DIR.glob("seaweedfs-*-grpc-*.sock")
        if p.stem.rsplit("-", 1)[1] in grpc_ports
    ] == []


def test_a_failed_start_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("")
    with (
        pytest.raises(RuntimeError, match=r"(?s)weed exited with code.*Not a valid folder"),
        seaweedfs_server(tmp_path / "server", extra_args=[f"-master.dir={not_a_folder}"]),
    ):
        pass
    assert (tmp_path / "server" / "weed.log").is_file()
    assert [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or [])
    ] == []
