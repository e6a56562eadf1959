"""Column-level data contracts: what each share may carry.

Each asset's pandera ``DataFrameModel`` below is the single source of truth for its columns. From it
derive: validation (:func:`validate`), the asset's ``dagster/column_schema`` (:func:`table_schema`), the
allowlist a reader selects (:func:`columns`), the Snowflake secure-view DDL (:func:`secure_view_ddl`) and the
data dictionary (:func:`data_dictionary_markdown`). Nothing else lists the same columns.

Every field says whether it is student PII (``metadata={"pii": True}``). A contract whose ``Config`` sets
membership in :data:`NON_PII` may hold no PII field, and ``strict`` makes any extra column (an SEID, an SSID, a name)
an error. Validation failures are reported as column, rule and count: never the failing values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from ccgi_assets.matching_vocab import MATCH_METHODS, MATCH_STATUSES

#: strings are Arrow-backed: less memory, and vectorized pattern checks (about 4x faster than Python strings)
Str = Annotated[pd.StringDtype, "pyarrow", pd.NA]

LEA = r"^\d{7}$"
SCHOOL = r"^\d{7}$"
SSID = r"^\d{10}$"
YEAR = r"^\d{4}-\d{4}$"
SYSTEMS = ["UC", "CSU", "CCC"]
AG_CODES = ["A", "B", "C", "D", "E", "F", "GA", "GB", "GC", "GD", "GE", "GF", "GO"]


def _meta(pii: bool, source: str | None, why: str | None, how: str | None) -> dict:
    meta = {"pii": pii, "source": source}
    if why:
        meta["why"] = why
    if how:
        meta["how"] = how
    return meta


def _pii(description: str, source: str | None = None, why: str | None = None, how: str | None = None, **kw):
    """A student-data field. ``source``: where its values come from (``asset.column``, comma-separated; a
    reference table as ``reference/<table>.<column>``; ``constant`` for a label the pipeline sets). ``why``: the
    seed's words or the receiver's need that justify sharing it. ``how``: ``transformation`` or ``aggregation``
    when the value is computed (default: copied from a single source, renamed at most)."""
    return pa.Field(description=description, metadata=_meta(True, source, why, how), **kw)


def _f(description: str, source: str | None = None, why: str | None = None, how: str | None = None, **kw):
    return pa.Field(description=description, metadata=_meta(False, source, why, how), **kw)


def _uses(**by_subtype: str) -> dict[str, str]:
    """Columns a contract's rows are *selected* by without being copied (filters, joins, windows): keyword = the
    OpenLineage indirect subtype, value = ``"asset.column, ...: what they decide"``."""
    out: dict[str, str] = {}
    for subtype, spec in by_subtype.items():
        cols, _, what = spec.partition(": ")
        for col in cols.split(","):
            out[col.strip()] = f"{subtype.rstrip('_0123456789')}: {what}"
    return out


#: the most recent SENR record of a student (students.MOST_RECENT_SENR_SQL / ENROLLED_IN_LEA_SQL)
_MOST_RECENT_SENR = _uses(
    FILTER="calpads_senr.transaction_type_code: deleted (D) records are never read",
    WINDOW="calpads_senr.enrollment_start_date, calpads_senr.enrollment_exit_date, calpads_senr.enrollment_status_code,"
           " calpads_senr.school_of_attendance: most recent enrollment wins (latest start, open, primary)",
)
#: what the matcher compares (matching.match_courses): names, codes, subject areas, Honors/AP/IB markers
_MATCH_EVIDENCE = ("crse_courses.course_name, crse_courses.local_course_id, crse_courses.state_course_code, "
                   "uc_cmp_list.course_title, uc_cmp_list.transcript_abbreviations, uc_cmp_list.local_course_codes, "
                   "uc_cmp_list.subject_area, uc_cmp_list.honors_type, reference/state_course_codes.name, "
                   "reference/state_course_codes.content_area")
_SEED_3 = "seed 2a-3 / 2b-2: 'only ... data elements necessary to register the student (name, local ID, DOB, gender, ethnicity)'"
_SEED_5 = "seed 2a-5 / 2b-4: course data 'to populate the student's account (course name, ID, subject area, year, school)'"
_SEED_6 = "seed 2a-6 / 2b-5: 'course data and SSID ... shared with statewide systems' upon application, with consent"
_SEED_7 = "seed 2a-7 / 2b-6: 'student account data shared with CDE (applications submitted, planning data, completed activities)'"
_PREFILL = "UC, CSU and CCC applications pre-fill the academic record from course, term, grade and credits"
#: what the LEA report counts (platform.activity_figures, platform.match_figures)
_REPORT_COUNTS = ("registration_roster.ssid, platform_activity.accounts.ssid, platform_activity.accounts.registered_at, "
                  "platform_activity.applications.ssid, platform_activity.applications.system, "
                  "platform_activity.activities.ssid, platform_activity.activities.completed_at, cmp_match_results.match_status")


class _Base(pa.DataFrameModel):
    class Config:
        strict = True  # an extra column is a contract violation
        coerce = True


# --------------------------------------------------------------------------- Diagram 1 (non-PII)
class CrseCourse(_Base):
    """One course offered at a school in a year, from CALPADS CRSE section rows (non-PII)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="calpads_crse.reporting_lea", str_matches=LEA)
    school_code: Series[Str] = _f("7-digit school of course delivery", source="calpads_crse.school_of_course_delivery", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID, CCYY-CCYY", source="calpads_crse.academic_year_id", str_matches=YEAR)
    local_course_id: Series[Str] = _f("the LEA's local course ID (leading zeros kept)", source="calpads_crse.local_course_id")
    course_name: Series[Str] = _f("course name as the school submitted it", source="calpads_crse.course_name", nullable=True)
    state_course_code: Series[Str] = _f("4-digit CALPADS state course code", source="calpads_crse.state_course_code", nullable=True)
    content_area: Series[Str] = _f("content area of the state course code", source="calpads_crse.state_course_code, reference/state_course_codes.code, reference/state_course_codes.content_area", how="transformation", nullable=True)
    uc_csu_approved: Series[pd.BooleanDtype] = _f("UC/CSU approved indicator (Y) in CRSE", source="calpads_crse.uc_csu_approved_indicator", how="transformation")
    instructional_level_code: Series[Str] = _f("course section instructional level", source="calpads_crse.course_section_instructional_level_code", nullable=True)
    ap_ib_cross_reference: Series[Str] = _f("AP/IB course code cross reference", source="calpads_crse.ap_ib_course_code_cross_reference", nullable=True)
    section_count: Series[pd.Int64Dtype] = _f("CRSE section rows behind this course", source="calpads_crse.course_section_id", how="aggregation", ge=1)
    conflicting_fields: Series[pd.Int64Dtype] = _f(
        "course-level fields that disagreed across sections (resolved: most common value, ties to the "
        "value of the lowest section ID)",
        source="calpads_crse.reporting_lea, calpads_crse.course_name, calpads_crse.state_course_code, calpads_crse.uc_csu_approved_indicator, "
               "calpads_crse.course_section_instructional_level_code, calpads_crse.ap_ib_course_code_cross_reference",
        how="aggregation", ge=0,
    )

    class Config:
        unique = ["school_code", "academic_year", "local_course_id"]
        metadata = {"uses": _uses(
            FILTER="calpads_crse.transaction_type_code: deleted (D) section records are never read",
            SORT="calpads_crse.course_section_id: a tie between section values goes to the lowest section ID")}


class CmpMatchResult(_Base):
    """How one UC/CSU-approved CALPADS course matched the UC A-G CMP list (non-PII; returned to CDE)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="crse_courses.reporting_lea, uc_cmp_list.reporting_lea", str_matches=LEA)
    school_code: Series[Str] = _f("7-digit school code", source="crse_courses.school_code", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="crse_courses.academic_year", str_matches=YEAR)
    local_course_id: Series[Str] = _f("local course ID", source="crse_courses.local_course_id")
    course_name: Series[Str] = _f("CALPADS course name", source="crse_courses.course_name", nullable=True)
    state_course_code: Series[Str] = _f("state course code", source="crse_courses.state_course_code", nullable=True)
    content_area: Series[Str] = _f("content area of the state course code", source="crse_courses.state_course_code, reference/state_course_codes.code, reference/state_course_codes.content_area", how="transformation", nullable=True)
    cmp_course_id: Series[Str] = _f("matched CMP course ID (null when none)", source="uc_cmp_list.cmp_course_id", nullable=True)
    candidate_cmp_course_id: Series[Str] = _f("best CMP candidate, matched or not (for a person to check)", source="uc_cmp_list.cmp_course_id", nullable=True)
    cmp_course_title: Series[Str] = _f("CMP course title of the candidate", source="uc_cmp_list.course_title", nullable=True)
    cmp_subject_area: Series[Str] = _f("CMP a-g subject area of the candidate", source="uc_cmp_list.subject_area", nullable=True)
    match_status: Series[Str] = _f("matched | matched_subject_mismatch | ambiguous | not_on_cmp", source=_MATCH_EVIDENCE, how="transformation", isin=MATCH_STATUSES)
    score: Series[float] = _f("similarity of the best candidate, 0-100", source=_MATCH_EVIDENCE, how="transformation", ge=0, le=100)
    method: Series[Str] = _f("evidence used: local_course_code | transcript_abbreviation | title", source=_MATCH_EVIDENCE, how="transformation", isin=MATCH_METHODS, nullable=True)
    reason: Series[Str] = _f("short code a person can act on", source=_MATCH_EVIDENCE, how="transformation")
    name_score: Series[float] = _f("name similarity alone, 0-100", source=_MATCH_EVIDENCE, how="transformation", ge=0, le=100, nullable=True)
    runner_up_cmp_course_id: Series[Str] = _f("second-best CMP candidate", source="uc_cmp_list.cmp_course_id", nullable=True)
    runner_up_score: Series[float] = _f("its similarity, 0-100", source=_MATCH_EVIDENCE, how="transformation", ge=0, le=100, nullable=True)

    class Config:
        metadata = {"uses": _uses(
            FILTER="crse_courses.uc_csu_approved: only UC/CSU-approved courses are compared",
            JOIN="uc_cmp_list.cds_code, uc_cmp_list.list_year: a course is compared with its own school's CMP list of that year")}


class LearnedCourseVocabulary(_Base):
    """A word equivalence the matcher learned from confirmed course pairs (non-PII; written with cmp_match_results)."""

    word: Series[Str] = _f("a word as schools write it, after the hand tables",
                           source="crse_courses.course_name,uc_cmp_list.transcript_abbreviations")
    means: Series[Str] = _f("what it means (empty: nothing, e.g. a program prefix)", source="uc_cmp_list.course_title")
    schools: Series[pd.Int64Dtype] = _f("schools where a confirmed pair showed it", ge=1)
    pairs: Series[pd.Int64Dtype] = _f("distinct confirmed (name, CMP title) pairs that showed it", ge=1)
    self_schools: Series[pd.Int64Dtype] = _f("schools where the word was confirmed as itself", ge=0)
    source: Series[Str] = _f("how the pairs were confirmed: local_course_code | transcript_abbreviation",
                             str_matches=r"^(local_course_code|transcript_abbreviation)(\|(local_course_code|transcript_abbreviation))?$")

    class Config:
        unique = ["word"]


# --------------------------------------------------------------------------- Diagram 2a/2b (student share)
class OptinStudent(_Base):
    """A student an LEA shares: on its newest opt-in list (opt_in) or enrolled in grades 6-12 (statewide)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="lea_participation.reporting_lea, calpads_senr.reporting_lea", str_matches=LEA)
    ssid: Series[Str] = _pii("10-digit statewide student identifier", source="optin_landing.SSID, calpads_senr.ssid", str_matches=SSID)
    participation_model: Series[Str] = _f("opt_in | statewide", source="lea_participation.model", isin=["opt_in", "statewide"])

    class Config:
        unique = ["reporting_lea", "ssid"]
        metadata = {"uses": {**_MOST_RECENT_SENR, **_uses(
            FILTER="calpads_senr.grade_level_code: the statewide model shares open enrollments in grades 6-12")}}


