"""Reading the matcher's inputs: required columns, the approved flag, one row per course, CMP lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.matching.vocabulary import _CMP_REQUIRED, _CRSE_REQUIRED, _state_codes


def _check_columns(df: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [col for col in required if col not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing required column(s): {', '.join(missing)}")


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string[pyarrow]").str.strip()


def _approved(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).astype(bool)
    return _str(s).str.upper().isin(["Y", "TRUE", "1", "T", "YES"]).fillna(False).astype(bool)


def _prepare_crse(crse: pd.DataFrame) -> pd.DataFrame:
    _check_columns(crse, _CRSE_REQUIRED, "CRSE courses")
    q = crse.loc[_approved(crse["uc_csu_approved"]).to_numpy()]
    cols = {c: _str(q[c]) for c in _CRSE_REQUIRED if c != "uc_csu_approved"}
    cols["reporting_lea"] = _str(q["reporting_lea"]) if "reporting_lea" in q else pd.Series(pd.NA, index=q.index,
                                                                                            dtype="string")
    q = pd.DataFrame(cols)
    # one row per course: CRSE rows are sections, the course-level fields are the same for every section
    q = q.drop_duplicates(["school_code", "academic_year", "local_course_id"], keep="first").reset_index(drop=True)
    sc = _state_codes().set_index("code")
    code = q["state_course_code"].fillna("")
    q["content_area"] = code.map(sc["content_area"]).astype("string")
    q["subjects"] = code.map(sc["subjects"]).fillna("").astype(str)      # "" = unknown code, not checked
    q["code_markers"] = code.map(sc["markers"]).fillna(0).astype(np.int8).to_numpy()
    q["state_name"] = code.map(sc["name"]).fillna("").astype(str)
    return q


def _prepare_cmp(cmp: pd.DataFrame) -> pd.DataFrame:
    _check_columns(cmp, _CMP_REQUIRED, "CMP list")
    c = pd.DataFrame({col: _str(cmp[col]) for col in _CMP_REQUIRED})
    c["honors_type"] = _str(cmp["honors_type"]) if "honors_type" in cmp else pd.Series("", index=cmp.index)
    c["list_year"] = _str(cmp["list_year"]) if "list_year" in cmp else pd.Series(pd.NA, index=cmp.index,
                                                                                 dtype="string")
    c["school_code"] = _str(cmp["school_code"]) if "school_code" in cmp else c["cds_code"].str[7:]
    c["reporting_lea"] = _str(cmp["reporting_lea"]) if "reporting_lea" in cmp else c["cds_code"].str[:7]
    c["subject_area"] = c["subject_area"].str.lower()
    c = c.drop_duplicates(["cmp_course_id", "school_code", "list_year"]).reset_index(drop=True)
    return c


def _split_list(col: pd.Series, upper: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``|``-separated lists -> (non-empty trimmed items, row position of each item), via pyarrow."""
    arr = pa.array(col.fillna("").to_numpy(object), type=pa.string())
    if upper:
        arr = pc.utf8_upper(arr)
    lists = pc.split_pattern(arr, pattern="|")
    items = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    owner = pc.list_parent_indices(lists).to_numpy()
    keep = pc.not_equal(items, "").to_numpy(zero_copy_only=False)
    return items.to_numpy(zero_copy_only=False)[keep].astype(object), owner[keep].astype(np.int64)
