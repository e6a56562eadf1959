"""`make run` on a fresh home: generate the sample, materialize every asset for every LEA, print where."""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from ccgi_assets_tests.conftest import SMALL

BIN = Path(sys.executable).parent
ASSETS = ["crse_courses", "cmp_match_results", "optin_students", "registration_roster", "student_courses",
          "verified_accounts", "statewide_submissions", "cde_extract", "lea_reports"]
LEA_ASSETS = ["optin_students", "registration_roster", "student_courses", "verified_accounts", "statewide_submissions",
              "lea_reports"]


def test_ccgi_run_materializes_every_asset_for_every_lea(tmp_path):
    home, dh = tmp_path / "home", tmp_path / "dagster_home"
    env = {**os.environ, "CCGI_HOME": str(home), "DAGSTER_HOME": str(dh)}
    gen = subprocess.run([str(BIN / "ccgi"), "generate", "--students", str(SMALL["students"]), "--leas",
                          str(SMALL["leas"]), "--seed", "3"], env=env, capture_output=True, text=True, timeout=300)
    assert gen.returncode == 0, gen.stderr
    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert str(home / "reports") in run.stdout

    leas = sorted(pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)["reporting_lea"])
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    for name in ASSETS:
        assert con.execute(f"SELECT count(*) FROM ccgi.{name}").fetchone()[0] > 0, name
    for name in ["optin_students", "registration_roster", "student_courses", "lea_reports"]:
        have = {r[0] for r in con.execute(f"SELECT DISTINCT reporting_lea FROM ccgi.{name}").fetchall()}
        assert have == set(leas), name
    ssids = {r[0] for r in con.execute("SELECT ssid FROM ccgi.registration_roster").fetchall()}
    names = {r[0] for r in con.execute("SELECT legal_last_name FROM ccgi.registration_roster").fetchall()}
    con.close()

    for system in ("UC", "CSU", "CCC"):
        assert list((home / "exports" / system).glob("*.csv")), system
    assert (home / "exports" / "cde" / "cde_extract.csv").exists()
    assert (home / "exports" / "cde" / "cmp_match_results.csv").exists()
    for lea in leas:
        report = home / "reports" / lea / "index.html"
        assert report.exists()
        text = report.read_text(encoding="utf-8")
        assert not any(s in text for s in ssids)
        long_names = {n for n in names if n and len(n) >= 6}
        assert not any(f">{n}<" in text or f",{n}," in text for n in long_names)

    # one run, recorded in DAGSTER_HOME (the UI shows it), materialized every asset and every LEA's partitions
    from dagster import AssetKey, DagsterInstance, DagsterRunStatus
    with DagsterInstance.from_config(str(dh)) as instance:
        runs = [r for r in instance.get_runs() if r.job_name != "observe_sources_job"]
        assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS]
        # besides it, only the observation of the sources (recorded first, so the daemon redoes nothing)
        others = [r for r in instance.get_runs() if r.run_id != runs[0].run_id]
        assert [r.job_name for r in others] == ["observe_sources_job"], [r.job_name for r in others]
        for name in ASSETS:
            records = instance.fetch_materializations(AssetKey(name), limit=1000).records
            assert {r.run_id for r in records} == {runs[0].run_id}, name
            if name in LEA_ASSETS:
                assert sorted(r.partition_key for r in records) == leas, name
    assert run.stdout.count(f"(run {runs[0].run_id[:8]})") == len(leas) + 2  # catalog, each LEA, CDE extract
    assert runs[0].tags["ccgi/trigger"] == "ccgi_run"


