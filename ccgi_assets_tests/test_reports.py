"""The LEA report (seed Diagram 1 step 4, 2a step 9, 2b step 8): one offline HTML page and CSVs, aggregates only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf
from ccgi_assets.matching_vocab import NEEDS_ACTION
from ccgi_assets.reports import (AG_AREAS, CANDIDATE_MIN_SCORE, REASON_TEXT, SCORE_TEXT, STATUS_TEXT, ReportFiles,
                                 render_lea_report, summary_markdown)

LEA = "0100001"
WHEN = dt.datetime(2026, 5, 4, 7, 30, tzinfo=dt.timezone.utc)
FIRST_NAMES = ["Zyanya", "Xóchitl", "Quetzalli", "Yaretzi", "Itzel"]
LAST_NAMES = ["Vasquez-Oyelaran", "Nguyễn-Thibodeaux", "Peñaloza-Kirkwood"]
#: school 0100013 has no name (not on the CMP list): its code is shown
SCHOOL_NAMES = {"0100011": "Lincoln High", "0100012": "Roosevelt & Sons <Academy>"}


# --------------------------------------------------------------------------- a small LEA
def _sample():
    rng = np.random.default_rng(42)
    layout = {("0100011", "09"): 40, ("0100011", "10"): 35, ("0100011", "11"): 6, ("0100011", "12"): 30,
              ("0100012", "11"): 25, ("0100012", "12"): 22, ("0100013", "12"): 7}
    schools = [s for (s, g), n in layout.items() for _ in range(n)]
    grades = [g for (s, g), n in layout.items() for _ in range(n)]
    n = len(schools)
    ssids = [str(6_000_000_000 + x) for x in rng.choice(999_999_999, n, replace=False)]
    roster = c.validate(pd.DataFrame({
        "reporting_lea": LEA, "ssid": ssids, "local_student_id": [f"00{7000 + i}" for i in range(n)],
        "legal_first_name": rng.choice(FIRST_NAMES, n), "legal_last_name": rng.choice(LAST_NAMES, n),
        "birth_date": pd.Timestamp("2008-03-01"), "gender_code": "X", "hispanic_ethnicity_indicator": "N",
        "race_1_code": "600", "race_2_code": None, "race_3_code": None, "race_4_code": None, "race_5_code": None,
        "school_code": schools, "grade_level_code": grades}), c.RegistrationRoster)
    reg = [s for s in ssids if rng.random() < 0.75]
    accounts = pd.DataFrame({"ssid": reg, "registered_at": pd.Timestamp("2025-09-02"), "reporting_lea": LEA})
    apps = pd.DataFrame([{"ssid": s, "system": y, "submitted_at": pd.Timestamp("2025-11-30"), "reporting_lea": LEA}
                         for s in reg for y in c.SYSTEMS if rng.random() < 0.3])
    acts = pd.DataFrame({"ssid": [s for s in reg for _ in range(int(rng.integers(0, 3)))], "activity": "Lesson",
                         "completed_at": pd.Timestamp("2025-10-10"), "reporting_lea": LEA})
    matches = pd.DataFrame({
        "reporting_lea": LEA,
        "school_code": ["0100011"] * 6 + ["0100012"] * 3,
        "academic_year": "2025-2026",
        "local_course_id": ["0101", "0102", "0103", "0104", "0105", "0106", "0201", "0202", "0203"],
        "course_name": ["ENG 9 H", "ALG 1", "<script>alert('x')</script>", "CHEM A/B", "US HIST", "PHYS H",
                        "SPAN 2", "ART & DESIGN", "GEOM"],
        "state_course_code": ["2101", "2403", "2100", "2613", "2716", "2631", "2502", "2602", "2410"],
        "cmp_course_id": ["C1", "C2", None, "C4", "C5", None, "C6", "C7", "C8"],
        "cmp_course_title": ["English 9 Honors", "Algebra 1", "English 10 Honors", "Chemistry", "U.S. History",
                             "Physics <Honors>", "Spanish 2", "Art & Design", "Geometry"],
        "cmp_subject_area": ["b", "c", "b", "d", "a", "d", "e", "f", "c"],
        "match_status": ["matched", "matched", "not_on_cmp", "ambiguous", "matched_subject_mismatch", "not_on_cmp",
                         "matched", "matched", "ambiguous"],
        "score": [100.0, 97.5, 41.2, 88.04, 93.0, 70.0, 96.0, 99.0, 87.0],
        "method": ["local_course_code", "title", None, "title", "transcript_abbreviation", None, "title", "title",
                   "title"],
        "reason": ["exact_local_code", "name_match", "honors_ap_ib_differs", "tie_between_cmp_courses",
                   "subject_area_disagrees", "honors_ap_ib_differs", "name_match", "name_match", "a_new_reason_code"],
        "content_area": None,
        "candidate_cmp_course_id": ["C1", "C2", "C3", "C4", "C5", "C90", "C6", "C7", "C8"],
        "name_score": None, "runner_up_cmp_course_id": None, "runner_up_score": None,
    })
    unmatched = pd.DataFrame({"reporting_lea": LEA, "school_code": ["0100011", "0100012"],
                              "cmp_course_id": ["C90", "C91"], "course_title": ["Physics <Honors>", "Dance 1"],
                              "subject_area": ["d", "f"]})
    figures = pd.concat([pf.match_figures(LEA, matches), pf.activity_figures(LEA, roster, accounts, apps, acts)],
                        ignore_index=True)
    return roster, matches, unmatched, figures


@pytest.fixture(scope="module")
def sample():
    roster, matches, unmatched, figures = _sample()
    report = render_lea_report(LEA, matches, unmatched, figures, WHEN, lea_name="Sample Unified <SD>",
                               school_names=SCHOOL_NAMES)
    return roster, matches, unmatched, figures, report


class _Page(HTMLParser):
    """Collects what a test needs: figure cells, charts, tables' rows, scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells: list[dict] = []
        self.charts: dict[str, list[str]] = {}
        self.ids: set[str] = set()
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._chart: str | None = None
        self._table: str | None = None
        self._cell: dict | None = None
        self._row: list[str] | None = None
        self._td_text: list[str] | None = None
        self._depth = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "div":
            if self._chart is not None:
                self._depth += 1
                if "plotly-graph-div" in (a.get("class") or ""):
                    self.charts[self._chart].append(a.get("id", ""))
            elif "chart" in (a.get("class") or "").split():
                self._chart, self._depth = a["id"], 0
                self.charts[self._chart] = []
        if tag == "script":
            self.scripts.append(a)
        if tag == "link":
            self.links.append(a)
        if tag == "title":
            self._in_title = True
        if tag == "table":
            self._table = a.get("id")
            self.rows[self._table] = []
        if tag == "tr" and self._table:
            self._row = []
        if tag == "td":
            self._td_text = []
            if "data-measure" in a:
                self._cell = {**a, "text": ""}

    def handle_endtag(self, tag):
        if tag == "div" and self._chart is not None:
            if self._depth == 0:
                self._chart = None
            else:
                self._depth -= 1
        if tag == "title":
            self._in_title = False
        if tag == "td":
            text = "".join(self._td_text or []).strip()
            if self._cell is not None:
                self._cell["text"] = text
                self.cells.append(self._cell)
                self._cell = None
            if self._row is not None:
                self._row.append(text)
            self._td_text = None
        if tag == "tr" and self._row is not None and self._table:
            if self._row:
                self.rows[self._table].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._td_text is not None:
            self._td_text.append(data)
        if self._in_title:
            self.title += data


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------- the page
def test_report_is_one_offline_page_with_title_time_and_plotly_once(sample):
    *_, report = sample
    assert isinstance(report, ReportFiles)
    page = parse(report.html)
    assert LEA in page.title and "Sample Unified <SD>" in page.title
    assert "Sample Unified &lt;SD&gt;" in report.html  # escaped in the markup
    assert WHEN.isoformat(timespec="seconds") in report.html
    assert all("src" not in s for s in page.scripts)  # nothing loaded from elsewhere
    assert page.links == []
    assert report.html.count("* plotly.js v") == 1  # the library embedded once, for every chart


