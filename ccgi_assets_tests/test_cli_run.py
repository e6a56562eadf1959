"""`make run` on a fresh home: generate the sample, materialize every asset for every LEA, print where."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from ccgi_assets_tests.conftest import SMALL

BIN = Path(sys.executable).parent
ASSETS = ["crse_courses", "cmp_match_results", "optin_students", "registration_roster", "student_courses",
          "statewide_submissions", "cde_extract", "lea_reports"]


def test_ccgi_run_materializes_all_eight_assets_for_every_lea(tmp_path):
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

    # the runs are recorded in DAGSTER_HOME, so the UI shows them
    from dagster import DagsterInstance
    with DagsterInstance.from_config(str(dh)) as instance:
        assert len(instance.get_runs()) == len(leas) + 2
