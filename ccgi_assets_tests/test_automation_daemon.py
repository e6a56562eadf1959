"""Issue 10 as it runs: `make run`, then Dagster's own webserver and daemon (`dagster dev`) on that home, with the
observation schedule, the automation sensor and the backfill daemon doing their work. Each change on disk
reaches exactly the tables it affects, once, and nothing else runs (so a first `make ui` after `make run` starts
nothing but what the changes need)."""

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus, RunsFilter

from ccgi_assets_tests.daemon import free_port, stop, wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSETS = ["crse_courses", "cmp_match_results", "course_match_reports", "optin_students", "registration_roster",
          "student_courses", "verified_accounts", "statewide_submissions", "lea_reports", "cde_extract"]
STUDENT_FLOW = ["optin_students", "registration_roster", "student_courses", "verified_accounts",
                "statewide_submissions", "lea_reports"]
ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
TICK = 5  # seconds between automation ticks here (CCGI_AUTOMATION_SECONDS)


class Daemon:
    def __init__(self, home: Path, instance: DagsterInstance, log: Path):
        self.home, self.instance, self.log = home, instance, log
        self.proc, self.port, self.env = None, free_port(), None
        models = pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)
        self.leas = sorted(models["reporting_lea"])
        self.opt_in = sorted(models.loc[models["model"] == "opt_in", "reporting_lea"])
        self.statewide = sorted(models.loc[models["model"] == "statewide", "reporting_lea"])

    def start_ui(self, env: dict):
        """`make ui`: Dagster's webserver and daemon on this home."""
        self.proc = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p",
                                      str(self.port)], cwd=ROOT, env=env, stdout=open(self.log, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def observe_now(self):
        """What a person does in the UI to look at the sources now: launch ``observe_sources_job``."""
        from dagster_graphql import DagsterGraphQLClient

        client = DagsterGraphQLClient("127.0.0.1", port_number=self.port)
        wait_for(lambda: _try(lambda: client.submit_job_execution("observe_sources_job",
                                                                  tags={"ccgi/trigger": "observe_now"})),
                 120, "the webserver to take the observation run", self.log)

    def mark(self) -> int:
        return self.instance.event_log_storage.get_maximum_record_id() or 0

    def materialized(self, since: int, until: int | None = None) -> Counter:
        """(asset, partition) -> materializations recorded after storage id ``since`` (up to ``until``)."""
        out = Counter()
        for name in ASSETS:
            for r in self.instance.fetch_materializations(
                    AssetRecordsFilter(asset_key=AssetKey(name), after_storage_id=since,
                                       before_storage_id=until), limit=1000).records:
                out[(name, r.partition_key)] += 1
        return out

    def busy(self) -> bool:
        if self.instance.get_runs_count(RunsFilter(statuses=ACTIVE)):
            return True
        from dagster._core.execution.backfill import BulkActionStatus
        return bool(self.instance.get_backfills(filters=None, status=BulkActionStatus.REQUESTED))

    def failed(self) -> list[str]:
        return [f"{r.job_name} {r.tags.get('dagster/partition', '')}" for r in
                self.instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]))]

    def observations_done(self) -> int:
        return self.instance.get_runs_count(RunsFilter(tags={"ccgi/trigger": "observe_schedule"},
                                                       statuses=[DagsterRunStatus.SUCCESS]))

    def settle(self, done, what: str, timeout=420):
        """Wait for ``done()``, then until no run or backfill is active across two automation ticks."""
        wait_for(lambda: done() or self.failed(), timeout, what, self.log)
        assert not self.failed(), (self.failed(), self.log.read_text(errors="replace")[-4000:])
        quiet_since = None
        while True:
            if self.busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.time()
            elif time.time() - quiet_since > 2.5 * TICK:
                return
            time.sleep(2)

    def roster(self, lea) -> set[str]:
        """The LEA's roster (read between runs: a reader holds the file's lock, as a person's DuckDB CLI would)."""
        con = wait_for(lambda: _try(lambda: duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)),
                       120, "the warehouse to be free for reading", self.log)
        try:
            return {r[0] for r in con.execute("SELECT ssid FROM ccgi.registration_roster WHERE reporting_lea = ?",
                                              [lea]).fetchall()}
        finally:
            con.close()


def _try(fn):
    try:
        return fn()
    except Exception:  # the webserver is still starting
        return None