def test_report_has_the_charts(sample):
    *_, report = sample
    page = parse(report.html)
    for chart in ("chart-course-match", "chart-student-activity", "chart-registration-share"):
        assert len(page.charts.get(chart, [])) == 1, chart  # a plotly graph inside each chart container
    assert report.html.count("Plotly.newPlot(") == 3


def test_figure_cells_in_the_tables_equal_the_figures_frame(sample):
    *_, figures, report = sample
    page = parse(report.html)
    cells = {(x["data-school"], x["data-grade"], x["data-measure"]): x for x in page.cells if x["data-measure"] != "score"}
    assert len(cells) == len(figures)
    for f in figures.itertuples():
        cell = cells[(f.school_code, f.grade_level_code, f.measure)]
        if f.suppressed:
            assert cell["data-suppressed"] == "true" and cell["text"] == "*" and cell["data-value"] == ""
        else:
            assert cell["data-suppressed"] == "false"
            assert float(cell["data-value"]) == pytest.approx(f.value)
            assert float(cell["text"]) == pytest.approx(f.value)


def test_suppressed_cells_are_shown_as_suppressed_and_explained(sample):
    *_, figures, report = sample
    page = parse(report.html)
    sup = figures[figures["suppressed"].astype(bool)]
    assert len(sup) > 0  # the sample has small cells (6 and 7 students)
    shown = [x for x in page.cells if x["data-suppressed"] == "true"]
    assert len(shown) == len(sup) and all(x["text"] == "*" for x in shown)
    assert "suppression-note" in page.ids and "fewer than 10 students" in report.html
    rows = _csv_rows(report.csvs["student_activity.csv"])
    assert len(rows) == int((figures["section"] == "student_activity").sum())
    flagged = [r for r in rows if r["suppressed"] == "true"]
    assert len(flagged) == len(sup) and all(r["value"] == "*" for r in flagged)
    for r in rows:
        if r["suppressed"] == "false" and r["value"]:
            f = figures[(figures["school_code"] == r["school_code"]) & (figures["grade_level_code"] == r["grade_level_code"])
                        & (figures["measure"] == r["measure"])]
            assert float(r["value"]) == pytest.approx(float(f["value"].iloc[0]))


