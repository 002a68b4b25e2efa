"""Settings read once from the ``MPO_*`` environment variables (README, Configuration).

``Settings.from_env()`` validates every variable at once and raises one ``ConfigError`` that lists
every problem, so a user fixes their ``.env`` in one go. Secrets are wrapped in ``Secret`` so that
they never appear in ``repr``, logs or exception messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mpo_pipeline.client.realtime_request import DEFAULT_DIMENSIONS, DIMENSIONS, METRICS
from mpo_pipeline.client.window_sizing import DEFAULT_MAX_ROWS_PER_REQUEST
from mpo_pipeline.core.dates import parse_date
from mpo_pipeline.core.object_store import (
    LakePath,
    S3Options,
    check_s3_url,
    is_s3_url,
    lake_root,
)
from mpo_pipeline.core.secret import Secret

POLICIES: tuple[str, ...] = ("SameSeller", "AnySeller")
DEFAULT_BASE_URL = "https://api.criteo.com"
DEFAULT_API_VERSION = "2026-07"
# What a real-time export asks for (MPO_REALTIME_DIMENSIONS / _METRICS): by default the client's
# request (every metric, down to the minute); the ops models need the REQUIRED ones (they group by
# them and read clicks and cost).
REALTIME_DIMENSIONS = DEFAULT_DIMENSIONS
REALTIME_METRICS = METRICS
REALTIME_REQUIRED = ("AdvertiserId", "CampaignId", "SellerId", "Day", "Hour", "Clicks", "Cost")
# MPO_MAX_ROWS_PER_REQUEST: rows one stats response may hold (it sets the extraction's memory).
MAX_ROWS_RANGE = (1_000, 10_000_000)


class ConfigError(ValueError):
    """One or more ``MPO_*`` variables are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


WAREHOUSE_KINDS: tuple[str, ...] = ("file", "ducklake-sqlite", "ducklake-postgres")
_DUCKLAKE = "ducklake:"
# libpq's keyword=value pairs; a value may be single-quoted (with \\' and \\\\ escapes inside).
_CONNINFO_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)")


