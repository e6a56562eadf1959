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


def _pii(description: str, source: str | None = None, **kw):
    """A student-data field; ``source`` is where it comes from (``asset.column``, comma-separated)."""
    return pa.Field(description=description, metadata={"pii": True, "source": source}, **kw)


def _f(description: str, source: str | None = None, **kw):
    return pa.Field(description=description, metadata={"pii": False, "source": source}, **kw)


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
    content_area: Series[Str] = _f("content area of the state course code", source="calpads_crse.state_course_code", nullable=True)
    uc_csu_approved: Series[pd.BooleanDtype] = _f("UC/CSU approved indicator (Y) in CRSE", source="calpads_crse.uc_csu_approved_indicator")
    instructional_level_code: Series[Str] = _f("course section instructional level", source="calpads_crse.course_section_instructional_level_code", nullable=True)
    ap_ib_cross_reference: Series[Str] = _f("AP/IB course code cross reference", source="calpads_crse.ap_ib_course_code_cross_reference", nullable=True)
    section_count: Series[pd.Int64Dtype] = _f("CRSE section rows behind this course", source="calpads_crse.course_section_id", ge=1)
    conflicting_fields: Series[pd.Int64Dtype] = _f(
        "course-level fields that disagreed across sections (resolved: most common value, ties to the "
        "value of the lowest section ID)",
        ge=0,
    )

    class Config:
        unique = ["school_code", "academic_year", "local_course_id"]


class CmpMatchResult(_Base):
    """How one UC/CSU-approved CALPADS course matched the UC A-G CMP list (non-PII; returned to CDE)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    school_code: Series[Str] = _f("7-digit school code", source="crse_courses.school_code", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="crse_courses.academic_year", str_matches=YEAR)
    local_course_id: Series[Str] = _f("local course ID", source="crse_courses.local_course_id")
    course_name: Series[Str] = _f("CALPADS course name", source="crse_courses.course_name", nullable=True)
    state_course_code: Series[Str] = _f("state course code", nullable=True)
    content_area: Series[Str] = _f("content area of the state course code", nullable=True)
    cmp_course_id: Series[Str] = _f("matched CMP course ID (null when none)", source="uc_cmp_list.cmp_course_id", nullable=True)
    candidate_cmp_course_id: Series[Str] = _f("best CMP candidate, matched or not (for a person to check)",
                                              nullable=True)
    cmp_course_title: Series[Str] = _f("CMP course title of the candidate", source="uc_cmp_list.course_title", nullable=True)
    cmp_subject_area: Series[Str] = _f("CMP a-g subject area of the candidate", source="uc_cmp_list.subject_area", nullable=True)
    match_status: Series[Str] = _f("matched | matched_subject_mismatch | ambiguous | not_on_cmp",
                                   isin=MATCH_STATUSES)
    score: Series[float] = _f("similarity of the best candidate, 0-100", ge=0, le=100)
    method: Series[Str] = _f("evidence used: local_course_code | transcript_abbreviation | title",
                             isin=MATCH_METHODS, nullable=True)
    reason: Series[Str] = _f("short code a person can act on")
    name_score: Series[float] = _f("name similarity alone, 0-100", ge=0, le=100, nullable=True)
    runner_up_cmp_course_id: Series[Str] = _f("second-best CMP candidate", nullable=True)
    runner_up_score: Series[float] = _f("its similarity, 0-100", ge=0, le=100, nullable=True)


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

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    ssid: Series[Str] = _pii("10-digit statewide student identifier", source="optin_landing.SSID,calpads_senr.ssid", str_matches=SSID)
    participation_model: Series[Str] = _f("opt_in | statewide", isin=["opt_in", "statewide"])

    class Config:
        unique = ["reporting_lea", "ssid"]


class RegistrationRoster(_Base):
    """What CaliforniaColleges.edu needs to register a student: the seed's name, local ID, DOB, gender, ethnicity."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    ssid: Series[Str] = _pii("SSID", source="optin_students.ssid", str_matches=SSID)
    local_student_id: Series[Str] = _pii("local student ID (string, leading zeros kept)", source="calpads_senr.local_student_id")
    legal_first_name: Series[Str] = _pii("legal first name", source="calpads_sinf.student_legal_first_name", nullable=True)
    legal_last_name: Series[Str] = _pii("legal last name", source="calpads_sinf.student_legal_last_name", nullable=True)
    birth_date: Series[pa.DateTime] = _pii("birth date", source="calpads_sinf.student_birth_date", nullable=True)
    gender_code: Series[Str] = _pii("gender code (F, M, X)", source="calpads_sinf.student_gender_code", nullable=True)
    hispanic_ethnicity_indicator: Series[Str] = _pii("Hispanic ethnicity indicator Y/N", source="calpads_sinf.hispanic_ethnicity_indicator", nullable=True)
    race_1_code: Series[Str] = _pii("race code 1", source="calpads_sinf.race_1_code", nullable=True)
    race_2_code: Series[Str] = _pii("race code 2", source="calpads_sinf.race_2_code", nullable=True)
    race_3_code: Series[Str] = _pii("race code 3", source="calpads_sinf.race_3_code", nullable=True)
    race_4_code: Series[Str] = _pii("race code 4", source="calpads_sinf.race_4_code", nullable=True)
    race_5_code: Series[Str] = _pii("race code 5", source="calpads_sinf.race_5_code", nullable=True)
    school_code: Series[Str] = _f("school of most recent enrollment", source="calpads_senr.school_of_attendance", str_matches=SCHOOL)
    grade_level_code: Series[Str] = _f("grade level of most recent enrollment", source="calpads_senr.grade_level_code")

    class Config:
        unique = ["reporting_lea", "ssid"]