def test_a_caller_cannot_make_a_suppressed_cell_show_its_number(sample):
    roster, matches, unmatched, figures, _ = sample
    leaky = figures.copy()
    i = leaky.index[leaky["suppressed"].astype(bool)][0]
    leaky.loc[i, "value"] = 7.0
    cell = leaky.loc[i]
    page = parse(render_lea_report(LEA, matches, unmatched, leaky, WHEN).html)
    [shown] = [x for x in page.cells if (x["data-school"], x["data-grade"], x["data-measure"])
               == (cell["school_code"], cell["grade_level_code"], cell["measure"])]
    assert shown["text"] == "*" and shown["data-value"] == ""


def test_no_ssid_or_name_from_the_inputs_reaches_the_report(sample):
    roster, *_, report = sample
    from plotly.offline import get_plotlyjs

    library = get_plotlyjs()  # a constant (minified numbers like 007025 occur in it): everything else is checked
    assert report.html.count(library) == 1
    texts = [report.html.replace(library, ""), *report.csvs.values()]
    for col in ("ssid", "local_student_id", "legal_first_name", "legal_last_name"):
        values = set(roster[col].dropna())
        assert values
        for text in texts:
            assert not any(v in text for v in values), col


def test_course_match_section_lists_counts_and_the_courses_that_need_action(sample):
    _, matches, unmatched, figures, report = sample
    page = parse(report.html)
    summary = _csv_rows(report.csvs["course_match_summary.csv"])
    by_school = {r["school_code"]: r for r in summary}
    for f in figures[figures["section"] == "course_match"].itertuples():
        col = pf.MATCH_MEASURES[f.measure]
        assert int(by_school[f.school_code][col]) == f.value
    need = matches[matches["match_status"].isin(NEEDS_ACTION)]
    rows = page.rows["table-needs-action"]
    assert len(rows) == len(need)
    listed = {(r[0], r[2]) for r in rows}
    assert listed == {(f"{SCHOOL_NAMES[s]} ({s})", i) for s, i in zip(need["school_code"], need["local_course_id"])}
    chem = next(r for r in rows if r[2] == "0104")
    assert "Chemistry" in chem[6] and "C4" in chem[6] and chem[8] == "88.0"
    assert STATUS_TEXT["ambiguous"][0] in chem[5] and REASON_TEXT["tie_between_cmp_courses"] in chem[9]
    assert chem[7] == "d \u2013 Laboratory Science"  # the a-g letter with its name
    far = next(r for r in rows if r[2] == "0103")  # not on the CMP, best score 41.2: no candidate is offered
    assert "English 10 Honors" not in far[6] and "C3" not in far[6] and "none close" in far[6]
    assert far[8] == "41.2" and REASON_TEXT["honors_ap_ib_differs"] in far[9]
    near = next(r for r in rows if r[2] == "0106")  # score 70: the closest CMP course is named with its ID
    assert "Physics <Honors>" in near[6] and "C90" in near[6]
    unknown = next(r for r in rows if r[2] == "0203")
    assert "A new reason code" in unknown[9]  # an unlisted reason code still reads as words
    action_csv = _csv_rows(report.csvs["courses_needing_action.csv"])
    assert sorted(r["local_course_id"] for r in action_csv) == sorted(need["local_course_id"])
    by_id = {r["local_course_id"]: r for r in action_csv}
    assert (by_id["0103"]["candidate_cmp_course_id"], by_id["0103"]["cmp_course_title"]) == ("", "")
    assert (by_id["0106"]["candidate_cmp_course_id"], by_id["0106"]["cmp_subject_area_name"]) == ("C90", "Laboratory Science")
    assert {r["match_status"] for r in action_csv} <= set(NEEDS_ACTION)
    assert all(r["reason_text"] for r in action_csv)
    missing = _csv_rows(report.csvs["cmp_courses_not_in_calpads.csv"])
    assert sorted(r["cmp_course_id"] for r in missing) == sorted(unmatched["cmp_course_id"])
    assert len(page.rows["table-cmp-not-in-calpads"]) == len(unmatched)


