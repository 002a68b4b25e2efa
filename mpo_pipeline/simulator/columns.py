"""Served columns: names and order per endpoint, policy and interval, and the derived ratios.

Column order follows the reference (§3.3): ids, ``sellerName``, the interval column (named after
the interval in lower case), then ``impressions, clicks, cost, saleUnits, revenue, cr, cpo, cos,
roas``. With ``clickAttributionPolicy=Both`` the six policy-dependent metrics appear twice, suffixed
``SameSeller`` then ``AnySeller`` (15 metrics). Ratios are computed from the served bases and
rounded to 3 decimals; a zero denominator gives null (NaN here).
"""

from __future__ import annotations

import numpy as np

from .aggregate import StatsFrame

POLICIES = ("SameSeller", "AnySeller", "Both")
INTERVAL_COLUMN = {"Hour": "hour", "Day": "day", "Month": "month", "Year": "year"}
DIMENSIONS = {
    "sellers": ("sellerId", "sellerName"),
    "campaigns": ("campaignId",),
    "seller_campaigns": ("campaignId", "sellerId", "sellerName"),
}
POLICY_METRICS = ("saleUnits", "revenue", "cr", "cpo", "cos", "roas")
RATIO_DECIMALS = 3


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


def money(minor: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Minor units to the currency's major unit (cents to euros; yen stay yen)."""
    return minor / np.power(10.0, decimals)


def _policy_metrics(frame: StatsFrame, units: np.ndarray, revenue_minor: np.ndarray) -> list:
    cost = money(frame.cost, frame.decimals)
    revenue = money(revenue_minor, frame.decimals)
    return [
        units,
        revenue,
        ratio(units, frame.clicks),
        ratio(cost, units),
        ratio(frame.cost, revenue_minor),
        ratio(revenue_minor, frame.cost),
    ]


def served_columns(frame: StatsFrame, policy: str) -> list[tuple[str, np.ndarray]]:
    """(name, values) in served order; ratios are float64 with NaN for null."""
    names = column_names(frame.endpoint, policy, frame.interval)
    dims = {
        "campaignId": frame.campaign_id,
        "sellerId": frame.seller_id,
        "sellerName": frame.seller_name,
    }
    values = [dims[n] for n in DIMENSIONS[frame.endpoint]]
    values += [frame.label, frame.impressions, frame.clicks, money(frame.cost, frame.decimals)]
    same = _policy_metrics(frame, frame.same_units, frame.same_revenue)
    anys = _policy_metrics(frame, frame.any_units, frame.any_revenue)
    values += {"SameSeller": same, "AnySeller": anys, "Both": same + anys}[policy]
    return list(zip(names, values, strict=True))
