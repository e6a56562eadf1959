"""The report each LEA receives (seed Diagram 1 step 4, 2a step 9, 2b step 8): one self-contained HTML page, CSVs,
and a Markdown summary for the Dagster UI.

:func:`render_lea_report` takes aggregates and the LEA's own course lists only — the CMP match results, the CMP
courses nothing matched, and the figures of :mod:`ccgi_assets.platform` — and never a roster, so no SSID or name of a
student can reach a report. Every input is checked against its contract (an extra column is an error) and must belong
to the LEA. Suppressed figures are shown as ``*`` whatever value a caller left in them, in tables and in charts (a
marked gap, never a zero bar). Names are shown beside codes — the LEA's name from the participation config, school
names from the CMP list — and codes stay the keys (``data-school`` attributes, CSV ``school_code`` columns).

The HTML works offline. plotly.js is not in the page: the pipeline writes it once beside the LEAs' folders,
``reports/_static/plotly-<version>.min.js`` (:func:`shared_plotly`), and each page loads it from
``../_static/...``, a relative address that holds wherever the reports folder is opened from (a local folder, object
storage, its web address); 4.8 MB once instead of in each of two reports per LEA. A page copied on its own says
where each chart would be that plotly.js was not found, and its tables carry every figure. Without ``plotly_src``
(a caller outside the pipeline) the library is embedded in the page as before. Each chart is a
``<div class="chart">`` with a stable id (``chart-course-match``, ``chart-student-activity``,
``chart-registration-share``), and each figure cell is a
``<td data-measure=... data-school=... data-grade=... data-value=... data-suppressed=...>`` so the page can be
checked against the figures it came from. All text is escaped (jinja2 autoescape; Markdown escaping for the summary).

At state scale (:func:`render_lea_reports`) the inputs are checked against their contracts once for all LEAs, the
figures come from one pass over the state (``platform.activity_figures_by_lea``), and the charts are written from
plain dicts (what ``go.Figure`` would hold, without building plotly's validated objects).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jinja2
import pandas as pd
from markupsafe import Markup

from ccgi_assets import contracts as c
from ccgi_assets.csvsafe import to_csv
from ccgi_assets.matching import REASONS, UNMATCHED_REASONS
from ccgi_assets.matching.vocabulary import ACCEPT
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
#: status colours: the statuses to act on in warm colours, matched in green
STATUS_COLORS = {"not_on_cmp": "#cf222e", "matched_subject_mismatch": "#bf8700", "ambiguous": "#8250df",
                 "matched": "#2da44e"}
#: the UC a-g subject areas, letter -> name
AG_AREAS: dict[str, str] = {
    "a": "History / Social Science", "b": "English", "c": "Mathematics", "d": "Laboratory Science",
    "e": "Language other than English", "f": "Visual and Performing Arts", "g": "College-Preparatory Elective",
}
#: a CALPADS course that matched nothing is shown with its closest CMP course only from this score up; below it the
#: closest course is a different course (``CHIN 1`` and "Introduction to Agriscience" score 44)
CANDIDATE_MIN_SCORE = 60.0
#: what the score means, said once in the report and in the summary
SCORE_TEXT = (f"Score: how close the CALPADS course is to the CMP course, from 0 (nothing in common) to 100 (the same "
              f"name, or the CMP course lists the local course ID). It compares the course name with the CMP title "
              f"and transcript abbreviations, and loses points when Honors / AP / IB or a course number differ. A "
              f"course is matched from {ACCEPT:g}; a course that matched nothing is shown with its closest CMP course "
              f"only from {CANDIDATE_MIN_SCORE:g}.")


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
NEEDS_ACTION_COLUMNS = ["reporting_lea", "school_code", "school_name", "academic_year", "local_course_id",
                        "course_name", "state_course_code", "match_status", "cmp_course_id", "candidate_cmp_course_id",
                        "cmp_course_title", "cmp_subject_area", "cmp_subject_area_name", "score", "method", "reason",
                        "reason_text"]
UNMATCHED_CMP_COLUMNS = ["reporting_lea", "school_code", "cmp_course_id", "course_title", "subject_area"]
#: columns an unmatched-CMP frame may carry besides (the matcher's ``unmatched_cmp_courses`` adds them)
UNMATCHED_CMP_OPTIONAL = ["list_year", "reason"]
#: the courses that need action the Markdown summary lists (the rest are in the report)
SUMMARY_COURSES = 10

FILES_TEXT = {
    "index.html": "this page",
    "course_match_summary.csv": "courses per school and match status, and how many need action",
    "courses_needing_action.csv": (f"courses that need action, with the CMP course (or the closest one, from score "
                                   f"{CANDIDATE_MIN_SCORE:g}), score and reason"),
    "cmp_courses_not_in_calpads.csv": "CMP courses no CALPADS course matched",
    "student_activity.csv": "the student-activity figures (suppressed cells as *)",
}


@dataclass(frozen=True)
class ReportFiles:
    """One LEA's report: the HTML page, the CSVs (file name -> CSV text) and the figures the Markdown summary
    (:func:`summary_markdown`) and the asset's metadata show — counts only."""

    html: str
    csvs: dict[str, str] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def reason_text(code) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA or str(code) == "":
        return ""
    code = str(code)
    return REASON_TEXT.get(code, code.replace("_", " ").capitalize() + ".")