@dataclass(frozen=True)
class WarehouseTarget:
    """Where dbt and Python keep the warehouse (``MPO_WAREHOUSE``, ``MPO_WAREHOUSE_DATA_PATH``).

    ``file``: one DuckDB file (``location``), the default. ``ducklake-sqlite``: a DuckLake whose
    catalog is the SQLite file ``location`` (several processes of one machine).
    ``ducklake-postgres``: a DuckLake whose catalog is the PostgreSQL database of the libpq
    connection string ``location`` (many machines). A DuckLake keeps its Parquet data files in
    ``data_path`` (a folder, or ``s3://bucket/prefix``). ``repr`` and ``describe()`` never show a
    password; ``attach_uri()`` does, and is only ever handed to DuckDB.
    """

    kind: str
    location: Secret
    data_path: str = ""

    @property
    def is_ducklake(self) -> bool:
        return self.kind != "file"

    @property
    def path(self) -> Path | None:
        """The local file of the target (DuckDB file, SQLite catalog); None for PostgreSQL."""
        return None if self.kind == "ducklake-postgres" else Path(self.location.reveal())

    def attach_uri(self) -> str:
        """What DuckDB opens: the file's path, or ``ducklake:sqlite:...``/``ducklake:postgres:...``.
        Holds the password when the connection string has one: never log it."""
        if self.kind == "file":
            return self.location.reveal()
        return f"{_DUCKLAKE}{self.kind.removeprefix('ducklake-')}:{self.location.reveal()}"

    def environment(self) -> dict[str, str]:
        """``MPO_WAREHOUSE`` (and ``MPO_WAREHOUSE_DATA_PATH``) naming this target with absolute
        paths, for the processes the pipeline starts (dbt, ``dagster dev``)."""
        if self.kind == "file":
            return {"MPO_WAREHOUSE": str(Path(self.location.reveal()).resolve())}
        return {"MPO_WAREHOUSE": self.attach_uri(), "MPO_WAREHOUSE_DATA_PATH": self.data_path}

    def describe(self) -> str:
        """The target for humans and logs (a password in the connection string is masked)."""
        if self.kind == "file":
            return self.location.reveal()
        return f"{_DUCKLAKE}{self.kind.removeprefix('ducklake-')}:{_redact(self.location.reveal())}"

    def __repr__(self) -> str:
        return f"WarehouseTarget({self.kind}, {self.describe()!r}, data_path={self.data_path!r})"

    __str__ = describe

    @classmethod
    def parse(
        cls, raw: str, data_path: str = "", *, default_data_path: str = ""
    ) -> WarehouseTarget:
        """``MPO_WAREHOUSE`` (and ``MPO_WAREHOUSE_DATA_PATH``) as a target; ``ValueError`` with a
        message that never shows a password. Anything not starting with ``ducklake:`` is a file,
        as it always was."""
        if not raw.lower().startswith(_DUCKLAKE):
            if data_path:
                raise ValueError(
                    "MPO_WAREHOUSE_DATA_PATH is only for a DuckLake warehouse "
                    "(MPO_WAREHOUSE=ducklake:sqlite:<path> or ducklake:postgres:<conninfo>)"
                )
            return cls("file", Secret(raw))
        catalog, _, location = raw[len(_DUCKLAKE) :].partition(":")
        catalog, location = catalog.strip().lower(), location.strip()
        shown = f"MPO_WAREHOUSE={_DUCKLAKE}{catalog}:{_redact(location)}"
        if catalog not in ("sqlite", "postgres"):
            raise ValueError(
                f"{shown!r}: a DuckLake warehouse is ducklake:sqlite:<catalog file> or "
                "ducklake:postgres:<libpq connection string>"
            )
        if not location:
            what = "the SQLite catalog file" if catalog == "sqlite" else "a connection string"
            raise ValueError(f"{shown!r} names no catalog: add {what} after {catalog}:")
        if catalog == "sqlite":
            if location.endswith(("/", os.sep)):
                raise ValueError(f"{shown!r} must name the catalog file, not a folder")
            location = os.path.abspath(location)
            default_data_path = default_data_path or location + ".files"
        elif not location.startswith(("postgres://", "postgresql://")):
            rest = _CONNINFO_PAIR.sub("", location).strip()
            if rest or not _CONNINFO_PAIR.match(location):
                raise ValueError(
                    f"{shown!r}: the connection string must be libpq keyword=value pairs, "
                    "e.g. ducklake:postgres:dbname=mpo host=db.internal user=mpo"
                )
        data_path = data_path or default_data_path
        if not data_path:
            raise ValueError(f"{shown!r} needs MPO_WAREHOUSE_DATA_PATH (a folder or s3://...)")
        if "://" not in data_path:
            data_path = os.path.join(os.path.abspath(data_path), "")
        elif is_s3_url(data_path):
            # DuckLake appends file names to its data path: it must end with a slash.
            data_path = check_s3_url(data_path, "MPO_WAREHOUSE_DATA_PATH").rstrip("/") + "/"
        else:
            raise ValueError(
                f"MPO_WAREHOUSE_DATA_PATH={data_path!r} must be a folder or s3://bucket/prefix"
            )
        return cls(f"ducklake-{catalog}", Secret(location), data_path)


def _redact(conninfo: str) -> str:
    """A connection string with its password masked (keyword form and URI form)."""
    masked = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", conninfo, flags=re.I)
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", masked)


