"""The local CALPADS share reads what CDE sends: files anywhere under share/, routed by each row's record type
and LEA, the newest upload per LEA replacing earlier ones, and empty or shrinking uploads held until accepted."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pytest

from ccgi_assets_tests.conftest import calpads_line
from resources import LocalCalpadsShare, SnowflakeCalpadsShare

A, B, C = "0100001", "0200002", "0300003"
DAY = 86_400
T0 = 1_767_000_000  # a fixed epoch second for file times


def ssids(lea: str, n: int, start: int = 0) -> list[str]:
    return [f"{lea[:2]}{i:08d}" for i in range(start, start + n)]


def senr(lea: str, ssid: str, code: str = "SENR", trailer: str = "") -> str:
    line = calpads_line("SENR", record_type_code=code, reporting_lea=lea, school_of_attendance=lea[:2] + "00011",
                        academic_year_id="2025-2026", ssid=ssid, enrollment_start_date="20250815",
                        enrollment_status_code="10", grade_level_code="11")
    return line + trailer


def sinf(lea: str, ssid: str) -> str:
    return calpads_line("SINF", reporting_lea=lea, ssid=ssid, effective_start_date="20250815",
                        student_legal_first_name="Ana", student_legal_last_name="Peña", student_birth_date="20080501")


def scsc(lea: str, ssid: str, course: str) -> str:
    return calpads_line("SCSC", reporting_lea=lea, school_of_course_delivery=lea[:2] + "00011",
                        academic_year_id="2025-2026", ssid=ssid, local_course_id=course, course_section_id="1",
                        academic_term_code="FY", student_course_final_grade="A")


def put(home: Path, rel: str, lines: list[str], age_days: float = 0.0) -> Path:
    """Write a share file; ``age_days`` older than the reference time (larger = older upload)."""
    p = home / "share" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    t = T0 - age_days * DAY
    os.utime(p, (t, t))
    return p


def counts(share: LocalCalpadsShare, rt: str = "SENR") -> dict[str, int]:
    df = share.query(f"SELECT reporting_lea, count(*) AS n FROM {{{rt}}} GROUP BY 1 ORDER BY 1")
    return dict(zip(df["reporting_lea"], df["n"].astype(int)))


def not_used(figures: dict, rt: str = "SENR") -> dict[str, str]:
    return {e["file"]: e["reason"] for e in figures[rt]["files_not_used"]}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def share(home: Path) -> LocalCalpadsShare:
    return LocalCalpadsShare(home=str(home))


def test_flat_files_with_cde_names_and_subfolders_are_routed_by_record_type(home):
    put(home, f"SENR_{A}_20260301.txt", [senr(A, s) for s in ssids(A, 3)])
    put(home, f"2026/march/cde extract {B}.dat", [senr(B, s) for s in ssids(B, 2)])
    put(home, "students_info.txt", [sinf(A, s) for s in ssids(A, 3)])
    put(home, "deep/er/courses", [scsc(A, s, "0042") for s in ssids(A, 3)])
    s = share(home)
    figures = s.prepare(["SENR", "SINF", "SCSC", "CRSE"])
    assert counts(s) == {A: 3, B: 2}
    assert counts(s, "SINF") == {A: 3}
    assert counts(s, "SCSC") == {A: 3}
    assert counts(s, "CRSE") == {}  # no CRSE rows: an empty table, not a missing one
    assert s.leas() == [A, B]
    assert figures["SENR"]["files_used"] == [f"2026/march/cde extract {B}.dat", f"SENR_{A}_20260301.txt"]
    assert figures["SENR"]["rows_loaded"] == 5 and not figures["SENR"]["held"]


def test_a_file_mixing_leas_and_record_types_sends_each_row_to_its_table(home):
    put(home, "extract.txt", [senr(A, ssids(A, 1)[0]), sinf(A, ssids(A, 1)[0]), senr(B, ssids(B, 1)[0]),
                              senr(B, ssids(B, 2)[1]), "XXXX^not a record"])
    s = share(home)
    figures = s.prepare(["SENR", "SINF"])
    assert counts(s) == {A: 1, B: 2} and counts(s, "SINF") == {A: 1}
    # the unknown row is counted once, with the file's first record type, by file and rule
    assert figures["SENR"]["rejected_by_rule"] == {"unknown_record_type": 1}
    assert figures["SINF"]["rows_rejected"] == 0


def test_a_newer_upload_replaces_an_older_one_for_its_lea_only(home):
    put(home, "extract.txt", [senr(A, x) for x in ssids(A, 4)] + [senr(B, x) for x in ssids(B, 3)], age_days=10)
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 3, start=100)], age_days=1)
    s = share(home)
    figures = s.prepare(["SENR"])
    assert counts(s) == {A: 3, B: 3}
    got = set(s.query("SELECT ssid FROM {SENR} WHERE reporting_lea = $lea", lea=A)["ssid"])
    assert got == set(ssids(A, 3, start=100))
    assert figures["SENR"]["files_not_used"] == [{"file": "extract.txt", "reason": "superseded", "leas": [A]}]
    assert figures["SENR"]["files_used"] == [f"SENR/{A}.txt", "extract.txt"]


def test_ods_extracts_are_ordered_by_their_upload_date(home):
    ods = lambda lea, x, up: senr(lea, x, code="SENR-R", trailer=f"^{up}^{up}")  # noqa: E731
    # the file written last carries the older upload date: the upload date decides
    put(home, "ods/senr_march.txt", [ods(A, x, "20260301") for x in ssids(A, 2)], age_days=5)
    put(home, "ods/senr_feb.txt", [ods(A, x, "20260201") for x in ssids(A, 2, start=50)], age_days=0)
    put(home, "ods/senr_other.txt", [ods(B, x, "20260101") for x in ssids(B, 2)])
    s = share(home)
    figures = s.prepare(["SENR"])
    assert set(s.query("SELECT ssid FROM {SENR} WHERE reporting_lea = $lea", lea=A)["ssid"]) == set(ssids(A, 2))
    assert counts(s) == {A: 2, B: 2}
    assert not_used(figures) == {"ods/senr_feb.txt": "superseded"}


def test_a_backup_copy_of_scsc_adds_no_duplicate_courses_and_is_named(home, caplog):
    rows = [scsc(A, x, "0042") for x in ssids(A, 3)]
    put(home, f"SCSC/{A}.txt", rows)
    put(home, f"SCSC/{A}.txt.bak", rows)
    put(home, f"SCSC/{A}.txt~", rows)
    put(home, f"SCSC/.{A}.txt.swp", rows)
    put(home, f"SCSC/{A}.tmp", rows)
    put(home, f"SCSC/{A}.txt.part", rows)
    s = share(home)
    with caplog.at_level(logging.WARNING):
        figures = s.prepare(["SCSC"])
    assert counts(s, "SCSC") == {A: 3}
    assert s.query("SELECT count(DISTINCT ssid) AS n FROM {SCSC}")["n"][0] == 3
    assert not_used(figures, "SCSC") == {
        f"SCSC/{A}.txt.bak": "backup_or_temp", f"SCSC/{A}.txt~": "backup_or_temp",
        f"SCSC/.{A}.txt.swp": "hidden", f"SCSC/{A}.tmp": "backup_or_temp", f"SCSC/{A}.txt.part": "backup_or_temp"}
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert f"SCSC/{A}.txt.bak (backup_or_temp)" in warned


def _first_load(home: Path) -> LocalCalpadsShare:
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 10)], age_days=3)
    put(home, f"SENR/{B}.txt", [senr(B, x) for x in ssids(B, 4)], age_days=3)
    s = share(home)
    s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 4}
    assert s.held().empty
    return s


def test_an_empty_upload_keeps_the_leas_rows_and_holds_it(home, caplog):
    s = _first_load(home)
    (home / "share" / "SENR" / f"{A}.txt").write_bytes(b"")  # 0 bytes
    put(home, f"SENR/{B}.txt", [senr(B, x) for x in ssids(B, 5, start=20)])  # B's new upload loads normally
    with caplog.at_level(logging.WARNING):
        figures = s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 5}
    assert set(s.query("SELECT ssid FROM {SENR} WHERE reporting_lea = $lea", lea=A)["ssid"]) == set(ssids(A, 10))
    held = s.held()
    assert held.to_dict("records") == [dict(reporting_lea=A, record_type="SENR", file=f"SENR/{A}.txt",
                                            reason="empty_upload", rows_before=10, rows_now=0)]
    assert list(held.columns) == ["reporting_lea", "record_type", "file", "reason", "rows_before", "rows_now"]
    assert s.held([B]).empty and len(s.held([A, B])) == 1
    assert figures["SENR"]["held"][0]["reason"] == "empty_upload"
    assert any(f"LEA {A} held" in r.getMessage() and "empty_upload" in r.getMessage() for r in caplog.records)
    # the rows kept survive a later reload caused by another LEA's change
    put(home, f"SENR/{B}.txt", [senr(B, x) for x in ssids(B, 4, start=40)])
    s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 4} and len(s.held([A])) == 1


def test_an_upload_with_no_valid_row_is_held_like_an_empty_one(home):
    s = _first_load(home)
    bad = [senr(A, x).replace("20250815", "20251345") for x in ssids(A, 10)]  # every date invalid
    put(home, f"SENR/{A}.txt", bad)
    figures = s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 4}
    assert s.held()[["reporting_lea", "reason", "rows_now"]].values.tolist() == [[A, "empty_upload", 0]]
    assert figures["SENR"]["rejected_by_rule"] == {"bad_date": 10}


def test_an_upload_that_cuts_an_lea_by_more_than_half_is_held_and_half_is_not(home):
    s = _first_load(home)
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 4)])  # 10 -> 4: more than half gone
    put(home, f"SENR/{B}.txt", [senr(B, x) for x in ssids(B, 2)])  # 4 -> 2: exactly half, applied
    s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 2}
    assert s.held().to_dict("records") == [dict(reporting_lea=A, record_type="SENR", file=f"SENR/{A}.txt",
                                                reason="shrinks_by_more_than_half", rows_before=10, rows_now=4)]


@pytest.mark.parametrize("entry", ["reporting_lea,record_type\n{A},SENR\n", "file\nSENR/{A}.txt\n",
                                   "reporting_lea,record_type,file,note\n{A},,{A}.txt,checked with the LEA\n"])
def test_an_accept_entry_releases_the_held_upload(home, entry):
    s = _first_load(home)
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 3)])
    s.prepare(["SENR"])
    assert counts(s)[A] == 10 and len(s.held([A])) == 1
    cfg = home / "config" / "calpads_accept.csv"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(entry.format(A=A), encoding="utf-8")
    s.prepare(["SENR"])
    assert counts(s) == {A: 3, B: 4}
    assert s.held().empty


def test_an_accept_entry_for_another_lea_or_file_releases_nothing(home):
    s = _first_load(home)
    (home / "share" / "SENR" / f"{A}.txt").write_bytes(b"")
    cfg = home / "config" / "calpads_accept.csv"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(f"reporting_lea,record_type,file\n{B},SENR,\n{A},SINF,\n,,other.txt\n{A},,\n", encoding="utf-8")
    s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 4} and len(s.held([A])) == 1


def test_an_empty_newer_file_under_another_name_is_held_and_the_older_one_superseded(home):
    s = _first_load(home)
    put(home, f"incoming/SENR_{A}_20260302.txt", [])
    figures = s.prepare(["SENR"])
    assert counts(s) == {A: 10, B: 4}
    assert s.held()[["file", "reason"]].values.tolist() == [[f"incoming/SENR_{A}_20260302.txt", "empty_upload"]]
    assert not_used(figures)[f"SENR/{A}.txt"] == "superseded"


def test_an_empty_file_on_a_first_load_holds_nothing_and_is_named(home):
    put(home, f"SENR/{A}.txt", [])
    put(home, "stray.txt", [])
    put(home, f"SENR/{B}.txt", [senr(B, x) for x in ssids(B, 2)])
    s = share(home)
    figures = s.prepare(["SENR"])
    assert counts(s) == {B: 2} and s.held().empty
    assert not_used(figures) == {f"SENR/{A}.txt": "empty", "stray.txt": "empty"}


def test_figures_name_files_and_count_rows_but_hold_no_row_value(home):
    s = _first_load(home)
    (home / "share" / "SENR" / f"{A}.txt").write_bytes(b"")
    put(home, f"SENR/{B}.txt.bak", [senr(B, x) for x in ssids(B, 4)])
    figures = s.prepare(["SENR"])
    text = json.dumps(figures)
    assert f"SENR/{B}.txt.bak" in text
    for x in ssids(A, 10) + ssids(B, 4) + ["Ana", "Peña", "20080501"]:
        assert x not in text


def test_unchanged_files_are_not_reloaded_and_figures_repeat(home):
    s = _first_load(home)
    first = s.prepare(["SENR"])
    again = s.prepare(["SENR"])
    assert first["SENR"]["reloaded"] is False and again["SENR"]["reloaded"] is False
    assert again["SENR"]["files_used"] == [f"SENR/{A}.txt", f"SENR/{B}.txt"]


def test_a_link_to_a_file_outside_the_share_is_not_read(home, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(senr(C, ssids(C, 1)[0]) + "\n", encoding="utf-8")
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 2)])
    os.symlink(outside, home / "share" / "SENR" / f"{C}.txt")
    s = share(home)
    figures = s.prepare(["SENR"])
    assert counts(s) == {A: 2}
    assert not_used(figures)[f"SENR/{C}.txt"] == "link_outside_share"


def test_the_sensor_fingerprint_follows_uploads_of_its_record_type(home):
    put(home, f"CRSE_{A}.txt", [calpads_line("CRSE", reporting_lea=A, local_course_id="0042")])
    put(home, f"SENR_{A}.txt", [senr(A, x) for x in ssids(A, 2)])
    s = share(home)
    crse = s.fingerprint("CRSE")
    assert crse and f"CRSE_{A}.txt" in crse and f"SENR_{A}.txt" not in crse
    put(home, f"SENR_{A}.txt", [senr(A, x) for x in ssids(A, 3)])
    assert s.fingerprint("CRSE") == crse
    put(home, f"CRSE_{A}.txt", [calpads_line("CRSE", reporting_lea=A, local_course_id="0043")], age_days=-1)
    assert s.fingerprint("CRSE") != crse


def test_snowflake_share_holds_nothing():
    sf = SnowflakeCalpadsShare(account="acct", user="u", database="CALPADS_SHARE")
    held = sf.held(["0100001"])
    assert held.empty
    assert list(held.columns) == ["reporting_lea", "record_type", "file", "reason", "rows_before", "rows_now"]
    assert isinstance(held, pd.DataFrame)


def test_a_change_of_one_record_type_reloads_that_type_only(home):
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 2)], age_days=2)
    put(home, f"SCSC/{A}.txt", [scsc(A, x, "0042") for x in ssids(A, 2)], age_days=2)
    s = share(home)
    first = s.prepare(["SENR", "SCSC"])
    assert first["SENR"]["reloaded"] and first["SCSC"]["reloaded"]
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 3)])
    figures = s.prepare(["SENR", "SCSC"])
    assert figures["SENR"]["reloaded"] and not figures["SCSC"]["reloaded"]
    assert counts(s) == {A: 3} and counts(s, "SCSC") == {A: 2}
    # a stray copy next to the SCSC file is named at the next load of SCSC
    put(home, f"SCSC/{A}.txt.bak", [scsc(A, x, "0042") for x in ssids(A, 2)])
    figures = s.prepare(["SENR", "SCSC"])
    assert not figures["SENR"]["reloaded"] and figures["SCSC"]["reloaded"]
    assert not_used(figures, "SCSC") == {f"SCSC/{A}.txt.bak": "backup_or_temp"}
    # removing a file reloads its record type: the LEA's rows go with it
    (home / "share" / "SCSC" / f"{A}.txt").unlink()
    figures = s.prepare(["SCSC"])
    assert counts(s, "SCSC") == {} and figures["SCSC"]["leas_removed"] == [A]


def test_a_zero_byte_senr_upload_leaves_the_leas_student_share_as_it_was(small_home):
    """The issue's case end to end: before, a 0-byte share/SENR/<lea>.txt emptied the LEA's roster and courses."""
    import duckdb
    from dagster import instance_for_test, materialize

    from ccgi_assets.assets import ASSETS, SOURCES
    from ccgi_assets.partitions import lea_partitions
    from resources import local_resources

    flow = ["optin_students", "registration_roster", "student_courses"]
    models = pd.read_csv(small_home / "config" / "lea_participation.csv", dtype=str)
    lea, other = sorted(models.loc[models["model"] == "opt_in", "reporting_lea"])[:2]

    def tables():
        con = duckdb.connect(str(small_home / "warehouse.duckdb"), read_only=True)
        try:
            return {t: con.execute(f"SELECT reporting_lea, count(*) FROM ccgi.{t} GROUP BY 1 ORDER BY 1").fetchall()
                    for t in ("registration_roster", "student_courses")}
        finally:
            con.close()

    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, [lea, other])
        res = local_resources(small_home)
        materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=res, instance=instance)
        for key in (lea, other):
            assert materialize([*SOURCES, *ASSETS], selection=flow, partition_key=key, resources=res,
                               instance=instance).success
        before = tables()
        assert all(dict(rows).get(lea, 0) > 0 for rows in before.values())
        (small_home / "share" / "SENR" / f"{lea}.txt").write_bytes(b"")
        stopped = materialize([*SOURCES, *ASSETS], selection=flow, partition_key=lea, resources=res,
                              instance=instance, raise_on_error=False)
        assert not stopped.success  # the held LEA stops, saying why
        from dagster import DagsterEventType

        failure = [e for e in stopped.all_events if e.event_type == DagsterEventType.STEP_FAILURE][0]
        message = str(failure.event_specific_data.error.message)
        assert f"SENR SENR/{lea}.txt: empty_upload" in message and "calpads_accept.csv" in message
        assert materialize([*SOURCES, *ASSETS], selection=flow, partition_key=other, resources=res,
                           instance=instance).success  # other LEAs go on
        assert tables() == before  # the LEA's previous rows stand
        held = res["calpads"].held([lea])
        assert held[["reporting_lea", "record_type", "file", "reason"]].values.tolist() == [
            [lea, "SENR", f"SENR/{lea}.txt", "empty_upload"]]
        assert res["calpads"].held([other]).empty
        # the operator accepts the empty upload: the LEA's run goes through and its share is empty now
        (small_home / "config" / "calpads_accept.csv").write_text(f"reporting_lea,record_type,file,note\n{lea},SENR,,ok\n")
        assert materialize([*SOURCES, *ASSETS], selection=flow, partition_key=lea, resources=res,
                           instance=instance).success
        assert lea not in dict(tables()["registration_roster"])


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_share_files_in_the_encodings_seen_in_the_field_load(home, encoding):
    p = home / "share" / f"senr_{A}.txt"
    p.parent.mkdir(parents=True)
    p.write_bytes("".join(sinf(A, x) + "\r\n" for x in ssids(A, 2)).encode(encoding))
    s = share(home)
    figures = s.prepare(["SINF"])
    assert counts(s, "SINF") == {A: 2} and figures["SINF"]["rows_rejected"] == 0
    assert set(s.query("SELECT student_legal_last_name AS n FROM {SINF}")["n"]) == {"Peña"}


def test_files_with_no_share_rows_are_named(home):
    put(home, "README.txt", ["These are the March files", "call Ana at the district"])
    put(home, f"CRSC_{A}.txt", [calpads_line("CRSE", record_type_code="CRSC", reporting_lea=A, local_course_id="0042")])
    put(home, f"SENR/{A}.txt", [senr(A, x) for x in ssids(A, 2)])
    s = share(home)
    figures = s.prepare(["SENR", "CRSE"])
    assert counts(s) == {A: 2} and counts(s, "CRSE") == {}
    for rt in ("SENR", "CRSE"):
        assert not_used(figures, rt) == {"README.txt": "no_calpads_rows", f"CRSC_{A}.txt": "record_type_not_shared"}
    assert "Ana" not in json.dumps(figures)
