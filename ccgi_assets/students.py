"""Student share logic (seed Diagram 2a steps 2-5, 2b steps 2-4): plain SQL and functions over DataFrames.

Statewide steps run where the CALPADS data lives (``CalpadsShare.query``): "most recent SENR" and "current
SINF" are window queries over every LEA's records, restricted to the students at hand; the roster and the
course records of every requested LEA are one query each (:data:`ROSTER_SQL`, :data:`STUDENT_COURSES_SQL`), so
no step loops over LEAs.
"""

from __future__ import annotations

import pandas as pd

from ccgi_assets import contracts as c

GRADES_6_12 = ["06", "07", "08", "09", "10", "11", "12"]

#: Most recent enrollment of each student in ``ids`` (a frame with an ``ssid`` column): latest enrollment start
#: date; on the same date an open enrollment, then primary (status 10) before secondary, wins.
MOST_RECENT_SENR_SQL = """
SELECT ssid, reporting_lea, school_of_attendance AS school_code, grade_level_code, local_student_id,
       enrollment_start_date, enrollment_exit_date
FROM {SENR}
WHERE coalesce(transaction_type_code, '') <> 'D' AND ssid IN (SELECT ssid FROM ids)
QUALIFY row_number() OVER (
    PARTITION BY ssid
    ORDER BY enrollment_start_date DESC, (enrollment_exit_date IS NULL) DESC, enrollment_status_code ASC,
             reporting_lea, school_of_attendance) = 1
"""

#: Students whose most recent enrollment is an open one in LEA ``$lea``, grades 6-12 (the statewide model).
ENROLLED_IN_LEA_SQL = """
SELECT ssid FROM (
    SELECT ssid, reporting_lea, grade_level_code, enrollment_exit_date
    FROM {SENR}
    WHERE coalesce(transaction_type_code, '') <> 'D'
      AND ssid IN (SELECT ssid FROM {SENR} WHERE reporting_lea = $lea)
    QUALIFY row_number() OVER (
        PARTITION BY ssid
        ORDER BY enrollment_start_date DESC, (enrollment_exit_date IS NULL) DESC, enrollment_status_code ASC,
                 reporting_lea, school_of_attendance) = 1
) recent
WHERE reporting_lea = $lea AND enrollment_exit_date IS NULL
  AND grade_level_code IN ('06', '07', '08', '09', '10', '11', '12')
ORDER BY ssid
"""

#: :data:`ENROLLED_IN_LEA_SQL` for many LEAs in one statement: (reporting_lea, ssid) of the students whose
#: most recent enrollment is an open one, grades 6-12, in an LEA of ``leas`` (a frame with a reporting_lea column).
ENROLLED_IN_LEAS_SQL = """
SELECT reporting_lea, ssid FROM (
    SELECT ssid, reporting_lea, grade_level_code, enrollment_exit_date
    FROM {SENR}
    WHERE coalesce(transaction_type_code, '') <> 'D'
      AND ssid IN (SELECT ssid FROM {SENR} WHERE reporting_lea IN (SELECT reporting_lea FROM leas))
    QUALIFY row_number() OVER (
        PARTITION BY ssid
        ORDER BY enrollment_start_date DESC, (enrollment_exit_date IS NULL) DESC, enrollment_status_code ASC,
                 reporting_lea, school_of_attendance) = 1
) recent
WHERE reporting_lea IN (SELECT reporting_lea FROM leas) AND enrollment_exit_date IS NULL
  AND grade_level_code IN ('06', '07', '08', '09', '10', '11', '12')
ORDER BY reporting_lea, ssid
"""