def test_course_names_are_escaped(sample):
    *_, report = sample
    assert "<script>alert('x')</script>" not in report.html
    _, matches, unmatched, figures, _ = sample
    evil = render_lea_report(LEA, matches, unmatched, figures, WHEN, lea_name="</title><script>alert(2)</script>",
                             school_names={"0100011": "</script><script>alert(1)</script>"}).html
    assert "<script>alert(" not in evil  # a name cannot close the page's tags or plotly's script
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in report.html
    assert "Physics &lt;Honors&gt;" in report.html


def test_course_counts_come_from_match_results_when_no_course_figures_are_given(sample):
    _, matches, unmatched, figures, _ = sample
    report = render_lea_report(LEA, matches, unmatched, figures[figures["section"] == "student_activity"], WHEN)
    summary = {r["school_code"]: r for r in _csv_rows(report.csvs["course_match_summary.csv"])}
    assert int(summary["ALL"]["total"]) == len(matches)
    assert int(summary["0100011"]["not_on_cmp"]) == int(((matches["school_code"] == "0100011")
                                                         & (matches["match_status"] == "not_on_cmp")).sum())


def test_student_level_columns_are_refused_and_other_leas_rows_rejected(sample):
    roster, matches, unmatched, figures, _ = sample
    with pytest.raises(c.ContractViolation):
        render_lea_report(LEA, matches, unmatched, figures.assign(ssid=roster["ssid"].iloc[0]), WHEN)
    # an extra column on the match results is dropped, never shown
    extra = matches.assign(legal_last_name="Zzyzx-Unlikely")
    assert "Zzyzx-Unlikely" not in render_lea_report(LEA, extra, unmatched, figures, WHEN).html
    other = matches.copy()
    other.loc[0, "reporting_lea"] = "0200002"
    with pytest.raises(ValueError, match="another LEA"):
        render_lea_report(LEA, other, unmatched, figures, WHEN)