def area_text(letter) -> str:
    """``d`` -> ``d – Laboratory Science`` (an unknown letter as itself, nothing as "")."""
    if letter is None or letter is pd.NA or (isinstance(letter, float) and math.isnan(letter)) or str(letter) == "":
        return ""
    letter = str(letter)
    return f"{letter} \u2013 {AG_AREAS[letter]}" if letter in AG_AREAS else letter


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


def _blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or str(v) == ""


def _anchor(*parts) -> str:
    """A stable HTML id from codes: letters, digits and ``-`` kept, anything else as ``_<hex>``."""
    return "-".join(re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}", str(p)) for p in parts)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    text = (resources.files("ccgi_assets") / "templates" / "lea_report.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(text)


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_version() -> str:
    """The version of the plotly.js the charts are drawn with (the one the installed plotly package ships)."""
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def plotly_file_name() -> str:
    """The shared plotly.js file's name, versioned: ``plotly-<version>.min.js``."""
    return f"plotly-{plotly_version()}.min.js"


def shared_plotly(reports) -> str:
    """Write plotly.js once beside the reports (``reports``: a :class:`~resources.exports.ReportStore`), as
    ``_static/plotly-<version>.min.js``, and return the ``plotly_src`` a report page loads it from."""
    return reports.write_shared(plotly_file_name(), _plotly_js().encode("utf-8"))


@lru_cache(maxsize=1)
def _plotly_template() -> dict:
    """The default plotly template as the dict ``go.Figure`` puts in every figure's layout (computed once)."""
    import plotly.io as pio

    return pio.templates[pio.templates.default].to_plotly_json()


def _chart(fig: dict, div_id: str) -> Markup:
    """A chart's ``<div>`` and ``Plotly.newPlot`` script from a figure given as plain ``{"data": [...], "layout":
    {...}}`` dicts, exactly as plotly writes a ``go.Figure`` (the default template included) but without building
    and validating plotly's objects, which cost more than everything else in a report. The dicts hold what
    ``go.Figure(fig).to_dict()`` holds (the tests check it), so plotly's validation adds nothing at run time."""
    import plotly.io as pio

    fig = {"data": fig["data"], "layout": {**fig["layout"], "template": _plotly_template()}}
    # plotly escapes "<", ">" and "/" inside its JSON, so a school or course name cannot close the script
    return Markup(pio.to_html(fig, validate=False, include_plotlyjs=False, full_html=False, div_id=div_id,
                              config={"displaylogo": False, "responsive": True}))


def school_names(cmp: pd.DataFrame) -> dict[str, dict[str, str]]:
    """School names from the CMP list, per LEA: ``{reporting_lea: {school_code: school_name}}``. Where a school's
    name differs between list years the newest list's name is taken; an empty name is no name."""
    need = {"reporting_lea", "school_code", "school_name"}
    if not need <= set(cmp.columns) or cmp.empty:
        return {}
    df = pd.DataFrame({k: cmp[k].astype("string").str.strip() for k in need})
    df["year"] = cmp["list_year"].astype("string").fillna("") if "list_year" in cmp.columns else ""
    df = df[df["school_name"].fillna("") != ""].sort_values(["reporting_lea", "school_code", "year"], kind="stable")
    df = df.drop_duplicates(["reporting_lea", "school_code"], keep="last")
    out: dict[str, dict[str, str]] = {}
    for lea, school, name in zip(df["reporting_lea"], df["school_code"], df["school_name"]):
        out.setdefault(str(lea), {})[str(school)] = " ".join(str(name).split())
    return out


class _Names:
    """Labels for codes: ``Name (code)`` where a name is known, else the code."""

    def __init__(self, lea: str, lea_name: str | None, schools: Mapping[str, str] | None):
        self.lea, self.lea_name, self.schools = lea, (lea_name or "").strip() or None, dict(schools or {})

    def school(self, code) -> str:
        return "" if code == ALL else self.schools.get(str(code), "")

    def school_label(self, code) -> str:
        if code == ALL:
            return "All schools"
        name = self.school(code)
        return f"{name} ({code})" if name else str(code)

    @property
    def lea_label(self) -> str:
        return f"{self.lea_name} (LEA {self.lea})" if self.lea_name else f"LEA {self.lea}"


def _grade_label(g: str) -> str:
    return "All grades" if g == ALL else g


# --------------------------------------------------------------------------- charts
def _title(text: str) -> dict:
    return {"text": text}


