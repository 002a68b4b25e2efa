"""Extraction into the lake: API → Arrow → atomic Parquet, one file per day (plain Python).

Dagster assets, ``make load`` and the benchmarks call these functions; they never open the DuckDB
warehouse, so any number of extractions may run side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from mpo_pipeline.client import POLICIES, MpoClient
from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.ingest import lake


@dataclass(frozen=True)
class Advertiser:
    """An advertiser (one marketplace account) and the currency its figures are in."""

    id: int
    name: str
    currency: str
    time_zone: str | None


@dataclass
class LoadReport:
    """What one extraction wrote, for asset metadata and progress lines."""

    endpoint: str
    policy: str
    start: date
    end: date
    files: int = 0
    rows: int = 0
    windows: int = 0
    rows_per_day: dict[str, int] = field(default_factory=dict)
    extra_columns: set[str] = field(default_factory=set)


FileHook = Callable[[Path], None]
# Days of landed files a stream's first window is sized from.
HINT_DAYS = 7


def days_between(start: date, end: date) -> list[date]:
    """Every day of the inclusive range."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def resolve_advertisers(client: MpoClient, wanted: Sequence[int] = ()) -> list[Advertiser]:
    """The advertisers to load: ``wanted`` (validated against ``/advertisers``) or all of them."""
    rows = client.advertisers().to_pylist()
    known = {
        int(r["id"]): Advertiser(
            id=int(r["id"]),
            name=r.get("advertiserName") or "",
            currency=r.get("currencyName") or "",
            time_zone=r.get("timeZoneId"),
        )
        for r in rows
    }
    missing = [a for a in wanted if a not in known]
    if missing:
        raise ValueError(
            f"MPO_ADVERTISER_IDS lists {missing}, which these credentials cannot access "
            f"(accessible: {sorted(known)})"
        )
    chosen = [known[a] for a in wanted] if wanted else [known[a] for a in sorted(known)]
    no_currency = [a.id for a in chosen if not a.currency]
    if no_currency:
        raise ValueError(f"advertisers {no_currency} have no currencyName in /advertisers")
    return chosen


