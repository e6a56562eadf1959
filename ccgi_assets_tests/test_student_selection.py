"""Seed 2a step 3 / 2b step 2: students looked up in the most recent SENR and the current SINF.

CALPADS files are written row by row from the layout table and loaded into a real DuckDB warehouse through
the local share, as the pipeline does.
"""

import pandas as pd
import pytest

from ccgi_assets import contracts as c
from ccgi_assets import students as st
from ccgi_assets_tests.conftest import write_calpads
from ccgi_assets_tests.test_snowflake import sf  # noqa: F401 - the fakesnow fixture
from resources import LocalCalpadsShare

NORTH, SOUTH = "0100001", "0200002"
HS_N, HS_S = "0111111", "0222222"
MOVER, STAYER, LEFT_STATE, RENAMED, SIXTH, FOURTH = ("1000000001", "1000000002", "1000000003", "1000000004",
                                                     "1000000005", "1000000006")


def senr(lea, school, ssid, start, grade="10", exit_date="", local="L1", status="10", tx=""):
    return dict(transaction_type_code=tx, reporting_lea=lea, school_of_attendance=school,
                academic_year_id="2025-2026", ssid=ssid, local_student_id=local, enrollment_start_date=start,
                enrollment_status_code=status, grade_level_code=grade, enrollment_exit_date=exit_date,
                student_legal_first_name="Should", student_legal_last_name="NotBeShared")


def sinf(lea, ssid, start, end="", last="Lopez", gender="F", **kw):
    row = dict(reporting_lea=lea, school_of_attendance=HS_N, ssid=ssid, local_student_id="L1",
               effective_start_date=start, effective_end_date=end, student_legal_first_name="Ana",
               student_legal_last_name=last, student_birth_date="20090307", student_gender_code=gender,
               hispanic_ethnicity_indicator="Y", race_1_code="700", address_line_1="1 Main St",
               guardian_1_first_name="Guardian")
    row.update(kw)
    return row


@pytest.fixture
def share(tmp_path):
    write_calpads(tmp_path, "SENR", NORTH, [
        senr(NORTH, HS_N, MOVER, "20230815", exit_date="20250110", local="N-9"),  # transferred out
        senr(NORTH, HS_N, STAYER, "20250814", local="00077"),
        senr(NORTH, HS_N, LEFT_STATE, "20240815", exit_date="20250301"),           # left, no new enrollment
        senr(NORTH, HS_N, RENAMED, "20250814", local="00078"),
        senr(NORTH, HS_N, SIXTH, "20250814", grade="06"),
        senr(NORTH, "0111112", FOURTH, "20250814", grade="04"),
        senr(NORTH, HS_N, STAYER, "20250814", status="30", exit_date="20250901"),  # same day, short-term, closed
    ])
    write_calpads(tmp_path, "SENR", SOUTH, [
        senr(SOUTH, HS_S, MOVER, "20250113", local="S-1"),                          # latest: South wins
    ])
    write_calpads(tmp_path, "SINF", NORTH, [
        sinf(NORTH, STAYER, "20230815"),
        sinf(NORTH, RENAMED, "20230815", end="20250501", last="Old", gender="M"),  # end-dated history
        sinf(NORTH, RENAMED, "20250502", last="New", gender="X"),                  # current
        sinf(NORTH, MOVER, "20230815"),
    ])
    return LocalCalpadsShare(home=str(tmp_path))


def recent_of(share, ssids):
    share.prepare(["SENR", "SINF"])
    return share.query(st.MOST_RECENT_SENR_SQL, frames={"ids": st.ids_frame(ssids)}).set_index("ssid")


def test_most_recent_enrollment_follows_a_transfer_to_the_later_lea(share):
    rec = recent_of(share, [MOVER])
    assert rec.loc[MOVER, "reporting_lea"] == SOUTH
    assert rec.loc[MOVER, "local_student_id"] == "S-1"
    assert pd.isna(rec.loc[MOVER, "enrollment_exit_date"])


def test_on_the_same_start_date_the_open_primary_enrollment_wins(share):
    rec = recent_of(share, [STAYER])
    assert rec.loc[STAYER, "local_student_id"] == "00077"
    assert pd.isna(rec.loc[STAYER, "enrollment_exit_date"])


def test_current_sinf_is_the_record_without_end_date(share):
    share.prepare(["SINF"])
    cur = share.query(st.CURRENT_SINF_SQL, frames={"ids": st.ids_frame([RENAMED, STAYER])}).set_index("ssid")
    assert cur.loc[RENAMED, "legal_last_name"] == "New"
    assert cur.loc[RENAMED, "gender_code"] == "X"
    assert len(cur) == 2


