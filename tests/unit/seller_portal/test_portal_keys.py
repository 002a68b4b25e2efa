"""Seller portal API keys: only hashes stored, tokens verified in constant time, revocation."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading

import pytest

from mpo_pipeline.seller_portal.keys import (
    MISSING,
    ApiKey,
    KeyStore,
    KeyStoreError,
    KeyVerifier,
    key_id_of,
)


@pytest.fixture
def store(tmp_path) -> KeyStore:
    return KeyStore(tmp_path / "keys" / "seller_keys.sqlite3")


def test_a_seller_key_reads_its_seller_only(store):
    issued = store.issue(seller_id=1_110_222, label="seller portal of MKT-0042")
    key = KeyVerifier(store.path).verify(issued.token)
    assert key == ApiKey(
        issued.key.key_id, "seller", 1_110_222, "seller portal of MKT-0042",
        issued.key.created_at, None,
    )  # fmt: skip
    assert key.may_read(1_110_222)
    assert not key.may_read(1_110_225)


def test_a_portal_key_reads_any_seller(store):
    issued = store.issue()
    key = KeyVerifier(store.path).verify(issued.token)
    assert (key.scope, key.seller_id) == ("portal", None)
    assert key.may_read(1) and key.may_read(2**63 - 1)


def test_the_token_has_a_public_id_and_256_random_bits(store):
    first, second = store.issue(seller_id=7), store.issue(seller_id=7)
    for issued in (first, second):
        prefix, key_id, secret = issued.token.split("_", 2)
        assert (prefix, key_id) == ("mposk", issued.key.key_id)
        assert len(key_id) == 16 and len(secret) == 43  # 8 bytes hex, 32 bytes base64url
        assert key_id_of(issued.token) == key_id
    assert first.key.key_id != second.key.key_id and first.token != second.token


def test_only_the_hash_of_the_token_is_stored(store):
    issued = store.issue(seller_id=42)
    secret = issued.token.split("_", 2)[2]
    raw = store.path.read_bytes()
    assert secret.encode() not in raw and issued.token.encode() not in raw
    with sqlite3.connect(store.path) as con:
        (stored,) = con.execute(
            "select token_sha256 from api_keys where key_id = ?", (issued.key.key_id,)
        ).fetchone()
    assert stored == hashlib.sha256(issued.token.encode()).digest()
    assert secret not in repr(issued) and secret not in str(issued)
    assert secret not in repr(store.list())


def test_the_key_file_is_private_to_its_owner(store):
    store.issue(seller_id=1)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # right key id, wrong secret
        lambda t: t.replace("mposk_", "mposk_0"),  # malformed
        lambda t: "mposk_0123456789abcdef_" + t.split("_", 2)[2],  # unknown key id
        lambda t: t + " ",
        lambda t: "",
        lambda t: t.upper(),
    ],
    ids=["wrong-secret", "malformed", "unknown-id", "trailing-space", "empty", "upper-case"],
)
def test_a_wrong_token_is_refused(store, mangle):
    issued = store.issue(seller_id=1)
    assert KeyVerifier(store.path).verify(mangle(issued.token)) is None


def test_a_revoked_key_is_refused_at_the_next_request(store):
    issued, other = store.issue(seller_id=1), store.issue(seller_id=2)
    verifier = KeyVerifier(store.path)  # one open connection, as in the server
    assert verifier.verify(issued.token) is not None
    revoked = store.revoke(issued.key.key_id)
    assert revoked.revoked_at is not None and not revoked.active
    assert verifier.verify(issued.token) is None
    assert verifier.verify(other.token) is not None
    assert store.revoke(issued.key.key_id).revoked_at == revoked.revoked_at  # idempotent
    listed = {k.key_id: k for k in store.list()}
    assert not listed[issued.key.key_id].active and listed[other.key.key_id].active


def test_revoking_an_unknown_key_says_so(store):
    store.issue(seller_id=1)
    with pytest.raises(KeyStoreError, match="no key with id 'feedfacefeedface'"):
        store.revoke("feedfacefeedface")


def test_the_server_starts_before_any_key_exists(store):
    verifier = KeyVerifier(store.path)
    assert verifier.verify("mposk_0123456789abcdef_" + "A" * 43) is None
    issued = store.issue(seller_id=5)  # the file appears after the server started
    assert verifier.verify(issued.token).seller_id == 5


def test_a_seller_id_must_be_a_positive_bigint(store):
    for bad in (0, -1, 2**63):
        with pytest.raises(KeyStoreError, match="not a positive 64-bit integer"):
            store.issue(seller_id=bad)
    assert store.issue(seller_id=2**63 - 1).key.seller_id == 2**63 - 1


def test_a_directory_or_a_foreign_file_is_refused_clearly(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(KeyStoreError, match="is a directory"):
        KeyStore(tmp_path / "dir").issue(seller_id=1)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(KeyStoreError, match="is not a seller key file"):
        KeyStore(junk).issue(seller_id=1)


def test_concurrent_issues_and_revocations_lose_nothing(store):
    issued: list = []
    lock = threading.Lock()

    def work(seller: int) -> None:
        mine = [store.issue(seller_id=seller) for _ in range(5)]
        store.revoke(mine[0].key.key_id)
        with lock:
            issued.extend(mine)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(issued) == 40
    listed = {k.key_id: k for k in store.list()}
    assert set(listed) == {i.key.key_id for i in issued}
    verifier = KeyVerifier(store.path)
    accepted = [i for i in issued if verifier.verify(i.token) is not None]
    assert len(accepted) == 32  # the first key of each seller is revoked
    assert all(listed[i.key.key_id].active for i in accepted)


def test_a_known_key_is_answered_from_memory_until_the_file_changes(store):
    issued, other = store.issue(seller_id=1), store.issue(seller_id=2)
    verifier = KeyVerifier(store.path)
    assert verifier.check(issued.token) is MISSING  # never read yet
    assert verifier.verify(issued.token).key_id == issued.key.key_id
    lookups = []
    real_lookup = verifier._lookup
    verifier._lookup = lambda key_id: lookups.append(key_id) or real_lookup(key_id)
    for _ in range(3):
        assert verifier.check(issued.token).key_id == issued.key.key_id  # no SQLite
        wrong = issued.token[:-1] + ("x" if issued.token[-1] != "x" else "y")
        assert verifier.check(wrong) is None  # a wrong secret, refused from memory
    assert lookups == []
    store.revoke(other.key.key_id)  # any write to the file drops what is in memory
    assert verifier.check(issued.token) is MISSING
    assert verifier.verify(issued.token) is not None and lookups == [issued.key.key_id]
    store.revoke(issued.key.key_id)
    assert verifier.verify(issued.token) is None