def test_an_lea_without_results_or_students_still_gets_a_report():
    empty_m = pd.DataFrame({col: pd.Series(dtype="string") for col in c.columns(c.CmpMatchResult)}).astype({"score": float})
    empty_u = pd.DataFrame({col: pd.Series(dtype="string") for col in
                            ["reporting_lea", "school_code", "cmp_course_id", "course_title", "subject_area"]})
    figs = pf.match_figures(LEA, empty_m)
    report = render_lea_report(LEA, empty_m, empty_u, figs, WHEN)
    page = parse(report.html)
    assert set(page.charts) == {"chart-course-match", "chart-student-activity", "chart-registration-share"}
    assert "No course needs action." in report.html
    assert _csv_rows(report.csvs["courses_needing_action.csv"]) == []
    assert set(report.csvs) == {"course_match_summary.csv", "courses_needing_action.csv",
                                "cmp_courses_not_in_calpads.csv", "student_activity.csv"}


def _traces(html: str, div_id: str) -> list[dict]:
    import json

    start = html.index(f'"{div_id}",', html.index(f'getElementById("{div_id}")'))  # Plotly.newPlot("<id>", [...
    rest = html[html.index("[", start):]
    data, _ = json.JSONDecoder().raw_decode(rest)
    return data


def test_charts_show_the_table_figures_and_suppressed_counts_as_marked_gaps(sample):
    *_, figures, report = sample
    f = figures.set_index(["school_code", "grade_level_code", "measure"])
    labels = {v: k for k, v in pf.ACTIVITY_MEASURES.items()}
    school_of = {f"{n} ({s})": s for s, n in SCHOOL_NAMES.items()} | {"0100013": "0100013"}
    traces = _traces(report.html, "plot-student-activity")
    values = [t for t in traces if t.get("meta") != "suppressed"]
    gaps = {t["offsetgroup"]: t for t in traces if t.get("meta") == "suppressed"}
    assert values and gaps
    seen_gap = 0
    for trace in values:
        m = labels[trace["name"]]
        gap = gaps.get(trace["offsetgroup"])
        for i, (label, x) in enumerate(zip(trace["y"], trace["x"])):
            row = f.loc[(school_of[label], "ALL", m)]
            if row["suppressed"]:
                assert x is None  # no bar of any value: not its number, not zero ...
                assert gap["text"][i] == "*" and gap["x"][i] > 0  # ... but a marked gap
                seen_gap += 1
            else:
                assert x == pytest.approx(row["value"])
                assert gap is None or gap["x"][i] is None
                assert trace["text"][i] == ("0" if row["value"] == 0 else "")  # a zero is labelled, not left blank
    assert seen_gap == sum(bool(f.loc[(s, "ALL", labels[t["name"]]), "suppressed"]) for t in values
                           for s in school_of.values())
    assert sum(t["showlegend"] for t in gaps.values()) == 1 and "not zero" in next(iter(gaps.values()))["name"]
    [heat] = _traces(report.html, "plot-registration-share")
    for label, zs, texts in zip(heat["y"], heat["z"], heat["text"]):
        for grade, z, text in zip(heat["x"], zs, texts):
            key = (school_of[label], grade, "registered_percent")
            if key in f.index and f.loc[key, "suppressed"]:
                assert z is None and text == "*"
            elif key not in f.index:
                assert z is None and text == ""
            else:
                assert z == pytest.approx(f.loc[key, "value"])