def test_list_validation_keeps_out_other_leas_students_and_unknown_ssids(share):
    listed = pd.Series([STAYER, MOVER, "9999999999", LEFT_STATE])
    rec = recent_of(share, listed).reset_index()
    accepted, counts = st.classify_list(listed, st.enrollment_lea(rec), NORTH)
    assert accepted.tolist() == [STAYER, LEFT_STATE]
    assert counts == {"unknown_ssid": 1, "enrolled_in_another_lea": 1}


def test_statewide_model_takes_open_enrollments_in_grades_6_to_12_of_the_lea(share):
    share.prepare(["SENR"])
    north = share.query(st.ENROLLED_IN_LEA_SQL, lea=NORTH)["ssid"].tolist()
    assert north == [STAYER, RENAMED, SIXTH]  # not the mover, not the 4th grader, not the one who left
    assert share.query(st.ENROLLED_IN_LEA_SQL, lea=SOUTH)["ssid"].tolist() == [MOVER]


def roster_of(share, pairs):
    share.prepare(["SENR", "SINF"])
    ids = pd.DataFrame(pairs, columns=["reporting_lea", "ssid"])
    return st.roster_frame(share.query(st.ROSTER_SQL, frames={"ids": ids}, arrow=True))


def test_roster_has_the_allowlisted_columns_only_and_only_this_leas_students(share):
    roster = roster_of(share, [(NORTH, STAYER), (NORTH, RENAMED), (NORTH, MOVER)])
    assert roster["ssid"].tolist() == [STAYER, RENAMED]
    assert roster.set_index("ssid").loc[RENAMED, "legal_last_name"] == "New"
    assert list(roster.columns) == c.columns(c.RegistrationRoster)
    text = roster.to_csv()
    for never in ("1 Main St", "Guardian", "NotBeShared", "Should"):
        assert never not in text


def test_one_roster_query_serves_many_leas_each_with_its_own_students_only(share):
    # both LEAs list the mover: only South, where the most recent enrollment is, gets the student
    roster = roster_of(share, [(NORTH, STAYER), (NORTH, MOVER), (SOUTH, MOVER), (SOUTH, STAYER), (NORTH, LEFT_STATE)])
    got = roster.set_index(["reporting_lea", "ssid"])
    assert sorted(got.index) == [(NORTH, STAYER), (NORTH, LEFT_STATE), (SOUTH, MOVER)]
    assert got.loc[(SOUTH, MOVER), "local_student_id"] == "S-1"  # the South enrollment's, not North's
    assert got.loc[(NORTH, STAYER), "local_student_id"] == "00077"
    assert pd.isna(got.loc[(NORTH, LEFT_STATE), "birth_date"])  # no SINF record: on the roster, without SINF
    assert got.loc[(NORTH, STAYER), "birth_date"] == pd.Timestamp("2009-03-07")


def scsc(lea, ssid, course, school=HS_N, year="2025-2026", term="FY", grade="A", ag="B", tx=""):
    return dict(transaction_type_code=tx, reporting_lea=lea, school_of_course_delivery=school,
                academic_year_id=year, ssid=ssid, local_course_id=course, academic_term_code=term,
                student_credits_earned="5", student_course_final_grade=grade, uc_csu_admission_requirement_code=ag)


def test_course_records_of_many_leas_join_the_catalog_in_one_query(share, tmp_path):
    write_calpads(tmp_path, "SCSC", NORTH, [
        scsc(NORTH, STAYER, "0042", term="S2"), scsc(NORTH, STAYER, "0042", term="S1"),
        scsc(NORTH, STAYER, "0099", ag=" "),                        # blank a-g code: none
        scsc(NORTH, STAYER, "0043", tx="D"),                        # a deleted record is never read
        scsc(NORTH, SIXTH, "0042"),                                 # not on any roster asked for
    ])
    write_calpads(tmp_path, "SCSC", SOUTH, [scsc(SOUTH, MOVER, "7", school=HS_S, ag="")])
    share.prepare(["SCSC"])
    catalog = pd.DataFrame({"school_code": [HS_N, HS_N, HS_S], "academic_year": ["2025-2026"] * 3,
                            "local_course_id": ["0042", "0099", "7"], "course_name": ["English 10", None, "Art"],
                            "state_course_code": ["2131", "2400", None]})
    ids = pd.DataFrame({"reporting_lea": [NORTH, SOUTH], "ssid": [STAYER, MOVER]})
    out = st.courses_frame(share.query(st.STUDENT_COURSES_SQL,
                                       frames={"ids": ids, "catalog": st.catalog_frame(catalog)}, arrow=True))
    assert list(out.columns) == c.columns(c.StudentCourse)
    assert list(zip(out["reporting_lea"], out["ssid"], out["local_course_id"], out["academic_term_code"])) == [
        (NORTH, STAYER, "0099", "FY"), (NORTH, STAYER, "0042", "S1"), (NORTH, STAYER, "0042", "S2"),
        (SOUTH, MOVER, "7", "FY")]  # by LEA, student, year, term, course
    def values(col):
        return [None if pd.isna(v) else v for v in out[col]]

    assert values("course_name")[:3] == [None, "English 10", "English 10"]
    assert values("state_course_code") == ["2400", "2131", "2131", None]
    assert values("ag_subject_area") == [None, "B", "B", None]
    assert out["credits_earned"].tolist() == [5.0] * 4


