"""CALPADS reader: both forms, both encodings, every malformed-row rule, and load/read parity.

Rows are built from the layout table itself, so these tests follow the layout when the CFS moves
fields. The personal data in them is made up but real-looking, so a leak would be visible.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ccgi_assets.calpads import (
    RULES,
    CalpadsFormatError,
    layout,
    load_calpads,
    read_calpads,
    read_calpads_with_report,
)

# Personal values that must never reach an error message.
FIRST, LAST, SSID, BIRTH, LOCAL_ID = "Guadalupe", "Villaseñor", "4829103756", "20090314", "000731942"
PII_VALUES = [FIRST, LAST, SSID, BIRTH, LOCAL_ID, "Villase"]


def row(record_type: str, **values: str) -> str:
    """One caret-delimited record of ``record_type`` (``SENR-R`` for the ODS form); blanks elsewhere."""
    fields = layout(record_type)
    names = {f.name for f in fields}
    unknown = set(values) - names
    assert not unknown, unknown
    out = []
    for f in fields:
        if f.name == "record_type_code":
            out.append(values.get(f.name, record_type))
        else:
            out.append(values.get(f.name, ""))
    return "^".join(out)


def senr(ssid=SSID, first=FIRST, last=LAST, birth=BIRTH, rt="SENR", **kw) -> str:
    base = dict(
        reporting_lea="0100001", school_of_attendance="0112345", academic_year_id="2024-2025", ssid=ssid,
        local_student_id=LOCAL_ID, student_legal_first_name=first, student_legal_last_name=last,
        student_birth_date=birth, student_gender_code="F", enrollment_start_date="20240814",
        enrollment_status_code="10", grade_level_code="09",
    )
    base.update(kw)
    return row(rt, **base)


def scsc(ssid=SSID, rt="SCSC", **kw) -> str:
    base = dict(
        reporting_lea="0100001", school_of_course_delivery="0112345", academic_year_id="2024-2025", ssid=ssid,
        local_student_id=LOCAL_ID, student_legal_first_name=FIRST, student_legal_last_name=LAST,
        student_birth_date=BIRTH, student_gender_code="F", local_course_id="ENG9H", course_section_id="101",
        academic_term_code="S1", student_credits_attempted="5.00", student_credits_earned="5",
        student_course_final_grade="A-", uc_csu_admission_requirement_code="B",
    )
    base.update(kw)
    return row(rt, **base)


def crse(rt="CRSE", **kw) -> str:
    base = dict(
        reporting_lea="0100001", school_of_course_delivery="0112345", academic_year_id="2024-2025",
        state_course_code="2110", local_course_id="ENG9H", course_name="English 9 Honors",
        uc_csu_approved_indicator="Y", course_section_id="101", academic_term_code="S1",
        reserved_9_10="SECRET-RESERVED",
    )
    base.update(kw)
    return row(rt, **base)


def write(path: Path, lines: list[str], encoding="utf-8", newline="\n", bom=False) -> Path:
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def assert_no_values(exc: BaseException, values=PII_VALUES) -> None:
    texts = [str(exc), repr(exc)] + [repr(a) for a in exc.args] + [repr(v) for v in vars(exc).values()]
    for value in values:
        for text in texts:
            assert value not in text, f"{value!r} leaked into the error"
    assert exc.__cause__ is None and exc.__context__ is None  # no chained error carrying values


# ---------------------------------------------------------------------------------------------
# layouts


def test_layout_aliases_and_ods_form():
    assert layout("CRSC") == layout("CRSE")
    assert layout("SCSE") == layout("SCSC")
    ods = layout("SENR-R")
    assert ods[: len(layout("SENR"))] == layout("SENR")
    assert [(f.name, f.type) for f in ods[-2:]] == [("upload_date", "DT"), ("last_updated_date", "DT")]
    assert {f.type for f in layout("SCSC")} == {"CS", "DT", "NU"}
    with pytest.raises(ValueError, match="SASS"):
        layout("SASS")


# ---------------------------------------------------------------------------------------------
# happy paths


def test_submission_form_types_leading_zeros_and_blanks(tmp_path):
    path = write(tmp_path / "0100001.txt", [
        senr(ssid="0012345678", local_student_id="000042", enrollment_exit_date=""),
        senr(ssid="0012345679", transaction_type_code="D", enrollment_exit_date="20250606"),
    ])
    df = read_calpads(path)
    assert len(df) == 2
    assert df["ssid"].tolist() == ["0012345678", "0012345679"]
    assert df["local_student_id"].tolist() == ["000042", LOCAL_ID]
    assert df["reporting_lea"].iloc[0] == "0100001"
    assert df["grade_level_code"].iloc[0] == "09"
    assert df["ssid"].dtype == pd.StringDtype("pyarrow")
    assert df["student_legal_first_name"].iloc[0] == FIRST and df["student_legal_last_name"].iloc[0] == LAST
    assert df["student_birth_date"].iloc[0] == pd.Timestamp("2009-03-14")
    assert pd.api.types.is_datetime64_any_dtype(df["enrollment_exit_date"].dtype)
    assert pd.isna(df["enrollment_exit_date"].iloc[0])
    assert df["enrollment_exit_date"].iloc[1] == pd.Timestamp("2025-06-06")
    assert df["transaction_type_code"].tolist() == ["A", "D"]  # blank means add/update
    assert pd.isna(df["student_legal_middle_name"].iloc[0])  # blank string field
    assert "upload_date" not in df.columns  # submission form: no ODS trailer
    assert df.attrs["rejected"] == {} and df.attrs["rows_read"] == 2


def test_numbers_are_floats_and_blank_is_nan(tmp_path):
    path = write(tmp_path / "scsc.txt", [scsc(), scsc(student_credits_attempted="", student_credits_earned="2.5")])
    df = read_calpads(path)
    assert df["student_credits_attempted"].dtype == np.float64
    assert df["student_credits_attempted"].iloc[0] == 5.0 and np.isnan(df["student_credits_attempted"].iloc[1])
    assert df["student_credits_earned"].tolist() == [5.0, 2.5]
    assert df["student_course_final_grade"].iloc[0] == "A-"


def test_ods_extract_form(tmp_path):
    path = write(tmp_path / "ods.txt", [
        senr(rt="SENR-R", upload_date="20250110", last_updated_date="20250112"),
        senr(rt="SENR-R", ssid="1111111111", upload_date="20250110", last_updated_date=""),
    ])
    df = read_calpads(path, columns=["record_type_code", "record_type", "ssid", "upload_date", "last_updated_date"])
    assert df["record_type_code"].tolist() == ["SENR-R", "SENR-R"]
    assert df["record_type"].tolist() == ["SENR", "SENR"]
    assert df["upload_date"].tolist() == [pd.Timestamp("2025-01-10")] * 2
    assert df["last_updated_date"].iloc[0] == pd.Timestamp("2025-01-12") and pd.isna(df["last_updated_date"].iloc[1])
    # default columns include the ODS trailer for an ODS file
    assert {"upload_date", "last_updated_date"} <= set(read_calpads(path).columns)


@pytest.mark.parametrize("encoding,bom,newline", [("utf-8", False, "\n"), ("utf-8", True, "\r\n"), ("cp1252", False, "\r\n")])
def test_encodings_round_trip(tmp_path, encoding, bom, newline):
    path = write(tmp_path / "enc.txt", [senr(first="José", last="Peña"), senr(first="Zoë", last="O'Brien-Núñez")],
                 encoding=encoding, newline=newline, bom=bom)
    df = read_calpads(path, columns=["record_type_code", "student_legal_first_name", "student_legal_last_name", "grade_level_code"])
    assert df["student_legal_first_name"].tolist() == ["José", "Zoë"]
    assert df["student_legal_last_name"].tolist() == ["Peña", "O'Brien-Núñez"]
    assert df["record_type_code"].tolist() == ["SENR", "SENR"]  # BOM stripped
    assert df["grade_level_code"].tolist() == ["09", "09"]  # no stray \r on the last field


def test_cp1252_typographic_characters(tmp_path):
    # 0x80-0x9F differ between cp1252 and latin-1: the euro sign and curly quotes must survive
    path = write(tmp_path / "q.txt", [crse(course_name="Art \u2019Studio\u2019 \u20ac")], encoding="cp1252")
    assert read_calpads(path)["course_name"].tolist() == ["Art \u2019Studio\u2019 \u20ac"]


def test_crsc_read_with_crse_layout_and_reserved_dropped(tmp_path):
    path = write(tmp_path / "crsc.txt", [crse(rt="CRSC"), crse(rt="CRSC", local_course_id="0042")])
    df = read_calpads(path)
    assert df["record_type_code"].tolist() == ["CRSC", "CRSC"]
    assert df["course_name"].iloc[0] == "English 9 Honors"
    assert df["local_course_id"].tolist() == ["ENG9H", "0042"]
    assert not [c for c in df.columns if c.startswith("reserved")]
    assert "SECRET-RESERVED" not in df.astype(str).to_numpy().ravel().tolist()
    expected = [f.name for f in layout("CRSE") if f.kind != "reserved"]
    assert list(df.columns) == expected


def test_columns_minimization(tmp_path):
    path = write(tmp_path / "s.txt", [senr(), senr(ssid="0000000001")])
    df = read_calpads(path, columns=["ssid", "enrollment_start_date", "source_line"])
    assert list(df.columns) == ["ssid", "enrollment_start_date", "source_line"]
    assert df["ssid"].tolist() == [SSID, "0000000001"]
    assert df["source_line"].tolist() == [1, 2]
    with pytest.raises(ValueError, match="student_shoe_size"):
        read_calpads(path, columns=["ssid", "student_shoe_size"])
    crse_path = write(tmp_path / "c.txt", [crse()])
    with pytest.raises(ValueError, match="reserved_9_10"):
        read_calpads(crse_path, columns=["reserved_9_10"])


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert len(read_calpads(path)) == 0
    df = read_calpads(path, columns=["ssid"], record_type="SENR")
    assert list(df.columns) == ["ssid"] and len(df) == 0


# ---------------------------------------------------------------------------------------------
# malformed rows: one case per rule; the bad row carries real-looking personal data

BAD_ROWS = {
    "field_count": [senr().rsplit("^", 1)[0]],  # one field short
    "field_count_trailing_caret": [senr() + "^"],
    "bad_date": [senr(birth="20090230")],  # impossible date
    "bad_date_format": [senr(birth="2009314")],
    "bad_number": [scsc(student_credits_attempted="5,0")],
    "unknown_record_type": [senr(rt="SENR").replace("SENR", "SNER", 1)],
    "mixed_record_types": [row("SINF", ssid=SSID, student_legal_first_name=FIRST, student_birth_date=BIRTH)],
    "mixed_crse_crsc": [crse(rt="CRSC")],
    "mixed_forms": [senr(rt="SENR-R", upload_date="20250101", last_updated_date="20250101")],
    "too_long": [senr(student_gender_code="FF")],
}
RULE_OF = {
    "field_count_trailing_caret": "field_count",
    "bad_date_format": "bad_date",
    "mixed_crse_crsc": "mixed_record_types",
    "mixed_forms": "mixed_record_types",
}


def _good_for(case: str) -> str:
    if case == "bad_number":
        return scsc(ssid="1000000001")
    if case == "mixed_crse_crsc":
        return crse()
    return senr(ssid="1000000001", first="Ann", last="Lee", birth="20080101")


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_malformed_row_raises_with_file_line_rule_and_no_values(tmp_path, case):
    rule = RULE_OF.get(case, case)
    good = _good_for(case)
    # line 1 good, line 2 blank (still counted as a physical line), line 3 bad, line 4 good
    path = write(tmp_path / "0100001.txt", [good, "", *BAD_ROWS[case], good])
    with pytest.raises(CalpadsFormatError) as info:
        read_calpads(path)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert (exc.path, exc.line, exc.rule) == (str(path), 3, rule)
    assert "0100001.txt" in str(exc) and "line 3" in str(exc) and rule in str(exc)
    assert_no_values(exc)

    report = read_calpads_with_report(path, on_error="skip")
    assert report.rejected == {rule: 1}
    assert report.rows_read == 3
    assert len(report.frame) == 2


def test_field_rules_name_the_column(tmp_path):
    path = write(tmp_path / "f.txt", [senr(enrollment_exit_date="2025-06-06")])
    with pytest.raises(CalpadsFormatError) as info:
        read_calpads(path)
    assert info.value.column == "enrollment_exit_date" and "enrollment_exit_date" in str(info.value)
    assert "2025-06-06" not in str(info.value)


def test_undefined_cp1252_byte_rejects_the_row(tmp_path):
    good = senr(first="José").encode("cp1252")
    bad = senr().encode("cp1252").replace(b"Guadalupe", b"Guada\x81lupe")
    path = tmp_path / "x.txt"
    path.write_bytes(good + b"\r\n" + bad + b"\r\n" + good + b"\r\n")
    with pytest.raises(CalpadsFormatError) as info:
        read_calpads(path)
    assert (info.value.line, info.value.rule) == (2, "encoding")
    assert_no_values(info.value)
    report = read_calpads_with_report(path, on_error="skip")
    assert report.rejected == {"encoding": 1}
    assert report.frame["student_legal_first_name"].tolist() == ["José", "José"]


def test_skip_mode_counts_per_rule_and_keeps_line_order(tmp_path):
    lines = [
        senr(ssid="0000000001"),
        senr(ssid="0000000002", birth="20091301"),
        senr(ssid="0000000003") + "^",
        senr(ssid="0000000004", grade_level_code="123"),
        "",
        "   ",
        senr(ssid="0000000005", birth="2009-03-14"),
        "HELLO^world",
        senr(ssid="0000000006"),
    ]
    path = write(tmp_path / "s.txt", lines)
    df = read_calpads(path, on_error="skip", columns=["ssid", "source_line"])
    assert df["ssid"].tolist() == ["0000000001", "0000000006"]
    assert df["source_line"].tolist() == [1, 9]
    assert df.attrs["rejected"] == {"bad_date": 2, "field_count": 1, "too_long": 1, "unknown_record_type": 1}
    assert df.attrs["rows_read"] == 7  # blank lines are not rows
    assert set(df.attrs["rejected"]) <= set(RULES)


def test_first_bad_line_is_reported_whatever_the_rule_order(tmp_path):
    lines = [senr(), senr(birth="20090231"), senr() + "^", senr(grade_level_code="123")]
    with pytest.raises(CalpadsFormatError) as info:
        read_calpads(write(tmp_path / "s.txt", lines))
    assert (info.value.line, info.value.rule) == (2, "bad_date")


def test_lone_carriage_return_does_not_shift_line_numbers(tmp_path):
    # a CR inside a field is data, not a line break: the following line numbers stay physical
    lines = [senr(ssid="0000000001", first="Ana\rMaria"), senr(ssid="0000000002"), senr(ssid="0000000003", birth="x")]
    path = write(tmp_path / "cr.txt", lines)
    with pytest.raises(CalpadsFormatError) as info:
        read_calpads(path)
    assert (info.value.line, info.value.rule) == (3, "bad_date")
    df = read_calpads(path, on_error="skip", columns=["ssid", "student_legal_first_name", "source_line"])
    assert df["ssid"].tolist() == ["0000000001", "0000000002"]
    assert df["student_legal_first_name"].tolist() == ["Ana\rMaria", FIRST]
    assert df["source_line"].tolist() == [1, 2]


def test_on_error_must_be_known(tmp_path):
    with pytest.raises(ValueError, match="on_error"):
        read_calpads(write(tmp_path / "s.txt", [senr()]), on_error="ignore")


# ---------------------------------------------------------------------------------------------
# load_calpads (DuckDB)


def _frames_equal(loaded: pd.DataFrame, read: pd.DataFrame) -> None:
    assert list(loaded.columns) == list(read.columns)
    for c in read.columns:
        a, b = loaded[c], read[c]
        if pd.api.types.is_datetime64_any_dtype(b.dtype):
            assert a.astype("datetime64[us]").tolist() == b.tolist(), c
        elif pd.api.types.is_float_dtype(b.dtype):
            np.testing.assert_array_equal(a.to_numpy(dtype=float), b.to_numpy(), err_msg=c)
        else:
            assert a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist(), c


@pytest.mark.parametrize("form", ["SCSC", "SCSC-R"])
def test_load_matches_read_on_the_same_files(tmp_path, form):
    ods = {"upload_date": "20250110", "last_updated_date": ""} if form.endswith("-R") else {}
    a = write(tmp_path / "0100001.txt", [scsc(rt=form, ssid=f"{i:010d}", student_credits_earned=str(i % 6),
                                              local_record_id=f"A{i:03d}", **ods) for i in range(50)]
              + [scsc(rt=form, student_birth_date="bad", local_record_id="A999", **ods)])
    b = write(tmp_path / "0200002.txt", [scsc(rt=form, ssid=f"{i:010d}", student_legal_first_name="José",
                                              local_course_id=f"00{i}", local_record_id=f"B{i:03d}", **ods)
                                         for i in range(30)],
              encoding="cp1252", newline="\r\n")
    con = duckdb.connect()
    report = load_calpads(con, [a, b], "calpads_share.scsc")
    assert report.rows_loaded == 80 and report.rows_read == 81
    assert report.rejected == {("0100001.txt", "bad_date"): 1}
    assert report.first_error == ("0100001.txt", 51, "bad_date")
    assert report.rows_by_file == {"0100001.txt": 50, "0200002.txt": 30}
    loaded = con.sql("SELECT * FROM calpads_share.scsc ORDER BY local_record_id").df()
    assert loaded["source_file"].tolist() == ["0100001.txt"] * 50 + ["0200002.txt"] * 30
    read = pd.concat([read_calpads(a, on_error="skip"), read_calpads(b)], ignore_index=True)
    read = read.sort_values("local_record_id", kind="stable").reset_index(drop=True)  # same order as loaded
    _frames_equal(loaded.drop(columns="source_file"), read)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_schema = 'calpads_share' AND table_name = 'scsc'").fetchall())
    assert types["ssid"] == "VARCHAR" and types["student_birth_date"] == "DATE"
    assert types["student_credits_earned"] == "DOUBLE"
    assert not [c for c in types if c.startswith("_ccgi")]  # helper columns are gone


def test_load_columns_and_submission_and_ods_files_together(tmp_path):
    sub = write(tmp_path / "0100001.txt", [senr(ssid="0000000001")])
    ods = write(tmp_path / "0200002.txt", [senr(rt="SENR-R", ssid="0000000002", upload_date="20250101",
                                                last_updated_date="20250102")])
    con = duckdb.connect()
    load_calpads(con, [sub, ods], "senr", columns=["ssid", "upload_date"])
    rows = con.execute("SELECT ssid, upload_date, source_file FROM senr ORDER BY ssid").fetchall()
    assert [(r[0], r[1] is None, r[2]) for r in rows] == [("0000000001", True, "0100001.txt"),
                                                          ("0000000002", False, "0200002.txt")]
    assert [d[0] for d in con.execute("SELECT * FROM senr").description] == ["ssid", "upload_date", "source_file"]
    # the load turns insertion-order preservation off for its own writes only
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is True


def test_load_raise_mode_leaves_the_previous_table(tmp_path):
    con = duckdb.connect()
    good = write(tmp_path / "0100001.txt", [senr(ssid="0000000001")])
    load_calpads(con, [good], "calpads_share.senr", on_error="raise")
    bad = write(tmp_path / "0200002.txt", [senr(ssid="0000000002"), senr(birth="20091399")])
    with pytest.raises(CalpadsFormatError) as info:
        load_calpads(con, [good, bad], "calpads_share.senr", on_error="raise")
    assert (Path(info.value.path).name, info.value.line, info.value.rule) == ("0200002.txt", 2, "bad_date")
    assert_no_values(info.value)
    assert con.execute("SELECT ssid FROM calpads_share.senr").fetchall() == [("0000000001",)]


def test_load_file_of_another_record_type_is_mixed(tmp_path):
    senr_file = write(tmp_path / "0100001.txt", [senr()])
    sinf_file = write(tmp_path / "0200002.txt", [row("SINF", ssid=SSID), row("SINF", ssid=SSID)])
    con = duckdb.connect()
    report = load_calpads(con, [sinf_file, senr_file], "senr", record_type="SENR")
    assert report.record_type == "SENR"
    assert report.rejected == {("0200002.txt", "mixed_record_types"): 2}
    assert report.rows_loaded == 1
    text = repr(report)
    assert not [v for v in PII_VALUES if v in text]


def test_load_empty_input_needs_a_record_type(tmp_path):
    empty = tmp_path / "0100001.txt"
    empty.write_bytes(b"")
    con = duckdb.connect()
    with pytest.raises(ValueError, match="record_type"):
        load_calpads(con, [empty], "senr")
    report = load_calpads(con, [empty], "senr", record_type="SENR", columns=["ssid", "enrollment_start_date"])
    assert report.rows_loaded == 0
    assert [d[0] for d in con.execute("SELECT * FROM senr").description] == ["ssid", "enrollment_start_date", "source_file"]


def test_load_rejects_bad_table_names(tmp_path):
    path = write(tmp_path / "s.txt", [senr()])
    with pytest.raises(ValueError, match="table name"):
        load_calpads(duckdb.connect(), [path], "senr; DROP TABLE x")


def test_duckdb_scan_and_python_lines_give_the_same_rows(tmp_path):
    # a regular UTF-8 file is read by DuckDB's CSV scan; a lone CR (data, not a line break) or a
    # Windows-1252 byte sends the whole file to lines cut in Python: the same SQL reads both
    lines = [scsc(ssid=f"{i:010d}", student_legal_first_name=f"Ñame{i}", student_credits_earned=f"{i}.5")
             for i in range(20)]
    cols = ["ssid", "student_legal_first_name", "student_credits_earned", "student_birth_date", "source_line"]
    scan = read_calpads(write(tmp_path / "scan.txt", lines[:10] + [""] + lines[10:]), columns=cols)
    lone_cr = read_calpads(write(tmp_path / "cr.txt", lines[:10] + [""] + lines[10:] + [scsc(ssid="9\r9", student_birth_date="x")]),
                           columns=cols, on_error="skip")
    cp1252 = read_calpads(write(tmp_path / "w.txt", lines[:10] + [""] + lines[10:], encoding="cp1252",
                                newline="\r\n"), columns=cols)
    assert lone_cr.attrs["rejected"] == {"bad_date": 1}  # the row with the CR: one row, its own line
    pd.testing.assert_frame_equal(scan, lone_cr)
    pd.testing.assert_frame_equal(scan, cp1252)
    assert scan["source_line"].tolist() == list(range(1, 11)) + list(range(12, 22))


def test_a_line_longer_than_a_parser_block_is_one_too_long_row(tmp_path):
    path = write(tmp_path / "c.txt", [crse(), crse(course_name="x" * 9_000_000), crse(local_course_id="0042")])
    report = read_calpads_with_report(path, on_error="skip")
    assert report.rejected == {"too_long": 1}
    assert report.frame["local_course_id"].tolist() == ["ENG9H", "0042"]


def test_every_file_of_one_load_keeps_its_physical_line_numbers(tmp_path):
    # one scan over files read by DuckDB (LF, CRLF + BOM) and in Python (lone CR, Windows-1252, UTF-16):
    # each row keeps its own file's line number, each bad row its file, line and rule
    specs = {
        "0100001.txt": dict(),
        "0200002.txt": dict(newline="\r\n", bom=True),
        "0300003.txt": dict(lone_cr=True),
        "0400004.txt": dict(encoding="cp1252", newline="\r\n"),
        "0500005.txt": dict(encoding="utf-16"),
    }
    paths, expected = [], {}
    for k, (name, spec) in enumerate(specs.items()):
        lines = ["", senr(ssid=f"{k}000000001", first="Zoë"), "  ", senr(ssid=f"{k}000000002", birth="20091399"),
                 senr(ssid=f"{k}000000003", first="Ana\rMaria" if spec.pop("lone_cr", False) else "Ana")]
        lines += [senr(ssid=f"{k}{i:09d}") for i in range(4, 4 + 3 * k)]  # files of different lengths
        paths.append(write(tmp_path / name, lines, **spec))
        expected[name] = {f"{k}000000001": 2, f"{k}000000003": 5, **{f"{k}{i:09d}": i + 2 for i in range(4, 4 + 3 * k)}}
    con = duckdb.connect()
    report = load_calpads(con, paths, "senr", columns=["ssid", "student_legal_first_name", "source_line"])
    assert report.rejected == {(name, "bad_date"): 1 for name in specs}
    assert report.first_error == ("0100001.txt", 4, "bad_date")
    assert report.rows_read == sum(3 + 3 * k for k in range(5))
    got: dict[str, dict[str, int]] = {}
    for ssid, first, line, name in con.execute("SELECT ssid, student_legal_first_name, source_line, source_file "
                                               "FROM senr").fetchall():
        got.setdefault(name, {})[ssid] = line
        if ssid.endswith("000000001"):
            assert first == "Zoë"
    assert got == expected
    with pytest.raises(CalpadsFormatError) as info:
        load_calpads(con, paths[::-1], "senr", on_error="raise")
    assert (Path(info.value.path).name, info.value.line, info.value.rule) == ("0500005.txt", 4, "bad_date")
    assert_no_values(info.value)


def test_a_file_name_with_pattern_characters_is_read_as_itself(tmp_path):
    # DuckDB would expand "[1]" as a pattern (and read 01000011.txt): such a path is read in Python
    own = write(tmp_path / "0100001[1].txt", [senr(ssid="0000000001")])
    write(tmp_path / "01000011.txt", [senr(ssid="0000000002"), senr(ssid="0000000003")])
    con = duckdb.connect()
    report = load_calpads(con, [own], "senr", columns=["ssid"])
    assert report.rows_loaded == 1
    assert con.execute("SELECT ssid, source_file FROM senr").fetchall() == [("0000000001", "0100001[1].txt")]


def test_a_line_duckdb_refuses_is_read_in_python_and_its_error_holds_no_value(tmp_path):
    # a line beyond DuckDB's maximum line size makes its CSV reader fail with the line in its message:
    # the file is read in Python instead, and the error names file, line and rule only
    huge = senr(first=FIRST * 400_000)
    path = write(tmp_path / "0100001.txt", [senr(ssid="0000000001"), huge, senr(ssid="0000000003")])
    con = duckdb.connect()
    with pytest.raises(CalpadsFormatError) as info:
        load_calpads(con, [path], "senr", on_error="raise")
    assert (info.value.line, info.value.rule, info.value.column) == (2, "too_long", "student_legal_first_name")
    assert_no_values(info.value)
    report = load_calpads(con, [path], "senr", columns=["ssid", "source_line"])
    assert report.rejected == {("0100001.txt", "too_long"): 1}
    assert sorted(con.execute("SELECT ssid, source_line FROM senr").fetchall()) == [("0000000001", 1),
                                                                                   ("0000000003", 3)]