class StudentCourse(_Base):
    """A roster student's course record, to fill the student's account (seed step 2a-5 / 2b-4)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    ssid: Series[Str] = _pii("SSID", source="registration_roster.ssid", str_matches=SSID)
    school_code: Series[Str] = _f("school of course delivery", source="calpads_scsc.school_of_course_delivery", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="calpads_scsc.academic_year_id", str_matches=YEAR)
    academic_term_code: Series[Str] = _f("academic term", source="calpads_scsc.academic_term_code", nullable=True)
    local_course_id: Series[Str] = _f("local course ID", source="calpads_scsc.local_course_id")
    course_name: Series[Str] = _f("course name", source="crse_courses.course_name", nullable=True)
    state_course_code: Series[Str] = _f("state course code", source="crse_courses.state_course_code", nullable=True)
    ag_subject_area: Series[Str] = _f("UC/CSU a-g admission requirement code", source="calpads_scsc.uc_csu_admission_requirement_code", isin=AG_CODES, nullable=True)
    credits_attempted: Series[float] = _f("credits attempted", source="calpads_scsc.student_credits_attempted", nullable=True)
    credits_earned: Series[float] = _f("credits earned", source="calpads_scsc.student_credits_earned", nullable=True)
    final_grade: Series[Str] = _f("final grade", source="calpads_scsc.student_course_final_grade", nullable=True)


# --------------------------------------------------------------------------- platform sharing
class StatewideSubmission(_Base):
    """Course data and SSID sent to one statewide system, on application, with consent in force."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    receiving_system: Series[Str] = _f("UC | CSU | CCC", source="platform_activity.system", isin=SYSTEMS)
    ssid: Series[Str] = _pii("SSID", source="student_courses.ssid", str_matches=SSID)
    application_submitted_at: Series[pa.DateTime] = _f("when the application was submitted", source="platform_activity.submitted_at")
    school_code: Series[Str] = _f("school of course delivery", source="student_courses.school_code", str_matches=SCHOOL)
    academic_year: Series[Str] = _f("academic year ID", source="student_courses.academic_year", str_matches=YEAR)
    academic_term_code: Series[Str] = _f("academic term", source="student_courses.academic_term_code", nullable=True)
    local_course_id: Series[Str] = _f("local course ID", source="student_courses.local_course_id")
    course_name: Series[Str] = _f("course name", source="student_courses.course_name", nullable=True)
    ag_subject_area: Series[Str] = _f("a-g code", source="student_courses.ag_subject_area", isin=AG_CODES, nullable=True)
    credits_earned: Series[float] = _f("credits earned", source="student_courses.credits_earned", nullable=True)
    final_grade: Series[Str] = _f("final grade", source="student_courses.final_grade", nullable=True)


