"""Building blocks every page uses, so all pages look and behave alike: KPI cards against targets, charts in
the chosen language's number format with target lines, and detail tables with a CSV download."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data
from dashboards.i18n import (
    fmt_date,
    fmt_datetime,
    fmt_number,
    fmt_percent,
    fmt_signed,
    is_missing,
    language,
    plotly_separators,
    t,
)

TARGET_COLOR = "#c0392b"
MAX_TABLE_ROWS = 500


def data_as_of() -> None:
    """Caption: when the last file was ingested and when the copy the page reads was published."""
    tz = st.context.timezone
    st.caption(t("data_as_of", ingest=fmt_datetime(data.last_ingest(), tz),
                 published=fmt_datetime(data.published_at(), tz)))


def require_data() -> None:
    """Stop the page with a plain message before the first build."""
    if data.serving_file() is None:
        st.info(t("no_warehouse"))
        st.stop()


def no_data() -> None:
    st.info(t("no_data"))


def kpi(label: str, value: float | None, *, percent: bool = False, decimals: int = 1, target: float | None = None,
        lower_is_better: bool = False, band: tuple[float, float] | None = None, help: str | None = None,
        unit: str | None = None) -> None:
    """A bordered metric card; against `target` or inside/outside `band`.

    The delta's unit: percentage points for percentages, else `unit` (minutes by default; "" for counts).
    """
    fmt = fmt_percent if percent else fmt_number
    text = fmt(value, decimals)
    delta = description = None
    color, arrow = "normal", "auto"
    if percent:
        unit = " " + t("pp")
    elif unit is None:
        unit = " " + t("min_unit")
    else:
        unit = f" {unit}" if unit else ""
    if not is_missing(value) and band is not None:
        low, high = band
        description = t("target_band", low=fmt_number(low, 0), high=fmt_percent(high, 0))
        if value < low:
            delta = fmt_signed(value - low, decimals) + unit
        elif value > high:
            delta, color = fmt_signed(value - high, decimals) + unit, "inverse"
        else:
            delta, color, arrow = t("in_band"), "off", "off"
    elif not is_missing(value) and target is not None:
        sign = "≤ " if lower_is_better else "≥ "
        description = t("vs_target", target=sign + fmt(target, 0 if float(target).is_integer() else decimals))
        delta = fmt_signed(value - target, decimals) + unit
        color = "inverse" if lower_is_better else "normal"
        if round(value - target, decimals) == 0:
            color, arrow = "off", "off"
    st.metric(label, text, delta=delta, delta_color=color, delta_arrow=arrow, delta_description=description,
              help=help, border=True, height="stretch")


class KpiRow:
    """A row of equally wide KPI cards: `row = KpiRow(4)`, then `row.kpi(...)` fills the next column."""

    def __init__(self, cards: int):
        self._columns = iter(st.columns(cards))

    def kpi(self, *args, **kwargs) -> None:
        with next(self._columns):
            kpi(*args, **kwargs)


def chart(fig: go.Figure, *, date_x: bool = False, height: int = 380) -> None:
    """Render a plotly figure with the language's separators and date format."""
    fig.update_layout(separators=plotly_separators(), height=height, margin={"t": 60, "l": 10, "r": 10, "b": 10},
                      title={"x": 0, "xanchor": "left", "font": {"size": 15}}, legend_title_text="")
    if date_x:
        fmt = "%d.%m.%Y" if language() == "de" else "%Y-%m-%d"
        fig.update_xaxes(tickformat=fmt, hoverformat=fmt)
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False})


def target_line(fig: go.Figure, y: float, *, percent: bool = False) -> go.Figure:
    text = f"{t('target')} {fmt_percent(y, 0) if percent else fmt_number(y, 0)}"
    fig.add_hline(y=y, line_dash="dash", line_color=TARGET_COLOR, annotation_text=text,
                  annotation_position="top left", annotation_font_color=TARGET_COLOR)
    return fig


def target_vline(fig: go.Figure, x: float) -> go.Figure:
    fig.add_vline(x=x, line_dash="dash", line_color=TARGET_COLOR, annotation_text=f"{t('target')} {fmt_number(x, 0)}",
                  annotation_position="top right", annotation_font_color=TARGET_COLOR)
    return fig


def target_band(fig: go.Figure, low: float, high: float) -> go.Figure:
    fig.add_hrect(y0=low, y1=high, fillcolor="#27ae60", opacity=0.12, line_width=0,
                  annotation_text=f"{t('target')} {fmt_number(low, 0)}–{fmt_percent(high, 0)}",
                  annotation_position="top left")
    return fig