def validate_time_zone(value: str, name: str = "MPO_TIME_ZONE") -> str:
    """Return ``value`` if it is an IANA zone name known to this machine."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name}={value!r} is not an IANA time zone (e.g. UTC, Europe/Paris)"
        ) from None
    return value


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one pipeline process."""

    client_id: str
    client_secret: Secret = field(repr=True)
    api_base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    advertiser_ids: tuple[int, ...] = ()
    start_date: date = date(2025, 1, 1)
    time_zone: str = "UTC"
    attribution_policies: tuple[str, ...] = POLICIES
    lookback_days: int = 30
    # MPO_REQUEST_WINDOW_DAYS: the most days in one stats request (None = the API's limit); the
    # windows are sized by MPO_MAX_ROWS_PER_REQUEST below that.
    request_window_days: int | None = None
    max_rows_per_request: int = DEFAULT_MAX_ROWS_PER_REQUEST
    max_calls_per_minute: int = 40
    data_dir: Path = Path("data")
    # MPO_LAKE_DIR: a folder (Path) or s3://bucket/prefix (UPath, on the store of ``s3``).
    lake_dir: LakePath = Path("data/lake")
    # MPO_S3_*: the S3-compatible store of an s3:// lake or DuckLake data path (no credentials).
    s3: S3Options = field(default_factory=S3Options)
    # The local file of the warehouse: the DuckDB file, the DuckLake's SQLite catalog, or for a
    # PostgreSQL catalog the file next to which this machine's writer lock lives.
    # ``warehouse_target`` says which, and how to open it (mpo_pipeline.warehouse.access.connect).
    warehouse: Path = Path("data/warehouse.duckdb")
    warehouse_target: WarehouseTarget | None = None
    published_warehouse: Path = Path("data/published/warehouse.duckdb")
    seller_directory: Path | None = None
    seller_kpis: Path | None = None  # MPO_SELLER_KPIS: the marketplace's seller GMV/orders file
    today: date | None = None  # MPO_TODAY: the pipeline's "today" (None = the real date)
    daily_schedule_hour: int = 6
    close_day_of_month: int = 5  # MPO_CLOSE_DAY_OF_MONTH: the monthly close schedule's day (1-28)
    # The seller portal API (`mpo-pipeline serve-sellers`, docs/seller_portal.md): its key file and
    # the token bucket of each key (requests per second, burst), seller keys and portal keys apart.
    seller_keys: Path = Path("data/seller_keys.sqlite3")
    seller_api_rate: int = 5
    seller_api_burst: int = 20
    seller_api_portal_rate: int = 200
    seller_api_portal_burst: int = 400
    # Real-time monitoring (docs/realtime.md): the instant its clock reads (MPO_NOW, UTC; None =
    # the real time, on MPO_TODAY's day when that is set), what each export asks for, and how long
    # the data may stay silent before the freshness check fails.
    now: datetime | None = None
    realtime_dimensions: tuple[str, ...] = REALTIME_DIMENSIONS
    realtime_metrics: tuple[str, ...] = REALTIME_METRICS
    realtime_max_silence_minutes: int = 30

    @property
    def target(self) -> WarehouseTarget:
        """The warehouse (``warehouse_target``; the file ``warehouse`` when built by hand)."""
        assert self.warehouse_target is not None  # set by __post_init__
        return self.warehouse_target

    def __post_init__(self) -> None:
        if self.warehouse_target is None:  # built by hand (tests): the file ``warehouse``
            object.__setattr__(
                self, "warehouse_target", WarehouseTarget("file", Secret(str(self.warehouse)))
            )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, require_credentials: bool = True
    ) -> Settings:
        """Read and validate every ``MPO_*`` variable; raise one ``ConfigError`` listing all."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        client_id = get("MPO_CLIENT_ID")
        client_secret = get("MPO_CLIENT_SECRET")
        if require_credentials:  # the simulator and `--help` need none
            if not client_id:
                problems.append("MPO_CLIENT_ID is required (OAuth2 client id)")
            if not client_secret:
                problems.append("MPO_CLIENT_SECRET is required (OAuth2 client secret)")

        base_url = get("MPO_API_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            problems.append(f"MPO_API_BASE_URL={base_url!r} must start with http:// or https://")

        version = get("MPO_API_VERSION", DEFAULT_API_VERSION)
        if not (version in ("preview", "experimental") or _looks_like_version(version)):
            problems.append(f"MPO_API_VERSION={version!r} must look like YYYY-MM, e.g. 2026-07")

        advertiser_ids: tuple[int, ...] = ()
        raw_ids = get("MPO_ADVERTISER_IDS")
        if raw_ids:
            try:
                advertiser_ids = tuple(int(x) for x in raw_ids.split(",") if x.strip())
                if any(a <= 0 for a in advertiser_ids):
                    raise ValueError
            except ValueError:
                problems.append(
                    f"MPO_ADVERTISER_IDS={raw_ids!r} must be comma-separated positive integers"
                )
                advertiser_ids = ()

        start_date = date(2025, 1, 1)
        try:
            start_date = parse_date(get("MPO_START_DATE", "2025-01-01"), "MPO_START_DATE")
        except ValueError as exc:
            problems.append(str(exc))

        time_zone = get("MPO_TIME_ZONE", "UTC")
        try:
            validate_time_zone(time_zone)
        except ValueError as exc:
            problems.append(str(exc))

        today = None
        if get("MPO_TODAY"):
            try:
                today = parse_date(get("MPO_TODAY"), "MPO_TODAY")
            except ValueError as exc:
                problems.append(str(exc))

        policies = tuple(
            p.strip() for p in get("MPO_ATTRIBUTION_POLICIES", ",".join(POLICIES)).split(",")
        )
        policies = tuple(p for p in policies if p)
        unknown = [p for p in policies if p not in POLICIES]
        if unknown or not policies:
            problems.append(
                f"MPO_ATTRIBUTION_POLICIES has unknown policy {unknown or policies!r}; "
                f"allowed: {', '.join(POLICIES)} (case-sensitive)"
            )
        elif len(set(policies)) != len(policies):
            problems.append("MPO_ATTRIBUTION_POLICIES lists a policy twice")

        lookback = _int(get, "MPO_LOOKBACK_DAYS", "30", 0, 366, problems)
        window = None
        if get("MPO_REQUEST_WINDOW_DAYS"):
            window = _int(get, "MPO_REQUEST_WINDOW_DAYS", "366", 1, 366, problems)
        max_rows = _max_rows(get("MPO_MAX_ROWS_PER_REQUEST"), problems)
        calls = _int(get, "MPO_MAX_CALLS_PER_MINUTE", "40", 1, 10_000, problems)
        schedule_hour = _int(get, "MPO_DAILY_SCHEDULE_HOUR", "6", 0, 23, problems)
        # 28 at most: every month has that day.
        close_day = _int(get, "MPO_CLOSE_DAY_OF_MONTH", "5", 1, 28, problems)
        seller_api_rate = _int(get, "MPO_SELLER_API_RATE", "5", 1, 100_000, problems)
        seller_api_burst = _int(get, "MPO_SELLER_API_BURST", "20", 1, 1_000_000, problems)
        portal_rate = _int(get, "MPO_SELLER_API_PORTAL_RATE", "200", 1, 100_000, problems)
        portal_burst = _int(get, "MPO_SELLER_API_PORTAL_BURST", "400", 1, 1_000_000, problems)

        data_dir = Path(get("MPO_DATA_DIR", "./data"))
        s3 = S3Options()
        try:
            s3 = S3Options.from_env(env)
        except ValueError as exc:
            problems.append(str(exc))
        lake_dir: LakePath = data_dir / "lake"
        try:
            lake_dir = lake_root(get("MPO_LAKE_DIR", str(data_dir / "lake")), s3)
        except ValueError as exc:
            problems.append(str(exc))
        raw_warehouse = get("MPO_WAREHOUSE", str(data_dir / "warehouse.duckdb"))
        try:
            target = WarehouseTarget.parse(
                raw_warehouse,
                get("MPO_WAREHOUSE_DATA_PATH"),
                default_data_path=str(data_dir / "warehouse_files"),
            )
        except ValueError as exc:
            problems.append(str(exc))
            target = WarehouseTarget("file", Secret(str(data_dir / "warehouse.duckdb")))
        warehouse = target.path or data_dir / "warehouse.ducklake"
        raw_published = get(
            "MPO_PUBLISHED_WAREHOUSE", str(data_dir / "published" / "warehouse.duckdb")
        )
        published_warehouse = Path(raw_published)
        seller_keys = Path(get("MPO_SELLER_KEYS", str(data_dir / "seller_keys.sqlite3")))
        problems += _published_problems(raw_published, published_warehouse, warehouse)
        raw_directory = get("MPO_SELLER_DIRECTORY")
        seller_directory = Path(raw_directory) if raw_directory else None
        if seller_directory is not None and seller_directory.suffix.lower() not in (
            ".csv",
            ".parquet",
        ):
            problems.append(
                f"MPO_SELLER_DIRECTORY={raw_directory!r} must be a .csv or .parquet file"
            )
        raw_kpis = get("MPO_SELLER_KPIS")
        seller_kpis = Path(raw_kpis) if raw_kpis else None
        if seller_kpis is not None and seller_kpis.suffix.lower() not in (".csv", ".parquet"):
            problems.append(f"MPO_SELLER_KPIS={raw_kpis!r} must be a .csv or .parquet file")

        realtime = _realtime_settings(get, problems, today, time_zone)

        if problems:
            raise ConfigError(problems)
        return cls(
            client_id=client_id,
            client_secret=Secret(client_secret),
            api_base_url=base_url,
            api_version=version,
            advertiser_ids=advertiser_ids,
            start_date=start_date,
            time_zone=time_zone,
            attribution_policies=policies,
            lookback_days=lookback,
            request_window_days=window,
            max_rows_per_request=max_rows,
            max_calls_per_minute=calls,
            data_dir=data_dir,
            lake_dir=lake_dir,
            s3=s3,
            warehouse=warehouse,
            warehouse_target=target,
            published_warehouse=published_warehouse,
            seller_directory=seller_directory,
            seller_kpis=seller_kpis,
            daily_schedule_hour=schedule_hour,
            close_day_of_month=close_day,
            seller_keys=seller_keys,
            seller_api_rate=seller_api_rate,
            seller_api_burst=seller_api_burst,
            seller_api_portal_rate=portal_rate,
            seller_api_portal_burst=portal_burst,
            today=today,
            **realtime,
        )


def _looks_like_version(value: str) -> bool:
    year, _, month = value.partition("-")
    return len(value) == 7 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12


def _published_problems(raw: str, published: Path, warehouse: Path) -> list[str]:
    """What is wrong with ``MPO_PUBLISHED_WAREHOUSE`` (the read-only snapshot for BI)."""
    name = "MPO_PUBLISHED_WAREHOUSE"
    if raw.endswith(("/", os.sep)) or published.name in ("", ".", ".."):
        return [f"{name}={raw!r} must name a file, e.g. ./data/published/warehouse.duckdb"]
    if published.name.startswith("."):
        return [f"{name}={raw!r}: a hidden file name is reserved for the publish's temp files"]
    if os.path.abspath(published) == os.path.abspath(warehouse) or (
        published.exists() and warehouse.exists() and published.samefile(warehouse)
    ):
        return [
            f"{name}={raw!r} is the pipeline's own warehouse (MPO_WAREHOUSE): BI must read a "
            "published copy, never the file the pipeline writes"
        ]
    if published.is_dir():
        return [
            f"{name}={raw!r} is a directory; name the file, e.g. {raw.rstrip('/')}/warehouse.duckdb"
        ]
    return []


def _int(get, name: str, default: str, low: int, high: int, problems: list[str]) -> int:
    raw = get(name, default)
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a whole number")
        return int(default)
    if not low <= value <= high:
        problems.append(f"{name}={value} is outside {low}..{high}")
        return int(default)
    return value


def _max_rows(raw: str, problems: list[str]) -> int:
    """``MPO_MAX_ROWS_PER_REQUEST``: a whole number of rows in ``MAX_ROWS_RANGE``."""
    if not raw:
        return DEFAULT_MAX_ROWS_PER_REQUEST
    low, high = MAX_ROWS_RANGE
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        problems.append(
            f"MPO_MAX_ROWS_PER_REQUEST={raw!r} must be a whole number of rows from {low:_} to "
            f"{high:_} (default {DEFAULT_MAX_ROWS_PER_REQUEST:_}): the most rows one stats "
            "response may hold, which sets the extraction's memory"
        )
        return DEFAULT_MAX_ROWS_PER_REQUEST
    return value


def _parse_now(
    raw: str, today: date | None, time_zone: str, problems: list[str]
) -> datetime | None:
    """``MPO_NOW``: an ISO-8601 instant with an offset, on ``MPO_TODAY``'s day if both are set."""
    try:
        now = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"MPO_NOW={raw!r} is not an ISO-8601 date-time, e.g. 2026-03-01T12:00:00Z")
        return None
    if now.tzinfo is None:
        problems.append(f"MPO_NOW={raw!r} needs a UTC offset, e.g. 2026-03-01T12:00:00Z")
        return None
    try:
        local_day = now.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        local_day = None  # MPO_TIME_ZONE is reported on its own
    if today is not None and local_day is not None and local_day != today:
        problems.append(
            f"MPO_NOW={raw!r} falls on {local_day} in {time_zone}, not on MPO_TODAY={today}: "
            "the pipeline has one clock"
        )
    return now.astimezone(UTC)


