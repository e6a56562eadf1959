"""The LEA reports at state scale: every LEA's figures in one pass equal to the per-LEA computation they replaced,
charts written from plain dicts that plotly itself accepts unchanged, and plotly.js written once beside the reports
and loaded by each of them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf


# --------------------------------------------------------------------------- the per-LEA computation, as it was
# Frozen copies of platform.activity_figures / _complementary / match_figures up to commit 2ac6a2b (one LEA per
# call, the frame filtered per LEA): the reference the all-LEA functions must equal, LEA by LEA.
def old_activity_figures(lea: str, roster: pd.DataFrame, accounts: pd.DataFrame, applications: pd.DataFrame,
                     activities: pd.DataFrame) -> pd.DataFrame:
    r = pf._for_lea(roster, lea)
    st = pd.DataFrame({"ssid": pf._s(r["ssid"]), "school_code": pf._s(r["school_code"]),
                       "grade_level_code": pf._s(r["grade_level_code"]).fillna("UU")})
    st = st[st["ssid"].notna()].drop_duplicates("ssid")
    acc = pf._for_lea(accounts, lea)
    registered = pf._s(acc["ssid"])[pf._times(acc["registered_at"]).notna()].dropna().unique()
    st["roster_students"] = 1
    st["registered_students"] = pf._isin(st["ssid"], registered).astype("int64")
    apps = pf._applications(pf._for_lea(applications, lea))
    for s in pf.SYSTEMS:
        st[f"applied_{s.lower()}_students"] = pf._isin(st["ssid"], apps.loc[apps["system"] == s, "ssid"]).astype("int64")
    act = pf._for_lea(activities, lea)
    done = pf._s(act["ssid"])[pf._times(act["completed_at"]).notna()].dropna()
    st["activities_completed"] = st["ssid"].map(done.value_counts()).fillna(0).astype("int64")
    st["students_with_activity"] = (st["activities_completed"] > 0).astype("int64")

    counts = [m for m in pf.ACTIVITY_MEASURES if m != "registered_percent"]
    by_grade = st.groupby(["school_code", "grade_level_code"], sort=True)[counts].sum().reset_index()
    by_school = st.groupby("school_code", sort=True)[counts].sum().reset_index().assign(grade_level_code=pf.ALL)
    total = pd.DataFrame([st[counts].sum()]).assign(school_code=pf.ALL, grade_level_code=pf.ALL) if len(st) else \
        pd.DataFrame([{m: 0 for m in counts}]).assign(school_code=pf.ALL, grade_level_code=pf.ALL)
    cells = pd.concat([total, by_school, by_grade], ignore_index=True)[["school_code", "grade_level_code"] + counts]

    long = cells.melt(id_vars=["school_code", "grade_level_code"], var_name="measure", value_name="value")
    long["value"] = long["value"].astype("float64")
    student = long["measure"].isin(pf.STUDENT_COUNT_MEASURES)
    long["suppressed"] = student & (long["value"] > 0) & (long["value"] < pf.SUPPRESSION_THRESHOLD)
    long.loc[student, "suppressed"] = _old_complementary(long[student])
    # activities_completed follows students_with_activity
    key = ["school_code", "grade_level_code"]
    swa = long[long["measure"] == "students_with_activity"].set_index(key)["suppressed"]
    acts = long["measure"] == "activities_completed"
    long.loc[acts, "suppressed"] = swa.reindex(pd.MultiIndex.from_frame(long.loc[acts, key])).to_numpy()
    # registered_percent from the two counts, suppressed with either
    wide_v = long.pivot(index=key, columns="measure", values="value")
    wide_s = long.pivot(index=key, columns="measure", values="suppressed")
    num, den = wide_v["registered_students"], wide_v["roster_students"]
    pct = pd.DataFrame({"value": (100.0 * num / den.where(den > 0)).round(1),
                        "suppressed": wide_s["registered_students"].astype(bool) | wide_s["roster_students"].astype(bool)})
    pct = pct.reset_index().assign(measure="registered_percent")
    long = pd.concat([long, pct], ignore_index=True)
    long.loc[long["suppressed"].astype(bool), "value"] = np.nan

    long["reporting_lea"] = lea
    long["section"] = "student_activity"
    order = {m: i for i, m in enumerate(pf.ACTIVITY_MEASURES)}
    long = long.assign(_s=(long["school_code"] != pf.ALL).astype(int), _g=pf._grade_key(long["grade_level_code"]),
                       _m=long["measure"].map(order))
    long = long.sort_values(["_s", "school_code", "_g", "_m"], kind="stable").reset_index(drop=True)
    long["suppressed"] = long["suppressed"].astype("boolean")
    return c.validate(c.select_allowed(long, c.LeaReportFigure), c.LeaReportFigure)


def _old_complementary(cells: pd.DataFrame) -> pd.Series:
    cells = cells.copy()
    cells["_cell"] = np.arange(len(cells))
    # membership: (breakdown id, cell, is_total)
    lea_total = (cells["school_code"] == pf.ALL)
    school_total = (cells["school_code"] != pf.ALL) & (cells["grade_level_code"] == pf.ALL)
    grade_cell = (cells["school_code"] != pf.ALL) & (cells["grade_level_code"] != pf.ALL)
    m1 = pd.DataFrame({"bd": "L|" + cells.loc[lea_total | school_total, "measure"],
                       "cell": cells.loc[lea_total | school_total, "_cell"],
                       "is_total": lea_total[lea_total | school_total]})
    sg = school_total | grade_cell
    m2 = pd.DataFrame({"bd": "S|" + cells.loc[sg, "measure"] + "|" + cells.loc[sg, "school_code"],
                       "cell": cells.loc[sg, "_cell"], "is_total": school_total[sg]})
    mem = pd.concat([m1, m2], ignore_index=True)
    value = cells["value"].to_numpy()
    sup = cells["suppressed"].to_numpy(dtype=bool).copy()
    mem["value"] = value[mem["cell"].to_numpy()]
    while True:
        mem["sup"] = sup[mem["cell"].to_numpy()]
        n_sup = mem.groupby("bd", sort=False)["sup"].transform("sum")
        open_ = mem[(n_sup == 1) & ~mem["sup"]]
        if open_.empty:
            break
        # prefer a part over the total, a non-zero cell over a zero one, then the smallest value, then cell order
        pick = (open_.assign(_tot=open_["is_total"].astype(int), _zero=(open_["value"] == 0).astype(int))
                .sort_values(["bd", "_tot", "_zero", "value", "cell"], kind="stable")
                .drop_duplicates("bd"))
        sup[pick["cell"].to_numpy()] = True
    return pd.Series(sup, index=cells.index)


def old_match_figures(lea: str, match_results: pd.DataFrame) -> pd.DataFrame:
    m = pf._for_lea(match_results, lea)
    status = pf._s(m["match_status"])
    df = pd.DataFrame({"school_code": pf._s(m["school_code"]), "status": status})
    df = df[df["school_code"].notna() & df["status"].isin(pf.MATCH_STATUSES)]
    by_school = (df.groupby(["school_code", "status"], sort=True).size().unstack("status")
                 .reindex(columns=pf.MATCH_STATUSES).fillna(0).astype("int64"))
    total = pd.DataFrame([by_school.sum().reindex(pf.MATCH_STATUSES, fill_value=0)], index=[pf.ALL])
    wide = pd.concat([total, by_school]) if len(by_school) else total
    wide.columns = [f"courses_{s}" for s in pf.MATCH_STATUSES]
    wide["courses_total"] = wide.sum(axis=1)
    wide.index.name = "school_code"
    long = wide.reset_index().melt(id_vars="school_code", var_name="measure", value_name="value")
    order = {k: i for i, k in enumerate(pf.MATCH_MEASURES)}
    long = long.assign(_s=(long["school_code"] != pf.ALL).astype(int), _m=long["measure"].map(order))
    long = long.sort_values(["_s", "school_code", "_m"], kind="stable").reset_index(drop=True)
    long = long.assign(reporting_lea=lea, section="course_match", grade_level_code=pf.ALL,
                       value=long["value"].astype("float64"), suppressed=pd.array([False] * len(long), dtype="boolean"))
    return c.validate(c.select_allowed(long, c.LeaReportFigure), c.LeaReportFigure)


# --------------------------------------------------------------------------- a generated state, through Dagster
@pytest.fixture(scope="module")
def state(small_state_template, tmp_path_factory):
    """The small generated state with the course flow, ``course_match_reports`` (every LEA's course report), then
    the student flow and ``lea_reports`` for all LEAs in one run; the reports folder after each step."""
    import shutil

    from dagster import instance_for_test, materialize

    from ccgi_assets.assets import ASSETS, SOURCES
    from ccgi_assets.partitions import lea_partitions
    from resources import local_resources

    home = tmp_path_factory.mktemp("scale") / "home"
    shutil.copytree(small_state_template, home)
    leas = sorted(pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)["reporting_lea"])
    resources = local_resources(home)
    snapshots = {}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, leas)
        assert materialize([*SOURCES, *ASSETS], selection=["crse_courses", "cmp_match_results", "course_match_reports"],
                           resources=resources, instance=instance).success
        snapshots["course_match_reports"] = _snapshot(home / "reports")
        assert materialize([*SOURCES, *ASSETS], resources=resources, instance=instance,
                           selection=["optin_students", "registration_roster", "student_courses", "verified_accounts",
                                      "lea_reports"],
                           tags={"dagster/asset_partition_range_start": leas[0],
                                 "dagster/asset_partition_range_end": leas[-1]}).success
        snapshots["lea_reports"] = _snapshot(home / "reports")
    return home, leas, resources, snapshots


def _snapshot(folder: Path) -> dict[str, str | bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.suffix == ".js" else p.read_text(encoding="utf-8"))
            for p in folder.rglob("*") if p.is_file()}


def _inputs(home: Path, resources: dict, leas: list[str]):
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        def read(table, model):
            return con.execute(f"SELECT {', '.join(c.columns(model))} FROM ccgi.{table}").df()

        roster, accounts = read("registration_roster", c.RegistrationRoster), read("verified_accounts", c.VerifiedAccount)
        matches, figures = read("cmp_match_results", c.CmpMatchResult), read("lea_reports", c.LeaReportFigure)
    finally:
        con.close()
    apps, _ = resources["platform"].read_checked("applications", leas)
    acts, _ = resources["platform"].read_checked("activities", leas)
    return roster, accounts, apps, acts, matches, figures


def _old_figures(lea, roster, accounts, apps, acts, matches) -> pd.DataFrame:
    def mine(df):
        return df[df["reporting_lea"] == lea]

    return pd.concat([old_match_figures(lea, mine(matches)),
                      old_activity_figures(lea, mine(roster), mine(accounts), mine(apps), mine(acts))],
                     ignore_index=True)


def test_every_leas_figures_at_once_equal_the_per_lea_computation_on_a_generated_state(state):
    home, leas, resources, _ = state
    roster, accounts, apps, acts, matches, table = _inputs(home, resources, leas)
    assert len(roster) and len(apps) and len(acts) and len(matches)
    activity = pf.activity_figures_by_lea(leas, roster, accounts, apps, acts)
    course = pf.match_figures_by_lea(leas, matches)
    assert activity["suppressed"].any()  # the state exercises suppression
    for lea in leas:
        old = _old_figures(lea, roster, accounts, apps, acts, matches)
        new = pd.concat([course[course["reporting_lea"] == lea], activity[activity["reporting_lea"] == lea]],
                        ignore_index=True)
        pd.testing.assert_frame_equal(new, old)
        # and what lea_reports wrote for the LEA is the same figures
        key = ["section", "school_code", "grade_level_code", "measure"]
        got = c.validate(table[table["reporting_lea"] == lea], c.LeaReportFigure).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, old.sort_values(key).reset_index(drop=True), check_dtype=False)


def _random_state(seed: int, leas: list[str]):
    """Rosters of several LEAs with small and large cells, platform rows in each LEA's folder, some of them for
    students on another LEA's roster (they count for neither), and an LEA with platform rows but no roster."""
    rng = np.random.default_rng(seed)
    rows, acc, app, act = [], [], [], []
    for k, lea in enumerate(leas[:-1]):
        for s in range(3):
            for g in ["09", "10", "11", "12", "UE"]:
                for _ in range(int(rng.choice([0, 1, 4, 9, 10, 11, 30]))):
                    ssid = f"{4000000000 + len(rows)}"
                    rows.append({"reporting_lea": lea, "ssid": ssid, "school_code": f"{lea[:3]}{k}{s:03d}",
                                 "grade_level_code": g if g != "UE" or rng.random() < 0.5 else None})
    roster = pd.DataFrame(rows)
    for r in rows:
        folder = r["reporting_lea"] if rng.random() < 0.9 else leas[(leas.index(r["reporting_lea"]) + 1) % len(leas)]
        if rng.random() < 0.7:
            acc.append({"ssid": r["ssid"], "registered_at": pd.Timestamp("2025-09-01") if rng.random() < 0.95 else pd.NaT,
                        "reporting_lea": folder})
            for y in c.SYSTEMS:
                if rng.random() < 0.3:
                    app.append({"ssid": r["ssid"], "system": y.lower() if rng.random() < 0.1 else y,
                                "submitted_at": pd.Timestamp("2025-11-01"), "reporting_lea": folder})
            for _ in range(int(rng.integers(0, 4))):
                act.append({"ssid": r["ssid"], "activity": "Lesson", "completed_at": pd.Timestamp("2025-10-01"),
                            "reporting_lea": folder})
    matches = pd.DataFrame({"reporting_lea": rng.choice(leas[:-1], 60), "school_code": rng.choice(["x1", "x2"], 60),
                            "match_status": rng.choice(pf.MATCH_STATUSES + ["unknown"], 60)})
    matches["school_code"] = matches["reporting_lea"].str[:3] + matches["school_code"]
    return roster, pd.DataFrame(acc), pd.DataFrame(app), pd.DataFrame(act), matches


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_leas_figures_at_once_equal_the_per_lea_computation_across_leas_sharing_students(seed):
    leas = ["0100001", "0200002", "0300003", "0400004"]  # the last has no roster and no course results
    roster, accounts, apps, acts, matches = _random_state(seed, leas)
    activity = pf.activity_figures_by_lea(leas, roster, accounts, apps, acts)
    course = pf.match_figures_by_lea(leas, matches)
    assert list(dict.fromkeys(activity["reporting_lea"])) == leas and list(dict.fromkeys(course["reporting_lea"])) == leas
    assert activity["suppressed"].any()
    for lea in leas:
        old = _old_figures(lea, roster, accounts, apps, acts, matches)
        new = pd.concat([course[course["reporting_lea"] == lea], activity[activity["reporting_lea"] == lea]],
                        ignore_index=True)
        pd.testing.assert_frame_equal(new, old)


# --------------------------------------------------------------------------- plotly.js, once
def test_plotly_js_is_written_once_beside_the_reports_and_every_report_loads_it(state):
    from plotly.offline import get_plotlyjs

    from ccgi_assets.reports import plotly_file_name

    home, leas, _, snapshots = state
    library = get_plotlyjs()
    for asset, files in snapshots.items():
        shared = [name for name in files if name.endswith(".js")]
        assert shared == [f"_static/{plotly_file_name()}"], asset  # one file for every report
        assert files[shared[0]] == library.encode("utf-8")
        pages = {name: text for name, text in files.items() if name.endswith("index.html")}
        assert sorted(Path(n).parent.name for n in pages) == leas
        for name, html in pages.items():
            srcs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
            assert len(srcs) == 1, name  # plotly.js, and nothing else, from a file
            assert (home / "reports" / Path(name).parent / srcs[0]).resolve() == (home / "reports" / shared[0]).resolve()
            assert "* plotly.js v" not in html and library[:2000] not in html  # not embedded
            assert len(html) < 1_000_000 and html.count("Plotly.newPlot(") >= 1  # the charts are still there


def test_the_shared_file_is_written_only_when_missing_or_incomplete(tmp_path):
    import os

    from resources import ReportStore

    store = ReportStore(root=str(tmp_path / "reports"))
    src = store.write_shared("lib-1.0.min.js", b"x" * 1000)
    path = tmp_path / "reports" / "_static" / "lib-1.0.min.js"
    assert src == "../_static/lib-1.0.min.js" and path.read_bytes() == b"x" * 1000
    os.utime(path, ns=(1, 1))
    store.write_shared("lib-1.0.min.js", b"x" * 1000)
    assert path.stat().st_mtime_ns == 1  # present and whole: not written again
    path.write_bytes(b"x" * 10)  # a partial copy
    store.write_shared("lib-1.0.min.js", b"x" * 1000)
    assert path.read_bytes() == b"x" * 1000
    store.write_shared("lib-2.0.min.js", b"y" * 5)  # a new version beside the old one, which stays
    assert sorted(p.name for p in path.parent.iterdir()) == ["lib-1.0.min.js", "lib-2.0.min.js"]
    memory = ReportStore(root="memory://bucket/reports")  # object storage
    assert memory.write_shared("lib-1.0.min.js", b"z" * 3) == "../_static/lib-1.0.min.js"
    from upath import UPath

    assert (UPath("memory://bucket/reports") / "_static" / "lib-1.0.min.js").read_bytes() == b"zzz"


# --------------------------------------------------------------------------- charts from plain dicts
def test_chart_dicts_are_figures_plotly_accepts_and_leaves_unchanged():
    """The charts skip plotly's object validation at run time; here plotly validates them and must change nothing
    (a misspelt property raises, a value plotly would coerce differs)."""
    import plotly.graph_objects as go

    from ccgi_assets import reports as r
    from ccgi_assets_tests.test_reports import LEA, SCHOOL_NAMES, _sample

    _, matches, _, figures = _sample()
    names = r._Names(LEA, "Sample", SCHOOL_NAMES)
    figs = figures.assign(suppressed=figures["suppressed"].astype(bool))
    act = figs[figs["section"] == "student_activity"]
    per_school = (matches.groupby(["school_code", "match_status"]).size().unstack(fill_value=0)
                  .reindex(columns=pf.MATCH_STATUSES, fill_value=0))
    per_school["total"] = per_school.sum(axis=1)
    to_act = matches[matches["match_status"] != "matched"].groupby("school_code").size()
    built = [r.course_chart_figure(per_school, to_act, names),
             r.activity_chart_figure(act[(act["school_code"] != "ALL") & (act["grade_level_code"] == "ALL")], names),
             r.share_chart_figure(act[(act["school_code"] != "ALL") & (act["grade_level_code"] != "ALL")
                                      & (act["measure"] == "registered_percent")], names)]
    for fig in built:
        ours = {"data": fig["data"], "layout": {**fig["layout"], "template": r._plotly_template()}}
        assert go.Figure(ours).to_dict() == ours
    assert any(t.get("meta") == "suppressed" for t in built[1]["data"])  # the sample has suppressed cells


def test_in_a_browser_a_report_draws_its_charts_with_the_shared_file_and_explains_a_missing_one(tmp_path):
    """Opened from disk (``file://``), as a person opens a report: the charts draw with the shared plotly.js; a
    page copied without the shared folder shows, where each chart would be, that plotly.js was not found."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Chromium not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    from ccgi_assets.reports import render_lea_report, shared_plotly
    from ccgi_assets_tests.test_reports import LEA, SCHOOL_NAMES, WHEN, _sample
    from resources import ReportStore

    _, matches, unmatched, figures = _sample()
    store = ReportStore(root=str(tmp_path / "reports"))
    src = shared_plotly(store)
    page_file = Path(store.write(LEA, "index.html", render_lea_report(
        LEA, matches, unmatched, figures, WHEN, school_names=SCHOOL_NAMES, plotly_src=src).html))
    alone = tmp_path / "copied" / "index.html"  # the page without the reports folder around it
    alone.parent.mkdir()
    shutil.copy(page_file, alone)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(page_file.as_uri())
        for chart in ("chart-course-match", "chart-student-activity", "chart-registration-share"):
            page.locator(f"#{chart} .main-svg").first.wait_for(timeout=30_000)  # plotly drew it
        page.goto(alone.as_uri())
        missing = page.locator(".chart-missing")
        missing.first.wait_for(timeout=30_000)
        texts = missing.all_inner_texts()
        drawn = page.locator(".main-svg").count()
        browser.close()
    assert len(texts) == 3 and all("plotly.js" in t and src in t for t in texts) and drawn == 0
