"""Seed Diagram 1 step 2: CDE's limited, non-PII course share, one row per course."""

import duckdb
import pandas as pd
from dagster import materialize

from ccgi_assets import contracts as c
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.courses import resolve_courses
from ccgi_assets_tests.conftest import write_calpads
from resources import local_resources

LEA, SCHOOL = "0100001", "0100011"


def section(course, sec, name, code="9105", approved="Y", **kw):
    row = dict(reporting_lea=LEA, school_code=SCHOOL, academic_year="2025-2026", local_course_id=course,
               course_section_id=sec, course_name=name, state_course_code=code, uc_csu_approved_indicator=approved,
               instructional_level_code=None, ap_ib_cross_reference=None)
    row.update(kw)
    return row


def test_sections_become_one_course_with_its_content_area():
    courses, conflicts = resolve_courses(pd.DataFrame([section("0042", "1", "ENG 9 H"), section("0042", "2", "ENG 9 H"),
                                                       section("0050", "1", "ALG 2", code="9252")]))
    assert courses[["local_course_id", "section_count", "content_area"]].values.tolist() == [
        ["0042", 2, "English"], ["0050", 1, "Mathematics"]]
    assert courses["uc_csu_approved"].tolist() == [True, True]
    assert sum(conflicts.values()) == 0


def test_disagreeing_sections_are_counted_and_resolved_by_majority_then_lowest_section():
    rows = [section("0042", "3", "ENG 9 H"), section("0042", "1", "ENGLISH 9 HON"), section("0042", "2", "ENG 9 H"),
            # a tie on the approved flag: the lowest section ID's value wins
            section("0077", "B", "CHEM", code="9306", approved="N"), section("0077", "A", "CHEM", code="9306")]
    courses, conflicts = resolve_courses(pd.DataFrame(rows))
    by_id = courses.set_index("local_course_id")
    assert by_id.loc["0042", "course_name"] == "ENG 9 H"
    assert bool(by_id.loc["0077", "uc_csu_approved"]) is True
    assert conflicts["course_name"] == 1 and conflicts["uc_csu_approved_indicator"] == 1
    assert by_id.loc["0042", "conflicting_fields"] == 1


def test_the_course_share_never_reads_seids_class_ids_or_students(tmp_path):
    write_calpads(tmp_path, "CRSE", LEA, [dict(
        reporting_lea=LEA, school_of_course_delivery=SCHOOL, academic_year_id="2025-2026", state_course_code="9105",
        local_course_id="0042", course_name="ENG 9 H", uc_csu_approved_indicator="Y", course_section_id="S1",
        seid="1234567890", class_id="CLASS-XYZ", academic_term_code="FY")])
    res = local_resources(tmp_path)
    (tmp_path / "cmp").mkdir()
    result = materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=res)
    assert result.success
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    share_cols = {r[0] for r in con.execute("DESCRIBE calpads_share.crse").fetchall()}
    table = con.execute("SELECT * FROM ccgi.crse_courses").df()
    con.close()
    assert "seid" not in share_cols and "class_id" not in share_cols
    assert list(table.columns) == c.columns(c.CrseCourse)
    assert "1234567890" not in table.to_csv() and "CLASS-XYZ" not in table.to_csv()
    meta = result.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert meta["dagster/row_count"].value == 1 and meta["uc_csu_approved_courses"].value == 1