def _names(raw: str, allowed: tuple[str, ...], name: str, problems: list[str]) -> tuple[str, ...]:
    """Comma-separated enum names in any casing, returned in the enum's own spelling."""
    by_lower = {a.lower(): a for a in allowed}
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v.lower() not in by_lower]
    if unknown:
        problems.append(f"{name} has unknown names {unknown}; allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(by_lower[v.lower()] for v in values if v.lower() in by_lower))


def _realtime_settings(
    get, problems: list[str], today: date | None, time_zone: str
) -> dict[str, object]:
    """The real-time monitoring settings (``MPO_NOW``, ``MPO_REALTIME_*``)."""
    raw_now = get("MPO_NOW")
    now = _parse_now(raw_now, today, time_zone, problems) if raw_now else None
    dimensions = _names(
        get("MPO_REALTIME_DIMENSIONS", ",".join(REALTIME_DIMENSIONS)),
        DIMENSIONS,
        "MPO_REALTIME_DIMENSIONS",
        problems,
    )
    metrics = _names(
        get("MPO_REALTIME_METRICS", ",".join(REALTIME_METRICS)),
        METRICS,
        "MPO_REALTIME_METRICS",
        problems,
    )
    missing = [n for n in REALTIME_REQUIRED if n not in (*dimensions, *metrics)]
    if missing:
        problems.append(
            f"MPO_REALTIME_DIMENSIONS/MPO_REALTIME_METRICS leave out {missing}: the ops models "
            "group by advertiser, campaign, seller, day and hour and read clicks and cost"
        )
    silence = _int(get, "MPO_REALTIME_MAX_SILENCE_MINUTES", "30", 15, 1440, problems)
    return {
        "now": now,
        "realtime_dimensions": dimensions or REALTIME_DIMENSIONS,
        "realtime_metrics": metrics or REALTIME_METRICS,
        "realtime_max_silence_minutes": silence,
    }
