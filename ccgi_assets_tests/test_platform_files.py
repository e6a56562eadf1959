"""Platform files are parsed once per content (issue 11) and read faster, with the same result as before: rows that
break a rule are left out and counted per file, line and rule; unreadable consents withhold; unreadable files are
named with their rule."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from ccgi_assets import platform_files as pfiles
from ccgi_assets.contracts import ContractViolation
from ccgi_assets.platform_files import CACHE, PlatformFileCache, Quarantine, _parse, _plain_csv, read_platform_file
from resources import PlatformSource

LEA, OTHER = "1111111", "2222222"

ACCOUNTS = ("ssid,local_student_id,birth_date,registered_at\n"
            "1000000001,000123,2009-04-30,2025-09-01T10:00:00\n"
            "12345,000123,2009-04-30,2025-09-01T10:00:00\n"
            "1000000002,S77,04/30/2009,2025-09-01T10:00:00\n"
            "1000000003,42,2010-12-31,yesterday\n"
            "1000000004,0042,2010-12-31,2025-09-02T11:00:00Z\n")
APPLICATIONS = ("ssid,system,submitted_at\n1000000001,UC,2025-11-20T00:00:00\n1000000002,csu,2025-11-21T00:00:00\n"
                "1000000003,MIT,2025-11-21T00:00:00\n")
CONSENTS = ("ssid,system,granted,recorded_at\n1000000001,UC,true,2025-11-01T00:00:00\n"
            "1000000001,UC,revoked,2025-11-02T00:00:00\n1000000002,CSU,TRUE,sometime\n"
            "1000000003,CCC,false,2025-11-03T00:00:00\n1000000003,CCC,true,\n1000000003,CCC,true,2025-11-04T00:00:00\n")
PLANNING = ("ssid,item_type,item,recorded_at\n1000000001,career,Nurse,2025-10-01T00:00:00\n"
            "1000000001,,Nurse,2025-10-01T00:00:00\n1000000002,college,,2025-10-02T00:00:00\n")
ACTIVITIES = ("ssid,activity,completed_at\n1000000001,Build a Résumé,2025-10-01T00:00:00\n"
              "1000000002,,2025-10-01T00:00:00\n1000000003,Lesson 1,2025-13-01T00:00:00\n")
PLAIN = {"accounts": ACCOUNTS, "applications": APPLICATIONS, "consents": CONSENTS, "planning": PLANNING,
         "activities": ACTIVITIES}


@pytest.fixture(autouse=True)
def empty_cache():
    CACHE.clear()
    yield
    CACHE.clear()


# --------------------------------------------------------------------------- the fast path equals the general one
def variants(kind: str, text: str) -> dict[str, str]:
    """Files of one kind made to differ from a plain file in the ways a parser or a strip could tell apart."""
    lines = text.splitlines()
    header, first, rest = lines[0], lines[1], lines[2:]
    fields = first.split(",")
    return {
        "plain": text,
        "no_final_line_feed": text.rstrip("\n"),
        "crlf": text.replace("\n", "\r\n"),
        "lone_cr": text.replace("\n", "\r", 1),
        "header_upper_case": text.replace(header, header.upper(), 1),
        "header_padded": text.replace(header, " " + header.replace(",", " , ") + " ", 1),
        "quoted_field": text.replace(first, ",".join(f'"{f}"' for f in fields), 1),
        "quoted_comma": text.replace(first, ",".join(fields[:-1] + [f'"{fields[-1]},x"']), 1),
        "blank_line": text.replace("\n", "\n\n", 2),
        "whitespace_only_line": "\n".join([header, "   ", *lines[1:]]) + "\n",
        "too_many_fields": "\n".join([header, first + ",extra", *rest]) + "\n",
        "too_few_fields": "\n".join([header, ",".join(fields[:-1]), *rest]) + "\n",
        "space_padded_fields": "\n".join([header, ",".join(f" {f} " for f in fields), *rest]) + "\n",
        "tab_padded": "\n".join([header, ",".join(f"\t{f}" for f in fields), *rest]) + "\n",
        "nbsp_padded": "\n".join([header, ",".join(f"{f}\u00a0" for f in fields), *rest]) + "\n",
        "em_space_padded": "\n".join([header, ",".join(f"\u2003{f}" for f in fields), *rest]) + "\n",
        "unit_separator_padded": "\n".join([header, ",".join(f"{f}\x1f" for f in fields), *rest]) + "\n",
        "extra_column": "\n".join([header + ",note", *(line + ",n" for line in lines[1:])]) + "\n",
        "duplicate_column": "\n".join([header + "," + header.split(",")[0], *(line + ",x" for line in lines[1:])]) + "\n",
        "missing_column": "\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n",
        "header_only": header + "\n",
        "non_ascii_values": text.replace(first, first.replace(fields[0], fields[0] + "é"), 1),
    }


CASES = [(kind, name) for kind, text in PLAIN.items() for name in variants(kind, text)]


@pytest.mark.parametrize("kind,case", CASES, ids=[f"{k}-{c}" for k, c in CASES])
def test_a_platform_file_reads_the_same_on_the_fast_path_as_on_the_general_one(kind, case):
    data = variants(kind, PLAIN[kind])[case].encode()
    name = f"platform/{LEA}/{kind}.csv"
    fast_df, fast_q = _parse(data, name, kind, LEA)
    ref_df, ref_q = _parse(data, name, kind, LEA, fast=False)
    pd.testing.assert_frame_equal(fast_df, ref_df)
    assert fast_q == ref_q


@pytest.mark.parametrize("kind", sorted(PLAIN))
def test_plain_files_take_the_fast_path_and_others_do_not(kind):
    cols = pfiles.PLATFORM_KINDS[kind]
    v = variants(kind, PLAIN[kind])
    for case in ("plain", "no_final_line_feed", "crlf", "header_upper_case", "extra_column", "header_only",
                 "non_ascii_values"):
        assert _plain_csv(v[case], cols) is not None, case
    for case in ("lone_cr", "quoted_field", "blank_line", "too_many_fields", "too_few_fields", "space_padded_fields",
                 "nbsp_padded", "em_space_padded", "unit_separator_padded", "duplicate_column", "missing_column"):
        assert _plain_csv(v[case], cols) is None, case


def test_the_white_space_the_fast_path_looks_for_is_all_that_strip_removes():
    assert pfiles.UNICODE_SPACES == tuple(ch for ch in map(chr, range(128, 0x110000)) if ch.isspace())
    assert [i for i in range(256) if pfiles._SPACE_BYTE[i]] == [i for i in range(128) if chr(i).isspace() and i != 10]


def test_a_bad_lea_code_still_breaks_the_contract():
    for fast in (True, False):
        with pytest.raises(ContractViolation):
            _parse(APPLICATIONS.encode(), "applications.csv", "applications", "123", fast=fast)


# --------------------------------------------------------------------------- parsed once per content
def write(root, lea: str, kind: str, text: str) -> None:
    folder = root / lea
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}.csv").write_text(text)


@pytest.fixture
def platform(tmp_path):
    for lea in (LEA, OTHER):
        for kind, text in PLAIN.items():
            write(tmp_path, lea, kind, text)
    return PlatformSource(root=str(tmp_path))


@pytest.fixture
def parses(monkeypatch):
    """The files parsed, in order (the parse function counted)."""
    seen = []
    real = pfiles._parse

    def counting(data, name, kind, lea, fast=True):
        seen.append(name)
        return real(data, name, kind, lea, fast)

    monkeypatch.setattr(pfiles, "_parse", counting)
    return seen


def test_an_unchanged_platform_file_is_parsed_once_and_a_changed_one_at_once(platform, parses, tmp_path):
    first, _ = platform.read_checked("applications")
    assert parses == [f"platform/{LEA}/applications.csv", f"platform/{OTHER}/applications.csv"]
    again, _ = platform.read_checked("applications", [LEA, OTHER])
    assert len(parses) == 2
    pd.testing.assert_frame_equal(again, first)
    write(tmp_path, OTHER, "applications", PLAIN["applications"])  # rewritten, same bytes: nothing to parse
    platform.read_checked("applications")
    assert len(parses) == 2
    write(tmp_path, OTHER, "applications", APPLICATIONS + "1000000009,CCC,2025-12-01T00:00:00\n")
    changed, _ = platform.read_checked("applications")
    assert parses[2:] == [f"platform/{OTHER}/applications.csv"]
    assert "1000000009" in set(changed["ssid"]) and len(changed) == len(first) + 1


def test_the_same_bytes_in_another_lea_or_kind_are_their_own_file(platform, parses):
    a, _ = platform.read_checked("applications", [LEA])
    b, _ = platform.read_checked("applications", [OTHER])
    assert set(a["reporting_lea"]) == {LEA} and set(b["reporting_lea"]) == {OTHER}
    assert len(parses) == 2


def test_changing_a_returned_frame_or_quarantine_changes_nothing_read_later(platform):
    df, q = platform.read_checked("consents")
    before_df, before_q = df.copy(), q.copy()
    df.loc[0, "ssid"] = "0000000000"
    df.loc[0, "granted"] = False
    df["system"] = df["system"].str.lower()
    df.drop(index=df.index[-1], inplace=True)
    q.merge(Quarantine(rows=Counter({("x", "y"): 5}), first_line={("x", "y"): 2}, unreadable={"x": "empty"}))
    q.rows[next(iter(before_q.rows))] += 100
    one, q1 = read_platform_file(PLAIN["consents"].encode(), f"platform/{LEA}/consents.csv", "consents", LEA)
    one.loc[0, "recorded_at"] = pd.Timestamp("2001-01-01")
    q1.add(f"platform/{LEA}/consents.csv", "ssid_not_10_digits", [99])
    again_df, again_q = platform.read_checked("consents")
    pd.testing.assert_frame_equal(again_df, before_df)
    assert again_q == before_q


def test_a_memoized_read_counts_the_same_rows_left_out(platform, parses):
    first = platform.read_checked("accounts")[1]
    again = platform.read_checked("accounts")[1]
    assert len(parses) == 2 and again == first and again is not first
    assert first.by_rule() == {"ssid_not_10_digits": 2, "birth_date_not_iso_date": 2, "unreadable_registered_at": 2}
    assert first.first_line[(f"platform/{LEA}/accounts.csv", "birth_date_not_iso_date")] == 4
    merged = Quarantine().merge(platform.read_checked("applications")[1]).merge(platform.read_checked("consents")[1])
    assert merged.by_rule() == {"system_not_UC_CSU_CCC": 2, "granted_not_true_or_false": 2,
                                "unreadable_recorded_at": 4}


def test_an_unreadable_file_is_named_again_on_a_memoized_read(platform, parses, tmp_path):
    (tmp_path / LEA / "planning.csv").write_bytes(b"\x00\x01PK\x03\x04")
    for _ in range(2):
        df, q = platform.read_checked("planning", [LEA])
        assert df.empty and q.unreadable == {f"platform/{LEA}/planning.csv": "binary"}
    assert len(parses) == 1


# --------------------------------------------------------------------------- bounded
def test_the_cache_is_bounded_by_entries_and_by_memory():
    frame = pd.DataFrame({"a": range(1000)})
    size = int(frame.memory_usage(index=True, deep=True).sum())
    by_entries = PlatformFileCache(max_entries=2, max_bytes=10**9)
    for k in "abc":
        by_entries.put(k, frame, Quarantine())
    assert len(by_entries) == 2 and by_entries.get("a") is None and by_entries.get("c") is not None
    by_entries.get("b")  # used: "c" is now the least recently used
    by_entries.put("d", frame, Quarantine())
    assert by_entries.get("c") is None and by_entries.get("b") is not None
    by_memory = PlatformFileCache(max_entries=100, max_bytes=int(2.5 * size))
    for k in "abcd":
        by_memory.put(k, frame, Quarantine())
    assert len(by_memory) == 2 and by_memory.nbytes == 2 * size
    too_big = PlatformFileCache(max_entries=100, max_bytes=size - 1)
    too_big.put("a", frame, Quarantine())
    assert len(too_big) == 0
