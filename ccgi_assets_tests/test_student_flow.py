"""The student flow end to end, through Dagster on the embedded warehouse, written like the seed's steps."""

from __future__ import annotations

import os
import time

import duckdb
import pandas as pd
import pytest
from dagster import DagsterEventType, instance_for_test, materialize

from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.assets.student_share import optin_students, registration_roster, student_courses
from ccgi_assets.partitions import lea_partitions
from resources import local_resources

FLOW = [optin_students, registration_roster, student_courses]


def leas_by_model(home):
    df = pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)
    return {m: sorted(g["reporting_lea"]) for m, g in df.groupby("model")}


def table(home, name, lea=None):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        sql = f"SELECT * FROM ccgi.{name}" + (" WHERE reporting_lea = ?" if lea else "")
        return con.execute(sql, [lea] if lea else None).df()
    finally:
        con.close()


def run_lea(home, instance, lea, raise_on_error=True):
    return materialize([*SOURCES, *ASSETS], selection=FLOW, partition_key=lea, resources=local_resources(home),
                       instance=instance, raise_on_error=raise_on_error)


def newest_list(home, lea):
    files = sorted((home / "landing" / "optin" / lea).glob("*.csv"), key=lambda p: p.stat().st_mtime)
    return files[-1]


def write_list(home, lea, name, ssids):
    p = home / "landing" / "optin" / lea / name
    p.write_text("SSID\n" + "".join(f"{s}\n" for s in ssids))
    t = time.time() + 5  # newer than the generated list
    os.utime(p, (t, t))
    return p


@pytest.fixture
def flow(small_home):
    with instance_for_test() as instance:
        leas = leas_by_model(small_home)
        instance.add_dynamic_partitions(lea_partitions.name, leas["opt_in"] + leas.get("statewide", []))
        materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=local_resources(small_home),
                    instance=instance)
        yield small_home, instance, leas


def materialization_metadata(result, asset_name):
    for ev in result.get_asset_materialization_events():
        if ev.asset_key.path[-1] == asset_name:
            return ev.step_materialization_data.materialization.metadata
    raise AssertionError(asset_name)


def test_step2_to_5_an_opt_in_lea_shares_its_listed_students_and_their_courses(flow):
    home, instance, leas = flow
    lea = leas["opt_in"][0]
    result = run_lea(home, instance, lea)
    listed = pd.read_csv(newest_list(home, lea), dtype=str)["SSID"]
    students = table(home, "optin_students", lea)
    roster = table(home, "registration_roster", lea)
    courses = table(home, "student_courses", lea)
    assert 0 < len(students) <= listed.nunique()
    assert set(students["ssid"]) <= set(listed.str.strip())
    assert set(roster["ssid"]) <= set(students["ssid"]) and len(roster) > 0
    assert set(courses["ssid"]) <= set(roster["ssid"]) and len(courses) > 0
    meta = materialization_metadata(result, "optin_students")
    rejected = meta["rejected_by_rule"].value
    assert sum(rejected.values()) > 0  # the generated list has dirty rows; they are counted, kept out
    # metadata carries counts, never a student's values
    text = " ".join(str(m.value) for ev in result.get_asset_materialization_events()
                    for m in ev.step_materialization_data.materialization.metadata.values())
    assert not any(s in text for s in roster["ssid"]) and not any(n in text for n in roster["legal_last_name"])


def test_statewide_lea_shares_every_enrolled_student_in_grades_6_to_12(flow):
    home, instance, leas = flow
    lea = leas["statewide"][0]
    result = run_lea(home, instance, lea)
    roster = table(home, "registration_roster", lea)
    assert len(roster) > 0
    assert set(roster["grade_level_code"]) <= {"06", "07", "08", "09", "10", "11", "12"}
    # grades in school order, under keys the UI's JSON view keeps in that order ("10" would jump ahead of "06")
    by_grade = materialization_metadata(result, "registration_roster")["by_grade"].value
    assert list(by_grade) == [f"grade {g}" for g in sorted(set(roster["grade_level_code"]))]
    assert (table(home, "optin_students", lea)["participation_model"] == "statewide").all()


