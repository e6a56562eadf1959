"""Runs on one machine (issue 9 points 4 and 5): one writer of the warehouse at a time, said plainly, and a run
whose process is killed never holds the queue.

1. The Dagster home: `ccgi` writes run monitoring and its launcher into dagster.yaml, updates the file it wrote
   before, and leaves a user's own file alone with a warning.
2. Two `ccgi run`s at once: `--no-wait` exits at once (75) naming the run that holds the warehouse; without it,
   each waits saying for which run, and they run one after the other.
3. A `ccgi run` killed mid-run: the next `ccgi run` marks its run failed, saying so, and completes.
4. Under the daemon (`dagster dev`): the killed run is marked failed by run monitoring and the sensor runs queued
   behind it start; a daemon-launched run waits for the writer lock, saying so in its log, and completes when it
   is free.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from ccgi_assets import runs
from ccgi_assets.cli import DAGSTER_YAML, ensure_dagster_home
from ccgi_assets_tests.daemon import free_port, wait_for
from ccgi_assets_tests.test_ui_daemon import BIN, ROOT


def _env(home: Path, dh: Path) -> dict:
    return {**os.environ, "CCGI_HOME": str(home), "DAGSTER_HOME": str(dh), "CCGI_OPTIN_SETTLE_SECONDS": "0"}


def _dagster_home(dh: Path) -> Path:
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dh)
    try:
        return ensure_dagster_home()
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


def _ccgi_runs(instance):
    """`ccgi run`'s materializing runs (not the observation of the sources it records first)."""
    return [r for r in instance.get_runs(RunsFilter(tags={"ccgi/trigger": "ccgi_run"}))
            if r.job_name != "observe_sources_job"]


