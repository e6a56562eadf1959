"""Opt-in lists: each row rule, each whole-file failure, and picking an LEA's newest list."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from ccgi_assets.optin import OptinFileError, is_list_file, newest_list, read_optin_list

SSID_A, SSID_B, SSID_C = "0012345678", "4829103756", "1000000001"


def write(path, text: str, encoding="utf-8", bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def assert_no_values(exc, values):
    texts = [str(exc), repr(exc)] + [repr(a) for a in exc.args] + [repr(v) for v in vars(exc).values()]
    for value in values:
        assert not [t for t in texts if value in t], value
    assert exc.__cause__ is None and exc.__context__ is None


def test_valid_list_keeps_order_and_leading_zeros(tmp_path):
    path = write(tmp_path / "optin.csv", f"LocalID,SSID,Name\n9,{SSID_B},Peña\n7,{SSID_A},Ng\n8,{SSID_C},Lee\n")
    lst = read_optin_list(path)
    assert lst.ssids.tolist() == [SSID_B, SSID_A, SSID_C]
    assert lst.rejected == {} and lst.rows_read == 3
    assert all(isinstance(s, str) for s in lst.ssids)


@pytest.mark.parametrize("header", ["ssid", " SSID ", "Ssid", '"SSID"'])
def test_header_match_is_case_and_blank_insensitive(tmp_path, header):
    path = write(tmp_path / "l.csv", f"first,{header}\nAna,{SSID_A}\n")
    assert read_optin_list(path).ssids.tolist() == [SSID_A]


def test_each_row_rule_is_counted(tmp_path):
    rows = [
        SSID_A,
        f"  {SSID_B} ",  # blanks around are stripped
        "",  # blank cell
        "   ",  # blank cell
        "12345678",  # 8 digits
        "012345678",  # a spreadsheet ate the leading zero: 9 digits
        "1234567890.0",  # Excel float
        "1.23457E+09",
        "12345 67890",
        "１２３４５６７８９０",  # full-width digits are not ASCII digits
        SSID_A,  # duplicate
        SSID_A,  # duplicate again
        f"{SSID_B}",  # duplicate (after stripping)
        SSID_C,
    ]
    path = write(tmp_path / "l.csv", "SSID,Other\n" + "".join(f"{r},x\n" for r in rows) + "\n\n")
    lst = read_optin_list(path)
    assert lst.ssids.tolist() == [SSID_A, SSID_B, SSID_C]
    assert lst.rejected == {"blank": 2, "not_10_digits": 6, "duplicate": 3}
    assert lst.rows_read == len(rows)  # the trailing blank lines are not rows


def test_numeric_looking_ssid_is_read_as_text(tmp_path):
    path = write(tmp_path / "l.csv", f"SSID\n{SSID_A}\n0000000001\n")
    assert read_optin_list(path).ssids.tolist() == [SSID_A, "0000000001"]


@pytest.mark.parametrize("encoding,bom", [("utf-8", True), ("cp1252", False), ("utf-16", False)])
def test_encodings(tmp_path, encoding, bom):
    path = write(tmp_path / "l.csv", f"Nombre,SSID\r\nJosé Peña,{SSID_A}\r\nZoë,{SSID_B}\r\n", encoding, bom)
    assert read_optin_list(path).ssids.tolist() == [SSID_A, SSID_B]


def test_semicolon_or_tab_delimited_list(tmp_path):
    assert read_optin_list(write(tmp_path / "a.csv", f"Name;SSID\nAna;{SSID_A}\n")).ssids.tolist() == [SSID_A]
    assert read_optin_list(write(tmp_path / "b.txt", f"Name\tSSID\nAna\t{SSID_B}\n")).ssids.tolist() == [SSID_B]


@pytest.mark.parametrize("content,rule", [
    (b"", "empty"),
    (b"\r\n\r\n  \n", "empty"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"4829103756" * 5, "binary"),  # an .xlsx renamed .csv
    (b"SSID\n4829103756\x00\n", "binary"),
    (b"Name,SSID\nPe\x81a,4829103756\n", "encoding"),  # 0x81 is undefined in cp1252 and invalid UTF-8
    (b'Name,SSID\n"Pena,4829103756\nLee,0012345678\n', "unreadable"),  # unterminated quote
    (b"Name,SSID\nPena,4829103756,extra,fields\n", "unreadable"),  # more fields than the header
    (b"Name,SSID\nLee,0012345678\nPena,4829103756,extra\n", "unreadable"),
    (b"Name,StudentID\nPena,4829103756\n", "no_ssid_column"),
])
def test_whole_file_failures_name_file_and_rule_only(tmp_path, content, rule):
    path = tmp_path / "optin_20250301.csv"
    path.write_bytes(content)
    with pytest.raises(OptinFileError) as info:
        read_optin_list(path)
    exc = info.value
    assert exc.rule == rule and exc.path == str(path)
    assert "optin_20250301.csv" in str(exc) and rule in str(exc)
    assert_no_values(exc, ["4829103756", "Pena", "0012345678"])


def test_is_list_file():
    for name in ["optin.csv", "OPTIN_2025.CSV", "list.txt", "0100001 list (2).csv"]:
        assert is_list_file(name), name
    for name in [".optin.csv", "~$optin.csv", "~optin.csv", "optin.csv.tmp", "optin.csv.part", "optin.partial",
                 "optin.csv.crdownload", "optin.xlsx", "optin.csv.gz", "optin", "notes.md"]:
        assert not is_list_file(name), name


def test_newest_list_filters_and_orders(tmp_path):
    folder = tmp_path / "0100001"
    folder.mkdir()
    assert newest_list(folder) is None

    def put(name, mtime):
        p = folder / name
        p.write_text("SSID\n")
        os.utime(p, (mtime, mtime))
        return p

    put("optin_20250101.csv", 1_000)
    newest = put("optin_20250201.csv", 2_000)
    put("optin_20250301.csv.part", 9_000)  # upload in progress
    put(".optin_20250301.csv", 9_000)  # hidden
    put("~$optin_20250301.csv", 9_000)  # editor lock file
    put("optin_20250301.xlsx", 9_000)  # not a list format
    (folder / "archive.csv").mkdir()  # a folder, not a file
    assert newest_list(folder) == newest

    # same mtime: the greater name wins
    tie = put("optin_20250202.csv", 2_000)
    assert newest_list(folder) == tie
    assert newest_list(folder) == max([newest, tie], key=lambda p: p.name)


def test_result_is_a_series_of_strings(tmp_path):
    lst = read_optin_list(write(tmp_path / "l.csv", f"SSID\n{SSID_A}\n"))
    assert isinstance(lst.ssids, pd.Series)
    assert lst.ssids.index.tolist() == [0]


def test_unreadable_names_the_line(tmp_path):
    path = write(tmp_path / "l.csv", f"Name,SSID\n\nLee,{SSID_A}\nPena,{SSID_B},extra\n")
    with pytest.raises(OptinFileError) as info:
        read_optin_list(path)
    assert (info.value.rule, info.value.line) == ("unreadable", 4)
    assert "line 4" in str(info.value)


def test_header_only_list_is_an_empty_snapshot(tmp_path):
    lst = read_optin_list(write(tmp_path / "l.csv", "SSID,Name\n"))
    assert lst.ssids.tolist() == [] and lst.rows_read == 0 and lst.rejected == {}
