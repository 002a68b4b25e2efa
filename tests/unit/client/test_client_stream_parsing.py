"""A JSON stats body decoded as it streams in, a chunk of rows at a time, gives exactly the table
of the body decoded whole, wherever the pieces and the cuts fall; errors name the same rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpo_client_fakes import SELLER_CAMPAIGN_COLUMNS, sc_row, stats_body

from mpo_pipeline.client import MpoResponseError, StatsRequest, parsing
from mpo_pipeline.client.parsing import parse_stats_stream

REQ = StatsRequest(
    "seller_campaigns", "SameSeller", 42, date(2026, 3, 1), date(2026, 3, 31), "Day", "UTC"
)
WHERE = "stats/seller-campaigns advertiser 42 window 2026-03-01..2026-03-31"


def pieces(body: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


def rows(n: int, names: list[str] | None = None) -> list[list]:
    return [
        sc_row(
            f"2026-03-{1 + i % 31:02d}",
            seller=i // 31,
            name=names[i % len(names)] if names else f"MKT-{i}",
            cost=round(i * 0.37, 2),
        )
        for i in range(n)
    ]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "CHUNK_BYTES", 300)


names = st.text(alphabet=st.sampled_from(list('ab],[ "\\{}:é\u2028')), max_size=12)
extras = st.one_of(
    st.integers(-5, 5),
    st.text(alphabet=st.sampled_from(list("x],[\"'")), max_size=6),
    st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=3),  # "[[1],[2]]": a ],[ too
)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 120),
    row_names=st.lists(names, min_size=1, max_size=5),
    piece=st.integers(1, 400),
    chunk=st.integers(16, 600),
    extra=st.none() | st.lists(extras, min_size=1, max_size=4),
    indent=st.sampled_from([None, 1]),
)
def test_streamed_equals_whole(
    n: int,
    row_names: list[str],
    piece: int,
    chunk: int,
    extra: list | None,
    indent: int | None,
) -> None:
    data = rows(n, row_names)
    columns = list(SELLER_CAMPAIGN_COLUMNS)
    if extra is not None:
        # Two unknown columns side by side: "[1],[2]" between them looks like a row boundary.
        columns += ["views", "tags"]
        data = [
            [*r, extra[i % len(extra)], extra[(i + 1) % len(extra)]] for i, r in enumerate(data)
        ]
    body = json.dumps(
        {"columns": columns, "data": data, "rows": n, "links": {}}, indent=indent
    ).encode()
    whole = parsing._parse_whole(body, REQ)
    old = parsing.CHUNK_BYTES
    parsing.CHUNK_BYTES = chunk
    try:
        streamed = parse_stats_stream(pieces(body, piece), REQ)
    finally:
        parsing.CHUNK_BYTES = old
    assert streamed.table.equals(whole.table)
    assert streamed.extra_columns == whole.extra_columns


def test_rows_are_decoded_while_the_body_streams_in(
    small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = stats_body(rows(400))
    read = 0
    seen_at: list[int] = []

    def counted() -> Iterator[bytes]:
        nonlocal read
        for part in pieces(body, 256):
            read += len(part)
            yield part

    real_add = parsing._Rows._add

    def spy(self, decoded, tolerant):
        seen_at.append(read)
        return real_add(self, decoded, tolerant)

    monkeypatch.setattr(parsing._Rows, "_add", spy)
    table = parse_stats_stream(counted(), REQ).table
    assert table.num_rows == 400
    assert len(seen_at) > 20
    # Each chunk was converted with at most a chunk and a piece of the body read ahead of it.
    assert seen_at[0] < 300 + 256 + 300
    assert seen_at[len(seen_at) // 2] < len(body) // 2 + 1_000


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda d: d[307].__setitem__(4, "many"), "column 'impressions', row 307"),
        (lambda d: d.__setitem__(250, d[250][:-1]), "row 250: row has 12 values but there are 13"),
        (lambda d: d[399].__setitem__(1, None), "column 'sellerId', row 399: null"),
        (lambda d: d[5].__setitem__(4, 1.5), "column 'impressions', row 5: non-integer count"),
        (
            lambda d: d[333].__setitem__(3, "2026-04-01"),
            "column 'day', row 333: '2026-04-01' is outside the requested window",
        ),
        (lambda d: d[290].__setitem__(3, "2026-02-30"), "column 'day', row 290"),
    ],
)
def test_errors_name_the_row_across_chunks(small_chunks: None, spoil, expected: str) -> None:
    data = rows(400)
    spoil(data)
    body = stats_body(data)
    with pytest.raises(MpoResponseError) as info:
        parse_stats_stream(pieces(body, 97), REQ)
    assert WHERE in str(info.value)
    assert expected in str(info.value)


def test_integral_float_counts_in_a_later_chunk(small_chunks: None) -> None:
    data = rows(400)
    data[333][5] = 4.0
    table = parse_stats_stream(pieces(stats_body(data), 50), REQ).table
    assert table["clicks"][333].as_py() == 4


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A byte missing in the middle of the rows.
        (stats_body(rows(400)).replace(b'"MKT-200"', b'"MKT-200', 1), "not valid JSON"),
        (stats_body(rows(400))[:-3000], "not valid JSON (truncated"),
        (stats_body(rows(400), rows_field=401), "`rows` says 401 but `data` has 400 rows"),
        (stats_body(rows(400)) + b"[]", "not valid JSON"),
    ],
)
def test_malformed_streamed_bodies(small_chunks: None, body: bytes, expected: str) -> None:
    with pytest.raises(MpoResponseError) as info:
        parse_stats_stream(pieces(body, 128), REQ)
    assert WHERE in str(info.value)
    assert expected in str(info.value)


def test_an_envelope_in_another_order_is_read_whole() -> None:
    data = rows(50)
    body = json.dumps({"rows": 50, "data": data, "columns": SELLER_CAMPAIGN_COLUMNS}).encode()
    table = parse_stats_stream(pieces(body, 64), REQ).table
    assert table.num_rows == 50
    assert table["sellerName"].to_pylist() == [f"MKT-{i}" for i in range(50)]


def test_an_html_page_in_pieces() -> None:
    body = b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head></html>"
    with pytest.raises(MpoResponseError, match=r"HTML page.*Down for maintenance"):
        parse_stats_stream(pieces(body, 10), REQ)
