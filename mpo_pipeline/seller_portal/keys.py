"""API keys of the seller portal API: issued, listed and revoked by the CLI, checked by the server.

A token reads ``mposk_<key id>_<secret>``. The key id (16 hex digits) is public: it is listed,
logged and used to find the key; the secret is 32 random bytes (base64url). Only the SHA-256 of
the whole token is stored, so the key file cannot be turned back into tokens; the token is shown
once, when the key is issued.

A key is either a **seller key** (reads the figures of one seller id) or a **portal key** (the
marketplace's portal backend: reads any seller). The keys live in a small SQLite file
(``MPO_SELLER_KEYS``): every change is one SQLite transaction, so concurrent CLI calls never lose
or half-write a key, and the server sees a revocation at its next request (``KeyVerifier``; it
never writes the file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TOKEN_PREFIX = "mposk_"
KEY_ID_BYTES = 8
SECRET_BYTES = 32
# mposk_ + 16 hex + _ + 43 base64url characters (32 bytes, unpadded).
TOKEN_PATTERN = re.compile(r"mposk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")
SELLER_ID_MAX = 2**63 - 1  # the warehouse's seller_id is a BIGINT
SCOPES = ("seller", "portal")
# Compared with when the key id is unknown, so that a wrong key costs what a right one does.
_NO_KEY_DIGEST = hashlib.sha256(b"no such key").digest()

SCHEMA = """
create table if not exists api_keys (
    key_id text primary key,
    token_sha256 blob not null,
    scope text not null check (scope in ('seller', 'portal')),
    seller_id integer check ((scope = 'seller') = (seller_id is not null)),
    label text,
    created_at text not null,
    revoked_at text
)
"""


class KeyStoreError(ValueError):
    """The key file cannot be used, or a key command is wrong (the message says why)."""


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: never the token."""

    key_id: str
    scope: str  # "seller" or "portal"
    seller_id: int | None
    label: str | None
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_read(self, seller_id: int) -> bool:
        """Whether this key may read ``seller_id``'s figures."""
        return self.scope == "portal" or self.seller_id == seller_id


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its token (shown once; only its hash is kept)."""

    key: ApiKey
    token: str

    def __repr__(self) -> str:  # a key printed by accident must not carry its token
        return f"IssuedKey(key={self.key!r}, token='**********')"


def token_digest(token: str) -> bytes:
    """SHA-256 of the token's UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def key_id_of(token: str) -> str | None:
    """The key id a well-formed token names, else None."""
    match = TOKEN_PATTERN.fullmatch(token)
    return match.group(1) if match else None


def new_token() -> tuple[str, str]:
    """A fresh (key id, token) pair from the OS's random source."""
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode()
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secret}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_key(row: tuple) -> ApiKey:
    key_id, scope, seller_id, label, created_at, revoked_at = row
    return ApiKey(key_id, scope, seller_id, label, created_at, revoked_at)


_KEY_COLUMNS = "key_id, scope, seller_id, label, created_at, revoked_at"


class KeyStore:
    """The key file, for the CLI: issue, revoke, list (one connection and transaction each)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise KeyStoreError(f"MPO_SELLER_KEYS={self.path} is a directory; name a file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only before SQLite opens it (SQLite gives its journal the same mode).
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            # A rollback journal, not WAL: the server's read-only connections then need no
            # shared-memory file next to it, and never write anything.
            con.execute("pragma journal_mode = delete")
            con.execute(SCHEMA)
        except sqlite3.DatabaseError as exc:
            con.close()
            raise KeyStoreError(f"{self.path} is not a seller key file ({exc})") from None
        return con

    def issue(self, *, seller_id: int | None = None, label: str | None = None) -> IssuedKey:
        """A new seller key (``seller_id`` given) or portal key (``seller_id`` None)."""
        if seller_id is not None and not 0 < seller_id <= SELLER_ID_MAX:
            raise KeyStoreError(f"seller id {seller_id} is not a positive 64-bit integer")
        scope = "portal" if seller_id is None else "seller"
        key_id, token = new_token()
        created_at = _now()
        con = self._connect()
        try:
            con.execute(
                "insert into api_keys values (?, ?, ?, ?, ?, ?, null)",
                (key_id, token_digest(token), scope, seller_id, label, created_at),
            )
        finally:
            con.close()
        return IssuedKey(ApiKey(key_id, scope, seller_id, label, created_at, None), token)

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by id (idempotent); raises ``KeyStoreError`` for an unknown id."""
        con = self._connect()
        try:
            con.execute("begin immediate")
            con.execute(
                "update api_keys set revoked_at = ? where key_id = ? and revoked_at is null",
                (_now(), key_id),
            )
            row = con.execute(
                f"select {_KEY_COLUMNS} from api_keys where key_id = ?", (key_id,)
            ).fetchone()
            con.execute("commit")
        finally:
            con.close()
        if row is None:
            raise KeyStoreError(f"no key with id {key_id!r} (see `mpo-pipeline seller-keys list`)")
        return _row_to_key(row)

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            rows = con.execute(
                f"select {_KEY_COLUMNS} from api_keys order by created_at, key_id"
            ).fetchall()
        finally:
            con.close()
        return [_row_to_key(r) for r in rows]


