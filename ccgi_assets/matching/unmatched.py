"""The CMP courses of each school that no CALPADS course matched (the LEA report, seed Diagram 1 step 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccgi_assets.matching.inputs import _check_columns, _prepare_cmp, _prepare_crse, _str
from ccgi_assets.matching.vocabulary import UNMATCHED_COLUMNS

#: why a CMP course is listed as unmatched
UNMATCHED_REASONS: dict[str, str] = {
    "no_calpads_course_matched": "no UC/CSU-approved CALPADS course of the school matched this CMP course "
                                 "(not reported in CRSE, reported without the UC/CSU flag, or under another name)",
    "tied_in_ambiguous_match": "a CALPADS course fits this and another CMP course equally well",
    "school_has_no_approved_crse_courses": "the school reported no UC/CSU-approved course in CRSE for the list year",
}


def unmatched_cmp_courses(crse: pd.DataFrame, cmp: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """The CMP courses of each school that no CALPADS course matched (for the LEA report, seed Diagram 1 step 4).

    ``results`` is :func:`match_courses` output for the same inputs. One row per unmatched CMP course with
    :data:`UNMATCHED_COLUMNS`; ``reason`` is one of :data:`UNMATCHED_REASONS`. A CMP list without
    ``list_year`` counts for every year.
    """
    _check_columns(results, ["school_code", "academic_year", "cmp_course_id", "match_status",
                             "candidate_cmp_course_id", "runner_up_cmp_course_id"], "match results")
    c = _prepare_cmp(cmp)
    q = _prepare_crse(crse)
    r_school, r_year = _str(results["school_code"]).fillna(""), _str(results["academic_year"]).fillna("")
    status = results["match_status"]

    def ids(mask: pd.Series, col: str) -> pd.DataFrame:
        sel = mask & results[col].notna()
        return pd.DataFrame({"school_code": r_school[sel], "year": r_year[sel], "cmp_course_id": _str(results.loc[sel, col])})

    matched = ids(status.isin(["matched", "matched_subject_mismatch"]), "cmp_course_id")
    tied = pd.concat([ids(status == "ambiguous", "candidate_cmp_course_id"),
                      ids(status == "ambiguous", "runner_up_cmp_course_id")])
    reported = q[["school_code", "academic_year"]].rename(columns={"academic_year": "year"}).drop_duplicates()

    def hit(pairs: pd.DataFrame, on: list[str]) -> np.ndarray:
        """Per CMP row: whether (school, year[, id]) is in pairs; an undated CMP row matches any year."""
        left = c.assign(year=c["list_year"].fillna(""))
        dated = pd.MultiIndex.from_frame(left[on]).isin(pd.MultiIndex.from_frame(pairs[on].astype(str)))
        on_school = [k for k in on if k != "year"]
        undated = pd.MultiIndex.from_frame(left[on_school]).isin(pd.MultiIndex.from_frame(pairs[on_school].astype(str)))
        return np.where(left["year"].to_numpy() == "", undated, dated)

    is_matched = hit(matched, ["school_code", "year", "cmp_course_id"])
    in_tie = hit(tied, ["school_code", "year", "cmp_course_id"])
    has_crse = hit(reported, ["school_code", "year"])
    out = c.loc[~is_matched].copy()
    out["reason"] = np.where(~has_crse[~is_matched], "school_has_no_approved_crse_courses",
                             np.where(in_tie[~is_matched], "tied_in_ambiguous_match", "no_calpads_course_matched"))
    out = out[UNMATCHED_COLUMNS].astype(pd.StringDtype("pyarrow"))
    return out.sort_values(["school_code", "list_year", "course_title", "cmp_course_id"], kind="stable").reset_index(drop=True)