def expected_exports(home, con) -> tuple[dict[tuple[str, str], set[str]], set[str]]:
    """What may leave CCGI, worked out row by row from the raw platform files (a second, plain implementation of
    the rules: verified account, application, consent in force at submission and not revoked since)."""
    import csv
    import datetime as dt

    def when(text):
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return None

    sent: dict[tuple[str, str], set[str]] = {}
    verified_all: set[str] = set()
    for folder in sorted((home / "platform").iterdir()):
        lea = folder.name
        roster = {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT ssid, local_student_id, birth_date FROM ccgi.registration_roster WHERE reporting_lea = ?",
            [lea]).fetchall()}
        verified = set()
        with open(folder / "accounts.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                r = roster.get(row["ssid"])
                if r and r[1] is not None and row["local_student_id"] == r[0] \
                        and row["birth_date"] == r[1].strftime("%Y-%m-%d") and when(row["registered_at"]):
                    verified.add(row["ssid"])
        verified_all |= verified
        with open(folder / "applications.csv", newline="", encoding="utf-8") as f:
            apps = {}
            for row in csv.DictReader(f):
                t = when(row["submitted_at"])
                if t and row["ssid"] in verified:
                    key = (row["ssid"], row["system"].upper())
                    apps[key] = max(apps.get(key, t), t)
        with open(folder / "consents.csv", newline="", encoding="utf-8") as f:
            events = [(row["ssid"], row["system"].upper(), row["granted"].strip().lower(), when(row["recorded_at"]))
                      for row in csv.DictReader(f)]
        for (ssid, system), at in apps.items():
            mine = [(t, g) for s, y, g, t in events if (s, y) == (ssid, system)]
            if any(t is None or g not in ("true", "false") for t, g in mine):
                continue  # the generator writes none; if it did, fail closed
            before = sorted((t, g == "true") for t, g in mine if t <= at)
            ever = sorted((t, g == "true") for t, g in mine)
            at_submission = before and all(ok for t, ok in before if t == before[-1][0])
            now = ever and all(ok for t, ok in ever if t == ever[-1][0])
            if at_submission and now:
                sent.setdefault((system, lea), set()).add(ssid)
    return sent, verified_all


def test_ccgi_run_exports_only_verified_rostered_consenting_students_file_by_file(tmp_path):
    home, dh = tmp_path / "home", tmp_path / "dagster_home"
    env = {**os.environ, "CCGI_HOME": str(home), "DAGSTER_HOME": str(dh)}
    gen = subprocess.run([str(BIN / "ccgi"), "generate", "--students", "2500", "--leas", "3", "--seed", "8"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert gen.returncode == 0, gen.stderr
    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        expected, verified = expected_exports(home, con)
        courses_of = {}
        for ssid, lea in con.execute("SELECT ssid, reporting_lea FROM ccgi.student_courses").fetchall():
            courses_of.setdefault(lea, set()).add(ssid)
    finally:
        con.close()
    expected = {k: v & courses_of.get(k[1], set()) for k, v in expected.items()}  # a course-less applicant sends nothing
    files = {(p.parent.name, p.stem): set(pd.read_csv(p, dtype=str)["ssid"])
             for system in ("UC", "CSU", "CCC") for p in (home / "exports" / system).glob("*.csv")}
    assert {k: v for k, v in files.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(len(v) for v in files.values()) > 0
    cde = set(pd.read_csv(home / "exports" / "cde" / "cde_extract.csv", dtype=str)["ssid"])
    assert cde == verified and len(cde) > 0


def test_ccgi_run_an_lea_whose_list_cannot_be_read_fails_alone_in_the_one_run(small_home, tmp_path):
    """One run for every LEA, and one LEA's unreadable list stops that LEA only: the others are shared, the
    summary names the LEA and the rule (no value), and the exit code says something failed."""
    dh = tmp_path / "dagster_home"
    env = {**os.environ, "CCGI_HOME": str(small_home), "DAGSTER_HOME": str(dh)}
    models = pd.read_csv(small_home / "config" / "lea_participation.csv", dtype=str)
    leas = sorted(models["reporting_lea"])
    bad = sorted(models.loc[models["model"] == "opt_in", "reporting_lea"])[0]
    broken = small_home / "landing" / "optin" / bad / "optin_newest.csv"
    broken.write_text("name,grade\nsomeone,9\n")  # no SSID column
    later = time.time() + 60
    os.utime(broken, (later, later))

    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    lines = {ln.split()[1]: ln for ln in run.stdout.splitlines() if ln.strip().startswith("LEA ")}
    assert sorted(lines) == leas
    assert "FAILED" in lines[bad] and "no_ssid_column" in lines[bad] and "someone" not in run.stdout
    assert all(" ok " in ln for lea, ln in lines.items() if lea != bad)
    assert "course catalog share" in run.stdout and "CDE extract" in run.stdout

    con = duckdb.connect(str(small_home / "warehouse.duckdb"), read_only=True)
    try:
        for table in ("optin_students", "registration_roster", "student_courses"):
            have = {r[0] for r in con.execute(f"SELECT DISTINCT reporting_lea FROM ccgi.{table}").fetchall()}
            assert have == set(leas) - {bad}, table  # a first run: the failing LEA had no rows to keep
        assert con.execute("SELECT count(*) FROM ccgi.cde_extract").fetchone()[0] > 0
    finally:
        con.close()
    from dagster import DagsterInstance
    with DagsterInstance.from_config(str(dh)) as instance:
        assert len([r for r in instance.get_runs() if r.job_name != "observe_sources_job"]) == 1