class RegistrationRoster(_Base):
    """What CaliforniaColleges.edu needs to register a student: the seed's name, local ID, DOB, gender, ethnicity."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="optin_students.reporting_lea, calpads_senr.reporting_lea", why="seed 2a-2: the LEA whose list shares the student; its educators and reports see the student (2a-8, 2a-9)", str_matches=LEA)
    ssid: Series[Str] = _pii("SSID", source="optin_students.ssid", why="seed 2a-4 / 2b-3: registration matches the SSID", str_matches=SSID)
    local_student_id: Series[Str] = _pii("local student ID (string, leading zeros kept)", source="calpads_senr.local_student_id", why="seed 2a-3 'local ID'; 2a-4 / 2b-3: registration matches it")
    legal_first_name: Series[Str] = _pii("legal first name", source="calpads_sinf.student_legal_first_name", why="seed 2a-3 / 2b-2: 'name', to register the student", nullable=True)
    legal_last_name: Series[Str] = _pii("legal last name", source="calpads_sinf.student_legal_last_name", why="seed 2a-3 / 2b-2: 'name', to register the student", nullable=True)
    birth_date: Series[pa.DateTime] = _pii("birth date", source="calpads_sinf.student_birth_date", why="seed 2a-3 'DOB'; 2a-4 / 2b-3: registration matches it", nullable=True)
    gender_code: Series[Str] = _pii("gender code (F, M, X)", source="calpads_sinf.student_gender_code", why="seed 2a-3 / 2b-2: 'gender'", nullable=True)
    hispanic_ethnicity_indicator: Series[Str] = _pii("Hispanic ethnicity indicator Y/N", source="calpads_sinf.hispanic_ethnicity_indicator", why="seed 2a-3 / 2b-2: 'ethnicity' (CALPADS' ethnicity question)", nullable=True)
    race_1_code: Series[Str] = _pii("race code 1", source="calpads_sinf.race_1_code", why="seed 2a-3 / 2b-2: 'ethnicity' (CALPADS records ethnicity as the Hispanic indicator plus race codes)", nullable=True)
    race_2_code: Series[Str] = _pii("race code 2", source="calpads_sinf.race_2_code", why="seed 2a-3 / 2b-2: 'ethnicity' (second race code)", nullable=True)
    race_3_code: Series[Str] = _pii("race code 3", source="calpads_sinf.race_3_code", why="seed 2a-3 / 2b-2: 'ethnicity' (third race code)", nullable=True)
    race_4_code: Series[Str] = _pii("race code 4", source="calpads_sinf.race_4_code", why="seed 2a-3 / 2b-2: 'ethnicity' (fourth race code)", nullable=True)
    race_5_code: Series[Str] = _pii("race code 5", source="calpads_sinf.race_5_code", why="seed 2a-3 / 2b-2: 'ethnicity' (fifth race code)", nullable=True)
    school_code: Series[Str] = _f("school of most recent enrollment", source="calpads_senr.school_of_attendance", why="seed 2a-8 / 2a-9: the school's educators and the LEA report see the student by school", str_matches=SCHOOL)
    grade_level_code: Series[Str] = _f("grade level of most recent enrollment", source="calpads_senr.grade_level_code", why="seed 2a-9: the LEA report counts students by grade; 2b: the statewide model covers grades 6-12")

    class Config:
        unique = ["reporting_lea", "ssid"]
        metadata = {"uses": {**_MOST_RECENT_SENR, **_uses(
            FILTER="calpads_sinf.transaction_type_code: deleted (D) records are never read",
            WINDOW="calpads_sinf.effective_start_date, calpads_sinf.effective_end_date: the current SINF record only (no history)",
            JOIN="calpads_senr.ssid, calpads_sinf.ssid: the listed student's own SENR and SINF records")}}


class StudentCourse(_Base):
    """A roster student's course record, to fill the student's account (seed step 2a-5 / 2b-4)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="registration_roster.reporting_lea", why="seed 2a-5: the LEA's share the record belongs to; a withdrawal by the LEA removes it", str_matches=LEA)
    ssid: Series[Str] = _pii("SSID", source="calpads_scsc.ssid, registration_roster.ssid", why="seed 2a-5: whose account the course record fills", str_matches=SSID)
    school_code: Series[Str] = _f("school of course delivery", source="calpads_scsc.school_of_course_delivery", why="seed 2a-5 / 2b-4: 'school'", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="calpads_scsc.academic_year_id", why="seed 2a-5 / 2b-4: 'year'", str_matches=YEAR)
    academic_term_code: Series[Str] = _f("academic term", source="calpads_scsc.academic_term_code", why=f"a grade belongs to a term: {_PREFILL}", nullable=True)
    local_course_id: Series[Str] = _f("local course ID", source="calpads_scsc.local_course_id", why="seed 2a-5 / 2b-4: course 'ID'")
    course_name: Series[Str] = _f("course name", source="crse_courses.course_name", why="seed 2a-5 / 2b-4: 'course name'", nullable=True)
    state_course_code: Series[Str] = _f("state course code", source="crse_courses.state_course_code", why="seed 2a-5 / 2b-4: course 'ID', the statewide one (says AP, IB or CTE where the local ID does not)", nullable=True)
    ag_subject_area: Series[Str] = _f("UC/CSU a-g admission requirement code", source="calpads_scsc.uc_csu_admission_requirement_code", why="seed 2a-5 / 2b-4: 'subject area' (UC/CSU a-g)", isin=AG_CODES, nullable=True)
    credits_earned: Series[float] = _f("credits earned", source="calpads_scsc.student_credits_earned", why=f"seed 2a-6 'course data': {_PREFILL}", nullable=True)
    final_grade: Series[Str] = _f("final grade", source="calpads_scsc.student_course_final_grade", why=f"seed 2a-6 'course data': {_PREFILL}", nullable=True)

    class Config:
        metadata = {"uses": _uses(
            FILTER="calpads_scsc.transaction_type_code: deleted (D) records are never read",
            JOIN="crse_courses.school_code, crse_courses.academic_year, crse_courses.local_course_id: the catalog course of the record")}


