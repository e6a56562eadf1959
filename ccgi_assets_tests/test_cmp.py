"""CMP list reader: strings kept as written, derived LEA/school codes, errors name file, line and rule."""

from __future__ import annotations

import pandas as pd
import pytest

from ccgi_assets.cmp import CMP_COLUMNS, CmpFormatError, read_cmp, read_cmp_dir

HEADER = ",".join(CMP_COLUMNS)


def course(cmp_id="100234", cds="01100170112345", atp="050123", school="Peña Valley High", title="English 9 Honors",
           abbrev="ENG 9 H|ENG9H", codes="E9H|0042", subject="b", honors="UC Honors", env="Classroom Based",
           year="2024-2025") -> str:
    return ",".join([cmp_id, cds, atp, school, title, abbrev, codes, subject, honors, env, year])


def write(path, lines, encoding="utf-8", bom=False, newline="\n"):
    data = (newline.join(lines) + newline).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_happy_path_keeps_strings_and_derives_codes(tmp_path):
    path = write(tmp_path / "cmp_2024-2025.csv", [
        HEADER,
        course(),
        course(cmp_id="100235", cds="19647331930148", atp="000412", title="AP Calculus AB", abbrev="AP CALC AB",
               codes="", subject="c", honors="AP", env="Online"),
    ])
    df = read_cmp(path)
    assert list(df.columns) == [*CMP_COLUMNS, "reporting_lea", "school_code"]
    assert (df.dtypes == pd.StringDtype("pyarrow")).all()
    assert df["cds_code"].tolist() == ["01100170112345", "19647331930148"]
    assert df["atp_code"].tolist() == ["050123", "000412"]
    assert df["reporting_lea"].tolist() == ["0110017", "1964733"]
    assert df["school_code"].tolist() == ["0112345", "1930148"]
    assert df["transcript_abbreviations"].tolist() == ["ENG 9 H|ENG9H", "AP CALC AB"]
    assert df["local_course_codes"].tolist() == ["E9H|0042", ""]  # empty stays "" (not NA)
    assert df["honors_type"].tolist() == ["UC Honors", "AP"]
    assert df["school_name"].iloc[0] == "Peña Valley High"


@pytest.mark.parametrize("encoding,bom", [("utf-8", True), ("cp1252", False)])
def test_bom_and_windows_1252(tmp_path, encoding, bom):
    path = write(tmp_path / "c.csv", [HEADER, course(title="Español 1 – Honors")], encoding=encoding, bom=bom,
                 newline="\r\n")
    df = read_cmp(path)
    assert df["cmp_course_id"].tolist() == ["100234"]  # BOM not glued to the first header
    assert df["course_title"].tolist() == ["Español 1 – Honors"]
    assert df["list_year"].tolist() == ["2024-2025"]  # no stray \r


def test_header_case_and_blanks_extra_columns_and_quoted_values(tmp_path):
    header = ",".join(f" {c.upper()} " for c in CMP_COLUMNS) + ",internal_note"
    path = write(tmp_path / "c.csv", [header, course(title='"Art, Studio"', subject=" A ") + ",ignore me"])
    df = read_cmp(path)
    assert "internal_note" not in df.columns
    assert df["course_title"].tolist() == ["Art, Studio"]
    assert df["subject_area"].tolist() == ["a"]


def test_missing_column_names_file_and_column(tmp_path):
    header = ",".join(c for c in CMP_COLUMNS if c != "subject_area")
    path = write(tmp_path / "cmp_x.csv", [header])
    with pytest.raises(CmpFormatError) as info:
        read_cmp(path)
    assert info.value.rule == "missing_column" and info.value.column == "subject_area"
    assert "cmp_x.csv" in str(info.value) and "subject_area" in str(info.value)


@pytest.mark.parametrize("bad,rule", [
    (dict(cds="1100170112345"), "cds_code"),  # 13 digits: lost its leading zero
    (dict(cds="01-10017-0112345"), "cds_code"),
    (dict(subject="h"), "subject_area"),
    (dict(subject=""), "subject_area"),
    (dict(subject="GA"), "subject_area"),
])
def test_bad_rows_name_file_line_and_rule(tmp_path, bad, rule):
    # header line 1, a quoted title spanning two lines (2-3), a blank line (4), the bad row on line 5
    multi = course(title='"English 9\nHonors"')
    path = write(tmp_path / "cmp.csv", [HEADER, multi, "", course(**bad), course()])
    with pytest.raises(CmpFormatError) as info:
        read_cmp(path)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert (exc.line, exc.rule) == (5, rule)
    assert "cmp.csv" in str(exc) and "line 5" in str(exc)
    for value in bad.values():
        if value:
            assert value not in str(exc)


def test_too_many_fields(tmp_path):
    path = write(tmp_path / "cmp.csv", [HEADER, course(), course() + ",extra"])
    with pytest.raises(CmpFormatError) as info:
        read_cmp(path)
    assert (info.value.line, info.value.rule) == (3, "field_count")
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_empty_file(tmp_path):
    path = tmp_path / "cmp.csv"
    path.write_bytes(b"")
    with pytest.raises(CmpFormatError) as info:
        read_cmp(path)
    assert info.value.rule == "empty"


def test_directory_reads_every_csv(tmp_path):
    write(tmp_path / "cmp_2023-2024.csv", [HEADER, course(year="2023-2024")])
    write(tmp_path / "cmp_2024-2025.csv", [HEADER, course(), course(cmp_id="9")])
    write(tmp_path / "notes.txt", ["not a list"])
    write(tmp_path / ".cmp_partial.csv", [HEADER, course(cmp_id="hidden")])
    df = read_cmp_dir(tmp_path)
    assert df["list_year"].tolist() == ["2023-2024", "2024-2025", "2024-2025"]
    assert "hidden" not in df["cmp_course_id"].tolist()
    (tmp_path / "nothing_here").mkdir()
    empty = read_cmp_dir(tmp_path / "nothing_here")
    assert len(empty) == 0 and "school_code" in empty.columns