def test_the_course_chart_shows_each_schools_shares_with_what_to_act_on_beside_every_bar(sample):
    _, matches, *_, report = sample
    course = {t["name"]: t for t in _traces(report.html, "plot-course-match")}
    assert list(course) == [STATUS_TEXT[s][0] for s in NEEDS_ACTION + ["matched"]]  # the statuses to act on first
    per_school = matches.groupby("school_code")["match_status"].value_counts().unstack(fill_value=0)
    for status in pf.MATCH_STATUSES:
        t = course[STATUS_TEXT[status][0]]
        for label, share, n in zip(t["y"], t["x"], t["customdata"]):
            school = label[-8:-1]  # "Name (code)"
            total = int(per_school.loc[school].sum())
            expected = int(per_school.loc[school].get(status, 0))
            assert n == expected and share == pytest.approx(100.0 * expected / total, abs=0.05)
    # every school's count to act on is written beside its bar, however few courses the school has
    layout_start = report.html.index('"annotations"', report.html.index('getElementById("plot-course-match")'))
    notes = report.html[layout_start:layout_start + 2000]
    assert "4 of 6 to act on" in notes and "1 of 3 to act on" in notes


def test_school_and_lea_names_stand_beside_codes_which_stay_the_keys(sample):
    *_, figures, report = sample
    page = parse(report.html)
    assert "Lincoln High (0100011)" in report.html
    assert "Roosevelt &amp; Sons &lt;Academy&gt; (0100012)" in report.html  # escaped like every other text
    act_rows = page.rows["table-student-activity"]
    assert {r[0] for r in act_rows} == {"All schools", "Lincoln High (0100011)", "Roosevelt & Sons <Academy> (0100012)",
                                        "0100013"}  # no name on the CMP list: the code
    assert {x["data-school"] for x in page.cells} == {"ALL", "0100011", "0100012", "0100013"}  # codes are the keys
    labels = set(_traces(report.html, "plot-student-activity")[0]["y"])
    assert labels == {"Lincoln High (0100011)", "Roosevelt & Sons <Academy> (0100012)", "0100013"}
    summary = _csv_rows(report.csvs["course_match_summary.csv"])
    assert [(r["reporting_lea"], r["school_code"], r["school_name"]) for r in summary] == [
        (LEA, "ALL", ""), (LEA, "0100011", "Lincoln High"), (LEA, "0100012", "Roosevelt & Sons <Academy>")]
    assert [int(r["needs_action"]) for r in summary] == [5, 4, 1]
    activity = _csv_rows(report.csvs["student_activity.csv"])
    assert {(r["school_code"], r["school_name"]) for r in activity} >= {("0100011", "Lincoln High"), ("0100013", "")}
    assert "Sample Unified &lt;SD&gt; (LEA 0100001)" in report.html


def test_a_plausible_candidate_and_its_unmatched_cmp_row_link_to_each_other(sample):
    *_, report = sample
    html = report.html
    assert html.count('id="cmp-0100011-C90"') == 1 and html.count('id="course-0100011-2025_2d2026-0106"') == 1
    assert '<a href="#cmp-0100011-C90">Physics &lt;Honors&gt;</a>' in html  # the course's candidate -> the CMP row
    assert '<a href="#course-0100011-2025_2d2026-0106">0106 PHYS H</a>' in html  # and back
    assert 'href="#cmp-0100012-C91"' not in html  # no course is close to Dance 1: no link
    assert html.count("id=\"score-note\"") == 1 and html.count(SCORE_TEXT) == 1  # the score's meaning, once
    assert f"from {CANDIDATE_MIN_SCORE:g}" in SCORE_TEXT
    for letter, name in AG_AREAS.items():
        assert f"<strong>{letter}</strong> {name}" in html


