"""Registration matching (seed 2a step 4, 2b step 3): a student registers on CaliforniaColleges.edu only when
SSID, local student ID and birth date all match one row of the verified CALPADS roster.

The answer is matched or not matched. It never says which field failed and never carries a stored value:
telling a caller "the birth date is wrong" would let anyone probe the roster one field at a time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

_DATE_FORMATS = (
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%m/%d/%Y"),
)


@dataclass(frozen=True)
class Verification:
    matched: bool

    def __bool__(self) -> bool:
        return self.matched

    def __str__(self) -> str:
        return "matched" if self.matched else "not matched"


MATCHED = Verification(True)
NOT_MATCHED = Verification(False)


def normalize_date(value) -> dt.date | None:
    """``CCYYMMDD``, ``YYYY-MM-DD`` or ``MM/DD/YYYY`` (or a date) to a date; anything else to None."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern, fmt in _DATE_FORMATS:
        if pattern.match(text):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                return None
    return None


def _norm_id(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def verify(roster: pd.DataFrame, ssid, local_student_id, birth_date) -> Verification:
    """Matched when exactly one roster row has this SSID, this local student ID (compared as the string it
    is: leading zeros count) and this birth date; otherwise not matched."""
    s, local, born = _norm_id(ssid), _norm_id(local_student_id), normalize_date(birth_date)
    if not s or not local or born is None:
        return NOT_MATCHED
    rows = roster.loc[roster["ssid"].astype(str).str.strip() == s]
    if rows.empty:
        return NOT_MATCHED
    ok = (rows["local_student_id"].astype(str).str.strip() == local) & (
        pd.to_datetime(rows["birth_date"], errors="coerce").dt.date == born
    )
    return MATCHED if int(ok.sum()) == 1 else NOT_MATCHED