# --------------------------------------------------------------------------- platform sharing
class VerifiedAccount(_Base):
    """A CaliforniaColleges.edu account whose SSID, local student ID and birth date equal the student's row on
    the LEA's current registration roster (seed 2a step 4 / 2b step 3). Only verified accounts count anywhere
    downstream: submissions, the CDE extract and the LEA report's registrations."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="registration_roster.reporting_lea", str_matches=LEA)
    ssid: Series[Str] = _pii("SSID of the verified account", source="registration_roster.ssid, platform_activity.accounts.ssid", str_matches=SSID)
    registered_at: Series[pa.DateTime] = _f("earliest registration of a verified account", source="platform_activity.accounts.registered_at", how="aggregation")

    class Config:
        unique = ["reporting_lea", "ssid"]
        metadata = {"uses": _uses(
            FILTER="platform_activity.accounts.local_student_id, platform_activity.accounts.birth_date, "
                   "registration_roster.local_student_id, registration_roster.birth_date: "
                   "only accounts whose SSID, local ID and birth date equal the student's roster row")}


class StatewideSubmission(_Base):
    """Course data and SSID sent to one statewide system, on application, with consent in force."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="student_courses.reporting_lea", why="seed 2a-2: rows are written per LEA, so an LEA's withdrawal removes exactly its rows", str_matches=LEA)
    receiving_system: Series[Str] = _f("UC | CSU | CCC", source="platform_activity.applications.system", why="seed 2a-6: only the system applied to receives the data; each system's share holds only its rows", isin=SYSTEMS)
    ssid: Series[Str] = _pii("SSID", source="student_courses.ssid", why="seed 2a-6 / 2b-5: 'course data and SSID'", str_matches=SSID)
    application_submitted_at: Series[pa.DateTime] = _f("when the application was submitted", source="platform_activity.applications.submitted_at", why="seed 2a-6 'upon application submittal': the receiver ties the records to that application", how="aggregation")
    school_code: Series[Str] = _f("school of course delivery", source="student_courses.school_code", why="seed 2a-5 'school': the application's academic record is entered per school attended", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="student_courses.academic_year", why=f"seed 2a-5 'year': {_PREFILL}", str_matches=YEAR)
    academic_term_code: Series[Str] = _f("academic term", source="student_courses.academic_term_code", why=_PREFILL, nullable=True)
    local_course_id: Series[Str] = _f("local course ID", source="student_courses.local_course_id", why="seed 2a-5 course 'ID': identifies the course on the school's UC a-g (CMP) list")
    course_name: Series[Str] = _f("course name", source="student_courses.course_name", why=f"seed 2a-5 'course name': {_PREFILL}", nullable=True)
    ag_subject_area: Series[Str] = _f("a-g code", source="student_courses.ag_subject_area", why="seed 2a-5 'subject area': UC and CSU check the a-g requirements from it", isin=AG_CODES, nullable=True)
    credits_earned: Series[float] = _f("credits earned", source="student_courses.credits_earned", why=_PREFILL, nullable=True)
    final_grade: Series[Str] = _f("final grade", source="student_courses.final_grade", why=_PREFILL, nullable=True)

    class Config:
        metadata = {"uses": _uses(
            FILTER="registration_roster.ssid, verified_accounts.ssid, platform_activity.applications.ssid, platform_activity.consents.ssid, "
                   "platform_activity.consents.system, platform_activity.consents.granted, platform_activity.consents.recorded_at: "
                   "only rostered applicants with a verified account and consent to that system in force at submission and not revoked since")}


