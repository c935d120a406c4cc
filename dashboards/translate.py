"""Codes in a column shown as labels in the chosen language, translated once per distinct value, not per row."""

from __future__ import annotations

import pandas as pd

from dashboards.i18n import code_label


def code_column(codes: pd.Series, prefix: str) -> pd.Series:
    """`codes` as their `<prefix><code>` labels (a code without a label stays as it is, a missing one missing)."""
    return codes.map({c: code_label(prefix, c) for c in codes.dropna().unique()})
