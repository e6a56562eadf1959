"""Seed 2a step 2: an LEA drops its opt-in list; the sensor runs that LEA's student flow, exactly once per
file version. (Platform activity, CALPADS and CMP changes are data versions acted on by declarative automation:
test_automation.py.)"""

import json
import os
import time

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context, instance_for_test

from ccgi_assets.partitions import lea_partitions
from ccgi_assets.assets.sources import SOURCE_KEYS
from resources import LandingZone, ParticipationConfig
from sensors import optin_list_sensor

LEA, OTHER = "0100001", "0200002"


def aged(path, seconds=120):
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def drop_list(root, lea, name, ssids, age=120):
    folder = root / lea
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text("SSID\n" + "".join(f"{s}\n" for s in ssids))
    return aged(p, age)


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing" / "optin"
    root.mkdir(parents=True)
    return root


@pytest.fixture
def resources(tmp_path, landing):
    return {"landing": LandingZone(root=str(landing)),
            "participation": ParticipationConfig(path=str(tmp_path / "config" / "lea_participation.csv"))}


def lea_runs(result):
    """The per-LEA run requests (a fresh warehouse also gets one course-catalog run first)."""
    return [r for r in result.run_requests if r.partition_key]


def tick(instance: DagsterInstance, resources, cursor):
    ctx = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    result = optin_list_sensor(ctx)
    # a sensor called directly does not add its dynamic partitions: do what the daemon would
    for req in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def test_new_list_then_same_then_changed_then_restart(tmp_path, landing, resources):
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        p = drop_list(landing, LEA, "optin_20260901.csv", ["1000000001", "1000000002"])

        first = tick(instance, resources, None)
        # a fresh warehouse: the course catalog is built first, then the LEA's student flow
        assert [(r.partition_key, r.tags["ccgi/trigger"]) for r in first.run_requests] == [
            (None, "course_catalog_missing"), (LEA, "optin_list")]
        assert set(first.run_requests[0].asset_selection) == {
            AssetKey("crse_courses"), AssetKey("cmp_match_results"), AssetKey("course_match_reports"), *SOURCE_KEYS}
        assert AssetKey("crse_courses") not in first.run_requests[1].asset_selection
        # each run observes its sources first: what it read is recorded by the run that read it
        assert set(SOURCE_KEYS) <= set(first.run_requests[1].asset_selection)
        assert instance.get_dynamic_partitions(lea_partitions.name) == [LEA]

        same = tick(instance, resources, first.cursor)
        assert not same.run_requests

        p.write_text("SSID\n1000000001\n")  # the LEA re-uploads a changed list under the same name
        aged(p, 60)
        changed = tick(instance, resources, same.cursor)
        assert [r.partition_key for r in lea_runs(changed)] == [LEA]
        assert lea_runs(changed)[0].run_key != lea_runs(first)[0].run_key

    # the daemon restarts: a new instance over the same storage, the stored cursor
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as restarted:
        again = tick(restarted, resources, changed.cursor)
        assert not again.run_requests


def test_each_lea_gets_its_own_run_and_a_second_list_reruns_only_that_lea(tmp_path, landing, resources):
    with instance_for_test() as instance:
        drop_list(landing, LEA, "a.csv", ["1000000001"])
        drop_list(landing, OTHER, "a.csv", ["1000000002"])
        first = tick(instance, resources, None)
        assert sorted(r.partition_key for r in lea_runs(first)) == [LEA, OTHER]
        drop_list(landing, OTHER, "b.csv", ["1000000002"])
        second = tick(instance, resources, first.cursor)
        assert [r.partition_key for r in lea_runs(second)] == [OTHER]


@pytest.mark.parametrize("name", [".hidden.csv", "upload.csv.part", "list.tmp", "~lock.csv", "x.csv.crdownload",
                                  "notes.pdf"])
def test_files_that_are_not_lists_are_left_alone(tmp_path, landing, resources, name):
    with instance_for_test() as instance:
        drop_list(landing, LEA, name, ["1000000001"])
        result = tick(instance, resources, None)
        assert not result.run_requests
        assert (landing / LEA / name).exists()


def test_a_file_still_being_written_waits_for_a_later_tick(tmp_path, landing, resources):
    with instance_for_test() as instance:
        p = drop_list(landing, LEA, "fresh.csv", ["1000000001"], age=0)
        assert not tick(instance, resources, None).run_requests
        aged(p)
        assert [r.partition_key for r in lea_runs(tick(instance, resources, None))] == [LEA]


def test_a_statewide_lea_joining_gets_one_run_without_a_list(tmp_path, resources):
    cfg = tmp_path / "config" / "lea_participation.csv"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(f"reporting_lea,model\n{LEA},statewide\n{OTHER},opt_in\n")
    with instance_for_test() as instance:
        first = tick(instance, resources, None)
        assert [(r.partition_key, r.tags["ccgi/trigger"]) for r in lea_runs(first)] == [(LEA, "statewide_participation")]
        assert not tick(instance, resources, first.cursor).run_requests
        assert json.loads(first.cursor)["statewide"] == [LEA]


def test_the_landing_zone_can_be_object_storage(tmp_path):
    """In production the landing zone is an fsspec URL (object storage); memory:// stands in for it."""
    from upath import UPath

    root = f"memory://landing-{tmp_path.name}/optin"
    p = UPath(root) / LEA / "optin.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("SSID\n1000000001\n")
    res = {"landing": LandingZone(root=root),
           "participation": ParticipationConfig(path=str(tmp_path / "none.csv"))}
    with instance_for_test() as instance:
        first = tick(instance, res, None)
        assert [r.partition_key for r in lea_runs(first)] == [LEA]
        assert not tick(instance, res, first.cursor).run_requests
        p.write_text("SSID\n1000000001\n1000000002\n")
        assert [r.partition_key for r in lea_runs(tick(instance, res, first.cursor))] == [LEA]


def test_after_ccgi_run_the_sensors_first_tick_requests_nothing_already_done(small_home, monkeypatch):
    """`make run` then `make ui`: the sensor starts with an empty cursor but the runs already took every list in;
    a list that lands afterwards still triggers."""
    import pandas as pd
    from dagster import materialize

    from ccgi_assets.assets import ASSETS, SOURCES
    from resources import local_resources

    models = pd.read_csv(small_home / "config" / "lea_participation.csv", dtype=str)
    leas = sorted(models["reporting_lea"])
    res = local_resources(small_home)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, leas)
        materialize([*SOURCES, *ASSETS], selection=["crse_courses", "cmp_match_results"], resources=res,
                    instance=instance)
        for lea in leas:
            materialize([*SOURCES, *ASSETS], selection=["optin_students", "registration_roster", "student_courses",
                                                        "verified_accounts", "statewide_submissions", "lea_reports"],
                        partition_key=lea, resources=res, instance=instance)

        def first_tick(sensor):
            return sensor(build_sensor_context(instance=instance, resources=res))

        assert not first_tick(optin_list_sensor).run_requests

        lea = models.loc[models["model"] == "opt_in", "reporting_lea"].iloc[0]
        monkeypatch.setenv("CCGI_OPTIN_SETTLE_SECONDS", "0")
        time.sleep(0.05)
        drop_list(small_home / "landing" / "optin", lea, "optin_later.csv", ["1000000001"], age=0)
        later = first_tick(optin_list_sensor)
        assert [r.partition_key for r in lea_runs(later)] == [lea]
