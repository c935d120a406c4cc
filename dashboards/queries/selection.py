"""A page's selection (clinics, dates and page-specific codes) as one SQL predicate with bound parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboards import row_limit
from dashboards.data import allowed_clinics, query


@dataclass(frozen=True)
class Selection:
    """Clinics and an inclusive date range on `date_column`, plus `codes`: column -> allowed values (None = any).

    Clinics outside the signed-in user's are dropped here as well as by data.py's views.
    """

    clinics: tuple[str, ...]
    start: date
    end: date
    date_column: str
    codes: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def with_codes(self, **codes: list[str] | tuple[str, ...] | None) -> Selection:
        """The same selection with more code filters (a None value: no filter on that column)."""
        extra = tuple((col, tuple(vals)) for col, vals in codes.items() if vals is not None)
        return Selection(self.clinics, self.start, self.end, self.date_column, self.codes + extra)

    def on(self, date_column: str) -> Selection:
        """The same selection on another table's date column."""
        return Selection(self.clinics, self.start, self.end, date_column, self.codes)

    def where(self) -> tuple[str, list]:
        allowed = set(allowed_clinics())
        sql = f"list_contains(?, clinic_id) AND {self.date_column} BETWEEN ? AND ?"
        params: list = [[c for c in self.clinics if c in allowed], self.start, self.end]
        for column, values in self.codes:
            sql += f" AND list_contains(?, {column})"
            params.append(list(values))
        return sql, params


def first_rows(sql_from: str, order_by: str, columns: str, params: list,
               limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """The first `limit` rows of `SELECT columns FROM sql_from ORDER BY order_by`, and how many rows there are.

    Detail lists show what matters first (slowest, most recent) and never pull more than they show; `limit`
    defaults to row_limit.DETAIL_ROWS (read at each call).
    """
    limit = row_limit.DETAIL_ROWS if limit is None else limit
    total = query(f"SELECT count(*) AS n FROM {sql_from}", params)
    rows = query(f"SELECT {columns} FROM {sql_from} ORDER BY {order_by} LIMIT {int(limit)}", params)
    return rows, (int(total["n"].iloc[0]) if not total.empty else 0)