def test_headline_figures_open_the_report_and_suppressed_ones_show_as_stars(sample):
    *_, figures, report = sample
    page = parse(report.html)
    assert "headline" in page.ids
    h = report.summary
    assert (h["courses"], h["courses_need_action"], h["cmp_courses_not_matched"]) == (9, 5, 2)
    roster = figures[(figures["school_code"] == "ALL") & (figures["measure"] == "roster_students")]["value"].iloc[0]
    assert h["students"]["roster_students"] == (roster, False)
    for m, (v, sup) in h["students"].items():
        f = figures[(figures["school_code"] == "ALL") & (figures["grade_level_code"] == "ALL") & (figures["measure"] == m)]
        assert sup == bool(f["suppressed"].iloc[0]) and (v is None) == sup


def test_the_markdown_summary_has_headline_figures_courses_to_act_on_and_how_to_open_the_files(sample):
    roster, matches, unmatched, figures, report = sample
    md = summary_markdown(report, "/srv/ccgi/reports/0100001/index.html")
    assert md.startswith("### Sample Unified \\<SD\\> (LEA 0100001)")  # Markdown-escaped name
    assert "| Courses that need action | 5 |" in md and "| UC/CSU-approved courses compared | 9 |" in md
    assert "| Lincoln High (0100011) | 6 | 2 | 1 | 1 | 2 | **4** |" in md
    assert "\\<script\\>alert('x')\\</script\\>" in md and "<script>" not in md  # a course name cannot inject
    assert "file:///srv/ccgi/reports/0100001/index.html" in md and "python -m webbrowser" in md
    for col in ("ssid", "local_student_id", "legal_first_name", "legal_last_name"):
        assert not any(v in md for v in set(roster[col].dropna())), col
    linked = summary_markdown(report, "s3://reports/0100001/index.html", "https://reports.example.org/0100001/index.html")
    assert "[Open the report](https://reports.example.org/0100001/index.html)" in linked and "webbrowser" not in linked


def test_the_summary_shows_suppressed_student_counts_as_stars():
    roster, matches, unmatched, figures = _sample()
    small = roster[roster["school_code"] == "0100013"]  # 7 students: every LEA-wide count is below 10
    figs = pd.concat([pf.match_figures(LEA, matches),
                      pf.activity_figures(LEA, small, pd.DataFrame(columns=["ssid", "registered_at", "reporting_lea"]),
                                          pd.DataFrame(columns=["ssid", "system", "submitted_at", "reporting_lea"]),
                                          pd.DataFrame(columns=["ssid", "activity", "completed_at", "reporting_lea"]))],
                     ignore_index=True)
    report = render_lea_report(LEA, matches, unmatched, figs, WHEN)
    md = summary_markdown(report, "/x/index.html")
    assert "| Students on the roster | \\* |" in md and "7" not in md.split("Students on the roster")[1].split("\n")[0]


def test_an_lea_with_course_data_only_gets_a_report_and_a_summary(sample):
    _, matches, unmatched, figures, _ = sample
    report = render_lea_report(LEA, matches, unmatched, figures[figures["section"] == "course_match"], WHEN)
    page = parse(report.html)
    assert "no student data shared for this LEA yet" in report.html
    assert page.rows["table-student-activity"] == [] and len(page.charts["chart-course-match"]) == 1
    assert _csv_rows(report.csvs["student_activity.csv"]) == []
    md = summary_markdown(report, "/x/index.html")
    assert "no student data shared for this LEA yet" in md and "| Courses that need action | 5 |" in md


