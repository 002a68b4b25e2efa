"""``iter_stats`` sizes its windows by rows: a small stream takes a year in one request, a large
one keeps each response under the budget; bodies are decoded as they stream in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from mpo_client_fakes import FakeApi, json_response, make_client, problem, sc_row, stats_body

from mpo_pipeline.client import parsing

D = date.fromisoformat
YEAR = (D("2025-11-20"), D("2026-11-19"))


def serve_rows(rows_on: dict[date, int] | int):
    """A handler answering ``rows_on[day]`` (or a constant) rows for every requested day."""

    def handler(request: httpx.Request) -> httpx.Response:
        start = D(request.url.params["startDate"])
        end = D(request.url.params["endDate"])
        rows = []
        for i in range((end - start).days + 1):
            day = start + timedelta(days=i)
            count = rows_on if isinstance(rows_on, int) else rows_on.get(day, 0)
            rows += [sc_row(day.isoformat(), seller=s) for s in range(count)]
        return json_response(stats_body(rows))

    return handler


def rows_served(api: FakeApi, per_day: int) -> list[int]:
    return [((D(b) - D(a)).days + 1) * per_day for a, b in api.windows()]


def test_a_small_stream_takes_one_request_for_a_year(api: FakeApi) -> None:
    api.handler = serve_rows(2)
    with make_client(api) as client:
        windows = list(
            client.iter_stats("seller_campaigns", "SameSeller", 1, *YEAR, rows_per_day=20.0)
        )
    assert api.windows() == [("2025-11-20", "2026-11-19")]
    assert [w.table.num_rows for w in windows] == [730]


def test_an_unknown_stream_starts_with_one_day_and_then_learns(api: FakeApi) -> None:
    api.handler = serve_rows(2)
    with make_client(api) as client:
        list(client.iter_stats("seller_campaigns", "SameSeller", 1, *YEAR))
        assert api.windows() == [("2025-11-20", "2025-11-20"), ("2025-11-21", "2026-11-19")]
        # The client remembers the stream's rows per day: the next range is one request.
        list(
            client.iter_stats("seller_campaigns", "SameSeller", 1, D("2024-11-20"), D("2025-11-19"))
        )
        assert api.windows()[2:] == [("2024-11-20", "2025-11-19")]
        # ... but only for that stream: another advertiser starts small again.
        list(client.iter_stats("seller_campaigns", "SameSeller", 2, *YEAR))
        assert api.windows()[3] == ("2025-11-20", "2025-11-20")


def test_a_large_stream_keeps_each_response_under_the_budget(api: FakeApi) -> None:
    api.handler = serve_rows(40)
    with make_client(api, max_rows_per_request=1_000) as client:
        windows = list(client.iter_stats("seller_campaigns", "AnySeller", 1, *YEAR))
        assert client.metrics.max_window_rows <= 1_000
        assert client.metrics.stats_rows == 365 * 40
    served = rows_served(api, 40)
    assert served[0] == 40  # the first (one-day) window of an unknown stream
    assert max(served) <= 1_000
    assert set(served[1:-1]) == {22 * 40}  # 0.9 × 1,000 / 40 rows a day
    assert sum(w.table.num_rows for w in windows) == 365 * 40
    assert [w.start for w in windows] == [D(a) for a, _ in api.windows()]


def test_a_wrong_estimate_only_shrinks_the_next_window(api: FakeApi) -> None:
    # Quiet until March, then 100 rows a day: the window that meets the change is too big,
    # the next one is sized from what it held.
    rows_on = {YEAR[0] + timedelta(days=i): (0 if i < 100 else 100) for i in range(365)}
    api.handler = serve_rows(rows_on)
    with make_client(api, max_rows_per_request=1_000) as client:
        windows = list(
            client.iter_stats("seller_campaigns", "SameSeller", 1, *YEAR, rows_per_day=1.0)
        )
    sizes = [w.table.num_rows for w in windows]
    assert sum(sizes) == 265 * 100
    over = [i for i, n in enumerate(sizes) if n > 1_000]
    assert len(over) == 1  # one response over the budget...
    assert all(n <= 1_000 for n in sizes[over[0] + 1 :])  # ... and never again


def test_the_window_cap_and_the_api_limit_hold(api: FakeApi) -> None:
    api.handler = serve_rows(1)
    with make_client(api, request_window_days=100) as client:
        list(client.iter_stats("seller_campaigns", "AnySeller", 1, *YEAR, rows_per_day=1.0))
    assert [(D(b) - D(a)).days + 1 for a, b in api.windows()] == [100, 100, 100, 65]
    api.requests.clear()
    with make_client(api) as client:
        list(
            client.iter_stats("seller_campaigns", "AnySeller", 1, D("2025-01-01"), D("2026-12-31"))
        )
    days = [(D(b) - D(a)).days + 1 for a, b in api.windows()]
    assert days == [1, 366, 363]  # a day first, then never more than the API's 366


def test_a_failing_window_is_halved_and_later_ones_stay_small(
    api: FakeApi, no_jitter: None
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start, end = D(request.url.params["startDate"]), D(request.url.params["endDate"])
        return problem(503) if (end - start).days + 1 > 40 else serve_rows(1)(request)

    api.handler = handler
    with make_client(api, max_attempts=1) as client:
        windows = list(
            client.iter_stats("seller_campaigns", "AnySeller", 1, *YEAR, rows_per_day=1.0)
        )
        assert client.metrics.window_splits == 4  # 365 -> 183 -> 92 -> 46 -> 23 days
    assert (windows[0].start, windows[0].end) == (YEAR[0], YEAR[0] + timedelta(days=22))
    assert all((w.end - w.start).days + 1 <= 23 for w in windows)
    assert sum(w.table.num_rows for w in windows) == 365
    assert len(api.requests) == len(windows) + 4


class Pieces(httpx.SyncByteStream):
    """A body delivered in small pieces, optionally dying after ``die_after`` bytes."""

    def __init__(self, body: bytes, size: int, die_after: int | None = None) -> None:
        self.body, self.size, self.die_after = body, size, die_after

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.body), self.size):
            if self.die_after is not None and i >= self.die_after:
                raise httpx.RemoteProtocolError("peer closed connection (incomplete chunked read)")
            yield self.body[i : i + self.size]


def test_a_streamed_body_decodes_in_chunks_and_a_cut_body_is_retried(
    api: FakeApi, no_jitter: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsing, "CHUNK_BYTES", 512)
    rows = [sc_row("2026-03-01", seller=s, name=f"S],[{s}") for s in range(300)]
    body = stats_body(rows)
    headers = {"content-type": "application/json"}
    api.queue(
        httpx.Response(200, stream=Pieces(body, 100, die_after=len(body) // 2), headers=headers),
        httpx.Response(200, stream=Pieces(body, 100), headers=headers),
    )
    with make_client(api) as client:
        table = client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-01"))
        assert client.metrics.retries == 1
        assert client.metrics.max_window_bytes == len(body)
    assert len(api.requests) == 2
    assert table["sellerId"].to_pylist() == list(range(300))
    assert table["sellerName"].to_pylist() == [f"S],[{s}" for s in range(300)]
    assert table.column("sellerId").num_chunks > 5  # decoded a chunk at a time
