"""Served columns: names and order per endpoint, policy and interval, and the derived ratios.

Column order follows the reference (§3.3): ids, ``sellerName``, the interval column (named after
the interval in lower case), then ``impressions, clicks, cost, saleUnits, revenue, cr, cpo, cos,
roas``. With ``clickAttributionPolicy=Both`` the six policy-dependent metrics appear twice, suffixed
``SameSeller`` then ``AnySeller`` (15 metrics).

Money columns are ``Money`` values: what is served (each row's cost rounded on its own, see
``money``; revenue exact) or, with ``exact=True``, the exact world's values. Ratios are computed
from the served (or exact) bases and rounded to 3 decimals; a zero denominator gives null (NaN
here).
"""

from __future__ import annotations

import numpy as np

from .aggregate import StatsFrame
from .money import Money, from_minor, served_cost

POLICIES = ("SameSeller", "AnySeller", "Both")
INTERVAL_COLUMN = {"Hour": "hour", "Day": "day", "Month": "month", "Year": "year"}
DIMENSIONS = {
    "sellers": ("sellerId", "sellerName"),
    "campaigns": ("campaignId",),
    "seller_campaigns": ("campaignId", "sellerId", "sellerName"),
}
POLICY_METRICS = ("saleUnits", "revenue", "cr", "cpo", "cos", "roas")
RATIO_DECIMALS = 3

Column = np.ndarray | Money


def column_names(endpoint: str, policy: str, interval: str) -> list[str]:
    """The ``columns`` header of a stats response."""
    names = [*DIMENSIONS[endpoint], INTERVAL_COLUMN[interval], "impressions", "clicks", "cost"]
    if policy == "Both":
        for suffix in ("SameSeller", "AnySeller"):
            names += [m + suffix for m in POLICY_METRICS]
    else:
        names += list(POLICY_METRICS)
    return names


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` rounded to 3 decimals; NaN (served as null) where ``den`` is 0."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
    scale = 10.0**RATIO_DECIMALS
    return np.rint(value * scale) / scale


def _policy_metrics(frame: StatsFrame, cost: Money, units: np.ndarray, revenue: Money) -> list:
    cost_f, revenue_f = cost.as_float(), revenue.as_float()
    return [
        units,
        revenue,
        ratio(units, frame.clicks),
        ratio(cost_f, units),
        ratio(cost_f, revenue_f),
        ratio(revenue_f, cost_f),
    ]


def served_columns(
    frame: StatsFrame, policy: str, *, exact: bool = False
) -> list[tuple[str, Column]]:
    """(name, values) in served order: money as ``Money``, ratios float64 with NaN for null.

    ``exact=False``: what the API serves (cost rounded row by row); ``exact=True``: the exact
    world's money, ratios from the exact bases.
    """
    names = column_names(frame.endpoint, policy, frame.interval)
    dims = {
        "campaignId": frame.campaign_id,
        "sellerId": frame.seller_id,
        "sellerName": frame.seller_name,
    }
    cost = frame.cost if exact else served_cost(frame.cost)
    values: list[Column] = [dims[n] for n in DIMENSIONS[frame.endpoint]]
    values += [frame.label, frame.impressions, frame.clicks, cost]
    same_revenue = from_minor(frame.same_revenue, frame.decimals)
    any_revenue = from_minor(frame.any_revenue, frame.decimals)
    same = _policy_metrics(frame, cost, frame.same_units, same_revenue)
    anys = _policy_metrics(frame, cost, frame.any_units, any_revenue)
    values += {"SameSeller": same, "AnySeller": anys, "Both": same + anys}[policy]
    return list(zip(names, values, strict=True))
