"""Seed 2a step 3 / 2b step 2: students looked up in the most recent SENR and the current SINF.

CALPADS files are written row by row from the layout table and loaded into a real DuckDB warehouse through
the local share, as the pipeline does.
"""

import pandas as pd
import pytest

from ccgi_assets import students as st
from ccgi_assets_tests.conftest import write_calpads
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
    accepted, counts = st.classify_list(listed, rec, NORTH)
    assert accepted.tolist() == [STAYER, LEFT_STATE]
    assert counts == {"unknown_ssid": 1, "enrolled_in_another_lea": 1}


def test_statewide_model_takes_open_enrollments_in_grades_6_to_12_of_the_lea(share):
    share.prepare(["SENR"])
    north = share.query(st.ENROLLED_IN_LEA_SQL, lea=NORTH)["ssid"].tolist()
    assert north == [STAYER, RENAMED, SIXTH]  # not the mover, not the 4th grader, not the one who left
    assert share.query(st.ENROLLED_IN_LEA_SQL, lea=SOUTH)["ssid"].tolist() == [MOVER]


def test_roster_has_the_allowlisted_columns_only_and_only_this_leas_students(share):
    ids = [STAYER, RENAMED, MOVER]
    rec = recent_of(share, ids).reset_index()
    cur = share.query(st.CURRENT_SINF_SQL, frames={"ids": st.ids_frame(ids)})
    roster = st.build_roster(NORTH, rec, cur)
    assert roster["ssid"].tolist() == [STAYER, RENAMED]
    assert roster.set_index("ssid").loc[RENAMED, "legal_last_name"] == "New"
    text = roster.to_csv()
    for never in ("1 Main St", "Guardian", "NotBeShared", "Should"):
        assert never not in text


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
