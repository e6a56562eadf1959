"""The report each LEA receives (seed Diagram 1 step 4, 2a step 9, 2b step 8): one self-contained HTML page and CSVs.

:func:`render_lea_report` takes aggregates and the LEA's own course lists only — the CMP match results, the CMP
courses nothing matched, and the figures of :mod:`ccgi_assets.platform` — and never a roster, so no SSID or name can
reach a report. Every input is checked against its contract (an extra column is an error) and must belong to the
LEA. Suppressed figures are shown as ``*`` whatever value a caller left in them.

The HTML works offline: plotly.js is embedded once in the page head, each chart is a ``<div class="chart">`` with a
stable id (``chart-course-match``, ``chart-student-activity``, ``chart-registration-share``), and each figure cell
is a ``<td data-measure=... data-school=... data-grade=... data-value=... data-suppressed=...>`` so the page can be
checked against the figures it came from. All text is escaped (jinja2 autoescape).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jinja2
import pandas as pd
from markupsafe import Markup

from ccgi_assets import contracts as c
from ccgi_assets.csvsafe import to_csv
from ccgi_assets.matching import REASONS, UNMATCHED_REASONS
from ccgi_assets.matching_vocab import MATCH_STATUSES, NEEDS_ACTION, NEEDS_ACTION_REASONS
from ccgi_assets.platform import (ACTIVITY_MEASURES, ALL, MATCH_MEASURES, SUPPRESSION_THRESHOLD, _grade_key,
                                  match_figures)

#: match statuses in words, with what the LEA can do
STATUS_TEXT: dict[str, tuple[str, str]] = {
    "matched": ("Matched", "Found on the school's CMP list, in the same a\u2013g subject area. Nothing to do."),
    "matched_subject_mismatch": (
        "Matched, subject area differs",
        "Found on the school's CMP list, but the CALPADS state course code belongs to a content area other than the "
        "CMP a\u2013g subject area. Check the state course code in CALPADS or the subject area on the CMP."),
    "ambiguous": (
        "Ambiguous",
        "Two or more CMP courses of the school fit this course about equally well. Add the local course ID to the "
        "right CMP course (local course codes), or make the CALPADS course name match the CMP title."),
    "not_on_cmp": (
        "Not on the CMP",
        "Reported to CALPADS as UC/CSU approved, but the school's CMP list has no such course. Submit the course to "
        "the CMP, or correct the UC/CSU approved indicator in CALPADS."),
}

def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


#: the matcher's reason codes in words (its own vocabulary, ``ccgi_assets.matching.REASONS`` and
#: ``UNMATCHED_REASONS``); an unknown code is shown as its words ("stale_code" -> "Stale code.")
REASON_TEXT: dict[str, str] = {
    **{code: _sentence(text) for by_status in REASONS.values() for code, text in by_status.items()},
    **{code: _sentence(text) for code, text in UNMATCHED_REASONS.items()},
}

COURSE_SUMMARY_COLUMNS = MATCH_STATUSES + ["total"]
NEEDS_ACTION_COLUMNS = ["reporting_lea", "school_code", "academic_year", "local_course_id", "course_name",
                        "state_course_code", "match_status", "cmp_course_id", "cmp_course_title", "cmp_subject_area",
                        "score", "method", "reason", "reason_text"]
UNMATCHED_CMP_COLUMNS = ["reporting_lea", "school_code", "cmp_course_id", "course_title", "subject_area"]
#: columns an unmatched-CMP frame may carry besides (the matcher's ``unmatched_cmp_courses`` adds them)
UNMATCHED_CMP_OPTIONAL = ["list_year", "reason"]

FILES_TEXT = {
    "index.html": "this page",
    "course_match_summary.csv": "courses per school and match status",
    "courses_needing_action.csv": "courses that need action, with the CMP candidate, score and reason",
    "cmp_courses_not_in_calpads.csv": "CMP courses no CALPADS course matched",
    "student_activity.csv": "the student-activity figures (suppressed cells as *)",
}


@dataclass(frozen=True)
class ReportFiles:
    """One LEA's report: the HTML page and the CSVs (file name -> CSV text)."""

    html: str
    csvs: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def reason_text(code) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA or str(code) == "":
        return ""
    code = str(code)
    return REASON_TEXT.get(code, code.replace("_", " ").capitalize() + ".")