class CdeExtractRow(_Base):
    """Account data for CDE, one row per student on a current roster who has a verified platform account."""

    ssid: Series[Str] = _pii("SSID", source="registration_roster.ssid, verified_accounts.ssid", why="seed 2a-7 'student account data': CDE links it to the student's CALPADS record", str_matches=SSID)
    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="registration_roster.reporting_lea", why="seed 2a-7: the LEA currently sharing the student, for CDE's per-LEA view", str_matches=LEA)
    registered_at: Series[pa.DateTime] = _f("account registration time", source="verified_accounts.registered_at", why="seed 2a-4 / 2a-7: the account exists (registered against CALPADS data) and since when", how="aggregation")
    uc_application_submitted_at: Series[pa.DateTime] = _f("UC application submitted", source="platform_activity.applications.system, platform_activity.applications.submitted_at", why="seed 2a-7 / 2b-6: 'applications submitted'", how="aggregation", nullable=True)
    csu_application_submitted_at: Series[pa.DateTime] = _f("CSU application submitted", source="platform_activity.applications.system, platform_activity.applications.submitted_at", why="seed 2a-7 / 2b-6: 'applications submitted'", how="aggregation", nullable=True)
    ccc_application_submitted_at: Series[pa.DateTime] = _f("CCC application submitted", source="platform_activity.applications.system, platform_activity.applications.submitted_at", why="seed 2a-7 / 2b-6: 'applications submitted'", how="aggregation", nullable=True)
    planning_items: Series[pd.Int64Dtype] = _f("college and career planning items recorded", source="platform_activity.planning.ssid", why="seed 2a-7 / 2b-6: 'college and career planning data'", how="aggregation", ge=0)
    activities_completed: Series[pd.Int64Dtype] = _f("lessons and activities completed", source="platform_activity.activities.completed_at", why="seed 2a-7 / 2b-6: 'completed activities'", how="aggregation", ge=0)
    last_activity_at: Series[pa.DateTime] = _f("latest completed activity", source="platform_activity.activities.completed_at", why="seed 2a-7 / 2b-6: 'completed activities' (how recent)", how="aggregation", nullable=True)

    class Config:
        unique = ["ssid"]
        metadata = {"uses": _uses(
            JOIN="verified_accounts.reporting_lea: a student on two rosters is placed in the LEA whose folder holds the verified account")}


