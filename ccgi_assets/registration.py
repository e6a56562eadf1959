"""Registration matching (seed 2a step 4, 2b step 3): a student registers on CaliforniaColleges.edu only when
SSID, local student ID and birth date all match one row of the verified CALPADS roster.

The answer is matched or not matched. It never says which field failed and never carries a stored value:
telling a caller "the birth date is wrong" would let anyone probe the roster one field at a time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
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


def verified(roster: pd.DataFrame, accounts: pd.DataFrame) -> np.ndarray:
    """For each account row (``ssid``, ``local_student_id``, ``birth_date``): True when exactly one row of
    ``roster`` has this SSID, this local student ID (the string it is, surrounding blanks aside: leading zeros
    count) and this birth date (compared as dates). Vectorized: one merge, no loop over students. A missing or
    unreadable value on either side never matches.
    """
    def ids(x: pd.Series) -> pd.Series:
        return x.astype("string").str.strip()

    def dates(x: pd.Series) -> pd.Series:
        if not pd.api.types.is_datetime64_any_dtype(x):
            x = x.map(normalize_date)
        return pd.to_datetime(x, errors="coerce").dt.normalize()

    acc = pd.DataFrame({"ssid": ids(accounts["ssid"]), "local": ids(accounts["local_student_id"]),
                        "born": dates(accounts["birth_date"]), "_row": np.arange(len(accounts))})
    ros = pd.DataFrame({"ssid": ids(roster["ssid"]), "r_local": ids(roster["local_student_id"]),
                        "r_born": dates(roster["birth_date"])}).dropna(subset=["ssid"])
    ros = ros[ros["ssid"].str.len() > 0]
    m = acc.merge(ros, on="ssid", how="inner")
    ok = (m["local"].str.len() > 0) & (m["local"] == m["r_local"]) & m["born"].notna() & (m["born"] == m["r_born"])
    ok = ok.fillna(False).astype(bool)
    hits = m.loc[ok, "_row"].value_counts()
    out = np.zeros(len(accounts), dtype=bool)
    one = hits[hits == 1].index.to_numpy()
    out[one] = True
    return out


def verify(roster: pd.DataFrame, ssid, local_student_id, birth_date) -> Verification:
    """Matched when exactly one roster row has this SSID, this local student ID (compared as the string it
    is: leading zeros count) and this birth date; otherwise not matched. The rule is :func:`verified`'s."""
    born = normalize_date(birth_date)
    one = pd.DataFrame({"ssid": [_norm_id(ssid)], "local_student_id": [_norm_id(local_student_id)],
                        "birth_date": [pd.Timestamp(born) if born else pd.NaT]})
    return MATCHED if bool(verified(roster, one)[0]) else NOT_MATCHED
