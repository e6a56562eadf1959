"""Empty is a state (issue 9): on a fresh warehouse, an LEA with no list yet, an LEA with no students in grades
6-12, a share with no CRSE rows, and a day with nothing to send all give tables with their contract's columns
and zero rows, never a missing table or a failed run."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from dagster import instance_for_test, materialize

from ccgi_assets import contracts as c
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.partitions import lea_partitions
from resources import local_resources

ALL = [a.key.path[-1] for a in ASSETS]


def tables(home) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for name, model in c.CONTRACTS.items():
            out[name] = con.execute(f"SELECT {', '.join(c.columns(model))} FROM ccgi.{name}").df()
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema='ccgi' AND table_name=? "
                "ORDER BY ordinal_position", [name]).fetchall()]
            assert cols == c.columns(model), name
        return out
    finally:
        con.close()


def participation(home) -> pd.DataFrame:
    return pd.read_csv(home / "config" / "lea_participation.csv", dtype=str)


def everything_for(home, lea, instance):
    """The whole graph for one LEA, as the first thing ever materialized in this warehouse."""
    instance.add_dynamic_partitions(lea_partitions.name, [lea])
    return materialize([*SOURCES, *ASSETS], selection=ALL, partition_key=lea, resources=local_resources(home),
                       instance=instance)


def test_first_lea_without_a_list_on_a_fresh_warehouse(small_home):
    lea = "0000001"  # first in code order, takes part by dropping a list later: no list yet
    p = participation(small_home)
    pd.concat([p, pd.DataFrame([{"reporting_lea": lea, "model": "opt_in"}])]).to_csv(
        small_home / "config" / "lea_participation.csv", index=False)
    with instance_for_test() as instance:
        assert everything_for(small_home, lea, instance).success
    t = tables(small_home)
    for name in ("optin_students", "registration_roster", "student_courses", "verified_accounts",
                 "statewide_submissions"):
        assert t[name].empty, name
    assert (t["lea_reports"]["reporting_lea"] == lea).all() and len(t["lea_reports"]) > 0
    assert len(t["crse_courses"]) > 0  # the catalog is built all the same


def test_first_lea_without_students_in_grades_6_to_12(small_home):
    p = participation(small_home)
    lea = sorted(p["reporting_lea"])[0]
    # the LEA becomes a statewide-model LEA whose students are all in elementary grades
    p.loc[p["reporting_lea"] == lea, "model"] = "statewide"
    p.to_csv(small_home / "config" / "lea_participation.csv", index=False)
    senr = small_home / "share" / "SENR" / f"{lea}.txt"
    lines = senr.read_text(encoding="utf-8").splitlines()
    from ccgi_assets_tests.conftest import _layout

    at = _layout("SENR").index("grade_level_code")
    fixed = []
    for line in lines:
        f = line.split("^")
        if len(f) > at:
            f[at] = "03"
        fixed.append("^".join(f))
    senr.write_text("\n".join(fixed) + "\n", encoding="utf-8")
    with instance_for_test() as instance:
        assert everything_for(small_home, lea, instance).success
    t = tables(small_home)
    assert t["optin_students"].empty and t["registration_roster"].empty and t["cde_extract"].empty


def test_no_crse_rows_on_a_fresh_warehouse(small_home):
    shutil.rmtree(small_home / "share" / "CRSE")
    lea = sorted(participation(small_home)["reporting_lea"])[0]
    with instance_for_test() as instance:
        assert everything_for(small_home, lea, instance).success
    t = tables(small_home)
    assert t["crse_courses"].empty and t["cmp_match_results"].empty
    assert len(t["registration_roster"]) > 0  # students are shared all the same; their courses lack a catalog


def test_nothing_to_send(small_home):
    lea = sorted(participation(small_home)["reporting_lea"])[0]
    shutil.rmtree(small_home / "platform")  # nobody registered yet
    with instance_for_test() as instance:
        assert everything_for(small_home, lea, instance).success
    t = tables(small_home)
    assert t["verified_accounts"].empty and t["statewide_submissions"].empty and t["cde_extract"].empty
    assert not list((small_home / "exports").glob("UC/*.csv"))
    cde = pd.read_csv(small_home / "exports" / "cde" / "cde_extract.csv", dtype=str)
    assert cde.empty and list(cde.columns) == c.columns(c.CdeExtractRow)


@pytest.mark.parametrize("name", sorted(c.CONTRACTS))
def test_an_empty_contract_frame_has_the_contract_columns_and_validates(name):
    model = c.CONTRACTS[name]
    df = c.empty(model)
    assert list(df.columns) == c.columns(model)
    c.validate(df, model)
