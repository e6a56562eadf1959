"""What leaves CCGI after students use CaliforniaColleges.edu (seed 2a steps 6-9, 2b steps 5-8)."""


import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, FreshnessPolicy, MetadataValue, Output, asset

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf
from ccgi_assets.assets.automation import after_upstream_runs, on_change
from ccgi_assets.assets.contract_asset import contract_asset
from ccgi_assets.assets.sources import lea_participation, platform_activity, uc_cmp_list
from ccgi_assets.contracts import SYSTEMS
from ccgi_assets.platform_files import Quarantine
from resources import CmpSource, ExportStore, ParticipationConfig, PlatformSource, ReportStore, Warehouse

GROUP = "platform_sharing"


def _by_lea(df: pd.DataFrame, keys: list[str]) -> dict[str, pd.DataFrame]:
    """One pass over a frame: each LEA's rows (an empty frame for an LEA with none)."""
    groups = dict(tuple(df.groupby("reporting_lea", sort=False))) if len(df) else {}
    return {lea: groups.get(lea, df.iloc[0:0]) for lea in keys}


def _left_out(context: AssetExecutionContext, q: Quarantine) -> dict:
    """Platform rows and files left out, named by file, line and rule (never a value): logged and as metadata."""
    for message in q.messages():
        context.log.warning(message)
    return {"platform_rows_left_out": q.rows_left_out,
            "platform_rows_left_out_by_rule": MetadataValue.json(q.by_rule()),
            "platform_files_unreadable": MetadataValue.json(dict(sorted(q.unreadable.items()))),
            "platform_problems": MetadataValue.json(q.summary())}


@asset(**contract_asset(c.VerifiedAccount, GROUP, automation_condition=on_change()), deps=[platform_activity])
def verified_accounts(context: AssetExecutionContext, registration_roster: pd.DataFrame, platform: PlatformSource,
                      warehouse: Warehouse) -> Output[pd.DataFrame]:
    """Registration as a real step (seed 2a step 4 / 2b step 3): the accounts in ``platform/<lea>/accounts.csv``
    whose SSID, local student ID (exact string: leading zeros count) and birth date equal the student's row on
    the LEA's current ``registration_roster``. Only these count downstream. Metadata: verified and not-verified
    counts only, never which field failed. An accounts file that cannot be read verifies nothing new: the LEA's
    previous verified accounts stand for students still on its roster. Receivers: ``statewide_submissions``,
    ``cde_extract``, ``lea_reports``.
    """
    keys = list(context.partition_keys)
    accounts, q = platform.read_checked("accounts", keys)
    unreadable = platform.unreadable_leas(q)
    rosters, accounts_by = _by_lea(registration_roster, keys), _by_lea(accounts, keys)
    frames, not_verified = [], 0
    for lea in keys:
        if lea in unreadable:
            prev = warehouse.previous_rows("verified_accounts", lea)
            frames.append(prev[prev["ssid"].isin(rosters[lea]["ssid"])])
            continue
        v = pf.verify_accounts(lea, rosters[lea], accounts_by[lea], validate=False)
        not_verified += int(accounts_by[lea]["ssid"].nunique()) - len(v)
        frames.append(v)
    frames = [f for f in frames if len(f)]
    out = c.validate(pd.concat(frames, ignore_index=True), c.VerifiedAccount) if frames else c.empty(c.VerifiedAccount)
    return Output(out, metadata={
        "dagster/row_count": len(out),
        "accounts_verified": len(out),
        "accounts_not_verified": not_verified,
        "leas_keeping_previous_verification": len(unreadable & set(keys)),
        **_left_out(context, q),
    })


@asset(**contract_asset(c.StatewideSubmission, GROUP, automation_condition=on_change()),
       deps=[platform_activity, "student_courses"])
