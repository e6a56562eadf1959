"""As people use it: Dagster's own webserver and daemon (`make ui`), the opt-in sensor running by default,
sensor-driven runs per LEA, and a real browser (Chromium) on the UI and on an LEA's report."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ccgi_assets_tests.daemon import free_port, stop, wait_for
from ccgi_assets.cli import ensure_dagster_home

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed (make test installs it)")




def sensor_runs(instance, lea=None):
    tags = {"ccgi/trigger": "optin_list"}
    if lea:
        tags["dagster/partition"] = lea
    return instance.get_runs(RunsFilter(tags=tags))


@pytest.fixture
def ui(small_home, tmp_path):
    dh = tmp_path / "dagster_home"
    env = {**os.environ, "CCGI_HOME": str(small_home), "DAGSTER_HOME": str(dh), "CCGI_OPTIN_SETTLE_SECONDS": "0"}
    os.environ["DAGSTER_HOME"] = str(dh)
    try:
        ensure_dagster_home()
    finally:
        os.environ.pop("DAGSTER_HOME", None)
    instance = DagsterInstance.from_config(str(dh))  # a fresh home: nothing materialized, nothing clicked
    port = free_port()
    proc = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, env=env, stdout=open(tmp_path / "dagster_dev.log", "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", instance, small_home, tmp_path / "dagster_dev.log"
    finally:
        stop(proc)
        instance.dispose()


def test_the_daemon_runs_each_lea_when_its_list_lands_and_again_on_a_newer_list(ui):
    url, instance, home, log = ui
    models = pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)
    opt_in = sorted(models.loc[models["model"] == "opt_in", "reporting_lea"])

    def all_done():
        runs = sensor_runs(instance)
        done = [r for r in runs if r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)]
        return runs if len(done) == len(opt_in) == len(runs) else None

    runs = wait_for(all_done, 420, "one sensor-driven run per opt-in LEA")
    assert sorted(r.tags["dagster/partition"] for r in runs) == opt_in
    catalog = instance.get_runs(RunsFilter(tags={"ccgi/trigger": "course_catalog_missing"}))
    assert [r.status for r in catalog] == [DagsterRunStatus.SUCCESS]  # built first, once
    assert all(r.status == DagsterRunStatus.SUCCESS for r in runs), log.read_text()[-4000:]

    # the LEA uploads a newer list without one student: one more run, for that LEA alone, and the student is gone
    lea = opt_in[0]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    shared = [r[0] for r in con.execute("SELECT ssid FROM ccgi.optin_students WHERE reporting_lea = ? ORDER BY ssid",
                                        [lea]).fetchall()]
    con.close()
    newer = home / "landing" / "optin" / lea / "optin_newer.csv"
    newer.write_text("SSID\n" + "".join(f"{s}\n" for s in shared[1:]))
    t = time.time() + 60
    os.utime(newer, (t, t))

    def second_run():
        runs = sensor_runs(instance, lea)
        return runs if len(runs) == 2 and runs[0].status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE) else None

    latest = wait_for(second_run, 300, "the run for the newer list")[0]
    assert latest.status == DagsterRunStatus.SUCCESS, log.read_text()[-4000:]
    assert len(sensor_runs(instance)) == len(opt_in) + 1  # no other LEA ran again
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    for table in ("optin_students", "registration_roster", "student_courses"):
        left = {r[0] for r in con.execute(f"SELECT ssid FROM ccgi.{table} WHERE reporting_lea = ?", [lea]).fetchall()}
        assert shared[0] not in left, table
    con.close()

    # a person checks it in the browser: the assets, the sensor and the LEA's report
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/assets")
        for name in ("crse_courses", "cmp_match_results", "optin_students", "registration_roster",
                     "student_courses", "statewide_submissions", "cde_extract", "lea_reports"):
            page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
        page.goto(f"{url}/automation")
        page.get_by_text("optin_list_sensor").first.wait_for(timeout=60_000)

        page.goto((home / "reports" / lea / "index.html").as_uri())
        page.locator("#chart-course-match .main-svg").first.wait_for(timeout=30_000)  # plotly drew it, offline
        assert page.locator(".chart .main-svg").count() >= 2
        body = page.content()
        assert not any(s in body for s in shared)
        browser.close()


# --------------------------------------------------------------------------- what a person sees, and the README's pictures
IMG = ROOT / "docs" / "img"


@pytest.fixture
def materialized_ui(small_home, tmp_path):
    """`ccgi run` on the small state (every asset, every LEA), then Dagster's webserver on its instance (no daemon:
    nothing runs while the pages are read)."""
    dh = tmp_path / "dagster_home"
    env = {**os.environ, "CCGI_HOME": str(small_home), "DAGSTER_HOME": str(dh)}
    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    port = free_port()
    log = tmp_path / "webserver.log"
    proc = subprocess.Popen([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for(up, 120, "the webserver")
        yield url, small_home, log
    finally:
        stop(proc)


def _dismiss_welcome(page):
    """Dagster's first-visit dialog (community sign-up) covers the page: skip it when it shows."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.first.wait_for(timeout=3_000)
        skip.first.click()
    except Exception:  # noqa: BLE001 - not shown on this visit
        pass


