"""The code location loads, and the graph has the lineage of the seed's diagrams."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

ROOT = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate_passes(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "CCGI_HOME": str(tmp_path / "home"),
           "DAGSTER_HOME": str(tmp_path / "dh"), "HOME": str(tmp_path)}
    (tmp_path / "dh").mkdir()
    proc = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w",
                           "workspace.yaml"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ccgi_assets" in proc.stdout + proc.stderr


def test_the_eight_assets_are_wired_like_the_seed():
    from ccgi_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    def parents(name):
        return {k.path[-1] for k in graph.get(AssetKey(name)).parent_keys}

    assert parents("crse_courses") == {"calpads_crse"}
    assert parents("cmp_match_results") == {"crse_courses", "uc_cmp_list"}
    assert {"optin_landing", "lea_participation", "calpads_senr"} <= parents("optin_students")
    assert {"optin_students", "calpads_sinf"} <= parents("registration_roster")
    assert {"registration_roster", "crse_courses", "calpads_scsc"} <= parents("student_courses")
    assert {"registration_roster", "platform_activity"} <= parents("verified_accounts")
    assert {"student_courses", "registration_roster", "verified_accounts", "platform_activity"} <= parents(
        "statewide_submissions")
    assert {"registration_roster", "verified_accounts", "platform_activity"} <= parents("cde_extract")
    assert {"cmp_match_results", "registration_roster", "verified_accounts", "platform_activity"} <= parents(
        "lea_reports")
    assert {"cmp_match_results", "crse_courses", "uc_cmp_list"} <= parents("course_match_reports")
    groups = {k.path[-1]: graph.get(k).group_name for k in graph.materializable_asset_keys}
    assert groups == {"crse_courses": "course_catalog_share", "cmp_match_results": "course_catalog_share",
                      "course_match_reports": "course_catalog_share",
                      "optin_students": "student_share", "registration_roster": "student_share",
                      "student_courses": "student_share", "verified_accounts": "platform_sharing",
                      "statewide_submissions": "platform_sharing",
                      "cde_extract": "platform_sharing", "lea_reports": "platform_sharing"}


def test_every_asset_shows_its_contract_columns_and_says_what_it_is_for():
    from ccgi_assets import contracts as c
    from ccgi_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, model in c.CONTRACTS.items():
        node = graph.get(AssetKey(name))
        schema = node.metadata["dagster/column_schema"]
        assert [col.name for col in schema.columns] == c.columns(model)
        assert node.description and "Receiver" in node.description


def test_the_sensor_schedule_and_automation_run_by_default():
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from ccgi_assets.assets.sources import SOURCE_KEYS
    from ccgi_assets.definitions import defs

    sensor = defs.resolve_sensor_def("optin_list_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    job = defs.resolve_job_def(sensor.job_name)
    targeted = {k.path[-1] for k in job.asset_layer.selected_asset_keys}
    assert targeted == {"optin_students", "registration_roster", "student_courses", "verified_accounts",
                        "statewide_submissions", "lea_reports", "cde_extract", "crse_courses", "cmp_match_results",
                        "course_match_reports", *(k.path[-1] for k in SOURCE_KEYS)}
    assert defs.resolve_sensor_def("ccgi_automation_sensor").default_status == DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("observe_sources_schedule").default_status == DefaultScheduleStatus.RUNNING
    assert {s.name for s in defs.sensors} == {"optin_list_sensor", "ccgi_automation_sensor"}


def test_column_lineage_names_real_upstream_assets_and_the_roster_pii_comes_from_sinf():
    from ccgi_assets import contracts as c
    from ccgi_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, model in c.CONTRACTS.items():
        node = graph.get(AssetKey(name))
        lineage = node.metadata.get("dagster/column_lineage")
        for col, deps in c.sources(model).items():
            assert col in c.columns(model)
            for asset, _ in deps:
                assert AssetKey(asset) in node.parent_keys or asset in {"optin_landing"}, (name, col, asset)
        if lineage is not None:
            assert set(lineage.deps_by_column) == set(c.sources(model))
    roster = c.sources(c.RegistrationRoster)
    assert {roster[col][0][0] for col in ("legal_first_name", "legal_last_name", "birth_date", "gender_code")} == {
        "calpads_sinf"}
