"""Settings read once from the ``MPO_*`` environment variables (README, Configuration).

``Settings.from_env()`` validates every variable at once and raises one ``ConfigError`` that lists
every problem, so a user fixes their ``.env`` in one go. Secrets are wrapped in ``Secret`` so that
they never appear in ``repr``, logs or exception messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

POLICIES: tuple[str, ...] = ("SameSeller", "AnySeller")
DEFAULT_BASE_URL = "https://api.criteo.com"
DEFAULT_API_VERSION = "2026-07"


class ConfigError(ValueError):
    """One or more ``MPO_*`` variables are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


class Secret:
    """A string that never prints itself; call ``reveal()`` where the value is really needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def parse_date(value: str, name: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly; the error names the variable and the bad value."""
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date of the form YYYY-MM-DD") from None


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
    request_window_days: int = 31
    max_calls_per_minute: int = 40
    data_dir: Path = Path("data")
    lake_dir: Path = Path("data/lake")
    warehouse: Path = Path("data/warehouse.duckdb")
    published_warehouse: Path = Path("data/published/warehouse.duckdb")
    seller_directory: Path | None = None
    today: date | None = None  # MPO_TODAY: the pipeline's "today" (None = the real date)
    daily_schedule_hour: int = 6

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
        window = _int(get, "MPO_REQUEST_WINDOW_DAYS", "31", 1, 366, problems)
        calls = _int(get, "MPO_MAX_CALLS_PER_MINUTE", "40", 1, 10_000, problems)
        schedule_hour = _int(get, "MPO_DAILY_SCHEDULE_HOUR", "6", 0, 23, problems)

        data_dir = Path(get("MPO_DATA_DIR", "./data"))
        lake_dir = Path(get("MPO_LAKE_DIR", str(data_dir / "lake")))
        warehouse = Path(get("MPO_WAREHOUSE", str(data_dir / "warehouse.duckdb")))
        raw_published = get(
            "MPO_PUBLISHED_WAREHOUSE", str(data_dir / "published" / "warehouse.duckdb")
        )
        published_warehouse = Path(raw_published)
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
            max_calls_per_minute=calls,
            data_dir=data_dir,
            lake_dir=lake_dir,
            warehouse=warehouse,
            published_warehouse=published_warehouse,
            seller_directory=seller_directory,
            daily_schedule_hour=schedule_hour,
            today=today,
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