#: Current student information of each student in ``ids``: the record with no end date and the latest
#: effective start (an earlier record end-dated by a newer one is history, never shared).
CURRENT_SINF_SQL = """
SELECT ssid, student_legal_first_name AS legal_first_name, student_legal_last_name AS legal_last_name,
       student_birth_date AS birth_date, student_gender_code AS gender_code, hispanic_ethnicity_indicator,
       race_1_code, race_2_code, race_3_code, race_4_code, race_5_code
FROM {SINF}
WHERE coalesce(transaction_type_code, '') <> 'D' AND ssid IN (SELECT ssid FROM ids)
QUALIFY row_number() OVER (
    PARTITION BY ssid
    ORDER BY (effective_end_date IS NULL) DESC, effective_start_date DESC, effective_end_date DESC) = 1
"""

#: A roster's course records (SCSC), any school the student took them at.
STUDENT_SCSC_SQL = """
SELECT ssid, school_of_course_delivery AS school_code, academic_year_id AS academic_year,
       academic_term_code, local_course_id, student_credits_earned AS credits_earned,
       student_course_final_grade AS final_grade,
       uc_csu_admission_requirement_code AS ag_subject_area
FROM {SCSC}
WHERE coalesce(transaction_type_code, '') <> 'D' AND ssid IN (SELECT ssid FROM ids)
"""

#: The registration roster of every requested LEA at once. ``ids`` carries (reporting_lea, ssid): each LEA's
#: shared students. A student is on an LEA's roster when the most recent enrollment is in that LEA; the row is
#: that enrollment's school, grade and local ID plus the current SINF record (NULLs without one). Contract
#: columns only, in contract order.
ROSTER_SQL = """
WITH wanted AS (SELECT DISTINCT reporting_lea, ssid FROM ids),
recent AS (""" + MOST_RECENT_SENR_SQL + """),
sinf AS (""" + CURRENT_SINF_SQL + """)
SELECT w.reporting_lea, w.ssid, r.local_student_id, s.legal_first_name, s.legal_last_name, s.birth_date,
       s.gender_code, s.hispanic_ethnicity_indicator, s.race_1_code, s.race_2_code, s.race_3_code,
       s.race_4_code, s.race_5_code, r.school_code, r.grade_level_code
FROM wanted w
JOIN recent r ON r.ssid = w.ssid AND r.reporting_lea = w.reporting_lea
LEFT JOIN sinf s ON s.ssid = w.ssid
ORDER BY w.reporting_lea, w.ssid
"""

#: Course records of every requested LEA's roster students (``ids``: reporting_lea, ssid) joined to the course
#: catalog ``catalog`` (school_code, academic_year, local_course_id, course_name, state_course_code; a blank
#: name or code there stands for none); a blank a-g code is none. Contract columns only, in contract order.
STUDENT_COURSES_SQL = """
WITH wanted AS (SELECT DISTINCT reporting_lea, ssid FROM ids),
scsc AS (""" + STUDENT_SCSC_SQL + """)
SELECT w.reporting_lea, r.ssid, r.school_code, r.academic_year, r.academic_term_code, r.local_course_id,
       nullif(k.course_name, '') AS course_name, nullif(k.state_course_code, '') AS state_course_code,
       CASE WHEN trim(coalesce(r.ag_subject_area, ''), ' ' || chr(9) || chr(10) || chr(13)) = '' THEN NULL
            ELSE r.ag_subject_area END AS ag_subject_area,
       r.credits_earned, r.final_grade
FROM scsc r
JOIN wanted w ON w.ssid = r.ssid
LEFT JOIN catalog k ON k.school_code = r.school_code AND k.academic_year = r.academic_year
                   AND k.local_course_id = r.local_course_id
ORDER BY w.reporting_lea, r.ssid, r.academic_year, r.academic_term_code NULLS LAST, r.local_course_id
"""

