"""`mpo-pipeline serve-sellers` as a real process on loopback, over a published snapshot.

The snapshot holds hand-written rows of the two seller marts (``portal_fixtures``), published by
the real ``publish_warehouse``; keys are issued with the real CLI and the key file. Covers the
answers, the security table, the rate limit, ETag/304, a publish picked up without restart while
a client keeps requesting, and a graceful SIGTERM.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from support.portal_fixtures import (
    LATEST,
    SELLER_A,
    SELLER_B,
    UNKNOWN_SELLER,
    default_performance_rows,
    measures,
    perf_row,
    publish_rows,
)

from mpo_pipeline.seller_portal.keys import KeyStore
from mpo_pipeline.warehouse.publish import publish_warehouse

pytestmark = pytest.mark.integration
STARTUP_SECONDS = 60.0
CLI = [sys.executable, "-m", "mpo_pipeline.cli"]


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    root: Path
    published: Path
    keys: KeyStore
    env: dict[str, str]
    stderr: Path
    tokens: list[str]  # every token issued, to check that none is ever logged

    def seller_key(self, seller: int = SELLER_A) -> str:
        self.tokens.append(self.keys.issue(seller_id=seller).token)
        return self.tokens[-1]

    def portal_key(self) -> str:
        self.tokens.append(self.keys.issue().token)
        return self.tokens[-1]


def _first_line(stream, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    root = tmp_path_factory.mktemp("seller-portal")
    published = root / "published" / "warehouse.duckdb"
    publish_rows(root / "private", published)
    env = {
        **os.environ,
        "MPO_DATA_DIR": str(root),
        "MPO_PUBLISHED_WAREHOUSE": str(published),
        "MPO_SELLER_KEYS": str(root / "keys.sqlite3"),
        "MPO_SELLER_API_RATE": "1",
        "MPO_SELLER_API_BURST": "5",
        "MPO_SELLER_API_PORTAL_RATE": "10000",
        "MPO_SELLER_API_PORTAL_BURST": "10000",
    }
    stderr = root / "serve-sellers.log"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [*CLI, "serve-sellers", "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        line = _first_line(process.stdout, STARTUP_SECONDS)
        assert line.startswith("serving the seller portal API on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].strip()
        deadline = time.monotonic() + STARTUP_SECONDS
        while httpx.get(url + "/health", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the server never became healthy"
            time.sleep(0.05)
        keys = KeyStore(root / "keys.sqlite3")
        yield Served(url, process, root, published, keys, env, stderr, [])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def get(served: Served, path: str, token: str | None = None, **headers) -> httpx.Response:
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return httpx.get(served.url + path, headers=headers, timeout=30)


def test_a_key_issued_with_the_cli_reads_its_seller(served):
    out = subprocess.run(
        [*CLI, "seller-keys", "issue", "--seller", str(SELLER_A), "--label", "MKT-0042"],
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = out.stdout.strip()
    served.tokens.append(token)
    assert token.startswith("mposk_") and "\n" not in token  # the token, alone, on stdout
    assert token not in out.stderr
    r = get(served, f"/v1/sellers/{SELLER_A}/performance?window=30", token)
    assert r.status_code == 200
    body = r.json()
    assert (body["seller_id"], body["window_days"], body["as_of_date"]) == (
        SELLER_A,
        30,
        "2026-03-01",
    )
    rows = [
        (x["advertiser_id"], x["clicks"], x["cost"], x["revenue_any_seller"]) for x in body["rows"]
    ]
    assert rows == [(11, 210, "49.999999999", "14.000000000")]
    listed = subprocess.run(
        [*CLI, "seller-keys", "list"],
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key_id = token.split("_")[1]
    assert key_id in listed.stdout and "MKT-0042" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout + listed.stderr


def test_a_revoked_key_is_refused_at_the_next_request(served):
    token = served.seller_key()
    assert get(served, f"/v1/sellers/{SELLER_A}/performance", token).status_code == 200
    subprocess.run(
        [*CLI, "seller-keys", "revoke", token.split("_")[1]],
        env=served.env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert get(served, f"/v1/sellers/{SELLER_A}/performance", token).status_code == 401


def _revoked(served: Served) -> str:
    token = served.seller_key()
    served.keys.revoke(token.split("_")[1])
    return token


# (case, path under /v1/sellers/ or a full path, which token, expected status)
SECURITY_TABLE = [
    ("no key", f"{SELLER_A}/performance", None, 401),
    ("wrong key", f"{SELLER_A}/performance", "wrong", 401),
    ("malformed key", f"{SELLER_A}/performance", "malformed", 401),
    ("revoked key", f"{SELLER_A}/performance", "revoked", 401),
    ("no key, unknown seller", f"{UNKNOWN_SELLER}/performance", None, 401),
    ("another seller", f"{SELLER_B}/performance", "seller", 404),
    ("another seller, campaigns", f"{SELLER_B}/campaigns?window=30", "seller", 404),
    ("unknown seller", f"{UNKNOWN_SELLER}/performance", "seller", 404),
    ("unknown seller, portal key", f"{UNKNOWN_SELLER}/performance", "portal", 404),
    ("digits beyond int64", "99999999999999999999999/performance", "portal", 404),
    ("int64 max + 1", "9223372036854775808/performance", "portal", 404),
    ("leading zero", f"0{SELLER_A}/performance", "seller", 404),
    ("unicode digits", "%D9%A1%D9%A2%D9%A3/performance", "portal", 404),
    ("unicode name", "MKT%2F0077%20%C3%A9/performance", "portal", 404),
    ("seller name", "MKT-0042/performance", "portal", 404),
    ("slash", f"{SELLER_A}/{SELLER_B}/performance", "seller", 404),
    ("encoded slash", f"{SELLER_A}%2F{SELLER_B}/performance", "seller", 404),
    ("encoded slash, own id first", f"{SELLER_B}%2F{SELLER_A}/performance", "seller", 404),
    ("dot segments", f"..%2F{SELLER_B}/performance", "seller", 404),
    ("10 kB seller", "9" * 10_000 + "/performance", "portal", 404),
    ("10 kB seller, no key", "7" * 10_000 + "/performance", None, 401),
    ("unknown report", f"{SELLER_A}/orders", "seller", 404),
    ("bad window", f"{SELLER_A}/performance?window=7%3Bdrop", "seller", 400),
    ("token in query", f"{SELLER_A}/performance?api_key=x", "seller", 400),
    ("own seller", f"{SELLER_A}/performance", "seller", 200),
    ("portal key", f"{SELLER_B}/performance", "portal", 200),
]


def _flip_last(token: str) -> str:
    """The token with its last character changed: the right key id, a wrong secret."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _token(served: Served, which: str | None) -> str | None:
    return {
        None: lambda: None,
        "seller": served.seller_key,
        "portal": served.portal_key,
        "revoked": lambda: _revoked(served),
        "wrong": lambda: _flip_last(served.seller_key()),
        "malformed": lambda: "mposk_not-a-token",
    }[which]()