class LeaReportFigure(_Base):
    """One aggregate figure of an LEA's report (no student-level data; cells < 10 suppressed)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", source="registration_roster.reporting_lea, cmp_match_results.reporting_lea", str_matches=LEA)
    section: Series[Str] = _f("course_match | student_activity", source="constant")
    school_code: Series[Str] = _f("school, or ALL", source="registration_roster.school_code, cmp_match_results.school_code", nullable=True)
    grade_level_code: Series[Str] = _f("grade, or ALL", source="registration_roster.grade_level_code", nullable=True)
    measure: Series[Str] = _f("what is counted", source="cmp_match_results.match_status, platform_activity.applications.system", how="transformation")
    value: Series[float] = _f("the figure (null when suppressed)", source=_REPORT_COUNTS, how="aggregation", nullable=True)
    suppressed: Series[pd.BooleanDtype] = _f("true when a student count below 10 was suppressed", source=_REPORT_COUNTS, how="transformation")


# --------------------------------------------------------------------------- the platform source
class PlatformAccount(_Base):
    """A student's CaliforniaColleges.edu account: what the student entered when registering (platform source).
    Entered values are claims until ``verified_accounts`` checks them against the LEA's roster."""

    ssid: Series[Str] = _pii("SSID the student registered with", str_matches=SSID)
    local_student_id: Series[Str] = _pii("local student ID the student entered (a string: leading zeros count)")
    birth_date: Series[pa.DateTime] = _pii("birth date the student entered (ISO YYYY-MM-DD)")
    registered_at: Series[pa.DateTime] = _f("when the student registered")
    reporting_lea: Series[Str] = _f("the student's LEA on the platform", str_matches=LEA)