def statewide_submissions(context: AssetExecutionContext, registration_roster: pd.DataFrame,
                          verified_accounts: pd.DataFrame, platform: PlatformSource,
                          exports: ExportStore, warehouse: Warehouse) -> Output[pd.DataFrame]:
    """Course data and SSID for UC, CSU and the community colleges (seed 2a step 6 / 2b step 5): upon
    application submittal, for a student on the LEA's roster with a verified account, and only with the
    student's consent to that system in force at submission and not revoked since. A consent value that cannot
    be read withholds, never grants. One row per student course per receiving system, written as each system's
    extract for the LEA. When the LEA's applications or consents file cannot be read, nothing new is sent: its
    previous rows stand for students still verified on its roster. Receivers: UC, CSU, CCC.
    """
    keys = list(context.partition_keys)
    apps, qa = platform.read_checked("applications", keys)
    consents, qc = platform.read_checked("consents", keys)
    q = qa.merge(qc)
    unreadable = platform.unreadable_leas(q)
    # the course records of applicants only, read from the warehouse (the state's course records stay there)
    applicants = apps["ssid"].dropna().astype(str).unique() if len(apps) else []
    student_courses = warehouse.rows_for("student_courses", keys, applicants)
    rosters, courses = _by_lea(registration_roster, keys), _by_lea(student_courses, keys)
    apps_by, consents_by, verified_by = _by_lea(apps, keys), _by_lea(consents, keys), _by_lea(verified_accounts, keys)
    frames = {}
    for lea in keys:
        if lea in unreadable:
            prev = warehouse.previous_rows("statewide_submissions", lea)
            frames[lea] = prev[prev["ssid"].isin(verified_by[lea]["ssid"]) & prev["ssid"].isin(rosters[lea]["ssid"])]
        else:
            frames[lea] = pf.statewide_submissions(lea, rosters[lea], courses[lea], apps_by[lea], consents_by[lea],
                                                   verified_by[lea], validate=False)
    nonempty = [f for f in frames.values() if len(f)]
    out = c.validate(pd.concat(nonempty, ignore_index=True), c.StatewideSubmission) if nonempty \
        else c.empty(c.StatewideSubmission)
    written = {}
    checked = dict(tuple(out.groupby("reporting_lea", sort=False))) if len(out) else {}
    for lea in frames:  # the extracts from the checked rows
        sent = checked.get(lea, out.iloc[0:0])
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
        "extracts_written": MetadataValue.json(written),
        "leas_keeping_previous_submissions": len(unreadable & set(keys)),
        **_left_out(context, q),
    })


@asset(**contract_asset(c.CdeExtractRow, GROUP, partitioned=False,
                                automation_condition=after_upstream_runs()), deps=[platform_activity])
def cde_extract(context: AssetExecutionContext, registration_roster: pd.DataFrame,
                verified_accounts: pd.DataFrame, platform: PlatformSource, exports: ExportStore,
                warehouse: Warehouse) -> Output[pd.DataFrame]:
    """Student account data for CDE (seed 2a step 7 / 2b step 6): per student, applications submitted
    (system, date), planning items and completed activities.

    Included: students on a current roster of a participating LEA who have a verified account. A student who
    opted out, or whose most recent enrollment moved to another LEA, is on no roster and so is not sent: CDE
    receives platform data only for students their LEA currently shares. Rebuilt in every run that changes a
    roster. An LEA whose applications, planning or activities file cannot be read keeps its previous rows (for
    students still verified on its roster); every other LEA goes on. Receiver: CDE.
    """
    leas = sorted(set(registration_roster["reporting_lea"].dropna().unique().tolist()))
    q = Quarantine()
    frames = {}
    for kind in ("applications", "planning", "activities"):
        frames[kind], qk = platform.read_checked(kind, leas)
        q.merge(qk)
    unreadable = platform.unreadable_leas(q)
    fresh = verified_accounts[~verified_accounts["reporting_lea"].isin(unreadable)]
    out = pf.cde_extract(registration_roster, fresh, frames["applications"], frames["planning"], frames["activities"])
    if unreadable:
        prev = warehouse.previous_rows("cde_extract")
        prev = prev[prev["reporting_lea"].isin(unreadable) & prev["ssid"].isin(verified_accounts["ssid"])
                    & prev["ssid"].isin(registration_roster["ssid"])]
        out = c.validate(pd.concat([f for f in (out, prev) if len(f)], ignore_index=True)
                         .sort_values("ssid", kind="stable").reset_index(drop=True), c.CdeExtractRow) \
            if len(prev) else out
    where = exports.write("cde", "cde_extract", out)
    return Output(out, metadata={
        "dagster/row_count": len(out),
        "students": len(out),
        "students_on_rosters": int(registration_roster["ssid"].nunique()),
        **{f"{s}_applicants": int(out[f"{s.lower()}_application_submitted_at"].notna().sum()) for s in SYSTEMS},
        "leas_keeping_previous_rows": len(unreadable),
        "cde_export": where,
        **_left_out(context, q),
    })