@pytest.fixture
def daemon(small_home, tmp_path):
    dh = tmp_path / "dagster_home"
    dh.mkdir()
    from ccgi_assets.cli import DAGSTER_YAML

    # `make ui`'s instance settings, with queued runs picked up every second instead of every 5 (test time only)
    (dh / "dagster.yaml").write_text(DAGSTER_YAML.replace("max_concurrent_runs: 1",
                                                          "max_concurrent_runs: 1\n  dequeue_interval_seconds: 1"))
    env = {**os.environ, "CCGI_HOME": str(small_home), "DAGSTER_HOME": str(dh), "CCGI_OPTIN_SETTLE_SECONDS": "0",
           "CCGI_OBSERVE_CRON": "* * * * *", "CCGI_AUTOMATION_SECONDS": str(TICK)}
    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    instance = DagsterInstance.from_config(str(dh))
    d = Daemon(small_home, instance, tmp_path / "dagster_dev.log")
    d.before_ui, d.env = d.mark(), env
    yield d  # the test changes files, then starts `make ui`
    if d.proc is not None:
        stop(d.proc)
    instance.dispose()


def test_changes_reach_what_they_affect_once_and_a_first_ui_after_make_run_queues_nothing_else(daemon):
    d = daemon

    # 1. after `make run`, before `make ui`: a student of an opt-in LEA enrolls in a statewide-model LEA (a newer
    #    SENR row there), and a third LEA's students act on the platform (a new activity row)
    a, s = d.opt_in[0], d.statewide[0]
    y = next(lea for lea in d.leas if lea not in (a, s))
    student = sorted(d.roster(a))[0]
    senr_a = (d.home / "share" / "SENR" / f"{a}.txt").read_text(encoding="utf-8").splitlines()
    senr_s = d.home / "share" / "SENR" / f"{s}.txt"
    school_s = senr_s.read_text(encoding="utf-8").splitlines()[0].split("^")[4]
    row = next(line for line in senr_a if line.split("^")[7] == student).split("^")
    row[3], row[4], row[21], row[24] = s, school_s, "20260105", ""
    with open(senr_s, "a", encoding="utf-8") as f:
        f.write("^".join(row) + "\n")
    activities = d.home / "platform" / y / "activities.csv"
    lines = activities.read_text(encoding="utf-8").splitlines()
    activities.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")

    # `make ui`: the scheduled observation sees both changes, the automation does the rest
    t0 = time.time()
    d.start_ui(d.env)
    phase1 = d.before_ui
    d.settle(lambda: d.materialized(phase1).get(("cde_extract", None)),
             "both rosters and the CDE extract to follow the SENR change")
    assert student in d.roster(s) and student not in d.roster(a)
    t1 = time.time()

    # 2. UC approves a new course at a school of LEA `a`; someone presses "observe" in the UI: every LEA's report
    #    is rebuilt once, and `a`'s course section shows the course
    cmp = next((d.home / "cmp").glob("*.csv"))
    df = pd.read_csv(cmp, dtype=str, keep_default_na=False)
    new = df[df["cds_code"].str[:7] == a].iloc[:1].assign(cmp_course_id="9000001",
                                                          course_title="Marine Biology Honors Research")
    phase2 = d.mark()
    pd.concat([df, new]).to_csv(cmp, index=False)
    d.observe_now()
    report = d.home / "reports" / a / "index.html"
    d.settle(lambda: len([k for k in d.materialized(phase2) if k[0] == "lea_reports"]) == len(d.leas),
             "every LEA's report to follow the CMP change")
    assert "Marine Biology Honors Research" in report.read_text(encoding="utf-8")
    end = d.mark()
    print(f"SENR and platform change: {t1 - t0:.0f} s from `make ui`; CMP change: {time.time() - t1:.0f} s")

    # exactly what each change affects, each once, and nothing else (nothing queued for what `make run` did)
    expected1 = Counter({**{(k, lea): 1 for k in STUDENT_FLOW for lea in (a, s)},
                         **{(k, y): 1 for k in ("verified_accounts", "statewide_submissions", "lea_reports")},
                         ("cde_extract", None): 1})
    assert d.materialized(phase1, phase2) == expected1
    expected2 = Counter({("cmp_match_results", None): 1, ("course_match_reports", None): 1,
                         **{("lea_reports", lea): 1 for lea in d.leas}})
    assert d.materialized(phase2, end) == expected2
    assert d.materialized(end) == Counter()
    assert d.observations_done() >= 1  # the schedule observed
