"""Issue 10 without the daemon: sources observed by content, and what declarative automation asks for when one
changes, evaluated with ``evaluate_automation_conditions`` on the instance `ccgi run` left behind (and the
requested assets then materialized, as the daemon would)."""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, evaluate_automation_conditions, materialize

from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.assets.sources import SOURCE_KEYS
from ccgi_assets.definitions import defs
from resources import local_resources

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STUDENT_FLOW = {"optin_students", "registration_roster", "student_courses", "verified_accounts",
                "statewide_submissions", "lea_reports"}


@pytest.fixture(scope="module")
def after_run(small_state_template, tmp_path_factory):
    """`make run` on a small state: the warehouse and the Dagster home it leaves (copied by each test)."""
    base = tmp_path_factory.mktemp("after_run")
    home, dh = base / "home", base / "dagster_home"
    shutil.copytree(small_state_template, home)
    env = {**os.environ, "CCGI_HOME": str(home), "DAGSTER_HOME": str(dh)}
    run = subprocess.run([str(BIN / "ccgi"), "run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home, dh


class State:
    """A copy of that state, and the automation's cursor over it."""

    def __init__(self, home: Path, instance: DagsterInstance):
        self.home, self.instance = home, instance
        self.resources = local_resources(home)
        models = pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)
        self.leas = sorted(models["reporting_lea"])
        self.statewide = sorted(models.loc[models["model"] == "statewide", "reporting_lea"])
        self.opt_in = sorted(models.loc[models["model"] == "opt_in", "reporting_lea"])
        self.cursor = evaluate_automation_conditions(defs=defs, instance=instance).cursor  # the daemon's first tick

    def observe(self):
        assert materialize(SOURCES, selection=SOURCE_KEYS, instance=self.instance, resources=self.resources).success

    def requested(self) -> dict[str, set]:
        """One automation tick: asset -> requested partitions (None for an unpartitioned asset)."""
        res = evaluate_automation_conditions(defs=defs, instance=self.instance, cursor=self.cursor)
        self.cursor = res.cursor
        graph = defs.resolve_asset_graph()
        out = {k.path[-1]: set(res.get_requested_partitions(k)) for k in graph.materializable_asset_keys}
        return {k: v for k, v in out.items() if v}

    def execute(self, requested: dict[str, set]):
        """Run what was requested, as the daemon would: unpartitioned assets first, then the LEAs' assets, several
        LEAs in one run per range of partitions (what a backfill of single-run assets does)."""
        from ccgi_assets.partitions import lea_partitions

        unpartitioned = sorted(a for a, parts in requested.items() if None in parts)
        if unpartitioned:
            assert materialize([*SOURCES, *ASSETS], selection=unpartitioned, instance=self.instance,
                               resources=self.resources).success
        groups: dict[frozenset, list[str]] = {}
        for asset, parts in requested.items():
            if None not in parts:
                groups.setdefault(frozenset(parts), []).append(asset)
        order = self.instance.get_dynamic_partitions(lea_partitions.name)
        for parts, assets in groups.items():
            ranges, current = [], []
            for p in order:
                if p in parts:
                    current.append(p)
                elif current:
                    ranges.append(current)
                    current = []
            ranges += [current] if current else []
            for r in ranges:
                tags = {"dagster/asset_partition_range_start": r[0], "dagster/asset_partition_range_end": r[-1]}
                result = materialize([*SOURCES, *ASSETS], selection=assets, instance=self.instance,
                                     resources=self.resources, tags=tags)
                assert result.success, (r, assets)

    def settle(self, limit=5) -> list[dict[str, set]]:
        """Tick and run until nothing more is requested; every tick's requests, in order."""
        ticks = []
        for _ in range(limit):
            req = self.requested()
            if not req:
                return ticks
            ticks.append(req)
            self.execute(req)
        raise AssertionError(f"still requesting after {limit} ticks: {ticks}")

    def roster(self, lea) -> set[str]:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            return {r[0] for r in con.execute("SELECT ssid FROM ccgi.registration_roster WHERE reporting_lea = ?",
                                              [lea]).fetchall()}
        finally:
            con.close()


@pytest.fixture
def state(after_run, tmp_path):
    home, dh = tmp_path / "home", tmp_path / "dagster_home"
    shutil.copytree(after_run[0], home)
    shutil.copytree(after_run[1], dh)
    instance = DagsterInstance.from_config(str(dh))
    try:
        yield State(home, instance)
    finally:
        instance.dispose()


def runs_per_asset_partition(ticks) -> Counter:
    return Counter((asset, p) for tick in ticks for asset, parts in tick.items() for p in parts)


def test_after_ccgi_run_an_unchanged_or_only_touched_source_requests_nothing(state):
    state.observe()
    assert state.requested() == {}
    # files rewritten with the same bytes (a copy, a touch): same content, same versions, nothing to do
    for p in [*(state.home / "platform").rglob("*.csv"), *(state.home / "share" / "SENR").glob("*.txt"),
              *(state.home / "cmp").glob("*.csv")]:
        p.write_bytes(p.read_bytes())
    state.observe()
    assert state.requested() == {}


def test_the_calpads_load_is_its_own_observation_with_warnings_named_by_file_once(after_run):
    home, dh = after_run
    with DagsterInstance.from_config(str(dh)) as instance:
        obs = instance.fetch_observations(AssetRecordsFilter(asset_key=AssetKey("calpads_sinf")), limit=50).records
        summary = next(r.asset_observation.metadata for r in obs if r.asset_observation.partition is None
                       and r.asset_observation.metadata["share_reloaded"].value)
        assert summary["rows_rejected_malformed"].value >= 1
        assert any(f.startswith("SINF/") for f in summary["rejected_by_file"].value)
        assert " line " in summary["first_rejected_row"].value
        leas = {r.asset_observation.partition for r in obs if r.asset_observation.partition}
        assert leas == set(pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)["reporting_lea"])

        logs = {}
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id):
                if "malformed row" in (entry.user_message or ""):
                    logs.setdefault(run.job_name, []).append(entry.step_key)
        assert set(logs) == {"observe_sources_job"}  # not in the catalog's or any LEA's run
        assert set(logs["observe_sources_job"]) == {"calpads_share_load"}
        assert len(logs["observe_sources_job"]) == 4  # once per record type