class PlatformApplication(_Base):
    """An application a student submitted to a statewide system (platform source)."""

    ssid: Series[Str] = _pii("SSID", str_matches=SSID)
    system: Series[Str] = _f("UC | CSU | CCC", isin=SYSTEMS)
    submitted_at: Series[pa.DateTime] = _f("submission time")
    reporting_lea: Series[Str] = _f("the student's LEA", str_matches=LEA)


class PlatformConsent(_Base):
    """A student's consent event for sharing course data with one system (platform source)."""

    ssid: Series[Str] = _pii("SSID", str_matches=SSID)
    system: Series[Str] = _f("UC | CSU | CCC", isin=SYSTEMS)
    granted: Series[pd.BooleanDtype] = _f("true: consent granted; false: revoked; null: the file's value could not "
                                          "be read (true/false only), which withholds like a revocation", nullable=True)
    recorded_at: Series[pa.DateTime] = _f("when the student gave or revoked consent (null: unreadable, withholds "
                                          "until a later line of the file decides)", nullable=True)
    reporting_lea: Series[Str] = _f("the student's LEA", str_matches=LEA)


class PlatformPlanning(_Base):
    """A college and career planning item a student recorded (platform source)."""

    ssid: Series[Str] = _pii("SSID", str_matches=SSID)
    item_type: Series[Str] = _f("kind of planning item")
    item: Series[Str] = _f("the item (a college, a career, a major)", nullable=True)
    recorded_at: Series[pa.DateTime] = _f("when it was recorded")
    reporting_lea: Series[Str] = _f("the student's LEA", str_matches=LEA)


class PlatformActivity(_Base):
    """A lesson or activity a student completed (platform source)."""

    ssid: Series[Str] = _pii("SSID", str_matches=SSID)
    activity: Series[Str] = _f("lesson or activity")
    completed_at: Series[pa.DateTime] = _f("completion time")
    reporting_lea: Series[Str] = _f("the student's LEA", str_matches=LEA)


#: the CaliforniaColleges.edu source, one contract per file kind (platform/<lea>/<kind>.csv)
PLATFORM_CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "accounts": PlatformAccount,
    "applications": PlatformApplication,
    "consents": PlatformConsent,
    "planning": PlatformPlanning,
    "activities": PlatformActivity,
}

CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "crse_courses": CrseCourse,
    "cmp_match_results": CmpMatchResult,
    "optin_students": OptinStudent,
    "registration_roster": RegistrationRoster,
    "student_courses": StudentCourse,
    "verified_accounts": VerifiedAccount,
    "statewide_submissions": StatewideSubmission,
    "cde_extract": CdeExtractRow,
    "lea_reports": LeaReportFigure,
}
#: assets whose data leaves CCGI or fills a student's account: every column of their contract says ``why``
JUSTIFIED = ("registration_roster", "student_courses", "statewide_submissions", "cde_extract")


# --------------------------------------------------------------------------- derived views of a contract
def _schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    return model.to_schema()


def columns(model: type[pa.DataFrameModel]) -> list[str]:
    """The allowlist: the columns a share may carry, in contract order."""
    return list(_schema(model).columns)


def pii_columns(model: type[pa.DataFrameModel]) -> list[str]:
    return [n for n, c in _schema(model).columns.items() if (c.metadata or {}).get("pii")]


#: contracts of shares that must carry no student data (Diagram 1 and reports for other parties)
NON_PII = frozenset({CrseCourse, CmpMatchResult, LearnedCourseVocabulary, LeaReportFigure})


def is_non_pii(model: type[pa.DataFrameModel]) -> bool:
    return model in NON_PII


def _type_name(col) -> str:
    s = str(col.dtype).lower()
    if "datetime" in s:
        return "timestamp"
    if "bool" in s:
        return "boolean"
    if "int" in s:
        return "integer"
    if "float" in s:
        return "double"
    return "string"


def table_schema(model: type[pa.DataFrameModel]):
    """The contract as a Dagster ``TableSchema`` (the asset's Columns tab), PII columns tagged."""
    from dagster import TableColumn, TableColumnConstraints, TableSchema

    cols = []
    for name, col in _schema(model).columns.items():
        pii = (col.metadata or {}).get("pii", False)
        cols.append(
            TableColumn(
                name=name,
                type=_type_name(col),
                description=col.description,
                constraints=TableColumnConstraints(nullable=bool(col.nullable)),
                tags={"pii": "true"} if pii else {},
            )
        )
    return TableSchema(columns=cols)