def _comparable(r: httpx.Response) -> tuple:
    headers = {k: v for k, v in r.headers.items() if k != "date"}
    return (r.status_code, r.content, headers)


@pytest.mark.parametrize(
    ("path", "which", "status"),
    [case[1:] for case in SECURITY_TABLE],
    ids=[case[0] for case in SECURITY_TABLE],
)
def test_security_table(served, path, which, status):
    token = _token(served, which)
    r = get(served, f"/v1/sellers/{path}", token)
    assert r.status_code == status
    text = r.text
    assert "server" not in r.headers  # no software banner
    assert "Traceback" not in text and "duckdb" not in text.lower() and "sqlite" not in text
    if token:
        assert token not in text and token.split("_", 2)[-1] not in str(r.headers)
    if status == 401:
        assert r.json() == {
            "error": "unauthorized",
            "message": "a valid API key is required: Authorization: Bearer <token>, "
            "or X-API-Key: <token>",
        }
    if status in (401, 404):
        assert "MKT" not in text and str(SELLER_B) not in text and "cost" not in text
    if status == 404:
        # exactly what a seller that does not exist gets, to the byte (the date aside)
        reference = get(served, f"/v1/sellers/{UNKNOWN_SELLER}/performance", _token(served, which))
        assert _comparable(r) == _comparable(reference)
        assert r.json() == {"error": "not_found", "message": "no such seller or resource"}
    if status == 200:
        assert r.json()["rows"] and "etag" in r.headers


