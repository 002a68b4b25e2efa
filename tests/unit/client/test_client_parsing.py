"""Stats decoding: mapping by name, types, extras, and every malformed body rejected clearly."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from mpo_client_fakes import SELLER_CAMPAIGN_COLUMNS, sc_row, stats_body

from mpo_pipeline.client import MpoResponseError, StatsRequest, parse_stats_json, stats_schema
from mpo_pipeline.client.csv_parsing import parse_stats_csv
from mpo_pipeline.client.parsing import CHUNK_ROWS

REQ = StatsRequest("seller_campaigns", "SameSeller", 42, date(2026, 3, 1), date(2026, 3, 31))
WHERE = "stats/seller-campaigns advertiser 42 window 2026-03-01..2026-03-31"


def parse(body: bytes, request: StatsRequest = REQ) -> pa.Table:
    return parse_stats_json(body, request).table


def test_canonical_body() -> None:
    rows = [sc_row("2026-03-01"), sc_row("2026-03-02", cpo=None, cos=None, sales=0, cr=0.0)]
    table = parse(stats_body(rows))
    assert table.schema == stats_schema("seller_campaigns")
    assert table.column_names == SELLER_CAMPAIGN_COLUMNS
    assert table.schema.field("day").type == pa.date32()
    assert table.to_pylist()[0] == {
        "campaignId": 168423,
        "sellerId": 1110222,
        "sellerName": "MKT-0042",
        "day": date(2026, 3, 1),
        "impressions": 100,
        "clicks": 4,
        "cost": Decimal("1.5"),
        "saleUnits": 1,
        "revenue": Decimal("20"),
        "cr": 0.25,
        "cpo": 1.5,
        "cos": 0.075,
        "roas": 13.333,
    }
    assert table["cpo"].to_pylist() == [1.5, None]  # null ratios stay null


def test_shuffled_columns_mapped_by_name() -> None:
    rows = [sc_row("2026-03-01"), sc_row("2026-03-02", seller=99, name="X")]
    order = [12, 3, 0, 7, 2, 5, 9, 1, 11, 4, 8, 10, 6]
    shuffled_cols = [SELLER_CAMPAIGN_COLUMNS[i] for i in order]
    shuffled_rows = [[r[i] for i in order] for r in rows]
    assert parse(stats_body(shuffled_rows, shuffled_cols)) == parse(stats_body(rows))


def test_exponent_notation_and_integer_looking_values() -> None:
    text = (
        f'{{"columns": {json.dumps(SELLER_CAMPAIGN_COLUMNS)}, "data": '
        '[[1, 2, "s", "2026-03-01", 10, 1, 8.308E-6, 0, 190758099, 0.000, null, 1E+2, 1.5e-3]], '
        '"rows": 1, "links": {}}'
    ).encode()
    row = parse(text).to_pylist()[0]
    assert row["cost"] == Decimal("0.000008308")  # exactly, not a float near it
    assert row["revenue"] == Decimal("190758099")
    assert row["cos"] == 100.0 and row["roas"] == 0.0015 and row["cpo"] is None


def test_seller_name_is_always_text() -> None:
    rows = [
        sc_row("2026-03-01", seller=1, name="000123"),
        sc_row("2026-03-01", seller=2, name=118883955),
    ]
    table = parse(stats_body(rows))
    assert table["sellerName"].to_pylist() == ["000123", "118883955"]
    assert table.schema.field("sellerName").type == pa.string()


def test_ids_as_digit_strings_and_beyond_32_bits() -> None:
    rows = [
        sc_row("2026-03-01", campaign="168423", seller="4300000001"),
        sc_row("2026-03-01", campaign=168423, seller=4300000002),
    ]
    table = parse(stats_body(rows))
    assert table["campaignId"].to_pylist() == [168423, 168423]
    assert table["sellerId"].to_pylist() == [4300000001, 4300000002]
    assert table.schema.field("sellerId").type == pa.int64()


def test_integral_float_counts_accepted() -> None:
    table = parse(stats_body([sc_row(impressions=14542.0, clicks=3.0)]))
    assert table["impressions"].to_pylist() == [14542]
    assert table.schema.field("impressions").type == pa.int64()


def test_extra_columns_kept_after_known_ones() -> None:
    columns = [*SELLER_CAMPAIGN_COLUMNS[:4], "newMetric", *SELLER_CAMPAIGN_COLUMNS[4:], "note"]
    rows = [
        [*r[:4], 7, *r[4:], note]
        for r, note in ((sc_row("2026-03-01"), "a"), (sc_row("2026-03-02"), None))
    ]
    parsed = parse_stats_json(stats_body(rows, columns), REQ)
    assert parsed.extra_columns == ("newMetric", "note")
    assert parsed.table.column_names == [*SELLER_CAMPAIGN_COLUMNS, "newMetric", "note"]
    assert parsed.table.schema.field("newMetric").type == pa.int64()
    assert parsed.table["note"].to_pylist() == ["a", None]


def test_extra_column_with_mixed_types_kept_as_json_text() -> None:
    columns = [*SELLER_CAMPAIGN_COLUMNS, "odd"]
    rows = [[*sc_row("2026-03-01"), 1], [*sc_row("2026-03-02"), {"k": [1]}]]
    table = parse(stats_body(rows, columns))
    assert table["odd"].to_pylist() == ["1", '{"k":[1]}']


def test_empty_data_gives_full_schema() -> None:
    table = parse(stats_body([]))
    assert table.num_rows == 0
    assert table.schema == stats_schema("seller_campaigns")


def test_rows_null_tolerated() -> None:
    assert parse(stats_body([sc_row()], rows_field=None)).num_rows == 1


def test_sellers_and_campaigns_endpoints() -> None:
    sellers = StatsRequest("sellers", "AnySeller", 1, date(2026, 3, 1), date(2026, 3, 1))
    columns = [
        "sellerId",
        "sellerName",
        "day",
        "impressions",
        "clicks",
        "cost",
        "saleUnits",
        "revenue",
        "cr",
        "cpo",
        "cos",
        "roas",
    ]
    table = parse(
        stats_body([[5, 7, "2026-03-01", 1, 0, 0, 0, 0, None, None, None, None]], columns), sellers
    )
    assert table.column_names == columns
    assert table["sellerName"].to_pylist() == ["7"]
    campaigns = StatsRequest("campaigns", "AnySeller", 1, date(2026, 3, 1), date(2026, 3, 1))
    columns = ["campaignId", *columns[2:]]
    table = parse(
        stats_body([[5, "2026-03-01", 1, 0, 0, 0, 0, None, None, None, None]], columns), campaigns
    )
    assert table.schema == stats_schema("campaigns")


def test_hour_interval() -> None:
    request = StatsRequest(
        "seller_campaigns",
        "SameSeller",
        42,
        date(2026, 3, 1),
        date(2026, 3, 2),
        "Hour",
        "Europe/Paris",
    )
    columns = [c if c != "day" else "hour" for c in SELLER_CAMPAIGN_COLUMNS]
    rows = [
        sc_row("2026-03-01T05:00:00"),
        sc_row("2026-03-01 06:00:00"),
        sc_row("2026-03-01T06:00:00Z"),  # 07:00 in Paris (UTC+1 in March)
        sc_row("2026-03-02T23:00:00.0000000+01:00"),
    ]
    table = parse(stats_body(rows, columns), request)
    assert table.schema.field("hour").type == pa.timestamp("us")
    assert table["hour"].to_pylist() == [
        datetime(2026, 3, 1, 5),
        datetime(2026, 3, 1, 6),
        datetime(2026, 3, 1, 7),
        datetime(2026, 3, 2, 23),
    ]


def test_month_interval_labels_may_start_before_the_window() -> None:
    request = StatsRequest(
        "seller_campaigns", "SameSeller", 42, date(2026, 2, 15), date(2026, 3, 10), "Month"
    )
    columns = [c if c != "day" else "month" for c in SELLER_CAMPAIGN_COLUMNS]
    table = parse(stats_body([sc_row("2026-02-01"), sc_row("2026-03-01")], columns), request)
    assert table["month"].to_pylist() == [date(2026, 2, 1), date(2026, 3, 1)]
    with pytest.raises(MpoResponseError, match="'month', row 0: '2026-01-01' is outside"):
        parse(stats_body([sc_row("2026-01-01")], columns), request)


def test_year_interval() -> None:
    request = StatsRequest(
        "seller_campaigns", "SameSeller", 42, date(2026, 2, 15), date(2026, 3, 10), "Year"
    )
    columns = [c if c != "day" else "year" for c in SELLER_CAMPAIGN_COLUMNS]
    assert parse(stats_body([sc_row("2026-01-01")], columns), request)["year"].to_pylist() == [
        date(2026, 1, 1)
    ]


def test_many_chunks_with_a_slow_chunk() -> None:
    n = CHUNK_ROWS * 2 + 10
    rows = [sc_row(f"2026-03-{1 + i % 31:02d}", seller=i // 31, name=f"{i:06d}") for i in range(n)]
    rows[CHUNK_ROWS + 5][1] = str(rows[CHUNK_ROWS + 5][1])  # digit-string id in chunk 2
    table = parse(stats_body(rows))
    assert table.num_rows == n
    assert table["sellerId"].to_pylist() == [i // 31 for i in range(n)]
    assert table["sellerName"][n - 1].as_py() == f"{n - 1:06d}"


def test_csv_body() -> None:
    body = (
        ",".join(SELLER_CAMPAIGN_COLUMNS) + "\n"
        "168423,1110222,000123,2026-03-01,100,4,1.5,1,20,0.25,1.5,0.075,13.333\n"
        "168423,1110222,000123,2026-03-02,100,0,0,0,0,,,,\n"
    ).encode()
    table = parse_stats_csv(body, REQ).table
    assert table.schema == stats_schema("seller_campaigns")
    assert table["sellerName"].to_pylist() == ["000123", "000123"]
    assert table["cr"].to_pylist() == [0.25, None]


# -- malformed bodies -------------------------------------------------------------------------

GOOD = stats_body([sc_row("2026-03-01"), sc_row("2026-03-02")])


def _without(column: str) -> bytes:
    index = SELLER_CAMPAIGN_COLUMNS.index(column)
    columns = [c for c in SELLER_CAMPAIGN_COLUMNS if c != column]
    rows = [[v for i, v in enumerate(sc_row()) if i != index]]
    return stats_body(rows, columns)


BAD_BODIES = {
    "not json": (b"Service temporarily unavailable", "not valid JSON"),
    "truncated": (GOOD[: len(GOOD) // 2], "not valid JSON"),
    "empty": (b"", "not valid JSON"),
    "html 200": (b"<!DOCTYPE html><html><title>Oops</title></html>", "HTML page"),
    "array envelope": (b"[]", "not a stats report envelope"),
    "no columns": (json.dumps({"data": [], "rows": 0}).encode(), "no `columns`"),
    "no data": (json.dumps({"columns": SELLER_CAMPAIGN_COLUMNS}).encode(), "no `data`"),
    "null data": (
        json.dumps({"columns": SELLER_CAMPAIGN_COLUMNS, "data": None}).encode(),
        "no `data`",
    ),
    "missing clicks": (_without("clicks"), "'clicks' missing"),
    "missing day": (_without("day"), "'day' missing"),
    "rows mismatch": (stats_body([sc_row()], rows_field=2), "`rows` says 2 but `data` has 1"),
    "short row": (
        stats_body([sc_row(), sc_row("2026-03-02")[:-1]]),
        "row 1: row has 12 values but there are 13 columns",
    ),
    "long row": (stats_body([[*sc_row(), 1]]), "row 0: row has 14 values"),
    "row not array": (stats_body([{"a": 1}]), "row 0"),
    "string count": (
        stats_body([sc_row(), sc_row("2026-03-02", clicks="4")]),
        "column 'clicks', row 1",
    ),
    "non-integer count": (
        stats_body([sc_row(impressions=1.5)]),
        "column 'impressions', row 0: non-integer count 1.5",
    ),
    "null count": (stats_body([sc_row(sales=None)]), "column 'saleUnits', row 0: null"),
    "null id": (stats_body([sc_row(seller=None)]), "column 'sellerId', row 0: null"),
    "non-digit id": (
        stats_body([sc_row(campaign="C-1")]),
        "column 'campaignId', row 0: id 'C-1' is not a whole number",
    ),
    "huge id": (stats_body([sc_row(campaign=2**70)]), "column 'campaignId', row 0"),
    "text cost": (stats_body([sc_row(cost="1,5")]), "column 'cost', row 0"),
    "huge cost": (stats_body([sc_row(cost=10**30)]), "column 'cost', row 0"),
    "null cost": (stats_body([sc_row(cost=None)]), "column 'cost', row 0: null"),
    "negative count": (
        stats_body([sc_row(), sc_row("2026-03-02", clicks=-3)]),
        "column 'clicks', row 1: negative value -3",
    ),
    "negative cost": (stats_body([sc_row(cost=-0.5)]), "column 'cost', row 0: negative"),
    "outside window": (
        stats_body([sc_row(), sc_row("2026-04-01")]),
        "column 'day', row 1: '2026-04-01' is outside the requested window",
    ),
    "bad date": (stats_body([sc_row("2026-02-30")]), "column 'day', row 0"),
    "not a date": (stats_body([sc_row("yesterday")]), "column 'day', row 0"),
    "duplicate key": (stats_body([sc_row(), sc_row("2026-03-02"), sc_row()]), "duplicate key"),
    "duplicate column": (
        stats_body([[*sc_row(), 1]], [*SELLER_CAMPAIGN_COLUMNS, "clicks"]),
        "column 'clicks' appears twice",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_raise_clear_errors(case: str) -> None:
    body, expected = BAD_BODIES[case]
    with pytest.raises(MpoResponseError) as info:
        parse(body)
    message = str(info.value)
    assert WHERE in message
    assert expected in message


def test_duplicate_key_names_the_key() -> None:
    rows = [sc_row(f"2026-03-{d:02d}", seller=s) for s in range(3) for d in range(1, 4)]
    rows.insert(5, sc_row("2026-03-02", seller=1))  # unsorted and duplicated
    with pytest.raises(MpoResponseError) as info:
        parse(stats_body(rows))
    assert "'sellerId': 1" in str(info.value)
    assert "appears 2 times" in str(info.value)


def test_unsorted_unique_rows_pass() -> None:
    rows = [sc_row(f"2026-03-{d:02d}", seller=s) for d in (3, 1, 2) for s in (5, 1, 9)]
    assert parse(stats_body(rows)).num_rows == 9


def test_error_row_numbers_count_across_chunks() -> None:
    rows = [sc_row(f"2026-03-{1 + i % 31:02d}", seller=i // 31) for i in range(CHUNK_ROWS + 50)]
    rows[CHUNK_ROWS + 7][4] = "many"
    with pytest.raises(MpoResponseError, match=f"'impressions', row {CHUNK_ROWS + 7}"):
        parse(stats_body(rows))


def test_bad_csv() -> None:
    body = (
        ",".join(SELLER_CAMPAIGN_COLUMNS) + "\n"
        "1,2,x,2026-03-01,many,4,1.5,1,20,0.25,1.5,0.075,13.333\n"
    ).encode()
    with pytest.raises(MpoResponseError, match=WHERE):
        parse_stats_csv(body, REQ)
    missing = b"campaignId,sellerId\n1,2\n"
    with pytest.raises(MpoResponseError, match="missing"):
        parse_stats_csv(missing, REQ)


# Amounts as a real API writes them, with the exact value each must decode to.
EXACT_AMOUNTS = {
    "6.465823": "6.465823",
    "8.308E-6": "0.000008308",
    "190758099": "190758099",
    "190758099.123456789": "190758099.123456789",  # 18 digits: no float64 holds it
    "1.90758099E8": "190758099",
    "0.000000001": "0.000000001",
    "12.50": "12.5",
    "0": "0",
    # more than 9 decimals (a float artefact): half-even at the 9th decimal
    "0.30000000000000004": "0.300000000",
    "0.0000000025": "0.000000002",
    "0.0000000035": "0.000000004",
}


def raw_money_body(costs: list[str], revenues: list[str]) -> bytes:
    """A body whose cost and revenue cells are the given JSON number texts, as written."""
    cost_at = SELLER_CAMPAIGN_COLUMNS.index("cost")
    revenue_at = SELLER_CAMPAIGN_COLUMNS.index("revenue")
    rows = []
    for i, (cost, revenue) in enumerate(zip(costs, revenues, strict=True)):
        cells = [json.dumps(v) for v in sc_row("2026-03-01", seller=i + 1)]
        cells[cost_at], cells[revenue_at] = cost, revenue
        rows.append("[" + ",".join(cells) + "]")
    columns = json.dumps(SELLER_CAMPAIGN_COLUMNS)
    return f'{{"columns": {columns}, "data": [{",".join(rows)}], "rows": {len(rows)}}}'.encode()


@pytest.mark.parametrize("text", sorted(EXACT_AMOUNTS))
def test_money_is_decoded_exactly_from_the_json_text(text: str) -> None:
    table = parse(raw_money_body([text], [text]))
    assert table.schema.field("cost").type == pa.decimal128(38, 9)
    assert table["cost"].to_pylist() == [Decimal(EXACT_AMOUNTS[text])]
    assert table["revenue"].to_pylist() == [Decimal(EXACT_AMOUNTS[text])]


def test_money_sums_exactly_over_many_rows() -> None:
    """Over several decode chunks, the column's sum equals the decimal sum of the texts."""
    texts = [f"{i % 997}.{(i * 7919) % 1_000_000:06d}" for i in range(CHUNK_ROWS * 2 + 5)]
    texts[7] = "8.308E-6"
    texts[11] = "0.30000000000000004"  # forces the column-by-column path for one chunk
    table = parse(raw_money_body(texts, ["1"] * len(texts)))
    expected = sum(Decimal(t).quantize(Decimal("1E-9")) for t in texts)
    assert sum(table["cost"].to_pylist()) == expected


def test_csv_money_is_exact() -> None:
    header = ",".join(SELLER_CAMPAIGN_COLUMNS)
    line = "168423,1110222,MKT-0042,2026-03-01,100,4,{cost},1,{revenue},,,,"
    body = "\r\n".join(
        [
            header,
            line.format(cost="8.308E-6", revenue="190758099.123456789"),
            line.replace("1110222", "1110223").format(cost="6.465823", revenue="12.5"),
        ]
    ).encode()
    table = parse_stats_csv(body, REQ).table
    assert table.schema.field("cost").type == pa.decimal128(38, 9)
    assert table["cost"].to_pylist() == [Decimal("0.000008308"), Decimal("6.465823")]
    assert table["revenue"].to_pylist() == [Decimal("190758099.123456789"), Decimal("12.5")]
    bad = body.replace(b"6.465823", b"6,4")
    with pytest.raises(MpoResponseError, match="column 'cost', row 1"):
        parse_stats_csv(bad.replace(b"6,4", b'"6,4"'), REQ)
