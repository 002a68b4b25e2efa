"""Restatements: what the API shows of a UTC day depends on how old that day is.

- Sales mature: the units of a day shown at age ``a`` days are ``floor(final * M[a] / 1000)``
  with ``M`` rising to 1000 at 10 days; revenue follows the shown units
  (``floor(final_revenue * shown_units / final_units)``). SameSeller and the AnySeller extra are
  matured separately, so SameSeller <= AnySeller and both are monotone in age.
- Invalid traffic: some days carry invalid clicks and their cost; they are shown in full at ages
  0-1, half at age 2, and removed from age 3 on (cost and clicks are corrected *down*).
- The clock's "now" is 12:00 UTC of ``today``: later hours have no data yet.
"""

from __future__ import annotations

import numpy as np

from .clock import NOW_HOUR_UTC

MATURITY_PERMILLE = np.array([300, 550, 700, 800, 870, 920, 955, 980, 993, 998, 1000], np.int64)
IVT_REMAINING_PERMILLE = np.array([1000, 1000, 500, 0], np.int64)
FINAL_AFTER_DAYS = len(MATURITY_PERMILLE) - 1  # a UTC day no longer changes from this age on

OBSERVED = (
    "impressions",
    "clicks",
    "cost",
    "same_units",
    "extra_units",
    "same_revenue",
    "extra_revenue",
)


def _matured_revenue(revenue: np.ndarray, shown: np.ndarray, final: np.ndarray) -> np.ndarray:
    return np.where(final > 0, revenue * shown // np.maximum(final, 1), 0)


def observe(final: dict[str, np.ndarray], days: np.ndarray, today: int) -> dict[str, np.ndarray]:
    """The daily values (n, len(days)) shown on ``today`` (epoch day) for final values ``final``."""
    age = today - days
    maturity = MATURITY_PERMILLE[np.clip(age, 0, FINAL_AFTER_DAYS)][None, :]
    ivt = IVT_REMAINING_PERMILLE[np.clip(age, 0, len(IVT_REMAINING_PERMILLE) - 1)][None, :]
    same_units = final["same_units"] * maturity // 1000
    extra_units = final["extra_units"] * maturity // 1000
    return {
        "impressions": final["impressions"],
        "clicks": final["clicks"] + final["ivt_clicks"] * ivt // 1000,
        "cost": final["cost"] + final["ivt_cost"] * ivt // 1000,
        "same_units": same_units,
        "extra_units": extra_units,
        "same_revenue": _matured_revenue(final["same_revenue"], same_units, final["same_units"]),
        "extra_revenue": _matured_revenue(
            final["extra_revenue"], extra_units, final["extra_units"]
        ),
    }


def cutoff_hours(days: np.ndarray, today: int) -> np.ndarray:
    """Per UTC day, how many of its hours have happened by the simulated now."""
    return np.where(days < today, 24, np.where(days == today, NOW_HOUR_UTC, 0)).astype(np.int64)
