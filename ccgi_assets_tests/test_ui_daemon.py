"""As people use it: Dagster's own webserver and daemon (`make ui`), the opt-in sensor running by default,
sensor-driven runs per LEA, and a real browser (Chromium) on the UI and on an LEA's report."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ccgi_assets.cli import ensure_dagster_home

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed (make test installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


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
        os.killpg(proc.pid, 15)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
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