def course_chart_figure(per_school: pd.DataFrame, to_act: pd.Series, names: _Names) -> dict:
    """Share of each school's courses per match status (100 % bars, one per school), the statuses to act on first
    and each school's count to act on written beside its bar, so a 2-course school reads like a 150-course one."""
    totals_by = per_school["total"].astype("int64")
    act_by = to_act.reindex(per_school.index).fillna(0).astype("int64")
    order = sorted(per_school.index, key=lambda s: (-(int(act_by[s]) / max(int(totals_by[s]), 1)), s))
    labels = [names.school_label(s) for s in order]
    totals = [int(totals_by[s]) for s in order]
    rows = per_school.loc[order]
    traces = []
    for status in NEEDS_ACTION + [s for s in MATCH_STATUSES if s not in NEEDS_ACTION]:
        counts = [int(n) for n in rows[status].tolist()]
        share = [round(100.0 * n / t, 1) if t else 0.0 for n, t in zip(counts, totals)]
        traces.append({
            "type": "bar", "name": STATUS_TEXT[status][0], "orientation": "h", "y": labels, "x": share,
            "customdata": counts, "marker": {"color": STATUS_COLORS[status]},
            "text": [str(n) if n else "" for n in counts], "textposition": "inside", "insidetextanchor": "middle",
            "hovertemplate": "%{y}<br>" + STATUS_TEXT[status][0] + ": %{customdata} course(s), %{x:.1f}%<extra></extra>"})
    notes = []
    for label, s, t in zip(labels, order, totals):
        n = int(act_by[s])
        notes.append({"x": 100, "y": label, "xref": "x", "yref": "y", "xanchor": "left", "xshift": 8,
                      "showarrow": False, "text": (f"<b>{n} of {t} to act on</b>" if n else f"nothing to act on ({t})"),
                      "font": {"color": "#cf222e" if n else "#57606a", "size": 12}})
    layout = {"barmode": "stack", "title": _title("Share of each school's UC/CSU-approved courses, by CMP match status"),
              "xaxis": {"title": _title("% of the school's courses"), "range": [0, 100], "ticksuffix": "%"},
              "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
              "annotations": notes, "uniformtext": {"minsize": 9, "mode": "hide"}, "height": 190 + 38 * len(order),
              "legend": {"title": _title(""), "orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0,
                         "traceorder": "normal"},
              "margin": {"t": 90, "b": 50, "r": 170}}
    return {"data": traces, "layout": layout}


def _course_chart(per_school: pd.DataFrame, to_act: pd.Series, names: _Names) -> Markup:
    return _chart(course_chart_figure(per_school, to_act, names), "plot-course-match")


ACTIVITY_CHART_MEASURES = ["roster_students", "registered_students", "students_with_activity", "applied_uc_students",
                           "applied_csu_students", "applied_ccc_students"]


def activity_chart_figure(schools: pd.DataFrame, names: _Names) -> dict | None:
    """Students per school, one bar per measure; a suppressed count is a gap marked by a hatched stub and ``*``
    (its own legend entry), never a bar of its value or of zero; a zero is labelled ``0``."""
    # plain dicts over the LEA's few (school, measure) cells: what a pivot gives, without a pivot's cost
    value, hidden_at = {}, {}
    for sc, m, v, h in zip(schools["school_code"].tolist(), schools["measure"].tolist(), schools["value"].tolist(),
                           schools["suppressed"].tolist()):
        value[(sc, m)], hidden_at[(sc, m)] = v, (False if h is None or h is pd.NA else bool(h))
    present = {m for _, m in value}
    shown = [m for m in ACTIVITY_CHART_MEASURES if m in present]
    if not shown:
        return None
    order = sorted({sc for sc, _ in value})
    labels = [names.school_label(s) for s in order]
    wide = {m: [value.get((s, m), float("nan")) for s in order] for m in shown}
    top = max([float(v) for m in shown for v in wide[m] if not pd.isna(v)] + [SUPPRESSION_THRESHOLD])
    stub = top * 0.035
    traces, legend_done = [], False
    for m in shown:
        hidden = [hidden_at.get((s, m), False) for s in order]
        vals = [None if (h or pd.isna(v)) else float(v) for v, h in zip(wide[m], hidden)]
        traces.append({"type": "bar", "name": ACTIVITY_MEASURES[m], "orientation": "h", "y": labels, "x": vals,
                       "offsetgroup": m, "legendgroup": m, "text": ["0" if v == 0 else "" for v in vals],
                       "textposition": "outside",
                       "hovertemplate": "%{y}<br>" + ACTIVITY_MEASURES[m] + ": %{x}<extra></extra>"})
        gaps = [stub if h else None for h in hidden]
        if any(g is not None for g in gaps):
            traces.append({
                "type": "bar",
                "name": f"* suppressed (1\u2013{SUPPRESSION_THRESHOLD - 1} students, or hidden so it cannot be worked "
                        "out): not zero", "orientation": "h", "y": labels, "x": gaps, "offsetgroup": m,
                "legendgroup": "suppressed", "showlegend": not legend_done, "legendrank": 2000, "meta": "suppressed",
                "customdata": [m] * len(order),
                "marker": {"color": "rgba(255,255,255,0)", "line": {"color": "#57606a", "width": 1},
                           "pattern": {"shape": "/", "fgcolor": "#8c959f", "size": 5}},
                "text": ["*" if g is not None else "" for g in gaps], "textposition": "outside",
                "textfont": {"size": 16, "color": "#1d2733"},
                "hovertemplate": "%{y}<br>" + ACTIVITY_MEASURES[m] + ": * suppressed<extra></extra>"})
            legend_done = True
    layout = {"barmode": "group", "title": _title("Students per school (* = suppressed: a marked gap, not zero)"),
              "xaxis": {"title": _title("Students")},
              "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
              "height": 230 + 26 * len(shown) * len(order),
              "legend": {"orientation": "h", "yanchor": "top", "y": -60 / (100 + 26 * len(shown) * len(order)), "x": 0,
                         "traceorder": "normal"},
              "margin": {"t": 60, "b": 150}}
    return {"data": traces, "layout": layout}