def _fmt(v, measure: str) -> str:
    if v is None or pd.isna(v):
        return ""
    v = float(v)
    if measure.endswith("_percent"):
        return f"{v:.1f}"
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def _csv(df: pd.DataFrame) -> str:
    """CSV for a person's spreadsheet (formula-like cells defused: :mod:`ccgi_assets.csvsafe`)."""
    return to_csv(df)


def _mine(df: pd.DataFrame, lea: str, what: str) -> pd.DataFrame:
    other = int((df["reporting_lea"].astype("string") != lea).fillna(True).sum())
    if other:
        raise ValueError(f"render_lea_report({lea}): {what} holds {other} row(s) of another LEA")
    return df


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    text = (resources.files("ccgi_assets") / "templates" / "lea_report.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(text)


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _chart(fig, div_id: str) -> Markup:
    import plotly.io as pio

    # plotly escapes "<" and "/" inside its JSON; labels here are codes and fixed words anyway
    return Markup(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                              config={"displaylogo": False, "responsive": True}))


def _school_label(s: str) -> str:
    return "All schools" if s == ALL else s


def _grade_label(g: str) -> str:
    return "All grades" if g == ALL else g


# --------------------------------------------------------------------------- the report
def render_lea_report(lea: str, match_results: pd.DataFrame, unmatched_cmp: pd.DataFrame, figures: pd.DataFrame,
                      generated_at: dt.datetime, lea_name: str | None = None) -> ReportFiles:
    """One LEA's report: HTML (course match, courses needing action, CMP courses not in CALPADS, student activity with
    suppression) and the CSVs ``course_match_summary.csv``, ``courses_needing_action.csv``,
    ``cmp_courses_not_in_calpads.csv`` and ``student_activity.csv``.

    ``match_results``: the LEA's rows of ``cmp_match_results`` (contract :class:`CmpMatchResult`);
    ``unmatched_cmp``: the LEA's CMP courses no CALPADS course matched (reporting_lea, school_code, cmp_course_id,
    course_title, subject_area); ``figures``: :class:`LeaReportFigure` rows (``match_figures`` and
    ``activity_figures``). The course-match counts are the ``course_match`` figures; when there are none they are
    computed from ``match_results``. Raises ``ValueError`` when an input holds another LEA's rows and
    :class:`~ccgi_assets.contracts.ContractViolation` when an input carries a column its contract does not allow.
    """
    # ---------------------------------------------------------------- inputs: contracts, this LEA only
    matches = _mine(c.validate(c.select_allowed(match_results, c.CmpMatchResult), c.CmpMatchResult), lea,
                    "match_results")
    missing = [col for col in UNMATCHED_CMP_COLUMNS if col not in unmatched_cmp.columns]
    if missing:
        raise c.ContractViolation("UnmatchedCmpCourses", [c.Failure(col, "column_missing", 1) for col in missing])
    keep = UNMATCHED_CMP_COLUMNS + [col for col in UNMATCHED_CMP_OPTIONAL if col in unmatched_cmp.columns]
    cmp_missing = _mine(unmatched_cmp.loc[:, keep].astype("string"), lea, "unmatched_cmp")
    if "reason" in cmp_missing.columns:
        cmp_missing["reason_text"] = cmp_missing["reason"].map(reason_text).astype("string")
    figs = _mine(c.validate(figures, c.LeaReportFigure), lea, "figures").copy()
    figs["suppressed"] = figs["suppressed"].fillna(False).astype(bool)
    figs.loc[figs["suppressed"], "value"] = float("nan")  # a suppressed cell never shows a number

    course = figs[figs["section"] == "course_match"]
    if course.empty and len(matches):
        course = match_figures(lea, matches).assign(suppressed=False)
    activity = figs[figs["section"] == "student_activity"]

    # ---------------------------------------------------------------- course match
    cm = course.assign(col=course["measure"].map(MATCH_MEASURES))
    cm = cm[cm["col"].notna()]
    summary = cm.pivot_table(index="school_code", columns="col", values="value", aggfunc="sum", fill_value=0)
    summary = summary.reindex(columns=COURSE_SUMMARY_COLUMNS, fill_value=0).astype("int64")
    summary = summary.loc[sorted(summary.index, key=lambda s: (s != ALL, s))]
    summary_csv = summary.reset_index()
    course_measures = [{"measure": m, "col": col, "label": "Total" if col == "total" else STATUS_TEXT[col][0]}
                       for m, col in MATCH_MEASURES.items()]
    course_rows = [{"school": s, "school_label": _school_label(s),
                    "cells": [{"measure": cmm["measure"], "school": s, "grade": ALL, "suppressed": False,
                               "raw": int(summary.at[s, cmm["col"]]), "text": str(int(summary.at[s, cmm["col"]]))}
                              for cmm in course_measures]} for s in summary.index]

    # matched courses whose reason still asks for a fix (a state course code of another AP / IB level) come last
    na = matches[matches["match_status"].isin(NEEDS_ACTION) | matches["reason"].isin(NEEDS_ACTION_REASONS)].copy()
    na["_st"] = na["match_status"].map({s: i for i, s in enumerate(NEEDS_ACTION)}).fillna(len(NEEDS_ACTION))
    na = na.sort_values(["school_code", "_st", "academic_year", "local_course_id"], kind="stable")
    na["reason_text"] = na["reason"].map(reason_text)
    na_csv = na[NEEDS_ACTION_COLUMNS].assign(score=na["score"].round(1))
    needs_action = [{**{k: ("" if pd.isna(v) else v) for k, v in r.items()},
                     "status_label": STATUS_TEXT.get(r["match_status"], (r["match_status"], ""))[0],
                     "score_text": f"{float(r['score']):.1f}"}
                    for r in na[NEEDS_ACTION_COLUMNS].to_dict("records")]
    cmp_missing = cmp_missing.sort_values(["school_code", "course_title", "cmp_course_id"], kind="stable")
    cmp_rows = [{k: ("" if pd.isna(v) else v) for k, v in r.items()} for r in cmp_missing.to_dict("records")]

    course_chart = None
    per_school = summary.drop(index=ALL, errors="ignore")
    if len(per_school):
        import plotly.graph_objects as go

        colors = {"matched": "#2da44e", "matched_subject_mismatch": "#d4a72c", "ambiguous": "#8250df",
                  "not_on_cmp": "#cf222e"}
        fig = go.Figure([go.Bar(name=STATUS_TEXT[s][0], x=list(per_school.index), y=per_school[s].tolist(),
                                marker_color=colors[s]) for s in MATCH_STATUSES])
        fig.update_layout(barmode="stack", title="UC/CSU-approved courses per school, by CMP match status",
                          xaxis_title="School code", yaxis_title="Courses", xaxis_type="category", height=420,
                          legend_title_text="Status", margin=dict(t=60, b=60))
        course_chart = _chart(fig, "plot-course-match")

    # ---------------------------------------------------------------- student activity
    act = activity.copy()
    act["grade_level_code"] = act["grade_level_code"].fillna(ALL)
    act["school_code"] = act["school_code"].fillna(ALL)
    order = {m: i for i, m in enumerate(ACTIVITY_MEASURES)}
    act = act.assign(_s=(act["school_code"] != ALL).astype(int), _g=_grade_key(act["grade_level_code"]),
                     _m=act["measure"].map(order).fillna(len(order)))
    act = act.sort_values(["_s", "school_code", "_g", "_m"], kind="stable")
    measures = list(ACTIVITY_MEASURES) + [m for m in act["measure"].unique() if m not in ACTIVITY_MEASURES]
    activity_measures = [{"measure": m, "label": ACTIVITY_MEASURES.get(m, m)} for m in measures
                         if m in set(act["measure"])]
    cells = {(r.school_code, r.grade_level_code, r.measure): (r.value, r.suppressed)
             for r in act[["school_code", "grade_level_code", "measure", "value", "suppressed"]].itertuples(index=False)}
    keys = list(dict.fromkeys(zip(act["school_code"], act["grade_level_code"])))
    activity_rows = []
    for s, g in keys:  # one row per (school, grade) cell of the report: hundreds, not students
        row = []
        for m in activity_measures:
            v, sup = cells.get((s, g, m["measure"]), (float("nan"), False))
            row.append({"measure": m["measure"], "school": s, "grade": g, "suppressed": bool(sup),
                        "raw": "" if pd.isna(v) else _fmt(v, m["measure"]), "text": _fmt(v, m["measure"])})
        activity_rows.append({"school": s, "grade": g, "school_label": _school_label(s), "grade_label": _grade_label(g),
                              "cells": row})
    act_csv = act[["reporting_lea", "school_code", "grade_level_code", "measure", "value", "suppressed"]].copy()
    act_csv["value"] = [("*" if sup else _fmt(v, m)) for v, sup, m in
                        zip(act_csv["value"], act_csv["suppressed"], act_csv["measure"])]
    act_csv["suppressed"] = act_csv["suppressed"].map({True: "true", False: "false"})

    activity_chart = share_chart = None
    schools = act[(act["school_code"] != ALL) & (act["grade_level_code"] == ALL)]
    if len(schools):
        import plotly.graph_objects as go

        wide = schools.pivot(index="school_code", columns="measure", values="value")
        shown = [m for m in ["roster_students", "registered_students", "students_with_activity", "applied_uc_students",
                             "applied_csu_students", "applied_ccc_students"] if m in wide.columns]
        fig = go.Figure([go.Bar(name=ACTIVITY_MEASURES[m], x=list(wide.index),
                                y=[None if pd.isna(v) else float(v) for v in wide[m]]) for m in shown])
        fig.update_layout(barmode="group", title="Students per school (suppressed counts have no bar)",
                          xaxis_title="School code", yaxis_title="Students", xaxis_type="category", height=440,
                          margin=dict(t=60, b=60))
        activity_chart = _chart(fig, "plot-student-activity")
    grades = act[(act["school_code"] != ALL) & (act["grade_level_code"] != ALL) & (act["measure"] == "registered_percent")]
    if len(grades):
        import plotly.graph_objects as go

        z = grades.pivot(index="school_code", columns="grade_level_code", values="value")
        sup = grades.pivot(index="school_code", columns="grade_level_code", values="suppressed")
        cols = sorted(z.columns, key=lambda g: _grade_key(pd.Series([g])).iloc[0])
        z, sup = z[cols], sup[cols]
        text = [["*" if (isinstance(s, (bool, int)) and bool(s)) else ("" if pd.isna(v) else f"{v:.1f}%") for v, s in zip(zr, sr)]
                for zr, sr in zip(z.to_numpy().tolist(), sup.to_numpy().tolist())]
        fig = go.Figure(go.Heatmap(z=[[None if pd.isna(v) else float(v) for v in r] for r in z.to_numpy().tolist()],
                                   x=list(cols), y=list(z.index), text=text, texttemplate="%{text}",
                                   colorscale="Blues", zmin=0, zmax=100, colorbar=dict(title="% registered"),
                                   hovertemplate="School %{y}, grade %{x}: %{text}<extra></extra>"))
        fig.update_layout(title="Share of the roster registered, by school and grade (* suppressed)",
                          xaxis_title="Grade", yaxis_title="School code", xaxis_type="category",
                          yaxis_type="category", height=max(300, 60 + 28 * len(z.index)), margin=dict(t=60, b=60))
        share_chart = _chart(fig, "plot-registration-share")

    # ---------------------------------------------------------------- render
    generated = generated_at if isinstance(generated_at, dt.datetime) else pd.Timestamp(generated_at).to_pydatetime()
    html = _template().render(
        lea=lea, lea_name=lea_name, generated_iso=generated.isoformat(timespec="seconds"),
        generated_text=generated.strftime("%Y-%m-%d %H:%M") + (f" {generated.tzname()}" if generated.tzinfo else ""),
        plotly_js=Markup(_plotly_js()), threshold=SUPPRESSION_THRESHOLD,
        statuses=[{"label": STATUS_TEXT[s][0], "text": STATUS_TEXT[s][1]} for s in MATCH_STATUSES],
        course_chart=course_chart, course_measures=course_measures, course_rows=course_rows,
        needs_action=needs_action, cmp_missing=cmp_rows, cmp_has_reason="reason_text" in cmp_missing.columns,
        activity_chart=activity_chart, share_chart=share_chart, activity_measures=activity_measures,
        activity_rows=activity_rows, files=list(FILES_TEXT.items()),
    )
    csvs = {
        "course_match_summary.csv": _csv(summary_csv),
        "courses_needing_action.csv": _csv(na_csv),
        "cmp_courses_not_in_calpads.csv": _csv(cmp_missing),
        "student_activity.csv": _csv(act_csv),
    }
    return ReportFiles(html=html, csvs=csvs)
