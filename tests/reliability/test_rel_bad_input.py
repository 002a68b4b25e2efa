"""Bad input never reaches the lake or the warehouse, and always says clearly what is wrong.

Three layers:

1. A table of malformed or refused responses served by an in-process fake API
   (``httpx.MockTransport`` + the simulator's ground truth) to ``extract.load_stats`` — the code
   the stats assets run. Each case must raise its typed error with a message naming the problem
   and the request, and write nothing: the files of the window (loaded before from good data)
   keep their bytes, no file or temp file appears, the warehouse file is untouched. An extra
   column and shuffled columns are not errors: the values land exactly, the extra column is
   kept and reported.
2. Bad configuration given to ``mpo-pipeline load``: exit code 2, a message naming the variable,
   nothing created in the data dir.
3. End to end (``rel_scenario_helpers.run_faults_scenario``): a real ``mpo-pipeline load`` through
   a proxy that corrupts some stats responses, on a data dir holding a good load of the same
   window; and a dbt build with a bad seller directory on that warehouse.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import rel_fakeapi_helpers as fake
from rel_proc_helpers import MPO_PIPELINE, load_environ
from rel_scenario_helpers import BAD_DIRECTORIES, CORRUPTIONS, scenario
from rel_truth_helpers import LINEAGE, file_hashes, lake_differences
from support.processes import REPO

from mpo_pipeline.client import (
    MpoApiVersionError,
    MpoAuthError,
    MpoError,
    MpoForbiddenError,
    MpoGatewayError,
    MpoNotFoundError,
    MpoResponseError,
    MpoValidationError,
)
from mpo_pipeline.ingest import extract
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig

pytestmark = pytest.mark.timeout(900)

CONFIG = SimulatorConfig(seed=3, advertisers=1, campaigns=2, sellers=12, today=date(2026, 11, 1))
START, END = date(2026, 10, 5), date(2026, 10, 9)
ENDPOINT, POLICY = "seller_campaigns", "AnySeller"
SECRET = "SECRET-canary-bad-input-7f3a9c"


@dataclass(frozen=True)
class Case:
    """One bad response: what the API sends, and the error it must cause (None = accepted)."""

    corrupt: fake.Corruption | None
    error: type[MpoError] | None
    fragments: tuple[str, ...] = ()
    token_reply: fake.Reply | None = None
    api_reply: fake.Reply | None = None
    names_request: bool = True


def _reply(corruption: fake.Corruption) -> fake.Reply:
    return corruption({}, START, END)


CASES: dict[str, Case] = {
    "truncated_json": Case(
        fake.truncated, MpoResponseError, ("body is not valid JSON (truncated",)
    ),
    "html_502_page": Case(
        fake.html_page(502),
        MpoGatewayError,
        ("HTTP 502", "HTML page, not the API's JSON", "after 6 attempt(s)"),
    ),
    "html_page_with_200": Case(
        fake.html_page(200), MpoResponseError, ("HTML page instead of JSON",)
    ),
    "not_an_envelope": Case(
        fake.not_an_envelope, MpoResponseError, ("not a stats report envelope",)
    ),
    "missing_column": Case(
        fake.drop_column("clicks"), MpoResponseError, ("expected column(s) 'clicks' missing",)
    ),
    "extra_column": Case(fake.add_column("viewableImpressions"), None),
    "shuffled_columns": Case(fake.shuffle_columns, None),
    "rows_differs_from_data": Case(
        fake.rows_off_by_one, MpoResponseError, ("`rows` says", "but `data` has")
    ),
    "string_in_count_column": Case(
        fake.set_cell("clicks", "12"), MpoResponseError, ("column 'clicks', row 0", "str")
    ),
    "fraction_in_count_column": Case(
        fake.set_cell("saleUnits", 1.5), MpoResponseError, ("'saleUnits', row 0", "1.5")
    ),
    "negative_clicks": Case(
        fake.set_cell("clicks", -3), MpoResponseError, ("'clicks', row 0: negative value -3",)
    ),
    "null_seller_id": Case(
        fake.set_cell("sellerId", None), MpoResponseError, ("'sellerId', row 0", "null")
    ),
    "impossible_date": Case(
        fake.set_cell("day", "2026-02-30"), MpoResponseError, ("column 'day', row 0",)
    ),
    "row_dated_outside_window": Case(
        fake.set_cell("day", fake.day_before),
        MpoResponseError,
        ("'2026-10-04' is outside the requested window 2026-10-05..2026-10-09",),
    ),
    "duplicate_keys": Case(fake.duplicate_first_row, MpoResponseError, ("duplicate key",)),
    "http_400_validation": Case(
        fake.problem(400, "validation", "invalid-date-range", "Bad Request", "end before start"),
        MpoValidationError,
        ("HTTP 400", "invalid-date-range", "traceId=rel-trace-0001", "fix its parameters"),
    ),
    "http_400_echoing_the_secret": Case(
        fake.problem(400, "validation", "invalid-parameter", "Bad Request", f"secret={SECRET}"),
        MpoValidationError,
        ("HTTP 400", "invalid-parameter"),
    ),
    "http_401_bad_credentials": Case(
        None,
        MpoAuthError,
        (
            "/oauth2/token",
            "HTTP 401",
            "invalid_client",
            "check MPO_CLIENT_ID and MPO_CLIENT_SECRET",
        ),
        token_reply=fake.as_json({"error": "invalid_client", "error_description": "bad"}, 401),
        names_request=False,
    ),
    "http_401_token_rejected": Case(
        None,
        MpoAuthError,
        ("HTTP 401", "rejected a freshly issued access token twice"),
        api_reply=_reply(
            fake.problem(401, "authentication", "invalid-token", "Unauthorized", "invalid token")
        ),
    ),
    "http_403": Case(
        fake.problem(403, "authorization", "forbidden", "Forbidden", "no access"),
        MpoForbiddenError,
        ("HTTP 403", "access denied", "advertiser"),
    ),
    "http_404": Case(
        fake.problem(404, "unknown", "not-found", "Not Found", "no such advertiser"),
        MpoNotFoundError,
        ("HTTP 404", "not found: check the ids"),
    ),
    "http_410_retired_version": Case(
        fake.problem(410, "deprecation", "version-decommissioned", "Gone", "decommissioned"),
        MpoApiVersionError,
        ("HTTP 410", "is retired (410 Gone); bump MPO_API_VERSION"),
    ),
}


@pytest.fixture(scope="module")
def truth() -> GroundTruth:
    return GroundTruth(CONFIG)


def _load(truth: GroundTruth, api: fake.FakeMpo, lake: Path) -> extract.LoadReport:
    adv = truth.advertisers()[0]
    advertiser = extract.Advertiser(adv["id"], adv["advertiserName"], adv["currencyName"], "UTC")
    with fake.fake_client(api, SECRET) as client:
        return extract.load_stats(
            client,
            lake,
            ENDPOINT,
            POLICY,
            [advertiser],
            START,
            END,
            time_zone="UTC",
            api_version=fake.API_VERSION,
        )


def _good_state(truth: GroundTruth, root: Path) -> Path:
    """A data dir whose lake holds a good load of the window, and a warehouse file."""
    lake = root / "lake"
    _load(truth, fake.FakeMpo(truth), lake)
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute(
            "create table landed as select * from read_parquet(?, union_by_name = true)",
            [str(lake / "stats" / "**" / "*.parquet")],
        )
    return lake


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.error is not None])
def test_bad_response_raises_a_clear_error_and_writes_nothing(truth, tmp_path, name):
    case = CASES[name]
    lake = _good_state(truth, tmp_path)
    before = file_hashes(tmp_path)
    api = fake.FakeMpo(truth, case.corrupt, token_reply=case.token_reply, api_reply=case.api_reply)
    with pytest.raises(MpoError) as caught:
        _load(truth, api, lake)
    message = str(caught.value)
    print(f"{name}: {type(caught.value).__name__}: {message}")
    assert isinstance(caught.value, case.error), f"{type(caught.value).__name__}: {message}"
    for fragment in case.fragments:
        assert fragment in message, (fragment, message)
    if case.names_request:
        assert "seller-campaigns" in message and str(truth.advertisers()[0]["id"]) in message
    for secret in (SECRET, *api.tokens):
        assert secret not in message and secret not in repr(caught.value)
    assert file_hashes(tmp_path) == before, "the failed load changed the lake or the warehouse"


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.error is None])
def test_reordered_or_extra_columns_land_exactly(truth, tmp_path, name):
    lake = tmp_path / "lake"
    report = _load(truth, fake.FakeMpo(truth, CASES[name].corrupt), lake)
    problems, rows = lake_differences(lake, truth, START, END, [ENDPOINT])
    assert [p for p in problems if f"policy={POLICY}" in p] == []
    assert rows > 0
    files = sorted((lake / "stats").rglob("*.parquet"))
    assert len(files) == (END - START).days + 1
    if name == "extra_column":
        # Kept after the known columns (with its decoded type) and reported, never fatal.
        assert report.extra_columns == {"viewableImpressions"}
        for path in files:
            table = pq.read_table(path)
            known = [c for c in table.column_names if c not in LINEAGE]
            assert known[-1] == "viewableImpressions"
            assert all(
                v is not None and v % 7 == 0 for v in table["viewableImpressions"].to_pylist()
            )
    else:
        assert report.extra_columns == set()


CONFIG_ERRORS = {
    "missing_secret": (
        {"MPO_CLIENT_SECRET": ""},
        "2026-10-01",
        "2026-10-02",
        "MPO_CLIENT_SECRET is required",
    ),
    "start_after_end": ({}, "2026-10-10", "2026-10-01", "START 2026-10-10 is after END 2026-10-01"),
    "unknown_policy": (
        {"MPO_ATTRIBUTION_POLICIES": "SameSeller,LastClick"},
        "2026-10-01",
        "2026-10-02",
        "MPO_ATTRIBUTION_POLICIES has unknown policy ['LastClick']",
    ),
    "bad_time_zone": (
        {"MPO_TIME_ZONE": "Mars/Olympus_Mons"},
        "2026-10-01",
        "2026-10-02",
        "MPO_TIME_ZONE='Mars/Olympus_Mons' is not an IANA time zone",
    ),
    "end_not_complete": ({}, "2026-10-01", "2999-01-01", "only complete days load"),
    "malformed_date": ({}, "2026-10-1", "2026-10-02", "START='2026-10-1' is not a date"),
    "seller_directory_not_csv": (
        {"MPO_SELLER_DIRECTORY": "/tmp/sellers.xlsx"},
        "2026-10-01",
        "2026-10-02",
        "must be a .csv or .parquet file",
    ),
}


@pytest.fixture(scope="module")
def config_runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Every bad configuration given to ``mpo-pipeline load`` at once (they exit in seconds)."""
    procs = {}
    for name, (env, start, end, _) in CONFIG_ERRORS.items():
        data = tmp_path_factory.mktemp(f"config-{name}") / "data"
        environ = load_environ(data, "http://127.0.0.1:9", "rel-client", SECRET, **env)
        command = [MPO_PIPELINE, "load", "--start", start, "--end", end]
        procs[name] = (
            data,
            subprocess.Popen(
                command,
                env=environ,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
    out = {}
    for name, (data, proc) in procs.items():
        output, _ = proc.communicate(timeout=120)
        out[name] = (data, subprocess.CompletedProcess(proc.args, proc.returncode, output))
    return out


@pytest.mark.parametrize("name", list(CONFIG_ERRORS))
def test_bad_config_exits_2_with_a_clear_message_and_creates_nothing(config_runs, name):
    data, run = config_runs[name]
    expected = CONFIG_ERRORS[name][3]
    print(f"{name}: exit {run.returncode}: {run.stdout.strip()}")
    assert run.returncode == 2, run.stdout
    assert expected in " ".join(run.stdout.split()), run.stdout
    assert SECRET not in run.stdout
    assert not data.exists(), "a rejected configuration created the data dir"


# -- end to end, on the warehouse of the fault scenario ------------------------------------------


@pytest.fixture(scope="module")
def faults(request):
    return scenario("faults", request)


def test_corrupted_responses_fail_the_load_with_their_messages(faults):
    run = faults.corrupted
    assert run is not None, "the baseline load of the fault scenario failed"
    print(f"corrupted load: exit {run.code} in {run.seconds:.0f} s")
    assert run.code == 1, run.output[-3000:]
    text = " ".join(run.output.split())
    for (endpoint, policy), (_, error) in CORRUPTIONS.items():
        if error is not None:
            assert error in text, (endpoint, policy, error)
    assert "run failed" in text
    assert "unknown column(s) viewableImpressions kept" in text


def test_corrupted_responses_replace_no_lake_file(faults):
    before, after = faults.lake_before_corrupted, faults.lake_after_corrupted
    assert before, "the baseline lake is empty"
    assert set(after) == set(before), "files appeared or vanished"
    for (endpoint, policy), (_, error) in CORRUPTIONS.items():
        prefix = f"endpoint={endpoint}/policy={policy}/"
        mine = [p for p in before if p.startswith(prefix)]
        assert mine
        changed = [p for p in mine if after[p] != before[p]]
        if error is not None:
            assert changed == [], f"{prefix}: a rejected response replaced good files"
        else:
            assert len(changed) == len(mine), f"{prefix}: an accepted response was not landed"


def test_accepted_responses_land_exactly_and_extra_column_is_kept(faults):
    assert faults.corrupted_lake_problems == []
    assert faults.extra_column_values, "the extra column was not kept in the lake"
    assert all(v % 7 == 0 for v in faults.extra_column_values)


def test_failed_load_leaves_the_warehouse_unchanged(faults):
    assert faults.warehouse_sha_before is not None
    assert faults.warehouse_sha_after == faults.warehouse_sha_before


@pytest.mark.parametrize("case", list(BAD_DIRECTORIES))
def test_bad_seller_directory_fails_the_dbt_build_naming_the_row(faults, case):
    result = faults.directory_cases[case]
    text = " ".join(result.run.output.split())
    print(f"{case}: exit {result.run.code}")
    assert result.run.code != 0
    assert f"MPO_SELLER_DIRECTORY={result.path}" in text
    for fragment in result.fragments:
        assert fragment in text, (fragment, result.run.output[-3000:])
    assert result.marts_after == result.marts_before, "the marts changed"
