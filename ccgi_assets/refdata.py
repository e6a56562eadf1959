"""Reference tables shipped with the package (``ccgi_assets/reference/``), read in one place."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = ["state_course_codes"]


@lru_cache(maxsize=1)
def _state_course_codes() -> pd.DataFrame:
    with (resources.files("ccgi_assets") / "reference" / "state_course_codes.tsv").open("r", encoding="utf-8") as f:
        df = pd.read_csv(f, sep="\t", dtype=str, keep_default_na=False)
    df = df.apply(lambda s: s.str.strip())
    df = df[df["code"] != ""]
    return df.drop_duplicates("code", keep="last").reset_index(drop=True)


def state_course_codes() -> pd.DataFrame:
    """The CALPADS state course codes (``state_course_codes.tsv``): one row per code, every value a string
    with surrounding blanks dropped (empty cells are ``""``), rows without a code left out; columns code, name,
    content_area, AP, IB, grade_high, grade_low, meets_uc_csu, first_year. A fresh copy on each call."""
    return _state_course_codes().copy()