#: :data:`STUDENT_COURSES_SQL` where the asset tables live (:meth:`resources.Warehouse.replace_partitions`): the
#: requested LEAs' roster students from ``{registration_roster}``, the catalog from ``{crse_courses}``. One
#: statement for every requested LEA; the rows go from the share's SCSC to the asset table without leaving the
#: warehouse.
STUDENT_COURSES_TABLE_SQL = (
    "WITH ids AS (SELECT reporting_lea, ssid FROM {registration_roster} WHERE reporting_lea IN ({leas})),\n"
    "catalog AS (SELECT school_code, academic_year, local_course_id, course_name, state_course_code "
    "FROM {crse_courses}),\n" + STUDENT_COURSES_SQL.strip().removeprefix("WITH "))
assert STUDENT_COURSES_TABLE_SQL.count("WITH ") == 1

#: :data:`ROSTER_SQL` where the asset tables live: the requested LEAs' students from ``{optin_students}``.
ROSTER_TABLE_SQL = ("WITH ids AS (SELECT reporting_lea, ssid FROM {optin_students} WHERE reporting_lea IN ({leas})),\n"
                    + ROSTER_SQL.strip().removeprefix("WITH "))
assert ROSTER_TABLE_SQL.count("WITH ") == 1

#: the catalog columns :data:`STUDENT_COURSES_SQL` joins
CATALOG_COLUMNS = ["school_code", "academic_year", "local_course_id", "course_name", "state_course_code"]


def catalog_frame(courses: pd.DataFrame) -> pd.DataFrame:
    """The catalog columns the course records join, blanks for none (a staged frame carries strings only)."""
    cat = courses.loc[:, CATALOG_COLUMNS].drop_duplicates(["school_code", "academic_year", "local_course_id"])
    return cat.astype(object).where(cat.notna(), "").astype(str).reset_index(drop=True)


def roster_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """:data:`ROSTER_SQL`'s result checked against the RegistrationRoster contract."""
    return c.validate(c.select_allowed(rows, c.RegistrationRoster).reset_index(drop=True), c.RegistrationRoster)


def courses_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """:data:`STUDENT_COURSES_SQL`'s result checked against the StudentCourse contract."""
    return c.validate(c.select_allowed(rows, c.StudentCourse).reset_index(drop=True), c.StudentCourse)


def ids_frame(ssids) -> pd.DataFrame:
    return pd.DataFrame({"ssid": pd.Series(list(ssids), dtype=str)})


def leas_frame(leas) -> pd.DataFrame:
    return pd.DataFrame({"reporting_lea": pd.Series(sorted({str(x) for x in leas}), dtype=str)})


def enrollment_lea(recent: pd.DataFrame) -> pd.Series:
    """SSID -> LEA of the most recent enrollment, from :data:`MOST_RECENT_SENR_SQL`'s result (made once for
    every list of a run)."""
    return recent.set_index("ssid")["reporting_lea"] if len(recent) else pd.Series(dtype=str)


def classify_list(ssids: pd.Series, where: pd.Series, lea: str) -> tuple[pd.Series, dict[str, int]]:
    """Keep the listed students whose most recent enrollment is in ``lea``.

    ``where`` is :func:`enrollment_lea` of the listed students. Returns the accepted SSIDs (list order)
    and counts per rule: ``unknown_ssid`` (no CALPADS enrollment at all) and ``enrolled_in_another_lea``
    (an LEA can only share its own students; where the student is now is never revealed).
    """
    lea_of = ssids.map(where)
    unknown = lea_of.isna()
    other = ~unknown & (lea_of != lea)
    accepted = ssids[~unknown & ~other].reset_index(drop=True)
    return accepted, {"unknown_ssid": int(unknown.sum()), "enrolled_in_another_lea": int(other.sum())}


def removed_count(previous: set[str], current: set[str]) -> int:
    """Students on the previous version of a partition and not on this one (opt-outs, transfers out)."""
    return len(previous - current)


def grade_order(grade) -> tuple:
    """Grades in school order: numeric codes by number (06 before 10), then others (UE, US ...) by name."""
    g = str(grade)
    return (0, int(g), "") if g.isdigit() else (1, 0, g)