def load_stats(
    client: MpoClient,
    lake_dir: Path,
    endpoint: str,
    policy: str,
    advertisers: Sequence[Advertiser],
    start: date,
    end: date,
    *,
    time_zone: str,
    api_version: str,
    on_file: FileHook | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LoadReport:
    """Fetch ``Day`` stats for every advertiser and write one Parquet file per day and advertiser.

    Days with no rows get an empty file with the full schema, so "loaded, nothing happened" is
    distinguishable from "never loaded". One request window is held in memory at a time (its
    rows are written a day at a time), and the client sizes the windows by rows, starting from
    the rows per day landed lately for the stream (:func:`rows_per_day_hint`).
    """
    report = LoadReport(endpoint=endpoint, policy=policy, start=start, end=end)
    lake.remove_stale_temp_files(lake_dir / "stats" / f"endpoint={endpoint}" / f"policy={policy}")
    for advertiser in advertisers:
        windows = client.iter_stats(
            endpoint,
            policy,
            advertiser.id,
            start,
            end,
            interval="Day",
            time_zone=time_zone,
            rows_per_day=rows_per_day_hint(lake_dir, endpoint, policy, advertiser.id, end),
        )
        for window in windows:
            report.windows += 1
            report.extra_columns.update(window.extra_columns)
            extracted_at = now()
            days = lake.iter_days(window.table, "day", days_between(window.start, window.end))
            for day, rows in days:
                table = stamp(
                    rows,
                    advertiser=advertiser,
                    endpoint=endpoint,
                    policy=policy,
                    interval_size="Day",
                    time_zone=time_zone,
                    api_version=api_version,
                    window_start=window.start,
                    window_end=window.end,
                    extracted_at=extracted_at,
                )
                path = lake.stats_path(lake_dir, endpoint, policy, day, advertiser.id)
                lake.write_parquet_atomic(table, path)
                report.files += 1
                report.rows += table.num_rows
                key = day.isoformat()
                report.rows_per_day[key] = report.rows_per_day.get(key, 0) + table.num_rows
                del table, rows
                if on_file is not None:
                    on_file(path)
            del window, days  # before the next window is fetched: one window in memory at once
    return report


def rows_per_day_hint(
    lake_dir: Path, endpoint: str, policy: str, advertiser_id: int, until: date
) -> float | None:
    """The most rows of the last :data:`HINT_DAYS` days landed on or before ``until`` for the
    stream (else for the endpoint under another policy): the first estimate the client sizes a
    window from. ``None`` when nothing was landed (the client then starts with one day)."""
    for candidate in (policy, *(p for p in POLICIES if p != policy)):
        rows = lake.recent_day_rows(lake_dir, endpoint, candidate, advertiser_id, until, HINT_DAYS)
        if rows:
            return float(max(rows)) or None
    return None


def load_control_totals(
    client: MpoClient,
    lake_dir: Path,
    endpoint: str,
    policy: str,
    advertisers: Sequence[Advertiser],
    month: date,
    *,
    time_zone: str,
    api_version: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LoadReport:
    """Land the API's own ``Month`` figure for one month (the reconciliation's control total)."""
    first, last = month_bounds(month)
    report = LoadReport(endpoint=endpoint, policy=policy, start=first, end=last)
    for advertiser in advertisers:
        table = client.stats(
            endpoint, policy, advertiser.id, first, last, interval="Month", time_zone=time_zone
        )
        table = stamp(
            table,
            advertiser=advertiser,
            endpoint=endpoint,
            policy=policy,
            interval_size="Month",
            time_zone=time_zone,
            api_version=api_version,
            window_start=first,
            window_end=last,
            extracted_at=now(),
        )
        lake.write_parquet_atomic(
            table, lake.control_path(lake_dir, endpoint, policy, first, advertiser.id)
        )
        report.files += 1
        report.rows += table.num_rows
        report.windows += 1
    return report


def snapshot_metadata(
    client: MpoClient,
    lake_dir: Path,
    advertisers: Sequence[Advertiser],
    snapshot_date: date,
    *,
    api_version: str,
    budgets_since: date,
    entities: Collection[str] = lake.METADATA_ENTITIES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, int]:
    """Snapshot the given metadata entities (by default all: advertisers, campaigns, sellers,
    seller-campaigns and budgets, past ones too); returns the rows written per entity."""
    unknown = set(entities) - set(lake.METADATA_ENTITIES)
    if unknown:
        raise ValueError(f"unknown metadata entities {sorted(unknown)}")
    ids = {a.id for a in advertisers}
    fetchers: dict[str, Callable[[int], pa.Table]] = {
        "campaigns": client.campaigns,
        "sellers": client.sellers,
        "seller_campaigns": client.seller_campaigns,
        "budgets": lambda adv: client.budgets(adv, end_after_date=budgets_since),
    }
    extracted_at = now()
    rows: dict[str, int] = {}
    tables: dict[str, pa.Table] = {}
    if "advertisers" in entities:
        all_advertisers = client.advertisers()
        mask = pa.array([int(i) in ids for i in all_advertisers.column("id").to_pylist()])
        tables["advertisers"] = _stamp_metadata(all_advertisers.filter(mask), None)
    for entity, fetch in fetchers.items():
        if entity not in entities:
            continue
        parts = [_stamp_metadata(fetch(a.id), a.id) for a in advertisers]
        tables[entity] = pa.concat_tables(parts, promote_options="permissive")
    for entity, table in tables.items():
        stamped = lake.with_lineage(table, api_version=api_version, extracted_at=extracted_at)
        lake.write_parquet_atomic(stamped, lake.metadata_path(lake_dir, entity, snapshot_date))
        rows[entity] = stamped.num_rows
    return rows


def stamp(
    table: pa.Table,
    *,
    advertiser: Advertiser,
    endpoint: str,
    policy: str,
    interval_size: str,
    time_zone: str,
    api_version: str,
    window_start: date,
    window_end: date,
    extracted_at: datetime,
) -> pa.Table:
    """Add the lineage columns of docs/lake.md to a stats table."""
    return lake.with_lineage(
        table,
        advertiserId=advertiser.id,
        endpoint=endpoint,
        attribution_policy=policy,
        interval_size=interval_size,
        time_zone=time_zone,
        currency=advertiser.currency,
        api_version=api_version,
        window_start=window_start,
        window_end=window_end,
        extracted_at=extracted_at,
    )


def _stamp_metadata(table: pa.Table, advertiser_id: int | None) -> pa.Table:
    if advertiser_id is None:
        return table.append_column(
            "advertiserId", pa.array(table.column("id").to_pylist(), type=pa.int64())
        )
    return lake.with_lineage(table, advertiserId=advertiser_id)