def _start_and_kill_ccgi_run(home: Path, dh: Path, tmp_path: Path):
    """Start `ccgi run`, SIGKILL it as soon as its Dagster run has started its first step (the course catalog,
    before any LEA is materialized): returns (run id, pid)."""
    _dagster_home(dh)
    with DagsterInstance.from_config(str(dh)) as instance:  # storage made here, not by two processes at once
        proc = subprocess.Popen([str(BIN / "ccgi"), "run"], env=_env(home, dh),
                                stdout=open(tmp_path / "killed.out", "wb"), stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        run = None
        while run is None:
            assert time.time() < deadline and proc.poll() is None, (tmp_path / "killed.out").read_text()[-3000:]
            found = _ccgi_runs(instance)
            if found and instance.get_records_for_run(found[0].run_id, of_type=DagsterEventType.STEP_START).records:
                run = found[0]
            else:
                time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED  # what a dead process leaves
    return run.run_id, proc.pid


# ------------------------------------------------------------------------------------------------ 1
def test_the_dagster_home_gets_run_monitoring_and_an_old_ccgi_file_is_updated_a_users_own_left(tmp_path, capsys):
    fresh = _dagster_home(tmp_path / "fresh")
    assert (fresh / "dagster.yaml").read_text() == DAGSTER_YAML
    with DagsterInstance.from_config(str(fresh)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert isinstance(instance.run_launcher, runs.PidCheckingRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 1

    old = tmp_path / "old"  # written by an earlier ccgi: rewritten, nothing kept
    old.mkdir()
    (old / "dagster.yaml").write_text("# Written by `ccgi run` when absent. The embedded DuckDB warehouse has one "
                                      "writer at a time, so queued runs\n# (sensor-driven ones included) go one after "
                                      "another.\nrun_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n")
    _dagster_home(old)
    assert (old / "dagster.yaml").read_text() == DAGSTER_YAML and not (old / "dagster.yaml.old").exists()
    assert "updated" in capsys.readouterr().err

    edited = tmp_path / "edited"  # ccgi's file edited under its first line: rewritten, the edited copy kept
    edited.mkdir()
    (edited / "dagster.yaml").write_text(DAGSTER_YAML + "retention:\n  schedule:\n    purge_after_days: 90\n")
    _dagster_home(edited)
    assert (edited / "dagster.yaml").read_text() == DAGSTER_YAML
    assert "purge_after_days" in (edited / "dagster.yaml.old").read_text()

    own = tmp_path / "own"  # the user's own file: left alone, with a warning naming what it lacks
    own.mkdir()
    (own / "dagster.yaml").write_text("run_queue:\n  max_concurrent_runs: 2\n")
    capsys.readouterr()
    _dagster_home(own)
    assert (own / "dagster.yaml").read_text() == "run_queue:\n  max_concurrent_runs: 2\n"
    err = capsys.readouterr().err
    assert "warning" in err and "run_monitoring" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------ 2
def test_two_ccgi_runs_take_turns_and_no_wait_exits_75_naming_the_holder(small_home, tmp_path):
    dh = tmp_path / "dagster_home"
    env = _env(small_home, dh)
    holder = runs.WriterLock(small_home)  # this test process holds the warehouse first, like a run would
    holder.acquire("test-holder-run", "a test")

    busy = subprocess.run([str(BIN / "ccgi"), "run", "--no-wait"], env=env, capture_output=True, text=True, timeout=120)
    assert busy.returncode == runs.EXIT_BUSY == 75
    lines = [ln for ln in busy.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "test-holder-run" in lines[0] and f"pid {os.getpid()}" in lines[0], busy.stderr
    assert "warehouse.duckdb" in lines[0]
    assert not (small_home / "warehouse.duckdb").exists()  # it did nothing

    a = subprocess.Popen([str(BIN / "ccgi"), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen([str(BIN / "ccgi"), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for p in (a, b):  # each says, on one line, which run it waits for
            first = p.stdout.readline()
            assert first.startswith("waiting for the run test-holder-run (a test, pid "), first
        holder.release()
        out = {p.pid: p.communicate(timeout=900) for p in (a, b)}
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
    for p in (a, b):
        stdout, stderr = out[p.pid]
        assert p.returncode == 0, stdout[-2000:] + stderr[-2000:]
        assert "Conflicting lock" not in stdout + stderr
    # the one that took the lock second waited for the other, by run and pid (stdout after the first line)
    waited = [p for p in (a, b) if "waiting for the run" in out[p.pid][0]]
    assert len(waited) == 1
    other = a if waited[0] is b else b
    assert f"(ccgi run, pid {other.pid})" in out[waited[0].pid][0]

    with DagsterInstance.from_config(str(dh)) as instance:
        done = sorted((instance.get_run_record_by_id(r.run_id) for r in _ccgi_runs(instance)),
                      key=lambda r: r.start_time)
        assert [r.dagster_run.status for r in done] == [DagsterRunStatus.SUCCESS] * 2
        assert done[0].end_time <= done[1].start_time  # one writer at a time
    assert json.loads((small_home / runs.LOCK_NAME).read_text() or "{}") == {}  # released, holder cleared


# ------------------------------------------------------------------------------------------------ 3
def test_a_killed_ccgi_run_is_marked_failed_by_the_next_which_completes(small_home, tmp_path):
    dh = tmp_path / "dagster_home"
    killed, pid = _start_and_kill_ccgi_run(small_home, dh, tmp_path)

    nxt = subprocess.run([str(BIN / "ccgi"), "run"], env=_env(small_home, dh), capture_output=True, text=True,
                         timeout=900)
    assert nxt.returncode == 0, nxt.stdout[-3000:] + nxt.stderr[-3000:]
    recovered = [ln for ln in nxt.stdout.splitlines() if ln.startswith("recovered:")]
    assert len(recovered) == 1 and killed in recovered[0] and f"pid {pid}" in recovered[0], nxt.stdout
    with DagsterInstance.from_config(str(dh)) as instance:
        assert instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE
        latest = _ccgi_runs(instance)[0]
        assert latest.run_id != killed and latest.status == DagsterRunStatus.SUCCESS
    con = duckdb.connect(str(small_home / "warehouse.duckdb"), read_only=True)
    try:
        leas = {r[0] for r in con.execute("SELECT DISTINCT reporting_lea FROM ccgi.registration_roster").fetchall()}
    finally:
        con.close()
    assert len(leas) == 4


# ------------------------------------------------------------------------------------------------ 4
@pytest.fixture
def killed_then_daemon(small_home, tmp_path):
    """A `ccgi run` killed mid-run, then `dagster dev` (webserver and daemon) started on the same homes."""
    dh = tmp_path / "dagster_home"
    _dagster_home(dh)
    killed = _start_and_kill_ccgi_run(small_home, dh, tmp_path)
    instance = DagsterInstance.from_config(str(dh))
    log = tmp_path / "dagster_dev.log"
    proc = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p",
                             str(free_port())], cwd=ROOT, env=_env(small_home, dh), stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield instance, small_home, killed, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        instance.dispose()


def test_the_daemon_fails_a_killed_run_then_queued_runs_start_and_wait_for_the_writer(killed_then_daemon):
    instance, home, (killed, pid), log = killed_then_daemon

    # run monitoring marks the dead run failed, naming it and its process
    def marked():
        run = instance.get_run_by_id(killed)
        return run if run.status == DagsterRunStatus.FAILURE else None

    wait_for(marked, 240, "run monitoring to mark the killed run failed")
    failure = instance.get_records_for_run(killed, of_type=DagsterEventType.RUN_FAILURE).records[0]
    message = failure.event_log_entry.dagster_event.message or ""
    assert killed in message and f"pid {pid}" in message and "no longer running" in message, message

    # the sensor runs queued behind it start: the first completes
    def first_after():
        later = [r for r in instance.get_runs() if r.tags.get("ccgi/trigger") not in (None, "ccgi_run")]
        done = [r for r in later if r.is_finished]
        return done[-1] if done else None  # runs come newest first

    first = wait_for(first_after, 300, "the first sensor run after the killed one")
    assert first.status == DagsterRunStatus.SUCCESS, log.read_text()[-4000:]

    # while someone else holds the warehouse, the next queued run starts, waits saying for whom (in its run's
    # log), and completes once the warehouse is free
    holder = runs.WriterLock(home)
    holder.acquire("test-holder-run", "a test")  # after the run holding it now, if any, has finished
    try:
        def waiting():
            for r in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED])):
                events = instance.get_records_for_run(r.run_id, of_type=DagsterEventType.ENGINE_EVENT).records
                said = [e.event_log_entry.dagster_event.message or "" for e in events]
                if any("waiting for the run test-holder-run (a test, pid " in m for m in said):
                    return r
            return None

        waiter = wait_for(waiting, 300, "a sensor run to wait for the writer lock")
        time.sleep(3)
        assert instance.get_run_by_id(waiter.run_id).status == DagsterRunStatus.STARTED  # still waiting, not failed
    finally:
        holder.release()

    def waiter_done():
        r = instance.get_run_by_id(waiter.run_id)
        return r if r.is_finished else None

    assert wait_for(waiter_done, 300, "the waiting run to finish").status == DagsterRunStatus.SUCCESS, \
        log.read_text()[-4000:]


# ------------------------------------------------------------------------------------------------ one backfill
def test_an_lea_that_no_longer_takes_part_is_left_out_of_the_ranges():
    order = ["1111111", "2222222", "3333333", "4444444"]  # the order the LEA partitions were added in
    assert runs.contiguous_ranges(["4444444", "1111111", "2222222", "3333333"], order) == [order]
    assert runs.contiguous_ranges(["1111111", "3333333", "4444444"], order) == [["1111111"], ["3333333", "4444444"]]
