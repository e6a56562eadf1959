"""What leaves CCGI after students use CaliforniaColleges.edu (seed 2a steps 6-9, 2b steps 5-8)."""


import datetime as dt

import pandas as pd
from dagster import (AssetExecutionContext, BackfillPolicy, FreshnessPolicy, MetadataValue, Output, asset)

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf
from ccgi_assets.assets.sources import platform_activity, uc_cmp_list
from ccgi_assets.contracts import SYSTEMS
from ccgi_assets.partitions import lea_partitions
from resources import CmpSource, ExportStore, PlatformSource, ReportStore

GROUP = "platform_sharing"


def _by_lea(df: pd.DataFrame, keys: list[str]) -> dict[str, pd.DataFrame]:
    """One pass over a frame: each LEA's rows (an empty frame for an LEA with none)."""
    groups = dict(tuple(df.groupby("reporting_lea", sort=False))) if len(df) else {}
    return {lea: groups.get(lea, df.iloc[0:0]) for lea in keys}


def _meta(model, partitioned=True):
    meta = {"dagster/column_schema": c.table_schema(model), "dagster/column_lineage": c.column_lineage(model), "contract": model.__name__}
    if partitioned:
        meta["partition_expr"] = "reporting_lea"
    return meta


@asset(
    partitions_def=lea_partitions, backfill_policy=BackfillPolicy.single_run(), group_name=GROUP, kinds={"pandas"},
    deps=[platform_activity], metadata=_meta(c.StatewideSubmission), tags={"data_class": "student_pii"},
)
def statewide_submissions(context: AssetExecutionContext, registration_roster: pd.DataFrame,
                          student_courses: pd.DataFrame, platform: PlatformSource,
                          exports: ExportStore) -> Output[pd.DataFrame]:
    """Course data and SSID for UC, CSU and the community colleges (seed 2a step 6 / 2b step 5): upon
    application submittal, and only with the student's consent to that system in force at submission and not
    revoked since. One row per student course per receiving system, written as each system's extract for the
    LEA. Receivers: UC, CSU, CCC.
    """
    keys = list(context.partition_keys)
    apps = platform.read("applications", keys)
    consents = platform.read("consents", keys)
    rosters, courses = _by_lea(registration_roster, keys), _by_lea(student_courses, keys)
    apps_by, consents_by = _by_lea(apps, keys), _by_lea(consents, keys)
    frames = {lea: pf.statewide_submissions(lea, rosters[lea], courses[lea], apps_by[lea], consents_by[lea])
              for lea in keys}
    out = pd.concat(frames.values(), ignore_index=True)
    written = {}
    for lea, sent in frames.items():
        by_system = dict(tuple(sent.groupby("receiving_system"))) if len(sent) else {}
        for system in SYSTEMS:
            part = by_system.get(system, sent.iloc[0:0])
            if len(part):
                written[f"{system}/{lea}"] = exports.write(system, lea, part)
            else:
                exports.remove(system, lea)  # nothing to send any more: no stale extract left behind
    counts = pf.submission_counts(out)
    return Output(out, metadata={
        "dagster/row_count": len(out),
        **{f"{s}_students": int(counts.get(s, {}).get("students", 0)) for s in SYSTEMS},
        **{f"{s}_course_rows": int(counts.get(s, {}).get("course_rows", 0)) for s in SYSTEMS},
        "extracts_written": len(written),
    })


@asset(group_name=GROUP, kinds={"pandas"}, deps=[platform_activity], metadata=_meta(c.CdeExtractRow, False),
       tags={"data_class": "student_pii"})
