"""CSV that is safe to open in a spreadsheet: one helper for every CSV that leaves CCGI (exports to UC, CSU,
CCC and CDE, and LEA report CSVs).

A text cell that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, a leading tab
or carriage return) gets a leading apostrophe, as OWASP advises; numbers written as text (``-3``, ``1.5``) are
left alone.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: a cell a spreadsheet would run: it starts with one of ``= + - @``, a tab or a carriage return
_RISKY = r"^[=+\-@\t\r]"
#: ... unless it is a number written as text (ASCII digits: anything else is defused, the safe side)
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"


def _text(s: pd.Series):
    """A text column as an Arrow array (object columns converted once; pyarrow-backed strings as they are)."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype("string[pyarrow]")
    return pa.array(s)


def defuse(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text cells unable to run as spreadsheet formulas (a new frame when any cell changed).

    Vectorized in Arrow: one regular expression per text column over all its cells; only a column that holds a
    risky cell is rewritten."""
    out = df
    for col in df.columns:
        s = df[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        arr = _text(s)
        risky = pc.fill_null(pc.match_substring_regex(arr, _RISKY), False)
        if not pc.any(risky).as_py():  # the common case: one test per column, no copy
            continue
        fix = pc.and_(risky, pc.invert(pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)))
        if not pc.any(fix).as_py():
            continue
        fixed = pc.if_else(fix, pc.binary_join_element_wise(pa.scalar("'", arr.type), arr, pa.scalar("", arr.type)), arr)
        if out is df:
            out = df.copy()
        out[col] = pd.Series(pd.arrays.ArrowStringArray(fixed), index=df.index)
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
