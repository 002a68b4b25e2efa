"""No secret leaks: the client secret and every access token stay out of every output.

The fault scenario's simulators use a recognisable client secret (``SECRET-canary-<uuid>``) and
issue 5 s tokens (many of them, all recorded); its runs retry, refresh tokens, fail on corrupted
responses and run dbt. Searched for the secret, each recorded token and anything shaped like a
simulator token (``mpo-sim.<43 chars>``): the stdout/stderr of every run, every event of every run
in the Dagster instance, every file of the data dir (Dagster's SQLite storage and compute logs,
lock files, the raw warehouse file), every value of every Parquet file, every value of every
DuckDB relation, the dbt artifacts of the runs, and the messages, reprs and tracebacks of the
client's exceptions.
"""

from __future__ import annotations

import re
import traceback
import uuid
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import rel_fakeapi_helpers as fake
from rel_dagster_helpers import event_log_texts
from rel_scenario_helpers import CANARY_SECRET, FaultsResult, scenario

from mpo_pipeline.client import MpoAuthError, MpoError, MpoServerError
from mpo_pipeline.ingest import extract
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig

pytestmark = pytest.mark.timeout(900)
TOKEN_SHAPE = re.compile(rb"mpo-sim\.[A-Za-z0-9_-]{20,}")


@pytest.fixture(scope="module")
def faults(request) -> FaultsResult:
    result = scenario("faults", request)
    assert result.load is not None and result.load.code == 0, "the canary load failed"
    return result


@pytest.fixture(scope="module")
def needles(faults) -> list[bytes]:
    # The load succeeded, so the canary secret really was the one used; tokens were recorded.
    assert len(faults.tokens) >= 3
    return [CANARY_SECRET.encode(), *(t.encode() for t in faults.tokens)]


def hits(blob: bytes, needles: list[bytes]) -> list[str]:
    """What of the secrets (or a token-shaped string) ``blob`` contains."""
    found = [n[:22].decode() + "..." for n in needles if n in blob]
    match = TOKEN_SHAPE.search(blob)
    if match:
        found.append(f"token-shaped {match.group()[:22].decode()}...")
    return found


def test_no_secret_in_the_output_of_any_run(faults, needles):
    runs = [faults.load, faults.corrupted, *(c.run for c in faults.directory_cases.values())]
    assert all(r is not None for r in runs)
    for run in runs:
        assert hits(run.output.encode(), needles) == [], run.name


def test_no_secret_in_the_dagster_event_log(faults, needles):
    home = faults.data / "dagster_home"
    events = 0
    for run_id, text in event_log_texts(home):
        events += 1
        assert hits(text.encode(), needles) == [], run_id
    print(f"\n{events} events of {len(faults.run_ids)} runs searched")
    assert events > 100


def test_no_secret_in_any_file(faults, needles):
    """Raw bytes of every file: data dir (Dagster SQLite storage, compute logs, lake, warehouse,
    lock files), the runs' logs, the dbt artifacts and logs of every dbt invocation."""
    files = [p for p in faults.data.parent.rglob("*") if p.is_file()]
    compute_logs = [p for p in files if p.suffix in (".out", ".err", ".complete")]
    dbt_runs = [p for p in files if p.name == "run_results.json"]
    print(f"\n{len(files)} files ({len(compute_logs)} compute logs, {len(dbt_runs)} dbt runs)")
    assert dbt_runs, "no dbt artifacts found for the runs"
    for path in files:
        assert hits(path.read_bytes(), needles) == [], path


def _column_texts(column: pa.ChunkedArray) -> list[str]:
    if pa.types.is_nested(column.type):
        return [repr(v) for v in column.to_pylist()]
    return [v for v in pc.cast(column, pa.string()).to_pylist() if v is not None]


def test_no_secret_in_any_parquet_value(faults, needles):
    files = sorted(faults.data.joinpath("lake").rglob("*.parquet"))
    for path in files:
        parquet = pq.ParquetFile(path)
        blob = repr(parquet.metadata.metadata).encode()
        table = parquet.read()
        blob += "\n".join(t for c in table.columns for t in _column_texts(c)).encode()
        assert hits(blob, needles) == [], path
    print(f"\n{len(files)} Parquet files searched")
    assert len(files) > 60


