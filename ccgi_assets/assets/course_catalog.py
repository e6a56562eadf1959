"""Diagram 1, the course catalog share (non-PII): CRSE courses, their match against UC's CMP list, and the
results returned to CDE."""


import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from ccgi_assets import contracts as c
from ccgi_assets.assets.contract_asset import contract_asset
from ccgi_assets.assets.sources import calpads_crse, uc_cmp_list
from ccgi_assets.courses import CRSE_SECTIONS_SQL, resolve_courses
from ccgi_assets.matching_vocab import MATCH_STATUSES
from resources import CalpadsShare, CmpSource, ExportStore

GROUP = "course_catalog_share"


@asset(
    **contract_asset(c.CrseCourse, GROUP, partitioned=False),
    deps=[calpads_crse],
)
def crse_courses(context: AssetExecutionContext, calpads: CalpadsShare) -> Output[pd.DataFrame]:
    """Every course CALPADS knows (school of delivery, year, local course ID), from CRSE section rows.

    Seed Diagram 1 step 2: a limited, non-PII course share. Only course columns are read (never SEIDs, class
    IDs or student fields). Course-level fields that disagree across sections are counted per field and
    resolved by majority (ties: lowest section ID). Receivers: the matcher, student course records.
    """
    load = calpads.prepare(["CRSE"])
    sections = calpads.query(CRSE_SECTIONS_SQL)
    courses, conflicts = resolve_courses(sections)
    crse_load = load.get("CRSE", {})
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
            "crse_rows_rejected_malformed": int(crse_load.get("rows_rejected", 0)),
        },
    )


@asset(
    **contract_asset(c.CmpMatchResult, GROUP, partitioned=False),
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

    Receivers: CDE (an export of these results and of the learned vocabulary) and each LEA (its course-match report).
    """
    from ccgi_assets.matching import learn_vocabulary, match_courses

    cmp_list = cmp.read()
    vocabulary = c.validate(c.select_allowed(learn_vocabulary(crse_courses, cmp_list), c.LearnedCourseVocabulary),
                            c.LearnedCourseVocabulary)
    results = match_courses(crse_courses, cmp_list, vocabulary=vocabulary)
    results = c.validate(c.select_allowed(results, c.CmpMatchResult), c.CmpMatchResult)
    where = exports.write("cde", "cmp_match_results", results)
    vocabulary_at = exports.write("cde", "learned_course_vocabulary", vocabulary)
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
        },
    )