REFERENCE = "reference/"  #: prefix of a reference table shipped in ccgi_assets/reference (not a Dagster asset)
CONSTANT = "constant"  #: the source of a label the pipeline sets (no input column)


def _parse(spec: str) -> list[tuple[str, str]]:
    return [tuple(part.strip().split(".", 1)) for part in spec.split(",") if part.strip() and part.strip() != CONSTANT]


def lineage(model: type[pa.DataFrameModel]) -> dict[str, list[tuple[str, str]]]:
    """Every column's inputs, ``{column: [(dataset, column), ...]}``: assets and reference tables (``[]`` for a
    constant; a column without a declared source is absent)."""
    out = {}
    for name, col in _schema(model).columns.items():
        src = (col.metadata or {}).get("source")
        if src:
            out[name] = _parse(src)
    return out


def sources(model: type[pa.DataFrameModel]) -> dict[str, list[tuple[str, str]]]:
    """Where each column comes from among Dagster assets: ``{column: [(asset, column), ...]}``."""
    out = {}
    for name, deps in lineage(model).items():
        deps = [d for d in deps if not d[0].startswith(REFERENCE)]
        if deps:
            out[name] = deps
    return out


def uses(model: type[pa.DataFrameModel]) -> dict[tuple[str, str], tuple[str, str]]:
    """Columns that select the contract's rows without being copied: ``{(dataset, column): (subtype, what)}``."""
    declared = ((getattr(model, "__config__", None) and model.__config__.metadata) or {}).get("uses", {})
    out = {}
    for dep, text in declared.items():
        subtype, _, what = text.partition(": ")
        out[tuple(dep.split(".", 1))] = (subtype, what)
    return out


def field_meta(model: type[pa.DataFrameModel], column: str, key: str):
    return (_schema(model).columns[column].metadata or {}).get(key)


def column_lineage(model: type[pa.DataFrameModel]):
    """The contract's sources as Dagster ``dagster/column_lineage`` (stored by open-source Dagster; drawn by
    Dagster+ only: ``ccgi lineage`` draws it for everyone)."""
    from dagster import AssetKey, TableColumnDep, TableColumnLineage

    return TableColumnLineage(deps_by_column={
        col: [TableColumnDep(asset_key=AssetKey(asset), column_name=name) for asset, name in deps]
        for col, deps in sources(model).items()})


#: the CALPADS record types of CDE's share and the source asset of each
CALPADS_ASSETS = {"SENR": "calpads_senr", "SINF": "calpads_sinf", "CRSE": "calpads_crse", "SCSC": "calpads_scsc"}