class CdeExtractRow(_Base):
    """Account data for CDE, one row per student on a current roster who has a platform account."""

    ssid: Series[Str] = _pii("SSID", source="registration_roster.ssid", str_matches=SSID)
    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    registered_at: Series[pa.DateTime] = _f("account registration time", source="platform_activity.registered_at")
    uc_application_submitted_at: Series[pa.DateTime] = _f("UC application submitted", source="platform_activity.submitted_at", nullable=True)
    csu_application_submitted_at: Series[pa.DateTime] = _f("CSU application submitted", source="platform_activity.submitted_at", nullable=True)
    ccc_application_submitted_at: Series[pa.DateTime] = _f("CCC application submitted", source="platform_activity.submitted_at", nullable=True)
    planning_items: Series[pd.Int64Dtype] = _f("college and career planning items recorded", source="platform_activity.item", ge=0)
    activities_completed: Series[pd.Int64Dtype] = _f("lessons and activities completed", source="platform_activity.activity", ge=0)
    last_activity_at: Series[pa.DateTime] = _f("latest completed activity", source="platform_activity.completed_at", nullable=True)

    class Config:
        unique = ["ssid"]


class LeaReportFigure(_Base):
    """One aggregate figure of an LEA's report (no student-level data; cells < 10 suppressed)."""

    reporting_lea: Series[Str] = _f("7-digit reporting LEA code", str_matches=LEA)
    section: Series[Str] = _f("course_match | student_activity")
    school_code: Series[Str] = _f("school, or ALL", nullable=True)
    grade_level_code: Series[Str] = _f("grade, or ALL", nullable=True)
    measure: Series[Str] = _f("what is counted")
    value: Series[float] = _f("the figure (null when suppressed)", nullable=True)
    suppressed: Series[pd.BooleanDtype] = _f("true when a student count below 10 was suppressed")


# --------------------------------------------------------------------------- the platform source
class PlatformAccount(_Base):
    """A student's CaliforniaColleges.edu account (platform source)."""

    ssid: Series[Str] = _pii("SSID the student registered with", str_matches=SSID)
    registered_at: Series[pa.DateTime] = _f("when the account was verified against the roster")
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
    granted: Series[bool] = _f("true: consent granted; false: revoked")
    recorded_at: Series[pa.DateTime] = _f("when the student gave or revoked consent")
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
    "statewide_submissions": StatewideSubmission,
    "cde_extract": CdeExtractRow,
    "lea_reports": LeaReportFigure,
}


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


def sources(model: type[pa.DataFrameModel]) -> dict[str, list[tuple[str, str]]]:
    """Where each column comes from: ``{column: [(asset, column), ...]}`` (columns with a known source)."""
    out = {}
    for name, col in _schema(model).columns.items():
        src = (col.metadata or {}).get("source")
        if src:
            out[name] = [tuple(part.strip().split(".", 1)) for part in src.split(",")]
    return out


def column_lineage(model: type[pa.DataFrameModel]):
    """The contract's sources as Dagster ``dagster/column_lineage`` (stored by open-source Dagster; drawn by
    Dagster+ only, so the data dictionary lists the same sources for everyone)."""
    from dagster import AssetKey, TableColumnDep, TableColumnLineage

    return TableColumnLineage(deps_by_column={
        col: [TableColumnDep(asset_key=AssetKey(asset), column_name=name) for asset, name in deps]
        for col, deps in sources(model).items()})


def secure_view_ddl(model: type[pa.DataFrameModel], source_table: str, view_name: str) -> str:
    """Snowflake secure view exposing exactly the contract's columns (column-level restriction)."""
    cols = ",\n    ".join(columns(model))
    return f"CREATE OR REPLACE SECURE VIEW {view_name} AS\nSELECT\n    {cols}\nFROM {source_table}"


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


def data_dictionary_markdown() -> str:
    """The data dictionary of every share, generated from the contracts."""
    out = ["# Data dictionary", "", "Generated from `ccgi_assets/contracts.py` (`ccgi dictionary`). "
           "PII columns are student data: they never leave the shares whose contract lists them.", ""]
    for asset, model in [*CONTRACTS.items(), *((f"platform/{k}", m) for k, m in PLATFORM_CONTRACTS.items())]:
        doc = (model.__doc__ or "").strip()
        out += [f"## `{asset}` ({'non-PII' if is_non_pii(model) else 'student data'})", "", doc, "",
                "| column | type | PII | nullable | from | description |", "|---|---|---|---|---|---|"]
        src = sources(model)
        for name, col in _schema(model).columns.items():
            pii = "yes" if (col.metadata or {}).get("pii") else ""
            origin = ", ".join(f"`{a}.{c}`" for a, c in src.get(name, []))
            out.append(f"| `{name}` | {_type_name(col)} | {pii} | {'yes' if col.nullable else ''} | {origin} | "
                       f"{col.description or ''} |")
        out.append("")
    return "\n".join(out)