def test_no_secret_in_any_duckdb_relation(faults, needles):
    warehouse = faults.data / "warehouse.duckdb"
    searched = 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
        for schema, name, kind in relations:
            try:
                rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
            except duckdb.Error:
                # A view over a lake folder that does not exist in this lake (e.g. realtime):
                # nothing stored, nothing to leak. Tables must always be readable.
                assert kind == "VIEW", f"{schema}.{name} cannot be read"
                continue
            searched += 1
            assert hits(repr(rows).encode(), needles) == [], f"{schema}.{name}"
    print(f"\n{searched} relations of {len(relations)} searched")
    assert searched >= 10


# -- exception messages, in process --------------------------------------------------------------

CONFIG = SimulatorConfig(seed=3, advertisers=1, campaigns=1, sellers=5, today=date(2026, 11, 1))


def _texts(exc: BaseException) -> str:
    """Message, repr, args and the full formatted traceback of ``exc`` and its chain."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


def _raise_from_load(handler, secret: str) -> MpoError:
    truth = GroundTruth(CONFIG)
    adv = truth.advertisers()[0]
    advertiser = extract.Advertiser(adv["id"], "x", adv["currencyName"], "UTC")
    with pytest.raises(MpoError) as caught, fake.fake_client(handler, secret) as client:
        extract.load_stats(
            client,
            Path("/nonexistent-lake"),
            "sellers",
            "SameSeller",
            [advertiser],
            date(2026, 10, 1),
            date(2026, 10, 2),
            time_zone="UTC",
            api_version="2026-07",
        )
    return caught.value


class EchoingApi(fake.FakeMpo):
    """Issues tokens, then fails every API call in a way that may carry the secrets along."""

    def __init__(self, mode: str, secret: str) -> None:
        super().__init__(GroundTruth(CONFIG))
        self.mode, self.secret = mode, secret

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return super().__call__(request)
        echo = f"{self.secret} {request.headers.get('authorization')}"
        token = request.headers["authorization"].split()[-1]
        if self.mode == "server_echo_cut":
            # The token straddles the 300-character preview of an error body.
            return httpx.Response(500, text="x" * 280 + " " + token)
        if self.mode == "body_echo_cut":
            # The token straddles the 80-byte preview of a body that is not valid JSON.
            return httpx.Response(200, content=b'{"columns": ["' + b"x" * 40 + token.encode())
        if self.mode == "connect_error":
            raise httpx.ConnectError(f"refused ({echo})", request=request)
        if self.mode == "server_echo":
            return httpx.Response(500, json={"errors": [{"code": "boom", "detail": echo}]})
        return httpx.Response(200, content=f'{{"columns": ["{echo}"'.encode())


def partial_leaks(text: str, secrets: list[str], size: int = 10) -> list[str]:
    """Pieces (``size`` characters) of the random part of a secret that ``text`` contains."""
    found = []
    for secret in secrets:
        tail = secret.removeprefix("SECRET-canary-").removeprefix("mpo-sim.")
        found += [
            tail[i : i + size] for i in range(len(tail) - size + 1) if tail[i : i + size] in text
        ]
    return found


MODES = [
    "bad_credentials",
    "connect_error",
    "server_echo",
    "body_echo",
    "server_echo_cut",
    "body_echo_cut",
]


@pytest.mark.parametrize("mode", MODES)
def test_no_secret_in_exception_messages(mode):
    secret = "SECRET-canary-" + uuid.uuid4().hex
    if mode == "bad_credentials":
        api = fake.FakeMpo(
            GroundTruth(CONFIG),
            token_reply=fake.as_json({"error": "invalid_client", "error_description": secret}, 401),
        )
    else:
        api = EchoingApi(mode, secret)
    exc = _raise_from_load(api, secret)
    expected = {
        "bad_credentials": MpoAuthError,
        "connect_error": MpoServerError,
        "server_echo": MpoServerError,
        "server_echo_cut": MpoServerError,
    }.get(mode, MpoError)
    assert isinstance(exc, expected), repr(exc)
    text = _texts(exc)
    print(f"\n{mode}: {exc}")
    assert api.tokens or mode == "bad_credentials"
    assert hits(text.encode(), [secret.encode(), *(t.encode() for t in api.tokens)]) == []
    # A preview cut in the middle of a token must not show the part before the cut either.
    assert partial_leaks(text, [secret, *api.tokens]) == []