def test_previous_keys_of_many_leas_come_in_one_read(tmp_path):
    import duckdb

    from resources.settings import ASSET_SCHEMA
    from resources.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))
    assert len(wh.previous_keys_by_lea("registration_roster", [NORTH])) == 0  # no table yet
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(f"CREATE SCHEMA {ASSET_SCHEMA}")
    con.execute(f"CREATE TABLE {ASSET_SCHEMA}.registration_roster (reporting_lea VARCHAR, ssid VARCHAR)")
    con.execute(f"INSERT INTO {ASSET_SCHEMA}.registration_roster VALUES ('{NORTH}', '{STAYER}'), "
                f"('{NORTH}', '{RENAMED}'), ('{SOUTH}', '{MOVER}'), ('0300003', '{SIXTH}')")
    con.close()
    prev = wh.previous_keys_by_lea("registration_roster", [NORTH, SOUTH])
    assert sorted(zip(prev["reporting_lea"], prev["ssid"])) == [(NORTH, STAYER), (NORTH, RENAMED), (SOUTH, MOVER)]


def test_the_share_never_loads_columns_outside_its_allowlist(share):
    share.prepare(["SENR", "SINF"])
    with share.connect() as con:
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'calpads_share'").fetchall()}
    assert "address_line_1" not in cols and "guardian_1_first_name" not in cols
    assert "student_legal_first_name" in cols  # from SINF, for the roster
    with share.connect() as con:
        senr_cols = {r[0] for r in con.execute("DESCRIBE calpads_share.senr").fetchall()}
    assert "student_legal_first_name" not in senr_cols


def test_prepare_reloads_only_when_the_files_change(share, tmp_path):
    first = share.prepare(["SENR"])["SENR"]
    again = share.prepare(["SENR"])["SENR"]
    assert first["reloaded"] and not again["reloaded"]
    write_calpads(tmp_path, "SENR", SOUTH, [senr(SOUTH, HS_S, MOVER, "20250113"),
                                            senr(SOUTH, HS_S, "1000000099", "20250113")])
    changed = share.prepare(["SENR"])["SENR"]
    assert changed["reloaded"] and changed["rows_loaded"] == first["rows_loaded"] + 1


def test_roster_and_course_queries_give_the_same_rows_on_snowflake(small_home, sf):
    """The set-based roster and course records run in Snowflake (fakesnow) with the same SQL and rows."""
    from ccgi_assets_tests.test_snowflake import CREDS, load_share
    from resources import SnowflakeCalpadsShare

    local = LocalCalpadsShare(home=str(small_home))
    local.prepare(["SENR", "SINF", "SCSC"])
    leas = local.leas()
    ids = pd.concat([local.query(st.ENROLLED_IN_LEA_SQL, lea=lea).assign(reporting_lea=lea) for lea in leas])
    ids = ids[["reporting_lea", "ssid"]].reset_index(drop=True)
    catalog = local.query("SELECT DISTINCT school_of_course_delivery AS school_code, academic_year_id AS academic_year, "
                          "local_course_id, 'Course ' || local_course_id AS course_name, NULL AS state_course_code "
                          "FROM {SCSC} WHERE ssid < '5'")

    def both(share):
        roster = st.roster_frame(share.query(st.ROSTER_SQL, frames={"ids": ids}, arrow=True))
        courses = st.courses_frame(share.query(st.STUDENT_COURSES_SQL,
                                               frames={"ids": roster[["reporting_lea", "ssid"]],
                                                       "catalog": st.catalog_frame(catalog)}, arrow=True))
        return roster, courses

    here = both(local)
    for rt in ("SENR", "SINF", "SCSC"):
        load_share(sf, small_home, rt)
    there = both(SnowflakeCalpadsShare(database="CALPADS_SHARE", scratch_database="CCGI", **CREDS))
    assert len(here[0]) > 100 and len(here[1]) > 1000
    for a, b in zip(here, there):
        pd.testing.assert_frame_equal(a.astype(str).sort_values(list(a.columns)).reset_index(drop=True),
                                      b.astype(str).sort_values(list(b.columns)).reset_index(drop=True))
