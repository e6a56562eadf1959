"""The file sources (CMP list, landing zone, participation, platform) as a user lays them out: on local disk and
in object storage (fsspec ``memory://``), with stray folders and links around them."""

from __future__ import annotations

import logging
import os

import fsspec
import pytest
from upath import UPath

from ccgi_assets.cmp import CMP_COLUMNS
from ccgi_assets.optin import read_optin_list
from resources import CmpSource, LandingZone, ParticipationConfig, PlatformSource

LEA = "0100001"
OTHER = "0200002"
FULLWIDTH = "０１００００２"  # seven fullwidth digits: str.isdigit() says True


@pytest.fixture
def memory_root():
    """A fresh, empty fsspec memory filesystem (it is process-global: cleared before and after)."""
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
    yield "memory://ccgi"
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


def _cmp_csv(cds: str, course_id: str) -> str:
    row = {"cmp_course_id": course_id, "cds_code": cds, "atp_code": "050001", "school_name": "Test High",
           "course_title": "English 9", "transcript_abbreviations": "ENG 9", "local_course_codes": "E9",
           "subject_area": "b", "honors_type": "", "learning_environment": "Classroom Based",
           "list_year": "2025-2026"}
    return ",".join(CMP_COLUMNS) + "\n" + ",".join(row[c] for c in CMP_COLUMNS) + "\n"


def _write(root, rel: str, text: str) -> None:
    p = UPath(root) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def _lay_out(root) -> None:
    _write(root, "cmp/cmp_2025-2026.csv", _cmp_csv(LEA + "0100011", "CMP1") )
    _write(root, "cmp/more.csv", _cmp_csv(OTHER + "0200021", "CMP2"))
    _write(root, f"landing/optin/{LEA}/list_2025-09-01.csv", "SSID,name\n1000000001,x\n1000000002,y\n")
    _write(root, "config/lea_participation.csv", f"reporting_lea,model\n{LEA},opt_in\n{OTHER},statewide\n")
    _write(root, f"platform/{LEA}/accounts.csv", "ssid,local_student_id,birth_date,registered_at\n1000000001,L1,2008-05-01,2026-03-14T09:30:00\n")


def _sources(root) -> dict:
    root = str(root).rstrip("/")
    return dict(cmp=CmpSource(root=f"{root}/cmp"), landing=LandingZone(root=f"{root}/landing/optin"),
                participation=ParticipationConfig(path=f"{root}/config/lea_participation.csv"),
                platform=PlatformSource(root=f"{root}/platform"))


@pytest.mark.parametrize("where", ["local", "memory"])
def test_every_file_source_reads_the_files_its_fingerprint_sees(where, tmp_path, memory_root):
    root = str(tmp_path) if where == "local" else memory_root
    _lay_out(root)
    s = _sources(root)

    cmp = s["cmp"].read()
    assert sorted(cmp["cmp_course_id"]) == ["CMP1", "CMP2"]
    assert s["cmp"].fingerprint().count("|") == 1  # both files seen by the fingerprint too

    assert list(s["landing"].lea_folders()) == [LEA]
    newest = s["landing"].newest(LEA)
    assert newest is not None and newest.name == "list_2025-09-01.csv"
    assert [p.name for p in s["landing"].list_files(LEA)] == ["list_2025-09-01.csv"]
    assert list(read_optin_list(newest).ssids) == ["1000000001", "1000000002"]

    assert s["participation"].read() == {LEA: "opt_in", OTHER: "statewide"}

    assert s["platform"].lea_folders() == [LEA]
    accounts = s["platform"].read("accounts")
    assert list(accounts["ssid"]) == ["1000000001"] and set(accounts["reporting_lea"]) == {LEA}
    assert "accounts.csv" in s["platform"].fingerprint(LEA)


def test_a_replaced_object_changes_the_fingerprint(memory_root):
    _lay_out(memory_root)
    s = _sources(memory_root)
    before = s["cmp"].fingerprint()
    _write(memory_root, "cmp/more.csv", _cmp_csv(OTHER + "0200021", "CMP3"))  # same size, new content
    assert s["cmp"].fingerprint() != before
    assert sorted(s["cmp"].read()["cmp_course_id"]) == ["CMP1", "CMP3"]


def test_memory_filesystem_is_empty_for_each_test(memory_root):
    s = _sources(memory_root)
    assert s["cmp"].read().empty and s["cmp"].fingerprint() == ""
    assert s["landing"].lea_folders() == {} and s["platform"].lea_folders() == []
    assert s["participation"].read() == {}


@pytest.mark.parametrize("where", ["local", "memory"])
def test_only_ascii_seven_digit_folders_are_leas_and_the_others_are_named(where, tmp_path, memory_root, caplog):
    root = str(tmp_path) if where == "local" else memory_root
    for folder in (LEA, FULLWIDTH, "010001", "01000012", "lea_0100003", "Copy of 0100004"):
        _write(root, f"landing/optin/{folder}/list.csv", "SSID\n1000000001\n")
        _write(root, f"platform/{folder}/accounts.csv", "ssid,local_student_id,birth_date,registered_at\n1000000001,L1,2008-05-01,2026-03-14T09:30:00\n")
    s = _sources(root)
    with caplog.at_level(logging.WARNING):
        assert list(s["landing"].lea_folders()) == [LEA]
        assert s["platform"].lea_folders() == [LEA]
        assert set(s["platform"].read("accounts")["reporting_lea"]) == {LEA}
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for folder in (FULLWIDTH, "010001", "01000012", "lea_0100003", "Copy of 0100004"):
        assert folder in warned
    # a fullwidth code is not an LEA code either when asked for directly
    assert s["landing"].list_files(FULLWIDTH) == [] and s["landing"].newest(FULLWIDTH) is None
    assert s["platform"].fingerprint(FULLWIDTH) == ""