@asset(
    **contract_asset(c.LeaReportFigure, GROUP, kind="html", automation_condition=on_change(uc_cmp_list, lea_participation)),
    deps=[platform_activity, uc_cmp_list, lea_participation],
    freshness_policy=FreshnessPolicy.time_window(fail_window=dt.timedelta(days=8), warn_window=dt.timedelta(days=2)),
)
def lea_reports(context: AssetExecutionContext, cmp_match_results: pd.DataFrame, crse_courses: pd.DataFrame,
                registration_roster: pd.DataFrame, verified_accounts: pd.DataFrame, platform: PlatformSource,
                cmp: CmpSource, participation: ParticipationConfig, reports: ReportStore) -> Output[pd.DataFrame]:
    """The report each LEA receives (seed Diagram 1 step 4, 2a step 9, 2b step 8): how its courses matched
    the CMP list (per school, with the courses that need action) and student activity on the platform
    (roster, registrations, applications, activities by school and grade), as HTML and CSVs under
    ``reports/<lea>/`` (plotly.js once for all reports, ``reports/_static/``), with the LEA's name (participation config) and school names (CMP list) beside the codes.
    "Registered" counts verified accounts. Aggregates only; counts of fewer than 10 students are suppressed.
    Each LEA's materialization carries a Markdown summary (headline figures, courses that need action, where the
    files are) and the report's link or path. Receivers: LEAs.
    """
    from ccgi_assets.matching import unmatched_cmp_courses
    from ccgi_assets.reports import render_lea_reports, school_names, shared_plotly, summary_markdown

    keys = list(context.partition_keys)
    accounts = verified_accounts
    apps, qa = platform.read_checked("applications", keys)
    acts, qc = platform.read_checked("activities", keys)
    left_out = _left_out(context, qa.merge(qc))
    cmp_list = cmp.read()
    cmp_list = cmp_list[cmp_list["reporting_lea"].isin(keys)]
    schools = school_names(cmp_list)
    lea_names = participation.names()
    crse = crse_courses[crse_courses["reporting_lea"].isin(keys)]
    matches_all = cmp_match_results[cmp_match_results["reporting_lea"].isin(keys)]
    unmatched = unmatched_cmp_courses(crse, cmp_list, matches_all)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    # every LEA's figures in one pass over the state (group-bys; each part checked against the contract where it
    # is made); per LEA, its course_match figures then its student_activity figures
    figures = pd.concat([pf.match_figures_by_lea(keys, matches_all),
                         pf.activity_figures_by_lea(keys, registration_roster, accounts, apps, acts)],
                        ignore_index=True)
    order = figures["reporting_lea"].map({k: i for i, k in enumerate(keys)}).argsort(kind="stable")
    figures = figures.iloc[order].reset_index(drop=True)
    figures_by = _by_lea(figures, keys)
    plotly_src = shared_plotly(reports)  # plotly.js written once beside the reports, not into each
    for lea, files in render_lea_reports(keys, matches_all, unmatched, figures, now, lea_names=lea_names,
                                         school_names=schools, plotly_src=plotly_src):
        path = reports.write(lea, "index.html", files.html)
        for name, text in files.csvs.items():
            reports.write(lea, name, text)
        link = reports.link(lea, "index.html")
        head = files.summary
        context.add_asset_metadata({
            "summary": MetadataValue.md(summary_markdown(files, path, link)),
            "report": MetadataValue.url(link) if link else MetadataValue.path(path),
            **({"lea_name": lea_names[lea]} if lea in lea_names else {}),
            "dagster/row_count": len(figures_by[lea]),
            "courses_compared": head["courses"],
            "courses_need_action": head["courses_need_action"],
            "cmp_courses_not_matched": head["cmp_courses_not_matched"],
            "suppressed_cells": int(figures_by[lea]["suppressed"].sum()),
        }, partition_key=lea)
    return Output(figures, metadata={"reports_written": len(keys), **left_out})