def _activity_chart(schools: pd.DataFrame, names: _Names) -> Markup | None:
    fig = activity_chart_figure(schools, names)
    return None if fig is None else _chart(fig, "plot-student-activity")


def share_chart_figure(grades: pd.DataFrame, names: _Names) -> dict:
    # plain dicts over the LEA's (school, grade) cells: what a pivot gives, without a pivot's cost
    value, hidden_at = {}, {}
    for sc, g, v, h in zip(grades["school_code"].tolist(), grades["grade_level_code"].tolist(),
                           grades["value"].tolist(), grades["suppressed"].tolist()):
        value[(sc, g)], hidden_at[(sc, g)] = v, (False if h is None or h is pd.NA else bool(h))
    rows = sorted({sc for sc, _ in value})
    found = sorted({g for _, g in value})
    keys = _grade_key(pd.Series(found, dtype="object"))
    cols = [g for _, g in sorted(zip(keys, found), key=lambda kg: kg[0])]
    zs = [[value.get((r, g), float("nan")) for g in cols] for r in rows]
    text = [["*" if hidden_at.get((r, g), False) else ("" if pd.isna(v) else f"{v:.1f}%") for g, v in zip(cols, zr)]
            for r, zr in zip(rows, zs)]
    heat = {"type": "heatmap", "z": [[None if pd.isna(v) else float(v) for v in r] for r in zs],
            "x": list(cols), "y": [names.school_label(s) for s in rows], "text": text,
            "texttemplate": "%{text}", "textfont": {"size": 13}, "colorscale": _colorscale("Blues"), "zmin": 0,
            "zmax": 100, "colorbar": {"title": _title("% registered")}, "xgap": 2, "ygap": 2,
            "hovertemplate": "%{y}, grade %{x}: %{text}<extra></extra>"}
    layout = {"title": _title("Share of the roster registered, by school and grade (* = suppressed, blank = no "
                              "students)"),
              "xaxis": {"title": _title("Grade"), "type": "category"}, "plot_bgcolor": "#f6f8fa",
              "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
              "height": max(300, 120 + 34 * len(rows)), "margin": {"t": 60, "b": 60}}
    return {"data": [heat], "layout": layout}


@lru_cache(maxsize=None)
def _colorscale(name: str) -> list:
    """A named plotly colorscale as the ``[[position, colour], ...]`` list plotly's validation turns it into."""
    import plotly.graph_objects as go

    return [list(x) for x in go.Heatmap(colorscale=name).to_plotly_json()["colorscale"]]


def _share_chart(grades: pd.DataFrame, names: _Names) -> Markup:
    return _chart(share_chart_figure(grades, names), "plot-registration-share")


# --------------------------------------------------------------------------- the report
def render_lea_report(lea: str, match_results: pd.DataFrame, unmatched_cmp: pd.DataFrame, figures: pd.DataFrame,
                      generated_at: dt.datetime, lea_name: str | None = None,
                      school_names: Mapping[str, str] | None = None, plotly_src: str | None = None) -> ReportFiles:
    """One LEA's report: HTML (headline figures, course match, courses needing action, CMP courses not in CALPADS,
    student activity with suppression) and the CSVs ``course_match_summary.csv``, ``courses_needing_action.csv``,
    ``cmp_courses_not_in_calpads.csv`` and ``student_activity.csv``; ``summary`` holds the counts
    :func:`summary_markdown` shows.

    ``match_results``: the LEA's rows of ``cmp_match_results`` (contract :class:`CmpMatchResult`);
    ``unmatched_cmp``: the LEA's CMP courses no CALPADS course matched (reporting_lea, school_code, cmp_course_id,
    course_title, subject_area); ``figures``: :class:`LeaReportFigure` rows (``match_figures`` and
    ``activity_figures``; either may be absent: an LEA with course data only, or students only). The course-match
    counts are the ``course_match`` figures; when there are none they are computed from ``match_results``.
    ``lea_name`` and ``school_names`` (school code -> name) label codes; a code without a name is shown as the code.
    ``plotly_src``: where the page loads plotly.js from (the shared file :func:`shared_plotly` wrote, relative
    to the page); without it plotly.js is embedded in the page (one self-contained file, 4.8 MB).
    Raises ``ValueError`` when an input holds another LEA's rows and
    :class:`~ccgi_assets.contracts.ContractViolation` when an input carries a column its contract does not allow.
    Many LEAs: :func:`render_lea_reports` (the inputs checked once, not once per LEA).
    """
    matches = c.validate(c.select_allowed(match_results, c.CmpMatchResult), c.CmpMatchResult)
    course, act = _prepared(_mine(c.validate(figures, c.LeaReportFigure), lea, "figures"))
    return _render(lea, matches, unmatched_cmp, course, act, generated_at, lea_name, school_names, plotly_src)