def cde_extract(context: AssetExecutionContext, registration_roster: pd.DataFrame, platform: PlatformSource,
                exports: ExportStore) -> Output[pd.DataFrame]:
    """Student account data for CDE (seed 2a step 7 / 2b step 6): per student, applications submitted
    (system, date), planning items and completed activities.

    Included: students on a current roster of a participating LEA who have an account. A student who opted
    out, or whose most recent enrollment moved to another LEA, is on no roster and so is not sent: CDE
    receives platform data only for students their LEA currently shares. Receiver: CDE.
    """
    leas = sorted(registration_roster["reporting_lea"].unique().tolist())
    out = pf.cde_extract(registration_roster, platform.read("accounts", leas), platform.read("applications", leas),
                         platform.read("planning", leas), platform.read("activities", leas))
    where = exports.write("cde", "cde_extract", out)
    return Output(out, metadata={
        "dagster/row_count": len(out),
        "students": len(out),
        "students_on_rosters": int(registration_roster["ssid"].nunique()),
        **{f"{s}_applicants": int(out[f"{s.lower()}_application_submitted_at"].notna().sum()) for s in SYSTEMS},
        "cde_export": where,
    })


@asset(
    partitions_def=lea_partitions, backfill_policy=BackfillPolicy.single_run(), group_name=GROUP, kinds={"html"},
    deps=[platform_activity, uc_cmp_list], metadata=_meta(c.LeaReportFigure), tags={"data_class": "aggregate"},
    freshness_policy=FreshnessPolicy.time_window(fail_window=dt.timedelta(days=8), warn_window=dt.timedelta(days=2)),
)
def lea_reports(context: AssetExecutionContext, cmp_match_results: pd.DataFrame, crse_courses: pd.DataFrame,
                registration_roster: pd.DataFrame, platform: PlatformSource, cmp: CmpSource,
                reports: ReportStore) -> Output[pd.DataFrame]:
    """The report each LEA receives (seed Diagram 1 step 4, 2a step 9, 2b step 8): how its courses matched
    the CMP list (per school, with the courses that need action) and student activity on the platform
    (roster, registrations, applications, activities by school and grade), as HTML and CSVs under
    ``reports/<lea>/``. Aggregates only; counts of fewer than 10 students are suppressed. Receivers: LEAs.
    """
    from ccgi_assets.matching import unmatched_cmp_courses
    from ccgi_assets.reports import render_lea_report

    keys = list(context.partition_keys)
    accounts = platform.read("accounts", keys)
    apps = platform.read("applications", keys)
    acts = platform.read("activities", keys)
    cmp_list = cmp.read()
    cmp_list = cmp_list[cmp_list["reporting_lea"].isin(keys)]
    crse = crse_courses[crse_courses["reporting_lea"].isin(keys)]
    matches_all = cmp_match_results[cmp_match_results["reporting_lea"].isin(keys)]
    unmatched_by = _by_lea(unmatched_cmp_courses(crse, cmp_list, matches_all), keys)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    rosters, matches_by = _by_lea(registration_roster, keys), _by_lea(cmp_match_results, keys)
    accounts_by, apps_by, acts_by = _by_lea(accounts, keys), _by_lea(apps, keys), _by_lea(acts, keys)
    frames, links = [], {}
    for lea in keys:
        matches = matches_by[lea]
        figures = pd.concat([
            pf.match_figures(lea, matches),
            pf.activity_figures(lea, rosters[lea], accounts_by[lea], apps_by[lea], acts_by[lea]),
        ], ignore_index=True)
        figures = c.validate(figures, c.LeaReportFigure)
        files = render_lea_report(lea, matches, unmatched_by[lea], figures, now)
        links[lea] = reports.write(lea, "index.html", files.html)
        for name, text in files.csvs.items():
            reports.write(lea, name, text)
        frames.append(figures)
    out = pd.concat(frames, ignore_index=True)
    meta = {"dagster/row_count": len(out), "reports_written": len(links),
            "suppressed_cells": int(out["suppressed"].sum())}
    if len(keys) == 1:
        meta["report"] = MetadataValue.url("file://" + links[keys[0]]) if links[keys[0]].startswith("/") \
            else MetadataValue.url(links[keys[0]])
    return Output(out, metadata=meta)
