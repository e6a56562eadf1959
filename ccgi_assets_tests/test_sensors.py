"""Seed 2a step 2: an LEA drops its opt-in list; the sensor runs that LEA's student flow, exactly once per
file version. And seed 2a step 8: new platform activity refreshes that LEA's downstream assets only."""

import json
import os
import time

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context, instance_for_test

from ccgi_assets.partitions import lea_partitions
from resources import LandingZone, ParticipationConfig, PlatformSource
from sensors import optin_list_sensor, platform_activity_sensor

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
        assert set(first.run_requests[0].asset_selection) == {AssetKey("crse_courses"), AssetKey("cmp_match_results")}
        assert AssetKey("crse_courses") not in first.run_requests[1].asset_selection
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


def test_new_platform_activity_requests_that_leas_downstream_assets_and_no_other(tmp_path):
    root = tmp_path / "platform"
    for lea in (LEA, OTHER):
        (root / lea).mkdir(parents=True)
        (root / lea / "activities.csv").write_text("ssid,activity,completed_at\n1000000001,lesson,2026-01-01T00:00:00\n")
    res = {"platform": PlatformSource(root=str(root))}
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, [LEA, OTHER])
        first = platform_activity_sensor(build_sensor_context(instance=instance, resources=res))
        cursor = first.cursor
        assert not platform_activity_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                                 resources=res)).run_requests
        with open(root / OTHER / "activities.csv", "a") as f:
            f.write("1000000002,lesson,2026-02-01T00:00:00\n")
        result = platform_activity_sensor(build_sensor_context(instance=instance, cursor=cursor, resources=res))
        per_lea = [r for r in result.run_requests if r.partition_key]
        assert [r.partition_key for r in per_lea] == [OTHER]
        assert set(per_lea[0].asset_selection) == {AssetKey("verified_accounts"), AssetKey("statewide_submissions"),
                                                   AssetKey("lea_reports")}
        statewide = [r for r in result.run_requests if not r.partition_key]
        assert [r.asset_selection for r in statewide] == [[AssetKey("cde_extract")]]


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


def test_a_changed_course_share_or_cmp_list_rebuilds_the_course_catalog_once(tmp_path):
    from resources import CmpSource, LocalCalpadsShare
    from sensors import course_catalog_sensor

    crse = tmp_path / "share" / "CRSE" / f"{LEA}.txt"
    crse.parent.mkdir(parents=True)
    crse.write_text("CRSE^^...\n")
    cmp = tmp_path / "cmp" / "cmp_2025-2026.csv"
    cmp.parent.mkdir()
    cmp.write_text("cmp_course_id\n")
    res = {"calpads": LocalCalpadsShare(home=str(tmp_path)), "cmp": CmpSource(root=str(tmp_path / "cmp"))}

    def run(cursor):
        with instance_for_test() as instance:
            return course_catalog_sensor(build_sensor_context(instance=instance, cursor=cursor, resources=res))

    first = run(None)
    assert [set(r.asset_selection) for r in first.run_requests] == [{AssetKey("crse_courses"), AssetKey("cmp_match_results")}]
    assert not run(first.cursor).run_requests
    cmp.write_text("cmp_course_id\nX\n")
    after_cmp = run(first.cursor)
    assert len(after_cmp.run_requests) == 1
    crse.write_text("CRSE^^...\nCRSE^^...\n")
    assert len(run(after_cmp.cursor).run_requests) == 1


def test_after_ccgi_run_the_sensors_first_ticks_request_nothing_already_done(small_home, monkeypatch):
    """`make run` then `make ui`: the sensors start with empty cursors but the runs already took every input in;
    a list that lands afterwards still triggers."""
    import pandas as pd
    from dagster import materialize

    from ccgi_assets.assets import ASSETS, SOURCES
    from resources import local_resources
    from sensors import course_catalog_sensor

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
        assert not first_tick(platform_activity_sensor).run_requests
        assert not first_tick(course_catalog_sensor).run_requests

        lea = models.loc[models["model"] == "opt_in", "reporting_lea"].iloc[0]
        monkeypatch.setenv("CCGI_OPTIN_SETTLE_SECONDS", "0")
        time.sleep(0.05)
        drop_list(small_home / "landing" / "optin", lea, "optin_later.csv", ["1000000001"], age=0)
        later = first_tick(optin_list_sensor)
        assert [r.partition_key for r in lea_runs(later)] == [lea]