def test_participation_rejects_a_fullwidth_lea_code(tmp_path):
    p = tmp_path / "lea_participation.csv"
    p.write_text(f"reporting_lea,model\n{LEA},opt_in\n{FULLWIDTH},statewide\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: reporting_lea is not a 7-digit LEA code"):
        ParticipationConfig(path=str(p)).read()


def test_a_link_out_of_the_root_is_not_followed(tmp_path, caplog):
    home = tmp_path / "home"
    outside = tmp_path / "elsewhere"
    _write(str(outside), "0100009/list.csv", "SSID\n1000000009\n")
    _write(str(outside), "0100009/accounts.csv", "ssid,local_student_id,birth_date,registered_at\n1000000009,L9,2008-05-01,2026-03-14T09:30:00\n")
    _write(str(outside), "stray.csv", "SSID\n1000000008\n")
    _lay_out(str(home))
    # a linked LEA folder in the landing zone and on the platform
    os.symlink(outside / "0100009", home / "landing" / "optin" / "0100009")
    os.symlink(outside / "0100009", home / "platform" / "0100009")
    # a linked list file inside a real LEA folder, newer than the real list
    os.symlink(outside / "stray.csv", home / "landing" / "optin" / LEA / "zz_newest.csv")
    # a linked CMP export
    os.symlink(outside / "stray.csv", home / "cmp" / "linked.csv")
    s = _sources(home)
    with caplog.at_level(logging.WARNING):
        assert list(s["landing"].lea_folders()) == [LEA]
        assert s["platform"].lea_folders() == [LEA]
    assert "0100009" in " ".join(r.getMessage() for r in caplog.records)
    assert s["landing"].list_files("0100009") == [] and s["platform"].fingerprint("0100009") == ""
    assert [p.name for p in s["landing"].list_files(LEA)] == ["list_2025-09-01.csv"]
    assert s["landing"].newest(LEA).name == "list_2025-09-01.csv"
    assert sorted(s["cmp"].read()["cmp_course_id"]) == ["CMP1", "CMP2"]
    assert "linked" not in s["cmp"].fingerprint()


def test_a_link_inside_the_root_is_followed(tmp_path):
    home = tmp_path / "home"
    _lay_out(str(home))
    os.symlink(home / "landing" / "optin" / LEA, home / "landing" / "optin" / "0100005")
    assert list(_sources(home)["landing"].lea_folders()) == [LEA, "0100005"]


# ------------------------------------------------------------------------------------------ textio.decode
from ccgi_assets.textio import UnreadableFile, decode  # noqa: E402


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"])
def test_decode_reads_what_spreadsheets_save(encoding):
    text = "SSID,name\r\n1000000001,Peña Zoë “quoted”\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert decode(data, "list.csv") == text


@pytest.mark.parametrize("data, rule", [(b"", "empty"), (b"\xef\xbb\xbf", "empty"), (b"\xff\xfe", "empty"),
                                        (b"PK\x03\x04\x00\x00binary", "binary"),
                                        (bytes(range(1, 9)) * 10, "binary"),
                                        (b"SSID\n1000000001 \x81\x8d\n", "encoding"),
                                        (b"\xff\xfe\x00\xd8", "encoding")])
def test_decode_names_the_file_and_rule_and_never_the_content(data, rule):
    with pytest.raises(UnreadableFile) as exc:
        decode(data, "platform/0100001/accounts.csv")
    assert exc.value.rule == rule and exc.value.path == "platform/0100001/accounts.csv"
    assert str(exc.value).startswith("platform/0100001/accounts.csv: ") and f"[rule {rule}]" in str(exc.value)
    assert "1000000001" not in str(exc.value) and exc.value.__cause__ is None and exc.value.__context__ is None


def test_a_utf16_cmp_export_and_opt_in_list_are_read(tmp_path):
    _write(str(tmp_path), "cmp/x.csv", "")
    (tmp_path / "cmp" / "x.csv").write_bytes(_cmp_csv(LEA + "0100011", "CMP1").encode("utf-16"))
    assert list(CmpSource(root=str(tmp_path / "cmp")).read()["cmp_course_id"]) == ["CMP1"]
    p = tmp_path / "list.csv"
    p.write_bytes("SSID\r\n1000000001\r\n".encode("utf-16"))
    assert list(read_optin_list(p).ssids) == ["1000000001"]


def test_participation_names_are_optional_and_a_bad_name_is_left_out_not_fatal(tmp_path, caplog):
    p = tmp_path / "lea_participation.csv"
    p.write_text(f"reporting_lea,model\n{LEA},opt_in\n{OTHER},statewide\n", encoding="utf-8")
    cfg = ParticipationConfig(path=str(p))
    assert cfg.names() == {} and cfg.read() == {LEA: "opt_in", OTHER: "statewide"}  # no column: codes only
    p.write_text(f"reporting_lea,model,lea_name\n{LEA},opt_in,\"  Sample   Unified\n School District \"\n"
                 f"{OTHER},statewide,\"Bad\x1bName\"\n0300003,opt_in,\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert cfg.names() == {LEA: "Sample Unified School District"}  # blanks collapsed; no name: code only
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "lea_name left out" in warned and "control characters" in warned and "Bad" not in warned
    assert cfg.read() == {LEA: "opt_in", OTHER: "statewide", "0300003": "opt_in"}  # sharing is not held up