def test_unmatched_cmp_reasons_from_the_matcher_are_explained(sample):
    _, matches, unmatched, figures, _ = sample
    with_reason = unmatched.assign(list_year="2025-2026", reason=["no_calpads_course_matched", "tied_in_ambiguous_match"])
    report = render_lea_report(LEA, matches, with_reason, figures, WHEN)
    rows = parse(report.html).rows["table-cmp-not-in-calpads"]
    assert [r[4] for r in rows] == [REASON_TEXT["no_calpads_course_matched"], REASON_TEXT["tied_in_ambiguous_match"]]
    assert all(r["reason_text"] for r in _csv_rows(report.csvs["cmp_courses_not_in_calpads.csv"]))


def test_a_course_name_a_spreadsheet_would_run_as_a_formula_is_defused_in_the_csvs(sample):
    roster, matches, unmatched, figures, _ = sample
    evil = matches.copy()
    evil.loc[evil["match_status"] == "not_on_cmp", "course_name"] = '=HYPERLINK("http://x","click")'
    report = render_lea_report(LEA, evil, unmatched, figures, WHEN)
    rows = _csv_rows(report.csvs["courses_needing_action.csv"])
    names = [r["course_name"] for r in rows]
    assert "'=HYPERLINK(\"http://x\",\"click\")" in names
    assert not any(n.startswith("=") for n in names)


# --------------------------------------------------------------------------- through Dagster: the asset's metadata
def test_each_leas_materialization_carries_its_own_summary_with_names_and_where_the_report_is(small_home):
    from dagster import instance_for_test, materialize

    from ccgi_assets.assets import ASSETS, SOURCES
    from ccgi_assets.partitions import lea_partitions
    from resources import local_resources

    part = pd.read_csv(small_home / "config" / "lea_participation.csv", dtype=str)
    leas = sorted(part["reporting_lea"])[:2]
    lea_names = dict(zip(part["reporting_lea"], part["lea_name"]))
    cmp = pd.read_csv(next((small_home / "cmp").glob("*.csv")), dtype=str)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, leas)
        resources = local_resources(small_home)
        materialize([*SOURCES, *ASSETS], selection=["crse_courses", "cmp_match_results"], resources=resources,
                    instance=instance)
        result = materialize([*SOURCES, *ASSETS], resources=resources, instance=instance,
                             selection=["optin_students", "registration_roster", "student_courses", "verified_accounts",
                                        "lea_reports"],
                             tags={"dagster/asset_partition_range_start": leas[0],
                                   "dagster/asset_partition_range_end": leas[1]})  # one run for both LEAs
        assert result.success
        events = {ev.partition: ev.step_materialization_data.materialization.metadata
                  for ev in result.get_asset_materialization_events() if ev.asset_key.path[-1] == "lea_reports"}
    import duckdb

    con = duckdb.connect(str(small_home / "warehouse.duckdb"), read_only=True)
    roster = con.execute("SELECT ssid, legal_last_name FROM ccgi.registration_roster").df()
    con.close()
    assert sorted(events) == leas
    for lea, meta in events.items():
        md = meta["summary"].value  # MetadataValue.md
        assert type(meta["summary"]).__name__ == "MarkdownMetadataValue"
        assert md.startswith(f"### {lea_names[lea]} (LEA {lea})") and "| Courses that need action |" in md
        school = cmp.loc[cmp["cds_code"].str[:7] == lea, "school_name"].iloc[0]
        assert school in md  # a school name from the CMP list beside its code
        report = small_home / "reports" / lea / "index.html"
        assert meta["report"].value == str(report) and report.exists()
        assert f"`{report.as_uri()}`" in md and lea_names[lea] in report.read_text(encoding="utf-8")
        assert meta["lea_name"].value == lea_names[lea] and meta["courses_need_action"].value >= 0
        other = next(x for x in leas if x != lea)
        assert f"LEA {other}" not in md  # each partition its own summary
    text = " ".join(str(m.value) for meta in events.values() for m in meta.values())
    assert len(roster) and not any(s in text for s in roster["ssid"])
    assert not any(f" {n} " in text for n in roster["legal_last_name"].dropna() if len(n) >= 6)
