"""CSV that is safe to open in a spreadsheet: one helper for every CSV that leaves CCGI (exports to UC, CSU,
CCC and CDE, and LEA report CSVs).

A text cell that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, a leading tab
or carriage return) gets a leading apostrophe, as OWASP advises; numbers written as text (``-3``, ``1.5``) are
left alone.
"""

from __future__ import annotations

import io

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False)
            if not risky.any():  # the common case: one vectorized test per column, no copy
                continue
            numeric = text[risky].str.fullmatch(r"-?\d+(\.\d+)?").fillna(False)
            risky.loc[numeric[numeric].index] = False
            out[col] = text.where(~risky, "'" + text)
    return out


def to_csv(df: pd.DataFrame, path=None, **kw) -> str | None:
    """``defuse(df)`` as CSV: to ``path`` when given, else returned as text."""
    kw.setdefault("index", False)
    kw.setdefault("lineterminator", "\n")
    if path is not None:
        defuse(df).to_csv(path, **kw)
        return None
    buf = io.StringIO()
    defuse(df).to_csv(buf, **kw)
    return buf.getvalue()