def test_a_seller_key_over_its_rate_gets_429_and_retry_after(served):
    token = served.seller_key()
    statuses, retry = [], None
    for _ in range(60):  # burst 5 at 1/s: a 429 comes as soon as requests outpace the refill
        r = get(served, f"/v1/sellers/{SELLER_A}/performance", token)
        statuses.append(r.status_code)
        if r.status_code == 429:
            retry = r.headers["retry-after"]
            assert r.json()["error"] == "rate_limited"
            break
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 1
    # another key of the same seller has its own bucket
    assert (
        get(served, f"/v1/sellers/{SELLER_A}/performance", served.seller_key()).status_code == 200
    )


def test_etag_and_304(served):
    token = served.portal_key()
    first = get(served, f"/v1/sellers/{SELLER_A}/campaigns", token)
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    again = get(
        served,
        f"/v1/sellers/{SELLER_A}/campaigns",
        token,
        **{"if-none-match": first.headers["etag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]


def test_openapi_and_health_need_no_key(served):
    doc = httpx.get(served.url + "/openapi.json", timeout=30).json()
    assert doc["openapi"] == "3.1.0" and "/v1/sellers/{seller}/performance" in doc["paths"]
    health = httpx.get(served.url + "/health", timeout=30).json()
    assert health["status"] == "ok" and health["reports"]["performance"]["7"] == "2026-03-01"


def _wait_served(served: Served, report, seconds: float = 60) -> str:
    """Wait until the server answers from the snapshot ``report`` published; its publish time."""
    published_at = report.published_at.isoformat().replace("+00:00", "Z")
    deadline = time.monotonic() + seconds
    while get(served, "/health").json().get("published_at") != published_at:
        assert time.monotonic() < deadline, "the new snapshot was never served"
        time.sleep(0.05)
    return published_at


def _restore(served: Served) -> None:
    """Publish the fixture's rows again, for the tests after this one."""
    _wait_served(served, publish_rows(served.root / "private", served.published))


def _publish_clicks(served: Served, clicks: int):
    rows = [perf_row(LATEST, 7, 11, SELLER_A, "MKT-0042", "EUR", **measures(1, clicks, "1", "1"))]
    rows += [r for r in default_performance_rows() if r["seller_id"] != SELLER_A]
    return publish_rows(served.root / "private", served.published, performance=rows)


def test_a_publish_is_picked_up_without_restart_and_without_an_error(served):
    token = served.portal_key()
    seen: list[tuple[str, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=served.url, timeout=30) as c:
            while not stop.is_set():
                try:
                    r = c.get(
                        f"/v1/sellers/{SELLER_A}/performance?window=7",
                        headers={"authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text}")
                    continue
                body = r.json()
                seen.append((body["published_at"], body["rows"][0]["clicks"]))

    thread = threading.Thread(target=client)
    thread.start()
    try:
        publishes = {}
        for clicks in (1001, 1002, 1003):
            report = _publish_clicks(served, clicks)
            publishes[report.published_at.isoformat().replace("+00:00", "Z")] = clicks
        deadline = time.monotonic() + 60
        while not any(c == 1003 for _, c in seen):
            assert time.monotonic() < deadline, "the last publish was never served"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert failures == []
    original = [(p, c) for p, c in seen if p not in publishes]
    assert all(c == 50 for _, c in original)  # before the first publish: the fixture's rows
    # every answer is consistent: the figures of the snapshot whose publish time it names
    assert all(publishes[p] == c for p, c in seen if p in publishes)
    assert len(seen) > len(publishes)
    _restore(served)


# -- a snapshot published from a real dbt build, against the simulator's ground truth ---------


@pytest.fixture(scope="module")
def dbt_world(tmp_path_factory):
    """14 days of the seller portal scenario's world (``sp_scenario_helpers``: 2 advertisers, EUR
    and JPY) ingested through Dagster, the marts built by dbt (one as-of date: the last day)."""
    from sp_scenario_helpers import AS_OF, CONFIG, PORTAL_MODELS, PortalWorld, Truth, dbt, ingest
    from sp_scenario_helpers import point_at as point_pipeline_at

    from mpo_pipeline.seller_portal.kpis import directory_with_caps, write_directory_rows
    from mpo_pipeline.simulator import running_simulator

    first = AS_OF - timedelta(days=13)
    world = PortalWorld(tmp_path_factory.mktemp("seller-portal-dbt"))
    directory = write_directory_rows(
        directory_with_caps(CONFIG, first, AS_OF), world.root / "seller_directory.csv"
    )
    with pytest.MonkeyPatch.context() as mp, running_simulator(CONFIG) as sim:
        point_pipeline_at(mp, sim, world, directory, None)
        assert ingest(first, AS_OF).success
        code, output = dbt(world, "run", "--select", f"+{PORTAL_MODELS}")
        assert code == 0, output[-3000:]
    return world, Truth(CONFIG, first, AS_OF), first, AS_OF


def _expected(truth, endpoint: str, key: tuple, first_loaded, as_of, window: int) -> dict:
    """What the API must say for one row, from the truth: sums of the window and the one before
    (days before the first loaded day count as not loaded), money as exact 9-decimal strings."""
    from sp_scenario_helpers import MEASURES, MONEY

    start = as_of - timedelta(days=window - 1)
    before_end = start - timedelta(days=1)
    before_start = start - timedelta(days=window)
    current = truth.window(endpoint, key, start, as_of)
    previous = truth.window(endpoint, key, before_start, before_end)
    loaded = (as_of - max(start, first_loaded)).days + 1
    previous_loaded = max(0, (before_end - max(before_start, first_loaded)).days + 1)

    def text(measure, value):
        return f"{Decimal(value):.9f}" if measure in MONEY else int(value)

    out = {
        "currency": truth.advertisers[key[0]],
        "window_start": str(start),
        "window_end": str(as_of),
        "days_loaded": loaded,
        "is_complete": loaded == window,
    }
    for m in MEASURES:
        out[m] = text(m, current[m])
        out[f"previous_{m}"] = text(m, previous[m]) if previous_loaded else None
        out[f"{m}_change"] = text(m, current[m] - previous[m]) if previous_loaded else None
    return out


@pytest.mark.timeout(900)  # the fixture ingests through Dagster and runs dbt
def test_a_real_dbt_build_is_served_equal_to_the_ground_truth(served, dbt_world):
    world, truth, first, as_of = dbt_world
    report = publish_warehouse(world.warehouse, served.published, manifest=None)
    published_at = _wait_served(served, report)  # picked up, no restart
    token = served.portal_key()
    compared = 0
    for endpoint, name, grain in (
        ("sellers", "performance", 2),
        ("seller_campaigns", "campaigns", 3),
    ):
        by_seller: dict[int, set[tuple]] = {}
        for key in truth.keys(endpoint):
            by_seller.setdefault(key[1], set()).add(key)
        for seller, keys in sorted(by_seller.items()):
            for window in (7, 30):
                r = get(served, f"/v1/sellers/{seller}/{name}?window={window}", token)
                assert r.status_code == 200, r.text
                body = r.json()
                assert (body["as_of_date"], body["published_at"]) == (str(as_of), published_at)
                served_rows = {
                    (
                        row["advertiser_id"],
                        seller,
                        *([row["campaign_id"]] if grain == 3 else []),
                    ): row
                    for row in body["rows"]
                }
                assert set(served_rows) >= keys  # quiet keys may be served as zeros
                for key, row in served_rows.items():
                    expected = _expected(truth, endpoint, key, first, as_of, window)
                    assert {k: row[k] for k in expected} == expected, (name, key, window)
                    compared += 1
    assert compared > 40
    _restore(served)


def test_sigterm_stops_the_server_gracefully_and_the_log_has_no_token(served):
    token = served.seller_key()
    assert get(served, f"/v1/sellers/{SELLER_A}/performance", token).status_code == 200
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    log = served.stderr.read_text()
    assert f"/v1/sellers/{SELLER_A}/performance 200" in log  # the access log is on
    assert f"key={token.split('_')[1]}" in log
    assert len(served.tokens) > 20
    assert all(t.split("_", 2)[2] not in log for t in served.tokens)
    assert "Traceback" not in log
