"""Course catalog logic (seed Diagram 1, step 2): CRSE section rows to one row per course.

A CRSE row is a course *section*. Course-level fields (state course code, course name, UC/CSU approved
indicator, instructional level, AP/IB cross reference) must be identical for every section of one local course
at a school in a year; when they disagree (a CALPADS data-quality error) we count it per field and resolve it
by a stated rule: **the value most sections carry; on a tie, the value of the section with the lowest
section ID**.
"""

from __future__ import annotations


import pandas as pd

from ccgi_assets import contracts as c
from ccgi_assets import refdata

#: The CRSE columns the course share reads: no SEID, no class ID, nothing about students.
CRSE_SECTIONS_SQL = """
SELECT reporting_lea, school_of_course_delivery AS school_code, academic_year_id AS academic_year,
       local_course_id, course_section_id, course_name, state_course_code,
       uc_csu_approved_indicator, course_section_instructional_level_code AS instructional_level_code,
       ap_ib_course_code_cross_reference AS ap_ib_cross_reference
FROM {CRSE}
WHERE coalesce(transaction_type_code, '') <> 'D'
"""

KEY = ["school_code", "academic_year", "local_course_id"]
COURSE_FIELDS = ["reporting_lea", "course_name", "state_course_code", "uc_csu_approved_indicator",
                 "instructional_level_code", "ap_ib_cross_reference"]


def state_course_codes() -> pd.DataFrame:
    """The state course code list shipped with the package (see :func:`ccgi_assets.refdata.state_course_codes`)."""
    return refdata.state_course_codes()


def resolve_courses(sections: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per (school, year, local course) with course-level fields resolved; counts of courses whose
    field disagreed across sections, per field."""
    if sections.empty:
        empty = pd.DataFrame({col: pd.Series(dtype="string") for col in c.columns(c.CrseCourse)})
        return c.validate(empty, c.CrseCourse), {f: 0 for f in COURSE_FIELDS}
    s = sections.copy()
    for col in KEY + COURSE_FIELDS + ["course_section_id"]:
        s[col] = s[col].astype("string").str.strip().fillna("")
    s = s.sort_values(KEY + ["course_section_id"], kind="stable")
    grouped = s.groupby(KEY, sort=True)
    out = grouped.size().rename("section_count").to_frame()
    conflicts: dict[str, int] = {}
    conflicting = pd.Series(0, index=out.index, dtype="int64")
    for field in COURSE_FIELDS:
        # s is sorted by section ID within a course: the first row of a value is its lowest section
        counts = s.drop_duplicates(KEY + [field])[KEY + [field, "course_section_id"]].rename(
            columns={"course_section_id": "first_section"})
        counts["n"] = s.groupby(KEY + [field], sort=False).size().reindex(
            pd.MultiIndex.from_frame(counts[KEY + [field]])).to_numpy()
        distinct = counts.groupby(KEY).size()
        disagree = distinct > 1
        conflicts[field] = int(disagree.sum())
        conflicting = conflicting.add(disagree.astype("int64"), fill_value=0)
        best = counts.sort_values(KEY + ["n", "first_section"], ascending=[True] * len(KEY) + [False, True],
                                  kind="stable").drop_duplicates(KEY)
        out[field] = best.set_index(KEY)[field]
    out["conflicting_fields"] = conflicting.astype("int64")
    out = out.reset_index()
    codes = state_course_codes().drop_duplicates("code", keep="last").set_index("code")["content_area"]
    out["content_area"] = out["state_course_code"].map(codes)
    out["uc_csu_approved"] = out["uc_csu_approved_indicator"].str.upper().eq("Y")
    for col in ["course_name", "state_course_code", "instructional_level_code", "ap_ib_cross_reference"]:
        out[col] = out[col].where(out[col] != "", None)
    out = c.select_allowed(out, c.CrseCourse)
    return c.validate(out, c.CrseCourse), conflicts

