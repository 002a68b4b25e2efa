"""The SQL the seller portal API runs on a published snapshot, and the reports it serves.

Every query reads the snapshot attached under the catalog name ``snapshot``; values are always
bound parameters (``$seller``, ``$window``, ``$as_of``), never formatted into the text. DuckDB
writes the rows as JSON itself (``to_json``), a DECIMAL as its exact text: the server only joins
the texts, which is what makes an answer cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOG = "snapshot"
PERFORMANCE_TABLE = "marts.rpt_seller_performance_rolling"
CAMPAIGNS_TABLE = "marts.rpt_seller_campaign_performance_rolling"
# The keys of a request: in the answer once, at the top, not repeated in every row.
REQUEST_KEYS = ("as_of_date", "window_days", "seller_id")


@dataclass(frozen=True)
class Report:
    """One mart served per seller: its table and the order of a seller's rows."""

    name: str  # the path segment: /v1/sellers/{seller}/{name}
    table: str  # schema.table in the snapshot
    row_keys: tuple[str, ...]  # the grain below the seller, in the order rows are returned

    @property
    def relation(self) -> str:
        return f"{CATALOG}.{self.table}"

    @property
    def schema_and_name(self) -> tuple[str, str]:
        schema, _, name = self.table.partition(".")
        return schema, name


PERFORMANCE = Report("performance", PERFORMANCE_TABLE, ("advertiser_id",))
CAMPAIGNS = Report("campaigns", CAMPAIGNS_TABLE, ("advertiser_id", "campaign_id"))
REPORTS: tuple[Report, ...] = (PERFORMANCE, CAMPAIGNS)


def quote(identifier: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def columns_sql() -> str:
    """The columns of a table of the snapshot (``$schema``, ``$table``), in table order."""
    return (
        "select column_name, data_type from duckdb_columns() "
        f"where database_name = '{CATALOG}' and schema_name = $schema and table_name = $table "
        "order by column_index"
    )


def json_value_sql(name: str, data_type: str) -> str:
    """A column as it goes into the JSON answer: DECIMAL as its exact text, never a float."""
    column = quote(name)
    kind = data_type.upper()
    if kind.startswith("DECIMAL"):
        return f"{column}::varchar"
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return f"case when isfinite({column}) then {column} end"  # JSON has no NaN/Infinity
    return column


def row_json_sql(columns: list[tuple[str, str]]) -> str:
    """One row as a JSON object of its columns (the request keys left out), built by DuckDB."""
    fields = ", ".join(
        f"{quote(name)} := {json_value_sql(name, kind)}"
        for name, kind in columns
        if name not in REQUEST_KEYS
    )
    return f"to_json(struct_pack({fields}))"


def slice_sql(report: Report, columns: list[tuple[str, str]]) -> str:
    """Every seller's rows of one window and as-of date: (seller_id, rows as a JSON array body)."""
    keys = ", ".join(quote(k) for k in report.row_keys)
    return (
        f"select seller_id, string_agg(row_json, ',' order by {keys}) as rows_json "
        f"from (select seller_id, {keys}, {row_json_sql(columns)} as row_json "
        f"from {report.relation} where window_days = $window and as_of_date = $as_of) "
        "group by seller_id"
    )


def seller_sql(report: Report, columns: list[tuple[str, str]]) -> str:
    """One seller's rows of one window and as-of date, as JSON objects in the grain's order."""
    keys = ", ".join(quote(k) for k in report.row_keys)
    return (
        f"select {row_json_sql(columns)} from {report.relation} "
        f"where window_days = $window and as_of_date = $as_of and seller_id = $seller "
        f"order by {keys}"
    )


def as_of_dates_sql(report: Report) -> str:
    """The (window, as-of date) pairs a report holds."""
    return (
        f"select distinct window_days, as_of_date from {report.relation} "
        "order by window_days, as_of_date"
    )


def sellers_sql() -> str:
    """The seller ids the snapshot knows: every seller with a row in the performance mart."""
    return f"select distinct seller_id from {PERFORMANCE.relation}"


def published_at_sql() -> str:
    """When the snapshot was published (``meta.published_at``, one row)."""
    return f"select published_at from {CATALOG}.meta.published_at"


def attach_sql(path: str) -> str:
    """Attach a published file read-only as ``snapshot`` (the path as a quoted literal)."""
    return f"attach '{path.replace(chr(39), chr(39) * 2)}' as {CATALOG} (read_only)"
