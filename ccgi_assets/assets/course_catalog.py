"""Diagram 1, the course catalog share (non-PII): CRSE courses, their match against UC's CMP list, the
results and the CMP courses CALPADS lacks returned to CDE, and a course-match report for every LEA with CRSE
data (``lea_reports`` for LEAs in the student share, ``course_match_reports`` for the others)."""


import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, Output, asset

from ccgi_assets import contracts as c
from ccgi_assets.assets.automation import on_change
from ccgi_assets.assets.contract_asset import contract_asset
from ccgi_assets.assets.sources import calpads_crse, uc_cmp_list
from ccgi_assets.courses import CRSE_SECTIONS_SQL, resolve_courses
from ccgi_assets.matching_vocab import MATCH_STATUSES
from resources import CalpadsShare, CmpSource, ExportStore, ReportStore

GROUP = "course_catalog_share"


@asset(
    **contract_asset(c.CrseCourse, GROUP, partitioned=False, automation_condition=on_change()),
    deps=[calpads_crse],
)
def crse_courses(context: AssetExecutionContext, calpads: CalpadsShare) -> Output[pd.DataFrame]:
    """Every course CALPADS knows (school of delivery, year, local course ID), from CRSE section rows.

    Seed Diagram 1 step 2: a limited, non-PII course share. Only course columns are read (never SEIDs, class
    IDs or student fields). Course-level fields that disagree across sections are counted per field and
    resolved by majority (ties: lowest section ID). Receivers: the matcher, student course records.
    """
    calpads.prepare(["CRSE"])  # loaded by the CALPADS observation (its figures and warnings are there)
    sections = calpads.query(CRSE_SECTIONS_SQL)
    courses, conflicts = resolve_courses(sections)
    return Output(
        courses,
        metadata={
            "dagster/row_count": len(courses),
            "sections_read": len(sections),
            "schools": int(courses["school_code"].nunique()),
            "leas": int(courses["reporting_lea"].nunique()),
            "uc_csu_approved_courses": int(courses["uc_csu_approved"].sum()),
            "courses_with_conflicting_fields": int((courses["conflicting_fields"] > 0).sum()),
            "conflicts_by_field": MetadataValue.json(conflicts),
        },
    )


@asset(
    **contract_asset(c.CmpMatchResult, GROUP, partitioned=False, automation_condition=on_change()),
    deps=[uc_cmp_list],
)
def cmp_match_results(context: AssetExecutionContext, crse_courses: pd.DataFrame, cmp: CmpSource,
                      exports: ExportStore) -> Output[pd.DataFrame]:
    """Each UC/CSU-approved CALPADS course compared with the school's UC A-G CMP list (seed Diagram 1 step 3).

    The words the matcher learned from the state's confirmed pairs (a CMP course's transcript abbreviations and
    title; a CALPADS course whose local course ID is on a CMP course) are computed here, used for this match and
    written beside the results as the ``learned_course_vocabulary`` extract (contract
    :class:`~ccgi_assets.contracts.LearnedCourseVocabulary`, non-PII), so the table always belongs to the results
    it produced and is rebuilt with them.

    The CMP courses no CALPADS course matched (per school and list year, with the reason) go to CDE beside the
    results, as the ``unmatched_cmp_courses`` extract (CMP fields only, non-PII; seed Diagram 1: CDE learns
    which approved courses its CRSE data lacks).

    Receivers: CDE (an export of these results, of the unmatched CMP courses and of the learned vocabulary) and
    each LEA (its course-match report).
    """
    from ccgi_assets.matching import learn_vocabulary, match_courses, unmatched_cmp_courses
    from ccgi_assets.matching.vocabulary import UNMATCHED_COLUMNS

    cmp_list = cmp.read()
    vocabulary = c.validate(c.select_allowed(learn_vocabulary(crse_courses, cmp_list), c.LearnedCourseVocabulary),
                            c.LearnedCourseVocabulary)
    results = match_courses(crse_courses, cmp_list, vocabulary=vocabulary)
    results = c.validate(c.select_allowed(results, c.CmpMatchResult), c.CmpMatchResult)
    where = exports.write("cde", "cmp_match_results", results)
    vocabulary_at = exports.write("cde", "learned_course_vocabulary", vocabulary)
    unmatched = unmatched_cmp_courses(crse_courses, cmp_list, results).loc[:, UNMATCHED_COLUMNS]
    unmatched_at = exports.write("cde", "unmatched_cmp_courses", unmatched)
    counts = results["match_status"].value_counts()
    return Output(
        results,
        metadata={
            "dagster/row_count": len(results),
            **{f"status_{s}": int(counts.get(s, 0)) for s in MATCH_STATUSES},
            "cmp_courses_listed": len(cmp_list),
            "cde_export": where,
            "learned_words": len(vocabulary),
            "learned_vocabulary_export": vocabulary_at,
            "state_code_level_differs": int((results["reason"] == "state_code_level_differs").sum()),
            "cmp_courses_not_in_calpads": len(unmatched),
            "unmatched_cmp_export": unmatched_at,
        },
    )


@asset(group_name=GROUP, kinds={"html"}, tags={"data_class": "aggregate"}, deps=[uc_cmp_list],
       automation_condition=on_change(uc_cmp_list))
def course_match_reports(context: AssetExecutionContext, cmp_match_results: pd.DataFrame, crse_courses: pd.DataFrame,
                         cmp: CmpSource, reports: ReportStore) -> MaterializeResult:
    """The course-match report (seed Diagram 1 step 4) of every LEA that submitted CRSE data but has no
    ``lea_reports`` partition materialized: an LEA outside the student share, or one whose first student run
    has not happened yet. Same report as ``lea_reports``, course section only (how its courses matched the CMP
    list, the courses that need action, the CMP courses CALPADS lacks), under ``reports/<lea>/``; when the LEA's
    student flow first runs, ``lea_reports`` replaces it with the full report. Aggregates only. Receivers: LEAs.
    """
    from ccgi_assets import platform as pf
    from ccgi_assets.matching import unmatched_cmp_courses
    from ccgi_assets.reports import render_lea_reports, shared_plotly

    full = set(context.instance.get_materialized_partitions(AssetKey("lea_reports")))
    with_crse = set(crse_courses["reporting_lea"].dropna().astype(str))
    leas = sorted(with_crse - full)
    cmp_list = cmp.read()
    crse = crse_courses[crse_courses["reporting_lea"].isin(leas)]
    matches_all = cmp_match_results[cmp_match_results["reporting_lea"].isin(leas)]
    unmatched = unmatched_cmp_courses(crse, cmp_list[cmp_list["reporting_lea"].isin(leas)], matches_all)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if leas:
        figures = pf.match_figures_by_lea(leas, matches_all)  # every LEA's in one group-by
        plotly_src = shared_plotly(reports)  # plotly.js written once beside the reports, not into each
        for lea, files in render_lea_reports(leas, matches_all, unmatched, figures, now, plotly_src=plotly_src):
            reports.write(lea, "index.html", files.html)
            for name, text in files.csvs.items():
                reports.write(lea, name, text)
    return MaterializeResult(metadata={
        "reports_written": len(leas),
        "leas": MetadataValue.json(leas),
        "leas_with_crse_data": len(with_crse),
        "leas_reported_by_lea_reports": len(with_crse & full),
    })