def calpads_layouts() -> pd.DataFrame:
    """``reference/calpads_layouts.csv``: record_type, field_number, column, type, max_length, kind."""
    from importlib import resources

    with (resources.files("ccgi_assets") / "reference" / "calpads_layouts.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def calpads_share_columns() -> dict[str, list[str]]:
    """The CALPADS share allowlist, per record type in layout order: exactly the CALPADS columns the contracts'
    lineage needs, as a source of a column or as a column that selects rows (``uses``). Nothing else is read."""
    needed: dict[str, set[str]] = {rt: set() for rt in CALPADS_ASSETS}
    by_asset = {a: rt for rt, a in CALPADS_ASSETS.items()}
    for model in CONTRACTS.values():
        deps = [d for ds in lineage(model).values() for d in ds] + list(uses(model))
        for asset, col in deps:
            if asset in by_asset:
                needed[by_asset[asset]].add(col)
    layouts = calpads_layouts()
    out = {}
    for rt, cols in needed.items():
        order = layouts.loc[layouts["record_type"] == rt, "column"].tolist()
        unknown = sorted(cols - set(order))
        if unknown:
            raise ValueError(f"contracts name CALPADS {rt} columns not in the layout: {', '.join(unknown)}")
        out[rt] = [col for col in order if col in cols]
    return out


def secure_view_ddl(model: type[pa.DataFrameModel], source_table: str, view_name: str) -> str:
    """Snowflake secure view exposing exactly the contract's columns (column-level restriction)."""
    cols = ",\n    ".join(columns(model))
    return f"CREATE OR REPLACE SECURE VIEW {view_name} AS\nSELECT\n    {cols}\nFROM {source_table}"


def sql_type(model: type[pa.DataFrameModel], column: str) -> str:
    """The SQL type of a contract column (DuckDB and Snowflake both accept these names)."""
    return {"timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "integer": "BIGINT", "double": "DOUBLE",
            "string": "VARCHAR"}[_type_name(_schema(model).columns[column])]


def empty(model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """A frame with no rows and the contract's columns and types: "nothing" is a state, not a missing table."""
    dtypes = {"timestamp": "datetime64[ns]", "boolean": "boolean", "integer": "Int64", "double": "float64",
              "string": "string[pyarrow]"}
    return pd.DataFrame({name: pd.Series(dtype=dtypes[_type_name(col)]) for name, col in _schema(model).columns.items()})


def data_class(model: type[pa.DataFrameModel]) -> str:
    """``non_pii`` (course shares), ``aggregate`` (reports: counts only) or ``student_pii``."""
    if model is LeaReportFigure:
        return "aggregate"
    return "non_pii" if is_non_pii(model) else "student_pii"


def asset_metadata(model: type[pa.DataFrameModel], partitioned: bool = True) -> dict:
    """What every asset declares from its contract: Columns tab (PII tagged), column lineage, the contract's
    name (the IO manager creates the table from it, even with no rows) and, when partitioned by LEA, the
    column Dagster's IO manager replaces a partition by."""
    meta = {"dagster/column_schema": table_schema(model), "dagster/column_lineage": column_lineage(model),
            "contract": model.__name__}
    if partitioned:
        meta["partition_expr"] = "reporting_lea"
    return meta


def by_name(name: str) -> type[pa.DataFrameModel]:
    """A contract by its class name (what ``asset_metadata`` stores as ``contract``)."""
    for model in (*CONTRACTS.values(), *PLATFORM_CONTRACTS.values()):
        if model.__name__ == name:
            return model
    raise KeyError(name)


def select_allowed(df: pd.DataFrame, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Project a frame onto the contract's allowlist (a missing column is an error, extras are dropped)."""
    allowed = columns(model)
    missing = [c for c in allowed if c not in df.columns]
    if missing:
        raise ContractViolation(model.__name__, [Failure(c, "column_missing", 1) for c in missing])
    return df.loc[:, allowed]


@dataclass(frozen=True)
class Failure:
    column: str
    rule: str
    count: int


class ContractViolation(ValueError):
    """A frame broke its contract. The message names columns, rules and counts, never values."""

    def __init__(self, contract: str, failures: list[Failure]):
        self.contract = contract
        self.failures = failures
        parts = "; ".join(f"{f.column}: {f.rule} ({f.count} rows)" for f in failures)
        super().__init__(f"{contract} contract violated: {parts}")


def validate(df: pd.DataFrame, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Validate (and coerce) ``df`` against ``model``; raise :class:`ContractViolation` with counts only.

    We validate ourselves rather than through dagster-pandera, whose failure events carry the failing values.
    """
    if is_non_pii(model):
        leaked = [c for c in df.columns if c not in columns(model)]
        if leaked:
            raise ContractViolation(model.__name__, [Failure(c, "column_not_in_non_pii_contract", len(df)) for c in leaked])
    try:
        return model.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc.assign(column=fc["column"].fillna("<frame>").astype(str), check=fc["check"].astype(str))
        # column_in_schema failures name the extra column in failure_case: a column name, not a value.
        extra = fc["check"] == "column_in_schema"
        fc.loc[extra, "column"] = fc.loc[extra, "failure_case"].astype(str)
        counts = fc.groupby(["column", "check"], sort=True).size()
        failures = [Failure(col, _rule_name(chk), int(n)) for (col, chk), n in counts.items()]
        raise ContractViolation(model.__name__, failures) from None


def _rule_name(check: str) -> str:
    # str_matches('^\d{10}$') -> str_matches('^\d{10}$'): rule text is the contract's, not the data's.
    return check


def _cell(text) -> str:
    """A Markdown table cell: a ``|`` in the text would end the cell, a newline the row."""
    return str(text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown() -> str:
    """The data dictionary of every share, generated from the contracts."""
    out = ["# Data dictionary", "", "Generated from `ccgi_assets/contracts.py` (`ccgi dictionary`). "
           "PII columns are student data: they never leave the shares whose contract lists them. "
           "*from* is where a column's values come from (`constant`: a label the pipeline sets); *why* is what "
           "justifies sharing it (the seed's words or the receiver's need); *rows selected by* lists the columns "
           "that choose the rows without being copied.", ""]
    for asset, model in [*CONTRACTS.items(), *((f"platform/{k}", m) for k, m in PLATFORM_CONTRACTS.items())]:
        doc = (model.__doc__ or "").strip()
        out += [f"## `{asset}` ({'non-PII' if is_non_pii(model) else 'student data'})", "", doc, "",
                "| column | type | PII | nullable | from | description | why |", "|---|---|---|---|---|---|---|"]
        src = lineage(model)
        for name, col in _schema(model).columns.items():
            meta = col.metadata or {}
            pii = "yes" if meta.get("pii") else ""
            origin = ", ".join(f"`{a}.{c}`" for a, c in src.get(name, [])) or (
                f"`{CONSTANT}`" if meta.get("source") == CONSTANT else "")
            out.append(f"| `{name}` | {_type_name(col)} | {pii} | {'yes' if col.nullable else ''} | {origin} | "
                       f"{_cell(col.description)} | {_cell(meta.get('why'))} |")
        grouped: dict[tuple[str, str], list[str]] = {}
        for (a, c), how in uses(model).items():
            grouped.setdefault(how, []).append(f"`{a}.{c}`")
        if grouped:
            out += ["", "Rows selected by: " + "; ".join(
                f"{', '.join(cols)} ({sub.lower()}: {_cell(what)})" for (sub, what), cols in grouped.items()) + "."]
        out.append("")
    return "\n".join(out)