def test_step6_opt_out_reaches_every_student_table_on_the_next_run(flow):
    home, instance, leas = flow
    lea = leas["opt_in"][0]
    run_lea(home, instance, lea)
    before = table(home, "student_courses", lea)
    leaving = before["ssid"].iloc[0]
    kept = [s for s in table(home, "optin_students", lea)["ssid"] if s != leaving]
    write_list(home, lea, "optin_next.csv", kept)
    result = run_lea(home, instance, lea)
    for name in ("optin_students", "registration_roster", "student_courses"):
        assert leaving not in set(table(home, name, lea)["ssid"]), name
    for name in ("optin_students", "registration_roster"):
        assert materialization_metadata(result, name)["students_removed_since_last_run"].value == 1
    # the roster step withdraws the student from the course records before the course step runs
    withdrawn = materialization_metadata(result, "registration_roster")["rows_withdrawn_from_shares"].value
    assert withdrawn["student_courses"] == len(before[before["ssid"] == leaving])
    other = leas["opt_in"][1]
    assert table(home, "optin_students", other).empty  # never ran: other LEAs untouched


def test_rematerializing_a_partition_replaces_its_rows(flow):
    home, instance, leas = flow
    lea = leas["opt_in"][0]
    run_lea(home, instance, lea)
    first = {n: table(home, n, lea).sort_values(list(table(home, n, lea).columns)).reset_index(drop=True)
             for n in ("optin_students", "registration_roster", "student_courses")}
    run_lea(home, instance, lea)
    for n, df in first.items():
        again = table(home, n, lea)
        pd.testing.assert_frame_equal(df, again.sort_values(list(again.columns)).reset_index(drop=True))


def test_an_unreadable_list_fails_that_lea_alone_and_keeps_its_previous_roster(flow):
    home, instance, leas = flow
    bad_lea, good_lea = leas["opt_in"][0], leas["opt_in"][1]
    run_lea(home, instance, bad_lea)
    before = table(home, "registration_roster", bad_lea)
    raw = b"\x00\x01PK\x03\x04 not a csv \x00"
    p = home / "landing" / "optin" / bad_lea / "optin_broken.csv"
    p.write_bytes(raw)
    t = time.time() + 10
    os.utime(p, (t, t))

    failed = run_lea(home, instance, bad_lea, raise_on_error=False)
    assert not failed.success
    failure = [e for e in failed.all_events if e.event_type == DagsterEventType.STEP_FAILURE][0]
    message = str(failure.event_specific_data.error.message)
    assert "optin_broken.csv" in message and "binary" in message
    assert not any(s in message for s in before["ssid"])
    assert p.read_bytes() == raw  # the raw file stays where it landed
    after = table(home, "registration_roster", bad_lea)
    assert sorted(after["ssid"]) == sorted(before["ssid"])

    assert run_lea(home, instance, good_lea).success  # other LEAs keep going
    assert len(table(home, "registration_roster", good_lea)) > 0


def test_a_single_run_backfill_keeps_the_other_leas_going_past_an_unreadable_list(flow):
    home, instance, leas = flow
    bad_lea, good_lea = leas["opt_in"][0], leas["opt_in"][1]
    p = home / "landing" / "optin" / bad_lea / "optin_broken.csv"
    p.write_text("STUDENT,NAME\n1,x\n")
    t = time.time() + 10
    os.utime(p, (t, t))
    result = materialize([*SOURCES, *ASSETS], selection=FLOW, resources=local_resources(home), instance=instance,
                         tags={"dagster/asset_partition_range_start": bad_lea,
                               "dagster/asset_partition_range_end": good_lea})
    assert result.success
    assert materialization_metadata(result, "optin_students")["leas_with_unreadable_list"].value == 1
    assert len(table(home, "registration_roster", good_lea)) > 0