def render_lea_reports(leas: list[str], match_results: pd.DataFrame, unmatched_cmp: pd.DataFrame,
                       figures: pd.DataFrame, generated_at: dt.datetime, lea_names: Mapping[str, str] | None = None,
                       school_names: Mapping[str, Mapping[str, str]] | None = None, plotly_src: str | None = None):
    """:func:`render_lea_report` of every LEA in ``leas``, one at a time (a generator of ``(lea, ReportFiles)``):
    the same reports, with each input checked against its contract once for all LEAs and split by LEA in one pass.
    ``match_results``, ``unmatched_cmp`` and ``figures`` hold the rows of all of them (rows of other LEAs are left
    out); ``lea_names``: LEA -> name; ``school_names``: LEA -> school code -> name."""
    matches = c.validate(c.select_allowed(match_results, c.CmpMatchResult), c.CmpMatchResult)
    figs = c.validate(figures, c.LeaReportFigure)
    keep = _unmatched_columns(unmatched_cmp)
    course, act = _prepared(figs)  # for all LEAs at once, then split: each LEA's rows keep their order
    by = {name: _split(df, leas) for name, df in (("m", matches), ("c", course), ("a", act),
                                                  ("u", unmatched_cmp.loc[:, keep]))}
    for lea in leas:
        yield lea, _render(lea, by["m"][lea], by["u"][lea], by["c"][lea], by["a"][lea], generated_at,
                           (lea_names or {}).get(lea), (school_names or {}).get(lea), plotly_src)