MISSING = object()  # KeyVerifier.check: the key is not in memory, ask verify() (it reads SQLite)
HEADER_CHANGE_COUNTER = 24  # offset of SQLite's 4-byte file change counter


class KeyVerifier:
    """The server's side: which active key a presented token is (read-only, thread-safe).

    Keys are cached in memory by key id for as long as the key file is unchanged. SQLite bumps
    the change counter in the file's header at every committed write (in the rollback-journal
    mode ``KeyStore`` keeps), so every request reads those four bytes (and stats the path, in
    case the file was replaced) and drops the cache when they moved: a revocation takes effect
    at the next request. A request whose key is cached costs two system calls and one hash, and
    never touches SQLite (``check``); the others read the key's row (``verify``, blocking: the
    server calls it in a worker thread). Unknown key ids are not cached.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._fd_file: tuple[int, int] | None = None  # (device, inode) of the open descriptor
        self._version: tuple | None = None  # the file version the cache is valid for
        self._cache: dict[str, tuple[bytes, ApiKey]] = {}
        self._local = threading.local()  # one read-only SQLite connection per thread

    def file_version(self) -> tuple | None:
        """(device, inode, change counter) of the key file now; None if there is none."""
        try:
            st = os.stat(self.path)
            with self._lock:
                if self._fd_file != (st.st_dev, st.st_ino):
                    if self._fd is not None:
                        os.close(self._fd)
                        self._fd, self._fd_file = None, None
                    self._fd = os.open(self.path, os.O_RDONLY)
                    self._fd_file = (st.st_dev, st.st_ino)
                counter = os.pread(self._fd, 4, HEADER_CHANGE_COUNTER)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, counter)

    def check(self, token: str) -> ApiKey | object | None:
        """From memory only: the active key, None (refused), or ``MISSING`` (call ``verify``)."""
        version = self.file_version()
        key_id = key_id_of(token)
        with self._lock:
            if version != self._version:
                self._cache.clear()
                self._version = version
            entry = self._cache.get(key_id) if key_id else None
        if entry is None and key_id is not None and version is not None:
            return MISSING
        return decide(token, entry)

    def verify(self, token: str) -> ApiKey | None:
        """The active key whose token this is; None for a malformed, wrong or revoked token."""
        known = self.check(token)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        return decide(token, self._load(key_id_of(token)))  # type: ignore[arg-type]

    def _load(self, key_id: str) -> tuple[bytes, ApiKey] | None:
        version = self.file_version()
        row = self._lookup(key_id)
        if row is None:
            return None
        entry = (row[0], _row_to_key(row[1:]))
        with self._lock:
            if self._version == version:  # else the file changed meanwhile: do not cache
                self._cache[key_id] = entry
        return entry

    def _connection(self) -> sqlite3.Connection | None:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(
                    f"{self.path.absolute().as_uri()}?mode=ro", uri=True, timeout=5.0
                )
            except sqlite3.Error:
                return None  # no key issued yet: try again at the next request
            self._local.con = con
        return con

    def _lookup(self, key_id: str) -> tuple | None:
        con = self._connection()
        if con is None:
            return None
        try:
            return con.execute(
                f"select token_sha256, {_KEY_COLUMNS} from api_keys where key_id = ?", (key_id,)
            ).fetchone()
        except sqlite3.Error:
            # The file was replaced or is not ready yet: drop the connection, answer "no key".
            self._local.con = None
            con.close()
            return None

    def close(self) -> None:
        """Close the descriptor and this thread's connection (others close with their threads)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd, self._fd_file = None, None
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def decide(token: str, entry: tuple[bytes, ApiKey] | None) -> ApiKey | None:
    """The key if ``token`` hashes to the stored digest and the key is active, else None.

    Without a stored digest the token is compared with a fixed one, so that a wrong token costs
    one hash and one constant-time comparison whatever it names.
    """
    stored, key = entry if entry is not None else (_NO_KEY_DIGEST, None)
    matches = hmac.compare_digest(token_digest(token), stored)
    if key is None or not matches:
        return None
    return key if key.active else None