def test_a_new_platform_row_refreshes_that_leas_submissions_and_report_then_cde_once(state):
    lea = state.opt_in[0]
    activities = state.home / "platform" / lea / "activities.csv"
    lines = activities.read_text(encoding="utf-8").splitlines()
    activities.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    state.observe()
    ticks = state.settle()
    assert ticks[0] == {"verified_accounts": {lea}, "statewide_submissions": {lea}, "lea_reports": {lea}}
    assert ticks[1:] == [{"cde_extract": {None}}]  # after the LEA's run, once


def test_a_senr_change_moving_a_student_refreshes_both_leas_rosters_statewide_included(state):
    a, s = state.opt_in[0], state.statewide[0]
    student = sorted(state.roster(a))[0]
    assert student not in state.roster(s)
    senr_a = (state.home / "share" / "SENR" / f"{a}.txt").read_text(encoding="utf-8").splitlines()
    senr_s = state.home / "share" / "SENR" / f"{s}.txt"
    school_s = senr_s.read_text(encoding="utf-8").splitlines()[0].split("^")[4]
    row = next(line for line in senr_a if line.split("^")[7] == student).split("^")
    row[3], row[4], row[21], row[24] = s, school_s, "20260105", ""  # enrolled in S since January, still open
    with open(senr_s, "a", encoding="utf-8") as f:
        f.write("^".join(row) + "\n")

    state.observe()
    ticks = state.settle()
    first = ticks[0]
    assert first["optin_students"] == {a, s} and first["registration_roster"] == {a, s}
    assert all(first[k] == {a, s} for k in STUDENT_FLOW)  # the whole flow of both LEAs, no other LEA
    assert ticks[1:] == [{"cde_extract": {None}}]
    assert student in state.roster(s) and student not in state.roster(a)
    assert max(runs_per_asset_partition(ticks).values()) == 1


def test_a_cmp_change_rebuilds_the_match_then_every_leas_report_once(state):
    cmp = next((state.home / "cmp").glob("*.csv"))
    df = pd.read_csv(cmp, dtype=str, keep_default_na=False)
    df.iloc[:, :].to_csv(cmp, index=False)  # rewritten: same rows
    state.observe()
    assert state.requested() == {}
    df.drop(index=0).to_csv(cmp, index=False)  # UC withdrew one approval
    state.observe()
    ticks = state.settle()
    assert ticks[0] == {"cmp_match_results": {None}, "course_match_reports": {None}}
    assert ticks[1] == {"lea_reports": set(state.leas)}
    assert len(ticks) == 2


def test_an_scsc_change_refreshes_that_leas_courses_and_submissions_only(state):
    lea = state.opt_in[0]
    scsc = state.home / "share" / "SCSC" / f"{lea}.txt"
    lines = scsc.read_text(encoding="utf-8").splitlines()
    scsc.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one course record withdrawn
    state.observe()
    assert state.settle() == [{"student_courses": {lea}, "statewide_submissions": {lea}}]


def test_a_crse_change_rebuilds_the_catalog_then_every_leas_courses_and_report(state):
    crse = sorted((state.home / "share" / "CRSE").glob("*.txt"))[0]
    f = crse.read_text(encoding="utf-8").splitlines()
    row = f[0].split("^")
    row[8] = row[8] + " HONORS"  # a course renamed
    crse.write_text("\n".join(["^".join(row), *f[1:]]) + "\n", encoding="utf-8")
    state.observe()
    ticks = state.settle()
    assert ticks[0] == {"crse_courses": {None}, "cmp_match_results": {None}, "course_match_reports": {None}}
    every = set(state.leas)
    assert ticks[1] == {"student_courses": every, "statewide_submissions": every, "lea_reports": every}
    assert len(ticks) == 2


