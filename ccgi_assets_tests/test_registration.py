"""Seed 2a step 4 / 2b step 3: students register by matching SSID, local ID and birth date."""

import datetime as dt

import pandas as pd
import pytest

from ccgi_assets.registration import MATCHED, NOT_MATCHED, verify


@pytest.fixture
def roster():
    return pd.DataFrame({
        "ssid": ["1000000001", "1000000002"],
        "local_student_id": ["000123", "A-77"],
        "birth_date": pd.to_datetime(["2009-03-07", "2010-12-31"]),
    })


@pytest.mark.parametrize("ssid,local,born", [
    ("1000000001", "000123", "20090307"),
    (" 1000000001 ", " 000123 ", "2009-03-07"),
    ("1000000001", "000123", "03/07/2009"),
    ("1000000001", "000123", "3/7/2009"),
    ("1000000002", "A-77", dt.date(2010, 12, 31)),
])
def test_all_three_matching_registers_the_student(roster, ssid, local, born):
    assert verify(roster, ssid, local, born) == MATCHED


@pytest.mark.parametrize("ssid,local,born", [
    ("1000000001", "123", "20090307"),          # leading zeros are part of the local ID
    ("1000000001", "000123", "20090308"),       # wrong birth date
    ("1000000002", "000123", "20090307"),       # another student's local ID and birth date
    ("9999999999", "000123", "20090307"),       # not on the roster
    ("1000000001", "000123", "2009-02-30"),     # impossible date
    ("1000000001", "000123", "07.03.2009"),     # unsupported date format
    ("1000000001", "", "20090307"),
    (None, "000123", "20090307"),
])
def test_anything_else_is_not_matched(roster, ssid, local, born):
    assert verify(roster, ssid, local, born) == NOT_MATCHED


def test_the_answer_never_says_which_field_failed_or_holds_stored_values(roster):
    wrong_dob = verify(roster, "1000000001", "000123", "20000101")
    wrong_id = verify(roster, "1000000001", "999", "20090307")
    assert wrong_dob == wrong_id == NOT_MATCHED
    assert repr(wrong_dob) == repr(wrong_id)
    assert vars(wrong_dob) == {"matched": False}
    assert "000123" not in repr(verify(roster, "1000000001", "000123", "20090307"))


def test_a_duplicated_roster_row_does_not_match_ambiguously(roster):
    doubled = pd.concat([roster, roster.iloc[[0]]], ignore_index=True)
    assert verify(doubled, "1000000001", "000123", "20090307") == NOT_MATCHED