def _graph_box(page, names):
    boxes = [b for n in names for i in range(page.get_by_text(n, exact=True).count())
             if (b := page.get_by_text(n, exact=True).nth(i).bounding_box())]
    return (min(b["x"] for b in boxes), min(b["y"] for b in boxes),
            max(b["x"] + b["width"] for b in boxes), max(b["y"] + b["height"] for b in boxes))


def test_the_ui_shows_each_leas_report_summary_and_the_report_names_schools_and_marks_suppressed_counts(materialized_ui):
    url, home, log = materialized_ui
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    # an LEA whose students-per-school chart has a suppressed count (the small state has several)
    lea = con.execute("""SELECT min(reporting_lea) FROM ccgi.lea_reports WHERE section = 'student_activity'
                         AND school_code <> 'ALL' AND grade_level_code = 'ALL' AND suppressed
                         AND measure IN ('roster_students', 'registered_students', 'students_with_activity',
                                         'applied_uc_students', 'applied_csu_students', 'applied_ccc_students')""").fetchone()[0]
    ssids = [r[0] for r in con.execute("SELECT ssid FROM ccgi.registration_roster").fetchall()]
    con.close()
    assert lea, "the small state has no LEA with a suppressed school count"
    part = pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)
    lea_name = part.loc[part["reporting_lea"] == lea, "lea_name"].iloc[0]
    cmp = pd.read_csv(next((home / "cmp").glob("*.csv")), dtype=str)
    school_names = set(cmp.loc[cmp["cds_code"].str[:7] == lea, "school_name"])
    IMG.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})

        # the asset graph, every group open: the README's picture of the system
        page.goto(f"{url}/asset-groups")
        page.get_by_text("platform_sharing", exact=True).first.wait_for(timeout=90_000)
        _dismiss_welcome(page)
        page.mouse.click(900, 400, button="right")
        page.get_by_role("menuitem", name="Expand all groups").click()
        # (the graph shortens long names: "registrati…_roster")
        assets = ["crse_courses", "cmp_match_results", "optin_students", "student_courses", "verified_accounts",
                  "cde_extract", "lea_reports"]
        page.get_by_text("lea_reports", exact=True).first.wait_for(timeout=30_000)
        page.locator("button:has([aria-label='panel_show_right'])").last.click()  # the group list beside the graph
        page.get_by_text("Hide navigation").click()
        for _ in range(3):  # zoomed out first: the graph draws only the nodes in view
            page.locator("button:has([aria-label='zoom_out'])").click()
            page.wait_for_timeout(300)
        for name in assets:
            page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
        x0, y0, x1, y1 = _graph_box(page, assets + ["sources", "student_share", "platform_sharing", "course_catalog_share"])
        dx, dy = 800 - (x0 + x1) / 2, 650 - (y0 + y1) / 2  # pan the graph to the middle of the canvas
        page.mouse.move(1400, 300)
        page.mouse.down()
        page.mouse.move(1400 + dx, 300 + dy, steps=8)
        page.mouse.up()
        page.wait_for_timeout(800)
        x0, y0, x1, y1 = _graph_box(page, assets + ["sources", "student_share", "platform_sharing", "course_catalog_share"])
        page.screenshot(path=str(IMG / "asset_graph.png"),
                        clip=dict(x=max(x0 - 30, 60), y=max(y0 - 40, 100), width=min(x1 - x0 + 60, 1480),
                                  height=min(y1 - y0 + 80, 1090)))

        # the LEA's report summary on its lea_reports partition: Markdown, with the LEA's name and what to act on
        page.goto(f"{url}/assets/lea_reports?view=partitions&partition={lea}")
        page.get_by_text("[Show Markdown]").first.wait_for(timeout=60_000)
        _dismiss_welcome(page)
        page.get_by_text("[Show Markdown]").first.click()
        dialog = page.get_by_role("dialog").filter(has_text="Courses that need action")
        dialog.wait_for(timeout=30_000)
        text = dialog.inner_text()
        assert f"{lea_name} (LEA {lea})" in text
        assert "Students on the roster" in text and "Course match per school" in text
        assert any(s in text for s in school_names)
        assert str(home / "reports" / lea / "index.html") in text  # where the file is, and how to open it
        assert not any(s in text for s in ssids)
        dialog.screenshot(path=str(IMG / "lea_reports_summary.png"))
        browser.close()

        # the report itself: names beside codes, and the suppressed counts marked in the chart, never as bars
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1500})
        page.goto((home / "reports" / lea / "index.html").as_uri())
        page.locator("#chart-course-match .main-svg").first.wait_for(timeout=30_000)
        page.locator("#chart-student-activity .main-svg").first.wait_for(timeout=30_000)
        assert lea_name in page.locator("#report-title").inner_text()
        table = page.locator("#table-course-match").inner_text()
        assert any(f"{s} (" in table for s in school_names)
        chart = page.locator("#chart-student-activity")
        assert chart.locator("text.bartext", has_text="*").count() >= 1  # the marked gap ...
        assert "not zero" in chart.locator(".legend").text_content()  # ... explained in the legend
        shown = page.content()
        assert not any(s in shown for s in ssids)
        page.screenshot(path=str(IMG / "lea_report.png"))
        chart.screenshot(path=str(IMG / "lea_report_activity.png"))
        browser.close()
    for name in ("asset_graph.png", "lea_reports_summary.png", "lea_report.png", "lea_report_activity.png"):
        assert (IMG / name).stat().st_size > 10_000, name