def test_a_participation_change_reruns_that_lea_and_a_new_list_is_left_to_the_sensor(state):
    lea = state.opt_in[-1]
    cfg = state.home / "config" / "lea_participation.csv"
    models = pd.read_csv(cfg, dtype=str)
    models.loc[models["reporting_lea"] == lea, "model"] = "statewide"
    models.to_csv(cfg, index=False)
    other = state.opt_in[0]
    (state.home / "landing" / "optin" / other / "optin_later.csv").write_text("SSID\n1000000001\n")
    state.observe()
    ticks = state.settle()
    assert ticks[0] == {k: {lea} for k in STUDENT_FLOW}
    assert ticks[1:] == [{"cde_extract": {None}}]


def test_a_run_the_opt_in_sensor_starts_observes_its_lea_first_and_is_not_repeated(state):
    """The sensor's run selects the sources too: they are observed (for its LEA) before the assets that read them,
    so the automation knows the run took the new platform row in, and does not run the LEA again."""
    from sensors.optin_sensor import STUDENT_KEYS

    lea = state.opt_in[0]
    shared = sorted(state.roster(lea))
    (state.home / "landing" / "optin" / lea / "optin_later.csv").write_text("SSID\n" + "\n".join(shared[1:]) + "\n")
    activities = state.home / "platform" / lea / "activities.csv"
    lines = activities.read_text(encoding="utf-8").splitlines()
    activities.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    result = materialize([*SOURCES, *ASSETS], selection=[*SOURCE_KEYS, *STUDENT_KEYS], partition_key=lea,
                         instance=state.instance, resources=state.resources, tags={"ccgi/trigger": "optin_list"})
    assert result.success
    assert {e.asset_key.path[-1] for e in result.get_asset_materialization_events()} == {k.path[-1] for k in STUDENT_KEYS}
    assert shared[0] not in state.roster(lea)
    state.observe()  # the schedule's next look
    assert state.requested() == {}


def test_every_asset_is_automated_and_the_sources_are_observable():
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        assert graph.get(key).automation_condition is not None, key
    assert {k for k in graph.observable_asset_keys} == set(SOURCE_KEYS)
    assert defs.resolve_schedule_def("observe_sources_schedule").job_name == "observe_sources_job"


def test_an_lea_with_crse_data_only_gets_its_course_match_report_and_cde_the_unmatched_cmp_courses(small_home):
    """Seed Diagram 1 step 4 for every LEA with CRSE data (not only LEAs in the student share), and the CMP
    courses CALPADS lacks returned to CDE beside the match results."""
    from dagster import instance_for_test

    from ccgi_assets.matching.vocabulary import UNMATCHED_COLUMNS

    src = sorted((small_home / "share" / "CRSE").glob("*.txt"))[0]
    lea, new = src.stem, "0999990"
    rows = [line.split("^") for line in src.read_text(encoding="utf-8").splitlines()]
    for f in rows:
        f[3], f[4] = new, "9" + f[4][1:]  # its own schools
    (src.parent / f"{new}.txt").write_text("".join("^".join(f) + "\n" for f in rows), encoding="utf-8")
    cmp = next((small_home / "cmp").glob("*.csv"))
    df = pd.read_csv(cmp, dtype=str, keep_default_na=False)
    mine = df[df["cds_code"].str[:7] == lea].copy()
    mine["cds_code"] = new + "9" + mine["cds_code"].str[8:]
    mine["cmp_course_id"] = "9" + mine["cmp_course_id"].str[1:]
    extra = mine.iloc[:1].assign(cmp_course_id="9000001", course_title="Marine Biology Honors Research")
    pd.concat([df, mine, extra]).to_csv(cmp, index=False)

    res = local_resources(small_home)
    with instance_for_test() as instance:
        result = materialize([*SOURCES, *ASSETS], selection=["crse_courses", "cmp_match_results", "course_match_reports"],
                             resources=res, instance=instance)
        assert result.success
        meta = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert new in meta["course_match_reports"]["leas"].value  # an LEA outside the student share
    report = (small_home / "reports" / new / "index.html").read_text(encoding="utf-8")
    assert "Marine Biology Honors Research" in report  # its CMP course CALPADS lacks
    summary = pd.read_csv(small_home / "reports" / new / "course_match_summary.csv", dtype=str)
    assert len(summary) > 0

    unmatched = pd.read_csv(small_home / "exports" / "cde" / "unmatched_cmp_courses.csv", dtype=str)
    assert list(unmatched.columns) == UNMATCHED_COLUMNS  # CMP fields only: nothing about a student
    assert "9000001" in set(unmatched["cmp_course_id"])
    assert meta["cmp_match_results"]["cmp_courses_not_in_calpads"].value == len(unmatched)