def _prepared(figs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course_match and student_activity figures of one or many LEAs, as the report reads them: a suppressed
    cell without its number, missing school and grade as ``ALL``, activity rows in report order (LEA-wide first,
    then by school, grade in school order, measure)."""
    figs = figs.copy()
    figs["suppressed"] = figs["suppressed"].fillna(False).astype(bool)
    figs.loc[figs["suppressed"], "value"] = float("nan")  # a suppressed cell never shows a number
    course = figs[figs["section"] == "course_match"]
    act = figs[figs["section"] == "student_activity"].copy()
    act["grade_level_code"] = act["grade_level_code"].fillna(ALL)
    act["school_code"] = act["school_code"].fillna(ALL)
    order = {m: i for i, m in enumerate(ACTIVITY_MEASURES)}
    act = act.assign(_s=(act["school_code"] != ALL).astype(int), _g=_grade_key(act["grade_level_code"]),
                     _m=act["measure"].map(order).fillna(len(order)))
    return course, act.sort_values(["_s", "school_code", "_g", "_m"], kind="stable")


def _split(df: pd.DataFrame, leas: list[str]) -> dict[str, pd.DataFrame]:
    """Each LEA's rows of a frame, in one pass (an empty frame for an LEA without rows)."""
    lea_col = df["reporting_lea"].astype("string")
    groups = {str(k): g for k, g in df.groupby(lea_col, sort=False)} if len(df) else {}
    return {lea: groups.get(lea, df.iloc[0:0]) for lea in leas}


def _unmatched_columns(unmatched_cmp: pd.DataFrame) -> list[str]:
    missing = [col for col in UNMATCHED_CMP_COLUMNS if col not in unmatched_cmp.columns]
    if missing:
        raise c.ContractViolation("UnmatchedCmpCourses", [c.Failure(col, "column_missing", 1) for col in missing])
    return UNMATCHED_CMP_COLUMNS + [col for col in UNMATCHED_CMP_OPTIONAL if col in unmatched_cmp.columns]


def _render(lea: str, matches: pd.DataFrame, unmatched_cmp: pd.DataFrame, course: pd.DataFrame, act: pd.DataFrame,
            generated_at: dt.datetime, lea_name: str | None, school_names: Mapping[str, str] | None,
            plotly_src: str | None) -> ReportFiles:
    """One report from inputs already checked against their contracts (``matches``; the figures, as
    :func:`_prepared` gives them: ``course`` and ``act``)."""
    names = _Names(lea, lea_name, school_names)
    # ---------------------------------------------------------------- inputs: this LEA only
    matches = _mine(matches, lea, "match_results")
    cmp_missing = _mine(unmatched_cmp.loc[:, _unmatched_columns(unmatched_cmp)].astype("string"), lea,
                        "unmatched_cmp").copy()
    course, act = _mine(course, lea, "figures"), _mine(act, lea, "figures")
    if course.empty and len(matches):
        course = match_figures(lea, matches).assign(suppressed=False)

    # ---------------------------------------------------------------- courses that need action
    # matched courses whose reason still asks for a fix (a state course code of another AP / IB level) come last
    na = matches[matches["match_status"].isin(NEEDS_ACTION) | matches["reason"].isin(NEEDS_ACTION_REASONS)].copy()
    na["_st"] = na["match_status"].map({s: i for i, s in enumerate(NEEDS_ACTION)}).fillna(len(NEEDS_ACTION))
    na = na.sort_values(["school_code", "_st", "academic_year", "local_course_id"], kind="stable")
    # a course that matched nothing keeps its closest CMP course only when that one is plausible
    na["_far"] = na["cmp_course_id"].isna() & (na["match_status"] == "not_on_cmp") & (na["score"] < CANDIDATE_MIN_SCORE)
    for col in ("candidate_cmp_course_id", "cmp_course_title", "cmp_subject_area"):
        na[col] = na[col].astype("object").where(~na["_far"], None)
    na["school_name"] = na["school_code"].map(names.school)
    na["reason_text"] = na["reason"].map(reason_text)
    na["cmp_subject_area_name"] = na["cmp_subject_area"].map(lambda a: AG_AREAS.get(str(a), "") if not _blank(a) else "")
    na_csv = na[NEEDS_ACTION_COLUMNS].assign(score=na["score"].round(1))
    to_act = na.groupby("school_code").size() if len(na) else pd.Series(dtype="int64")

    # CMP courses nothing matched: an anchor each, and the listed courses whose candidate (or runner-up) it is
    cmp_missing = cmp_missing.sort_values(["school_code", "course_title", "cmp_course_id"], kind="stable")
    cmp_anchor = {(s, i): _anchor("cmp", s, i) for s, i in zip(cmp_missing["school_code"], cmp_missing["cmp_course_id"])}
    needs_action, backlinks = [], {}
    for r in na.to_dict("records"):
        row = {k: ("" if _blank(v) else v) for k, v in r.items() if not k.startswith("_")}
        shown_id = row["cmp_course_id"] or row["candidate_cmp_course_id"]
        row_id = _anchor("course", row["school_code"], row["academic_year"], row["local_course_id"])
        row.update(
            id=row_id, status_label=STATUS_TEXT.get(row["match_status"], (row["match_status"], ""))[0],
            school_label=names.school_label(row["school_code"]), score_text=f"{float(r['score']):.1f}",
            area_text=area_text(row["cmp_subject_area"]), shown_id=shown_id, far=bool(r["_far"]),
            # a CMP course that is not the match: the closest one, or one of those tied
            candidate_label="" if row["cmp_course_id"] else ("tied:" if r["match_status"] == "ambiguous" else "closest:"),
            link=cmp_anchor.get((row["school_code"], shown_id), "") if shown_id else "")
        needs_action.append(row)
        for other in (shown_id, "" if _blank(r.get("runner_up_cmp_course_id")) else str(r["runner_up_cmp_course_id"])):
            if other and (row["school_code"], other) in cmp_anchor:
                backlinks.setdefault((row["school_code"], other), []).append(
                    {"id": row_id, "text": f"{row['local_course_id']} {row['course_name']}".strip()})
    if "reason" in cmp_missing.columns:
        cmp_missing["reason_text"] = cmp_missing["reason"].map(reason_text).astype("string")
    cmp_missing.insert(2, "school_name", cmp_missing["school_code"].map(names.school).astype("string"))
    cmp_missing["subject_area_name"] = cmp_missing["subject_area"].map(lambda a: AG_AREAS.get(str(a), "")).astype("string")
    cmp_rows = [{**{k: ("" if _blank(v) else v) for k, v in r.items()},
                 "id": cmp_anchor[(r["school_code"], r["cmp_course_id"])],
                 "school_label": names.school_label(r["school_code"]), "area_text": area_text(r["subject_area"]),
                 "backlinks": backlinks.get((r["school_code"], r["cmp_course_id"]), [])}
                for r in cmp_missing.to_dict("records")]

    # ---------------------------------------------------------------- course match per school
    cm = course.assign(col=course["measure"].map(MATCH_MEASURES))
    cm = cm[cm["col"].notna()]
    summary = cm.pivot_table(index="school_code", columns="col", values="value", aggfunc="sum", fill_value=0)
    summary = summary.reindex(columns=COURSE_SUMMARY_COLUMNS, fill_value=0).astype("int64")
    summary = summary.loc[sorted(summary.index, key=lambda s: (s != ALL, s))]
    act_counts = pd.Series({s: int(len(na)) if s == ALL else int(to_act.get(s, 0)) for s in summary.index},
                           dtype="int64")
    summary_csv = summary.reset_index()
    summary_csv.insert(0, "reporting_lea", lea)
    summary_csv.insert(2, "school_name", summary_csv["school_code"].map(names.school))
    summary_csv["needs_action"] = summary_csv["school_code"].map(act_counts).fillna(0).astype("int64")
    course_measures = [{"measure": m, "col": col, "label": "Total" if col == "total" else STATUS_TEXT[col][0]}
                       for m, col in MATCH_MEASURES.items()]
    course_rows = [{"school": s, "school_label": names.school_label(s), "to_act": int(act_counts.get(s, 0)),
                    "cells": [{"measure": cmm["measure"], "school": s, "grade": ALL, "suppressed": False,
                               "raw": int(summary.at[s, cmm["col"]]), "text": str(int(summary.at[s, cmm["col"]]))}
                              for cmm in course_measures]} for s in summary.index]
    per_school = summary.drop(index=ALL, errors="ignore")
    course_chart = _course_chart(per_school, to_act, names) if len(per_school) else None

    # ---------------------------------------------------------------- student activity
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
        activity_rows.append({"school": s, "grade": g, "school_label": names.school_label(s),
                              "grade_label": _grade_label(g), "cells": row})
    act_csv = act[["reporting_lea", "school_code", "grade_level_code", "measure", "value", "suppressed"]].copy()
    act_csv.insert(2, "school_name", act_csv["school_code"].map(names.school))
    act_csv["value"] = [("*" if sup else _fmt(v, m)) for v, sup, m in
                        zip(act_csv["value"], act_csv["suppressed"], act_csv["measure"])]
    act_csv["suppressed"] = act_csv["suppressed"].map({True: "true", False: "false"})

    schools = act[(act["school_code"] != ALL) & (act["grade_level_code"] == ALL)]
    activity_chart = _activity_chart(schools, names) if len(schools) else None
    grades = act[(act["school_code"] != ALL) & (act["grade_level_code"] != ALL) & (act["measure"] == "registered_percent")]
    share_chart = _share_chart(grades, names) if len(grades) else None

    # ---------------------------------------------------------------- headline figures (counts only)
    def lea_figure(measure):
        """(value or None, suppressed) of an LEA-wide student-activity figure; (None, False) when absent."""
        v, sup = cells.get((ALL, ALL, measure), (float("nan"), False))
        return (None if sup or pd.isna(v) else float(v)), bool(sup)

    total = summary.loc[ALL] if ALL in summary.index else pd.Series(0, index=COURSE_SUMMARY_COLUMNS)
    head = {
        "lea": lea, "lea_name": names.lea_name, "lea_label": names.lea_label,
        "generated_text": "", "courses": int(total["total"]), "schools_with_courses": int(len(per_school)),
        "courses_matched": int(total["matched"]), "courses_need_action": int(len(na)),
        "courses_by_status": {s: int(total[s]) for s in MATCH_STATUSES},
        "cmp_courses_not_matched": int(len(cmp_missing)),
        "has_students": lea_figure("roster_students")[1] or (lea_figure("roster_students")[0] or 0) > 0,
        "students": {m: lea_figure(m) for m in ("roster_students", "registered_students", "registered_percent",
                                                 "applied_uc_students", "applied_csu_students",
                                                 "applied_ccc_students", "students_with_activity")},
        "schools": [{"school": s, "label": names.school_label(s), "total": int(per_school.at[s, "total"]),
                     "to_act": int(to_act.get(s, 0)), **{st: int(per_school.at[s, st]) for st in MATCH_STATUSES}}
                    for s in per_school.index],
        "needs_action": [{k: r[k] for k in ("school_label", "local_course_id", "course_name", "status_label",
                                            "reason_text")} for r in needs_action],
    }

    # ---------------------------------------------------------------- render
    generated = generated_at if isinstance(generated_at, dt.datetime) else pd.Timestamp(generated_at).to_pydatetime()
    head["generated_text"] = generated.strftime("%Y-%m-%d %H:%M") + (f" {generated.tzname()}" if generated.tzinfo else "")
    html = _template().render(
        lea=lea, lea_name=names.lea_name, lea_label=names.lea_label,
        generated_iso=generated.isoformat(timespec="seconds"), generated_text=head["generated_text"],
        plotly_js=Markup(_plotly_js()) if plotly_src is None else None, plotly_src=plotly_src, threshold=SUPPRESSION_THRESHOLD, head=head, headline=_headline(head),
        statuses=[{"label": STATUS_TEXT[s][0], "text": STATUS_TEXT[s][1], "color": STATUS_COLORS[s]}
                  for s in MATCH_STATUSES],
        areas=list(AG_AREAS.items()), score_text=SCORE_TEXT, candidate_min=f"{CANDIDATE_MIN_SCORE:g}",
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
    return ReportFiles(html=html, csvs=csvs, summary=head)


def _count(v: tuple) -> str:
    value, suppressed = v
    return "*" if suppressed else ("" if value is None else _fmt(value, ""))


def _headline(head: dict) -> list[dict]:
    """The report's first lines: (label, value text, note) per headline figure."""
    n, ok = head["courses"], head["courses_matched"]
    out = [
        {"id": "courses", "label": "UC/CSU-approved courses compared", "value": str(n),
         "note": f"at {head['schools_with_courses']} school(s)"},
        {"id": "matched", "label": "Matched on the CMP", "value": str(ok),
         "note": f"{100.0 * ok / n:.0f}% of the courses" if n else ""},
        {"id": "need-action", "label": "Courses that need action", "value": str(head["courses_need_action"]),
         "note": "listed below", "warn": head["courses_need_action"] > 0},
        {"id": "cmp-not-matched", "label": "CMP courses no CALPADS course matched",
         "value": str(head["cmp_courses_not_matched"]), "note": ""},
    ]
    s = head["students"]
    if head["has_students"]:
        pct = s["registered_percent"]
        out += [
            {"id": "roster", "label": "Students on the roster", "value": _count(s["roster_students"]), "note": ""},
            {"id": "registered", "label": "Registered on CaliforniaColleges.edu",
             "value": _count(s["registered_students"]),
             "note": ("* of the roster" if pct[1] else f"{pct[0]:.1f}% of the roster") if pct[0] is not None or pct[1]
             else ""},
            {"id": "applied", "label": "Applied to UC / CSU / CCC",
             "value": " / ".join(_count(s[m]) for m in ("applied_uc_students", "applied_csu_students",
                                                       "applied_ccc_students")), "note": "students"},
        ]
    else:
        out.append({"id": "roster", "label": "Students on the roster", "value": "0",
                    "note": "no student data shared for this LEA yet"})
    return [{"warn": False, **x} for x in out]


# --------------------------------------------------------------------------- the Markdown summary (Dagster UI)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


def _md(text) -> str:
    """Text as Markdown that shows it literally: one line, special characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def summary_markdown(report: ReportFiles, path: str, link: str | None = None) -> str:
    """The report in a few lines for the Dagster UI (``MetadataValue.md``): headline figures, the schools and courses
    that need action, and where the files are. ``link``: a URL a browser opens (object storage behind a web
    address); without one, ``path`` is a local file and the summary says how to open it. Counts only: course
    counts, and student counts with small counts suppressed as in the report (``*``)."""
    h = report.summary
    lines = [f"### {_md(h['lea_label'])}: CaliforniaColleges.edu data report", "",
             f"Generated {_md(h['generated_text'])}. Aggregates only; `*` = fewer than {SUPPRESSION_THRESHOLD} students "
             "(suppressed).", ""]
    lines += ["| Headline | Figure | |", "|---|---:|---|"]
    lines += [f"| {_md(x['label'])} | {_md(x['value'])} | {_md(x['note'])} |" for x in _headline(h)]
    lines.append("")
    if h["schools"]:
        lines += ["**Course match per school** (courses; to act on = listed in the report)", "",
                  "| School | Courses | " + " | ".join(STATUS_TEXT[s][0] for s in MATCH_STATUSES) + " | To act on |",
                  "|---|---:|" + "---:|" * len(MATCH_STATUSES) + "---:|"]
        for s in sorted(h["schools"], key=lambda s: (-s["to_act"], s["school"])):
            lines.append(f"| {_md(s['label'])} | {s['total']} | " + " | ".join(str(s[st]) for st in MATCH_STATUSES)
                         + f" | {'**%d**' % s['to_act'] if s['to_act'] else '0'} |")
        lines.append("")
    if h["needs_action"]:
        shown = h["needs_action"][:SUMMARY_COURSES]
        lines += [f"**Courses that need action** ({len(h['needs_action'])}"
                  + (f", the first {len(shown)}" if len(shown) < len(h["needs_action"]) else "") + ")", "",
                  "| School | Local course ID | CALPADS course name | Status | What to do |", "|---|---|---|---|---|"]
        lines += [f"| {_md(r['school_label'])} | {_md(r['local_course_id'])} | {_md(r['course_name'])} | "
                  f"{_md(r['status_label'])} | {_md(r['reason_text'])} |" for r in shown]
        lines.append("")
    lines.append("**Files**: `index.html` (the report) and " + ", ".join(f"`{n}`" for n in FILES_TEXT if n != "index.html")
                 + ".")
    lines.append("")
    if link:
        lines.append(f"[Open the report]({link.replace(' ', '%20').replace(')', '%29')})")
    else:
        from pathlib import Path

        uri = Path(path).resolve().as_uri() if path.startswith("/") else path
        lines += [f"Report file: `{path}`", "",
                  "A browser does not open a local file from a web page such as this one: paste "
                  f"`{uri}` into the address bar, or run `python -m webbrowser {uri}` on this machine."]
    return "\n".join(lines)