def _is_boolean(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(pd.api.types.is_bool_dtype(series)
                or (len(values) and values.map(lambda v: isinstance(v, bool | np.bool_)).all()))


def _formatter(series: pd.Series, decimals: int) -> Callable[[object], str] | None:
    """How to show a column's values in the chosen language (None: as they are)."""
    values = series.dropna()
    if _is_boolean(series):
        return lambda v: "—" if is_missing(v) else (t("yes") if v else t("no"))
    if pd.api.types.is_integer_dtype(series):
        return lambda v: fmt_number(v, 0)
    if pd.api.types.is_float_dtype(series):
        return lambda v: fmt_number(v, decimals)
    if len(values) and values.map(lambda v: isinstance(v, int | float | np.number)).all():
        return lambda v: fmt_number(v, 0 if isinstance(v, int | np.integer) else decimals)
    if pd.api.types.is_datetime64_any_dtype(series) or values.map(lambda v: isinstance(v, datetime)).any():
        stamps = pd.to_datetime(values)
        if len(stamps) and (stamps == stamps.dt.normalize()).all():  # a DATE column (DuckDB returns datetime64)
            return lambda v: fmt_date(None if is_missing(v) else pd.Timestamp(v).to_pydatetime())
        return lambda v: "—" if is_missing(v) else fmt_datetime(pd.Timestamp(v).to_pydatetime())
    if values.map(lambda v: isinstance(v, date)).any():
        return fmt_date
    if values.map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
        return lambda v: "—" if v is None else ", ".join(map(str, list(v)))
    return None


# OWASP "CSV Injection": a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with every text cell that a spreadsheet would run as a formula prefixed with a single quote (OWASP CSV
    injection: a `reference_lab` of `=HYPERLINK(...)` must arrive as text). Only text cells: a negative number
    stays a number."""
    out = df.copy()
    for col in df.columns:
        values = df[col]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.map(type).eq(str)
        risky = text & values.where(text, "").astype(str).str.contains(FORMULA_START, regex=True)
        if risky.any():
            out[col] = values.mask(risky, "'" + values.where(risky, "").astype(str))
    return out


def csv_bytes(df: pd.DataFrame, lang: str | None = None) -> bytes:
    """CSV a spreadsheet opens correctly and safely: formulas neutralised; German = semicolons, decimal commas,
    UTF-8 with BOM (Excel). `lang` defaults to the language chosen now (pass it when called outside the run)."""
    df = neutralise_formulas(df)
    # CRLF rows (RFC 4180): the csv writer then also quotes a cell holding a lone CR, which would otherwise end the row
    if (lang or language()) == "de":
        return df.to_csv(index=False, sep=";", decimal=",", date_format="%d.%m.%Y %H:%M",
                         lineterminator="\r\n").encode("utf-8-sig")
    return df.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def table(df: pd.DataFrame, columns: dict[str, str], file_name: str, *, key: str, decimals: int = 1,
          plain: tuple[str, ...] = (), total: int | None = None) -> None:
    """Detail table with translated headers and localized values, and a CSV download of exactly its rows.

    `columns` maps each column to show (in order) to its label key; `plain` columns (line numbers, ids) are shown
    without thousands separators. At most MAX_TABLE_ROWS rows are shown; `total` is how many rows the selection
    has when the caller already pulled only the first ones (the caption then says "showing N of M").
    The CSV is written only when the user clicks (Streamlit's deferred download), from the rows shown, in the
    language of this run: a render serialises nothing.
    """
    frame = df[list(columns)].rename(columns={c: t(k) for c, k in columns.items()}).head(MAX_TABLE_ROWS)
    formats = {col: f for col in frame.columns if (f := _formatter(frame[col], decimals)) is not None}
    for col in plain:
        formats[t(columns[col])] = lambda v: "—" if is_missing(v) else str(v)
    # st.dataframe draws booleans as checkboxes whatever the format: show them as words.
    words = [col for col in frame.columns if _is_boolean(frame[col])]
    shown = frame.assign(**{col: frame[col].map(formats.pop(col)) for col in words})
    st.dataframe(shown.style.format(formats, na_rep="—"), hide_index=True, width="stretch", placeholder="—")
    total = max(len(df), total or 0)
    if total > len(frame):
        st.caption(t("rows_shown", shown=fmt_number(len(frame), 0), total=fmt_number(total, 0)))
    lang = language()
    st.download_button(t("download_csv"), lambda: csv_bytes(frame, lang), file_name, "text/csv", key=f"csv_{key}",
                       icon=":material/download:", on_click="ignore")
