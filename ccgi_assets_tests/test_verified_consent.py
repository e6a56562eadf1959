"""Nothing leaves CCGI for a student who has not earned it (issue 8): registration verified against the roster
(seed 2a step 4 / 2b step 3), consent that fails closed (2a step 6), an opt-out that always takes effect, and
exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import os
import time

import duckdb
import pandas as pd
import pytest
from dagster import instance_for_test, materialize

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.partitions import lea_partitions
from ccgi_assets.platform_files import read_platform_file
from resources import LocalExportStore, local_resources

LEA, OTHER = "1111111", "2222222"
T = pd.Timestamp


# --------------------------------------------------------------------------- verification (one rule, vectorized)
def roster_of(rows, lea=LEA):
    return pd.DataFrame([{"reporting_lea": lea, "ssid": s, "local_student_id": loc, "birth_date": T(b)}
                         for s, loc, b in rows])


def accounts_of(rows, lea=LEA):
    return pd.DataFrame([{"reporting_lea": lea, "ssid": s, "local_student_id": loc, "birth_date": T(b),
                          "registered_at": T("2025-09-01")} for s, loc, b in rows])


ROSTER = roster_of([("1000000001", "000123", "2009-04-30"), ("1000000002", "S77", "2008-01-02"),
                    ("1000000003", "42", "2010-12-31")])

CASES = {
    "all_three_match": (("1000000001", "000123", "2009-04-30"), True),
    "wrong_birth_date": (("1000000001", "000123", "2009-04-29"), False),
    "wrong_local_id": (("1000000002", "S78", "2008-01-02"), False),
    "leading_zeros_lost": (("1000000001", "123", "2009-04-30"), False),
    "ssid_not_on_this_roster": (("1000000009", "42", "2010-12-31"), False),
    "local_id_case_differs": (("1000000002", "s77", "2008-01-02"), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_account_is_verified_only_when_ssid_local_id_and_birth_date_all_match(case):
    row, expected = CASES[case]
    out = pf.verify_accounts(LEA, ROSTER, accounts_of([row]))
    assert (len(out) == 1) is expected


def test_an_account_in_one_lea_for_a_student_on_another_leas_roster_is_not_verified_there():
    other_roster = roster_of([("1000000005", "77", "2009-01-01")], lea=OTHER)
    both = pd.concat([ROSTER, other_roster], ignore_index=True)
    out = pf.verify_accounts(LEA, both, accounts_of([("1000000005", "77", "2009-01-01")]))
    assert out.empty
    assert len(pf.verify_accounts(OTHER, both, accounts_of([("1000000005", "77", "2009-01-01")], lea=OTHER))) == 1


def test_an_opted_out_student_is_not_verified_whatever_the_account_says():
    roster = ROSTER[ROSTER["ssid"] != "1000000003"]  # dropped from the newer list: off the roster
    assert pf.verify_accounts(LEA, roster, accounts_of([("1000000003", "42", "2010-12-31")])).empty


# --------------------------------------------------------------------------- consent read fail-closed
def consent_file(rows) -> bytes:
    return ("ssid,system,granted,recorded_at\n" + "".join(f"{s},{y},{g},{t}\n" for s, y, g, t in rows)).encode()


def submissions_for(consent_rows, apps=(("1000000001", "UC", "2025-11-20T00:00:00"),)):
    consents, q = read_platform_file(consent_file(consent_rows), "platform/1111111/consents.csv", "consents", LEA)
    applications = pd.DataFrame([{"ssid": s, "system": y, "submitted_at": T(t), "reporting_lea": LEA}
                                 for s, y, t in apps])
    courses = pd.DataFrame([{"reporting_lea": LEA, "ssid": "1000000001", "school_code": "1234567",
                             "academic_year": "2025-2026", "academic_term_code": "FY", "local_course_id": "ENG1",
                             "course_name": "English 9", "state_course_code": "2130", "ag_subject_area": "B",
                             "credits_attempted": 10.0, "credits_earned": 10.0, "final_grade": "A"}])
    verified = pf.verify_accounts(LEA, ROSTER, accounts_of([("1000000001", "000123", "2009-04-30")]))
    out = pf.statewide_submissions(LEA, ROSTER, courses, applications, consents, verified)
    return set(out["receiving_system"]), q


BAD_TOKENS = ["", "revoked", "yes", "1", "t", "Y", "granted", "truee"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_an_unreadable_consent_value_alone_never_grants(token):
    sent, q = submissions_for([("1000000001", "UC", token, "2025-11-01T00:00:00")])
    assert sent == set()
    assert q.by_rule() == {"granted_not_true_or_false": 1}
    assert q.first_line[("platform/1111111/consents.csv", "granted_not_true_or_false")] == 2


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_an_unreadable_consent_after_a_grant_withholds(token):
    sent, _ = submissions_for([("1000000001", "UC", "true", "2025-11-01T00:00:00"),
                               ("1000000001", "UC", token, "2025-11-02T00:00:00")])
    assert sent == set()


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_an_unreadable_consent_after_a_revocation_does_not_reopen_the_share(token):
    sent, _ = submissions_for([("1000000001", "UC", "true", "2025-11-01T00:00:00"),
                               ("1000000001", "UC", "false", "2025-11-02T00:00:00"),
                               ("1000000001", "UC", token, "2025-11-03T00:00:00")])
    assert sent == set()


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_later_readable_grant_decides_after_an_unreadable_value(token):
    sent, _ = submissions_for([("1000000001", "UC", token, "2025-11-01T00:00:00"),
                               ("1000000001", "UC", "TRUE", "2025-11-02T00:00:00")])
    assert sent == {"UC"}


@pytest.mark.parametrize("value", ["true", "TRUE", "True", " true "])
def test_true_in_any_letter_case_grants(value):
    sent, q = submissions_for([("1000000001", "UC", value, "2025-11-01T00:00:00")])
    assert sent == {"UC"} and q.rows_left_out == 0


def test_a_consent_whose_time_cannot_be_read_withholds_until_a_later_line_decides():
    grant = ("1000000001", "UC", "true", "2025-11-01T00:00:00")
    undated = ("1000000001", "UC", "true", "sometime in November")
    assert submissions_for([grant, undated])[0] == set()  # last word unreadable: withheld
    assert submissions_for([undated, grant])[0] == {"UC"}  # a later readable line decides
    _, q = submissions_for([grant, undated])
    assert q.by_rule() == {"unreadable_recorded_at": 1}


def test_consent_rules_on_readable_rows():
    grant_before = ("1000000001", "UC", "true", "2025-11-01T00:00:00")
    assert submissions_for([grant_before])[0] == {"UC"}
    # consent only after submission was not in force when the application was submitted
    assert submissions_for([("1000000001", "UC", "true", "2025-11-25T00:00:00")])[0] == set()
    # revoked after submission: nothing goes
    assert submissions_for([grant_before, ("1000000001", "UC", "false", "2025-11-25T00:00:00")])[0] == set()
    # consent for another system does not allow UC
    assert submissions_for([("1000000001", "CSU", "true", "2025-11-01T00:00:00")])[0] == set()


def test_submissions_need_a_verified_account():
    consents, _ = read_platform_file(consent_file([("1000000001", "UC", "true", "2025-11-01T00:00:00")]),
                                     "consents.csv", "consents", LEA)
    apps = pd.DataFrame([{"ssid": "1000000001", "system": "UC", "submitted_at": T("2025-11-20"), "reporting_lea": LEA}])
    courses = pd.DataFrame([{"reporting_lea": LEA, "ssid": "1000000001", "school_code": "1234567",
                             "academic_year": "2025-2026", "academic_term_code": "FY", "local_course_id": "ENG1",
                             "course_name": "English 9", "state_course_code": "2130", "ag_subject_area": "B",
                             "credits_attempted": 10.0, "credits_earned": 10.0, "final_grade": "A"}])
    no_account = c.empty(c.VerifiedAccount)
    assert pf.statewide_submissions(LEA, ROSTER, courses, apps, consents, no_account).empty
    wrong_dob = pf.verify_accounts(LEA, ROSTER, accounts_of([("1000000001", "000123", "2001-01-01")]))
    assert pf.statewide_submissions(LEA, ROSTER, courses, apps, consents, wrong_dob).empty


# --------------------------------------------------------------------------- platform rows quarantined
def test_bad_platform_rows_are_left_out_and_named_by_file_line_and_rule_never_by_value():
    data = ("ssid,local_student_id,birth_date,registered_at\n"
            "1000000001,000123,2009-04-30,2025-09-01T10:00:00\n"
            "12345,000123,2009-04-30,2025-09-01T10:00:00\n"            # line 3: ssid
            "1000000002,S77,04/30/2009,2025-09-01T10:00:00\n"          # line 4: birth date not ISO
            "1000000003,42,2010-12-31,yesterday\n").encode()            # line 5: time
    df, q = read_platform_file(data, "platform/1111111/accounts.csv", "accounts", LEA)
    assert list(df["ssid"]) == ["1000000001"] and df["local_student_id"].iloc[0] == "000123"
    assert q.by_rule() == {"ssid_not_10_digits": 1, "birth_date_not_iso_date": 1, "unreadable_registered_at": 1}
    assert q.first_line[("platform/1111111/accounts.csv", "birth_date_not_iso_date")] == 4
    text = " ".join(q.messages()) + str(q.summary())
    assert "12345" not in text and "S77" not in text and "04/30/2009" not in text


@pytest.mark.parametrize("data,rule", [(b"", "empty"), (b"\xff\xfe" + "ssid,registered_at\n".encode("utf-16-le")[:7],
                                                         "encoding"), (b"\x00\x01PK\x03\x04", "binary"),
                                       (b"student,when\n1,2\n", "missing_column:ssid,local_student_id,birth_date,registered_at")])
def test_an_unreadable_platform_file_is_named_with_its_rule_and_gives_no_rows(data, rule):
    df, q = read_platform_file(data, "platform/1111111/accounts.csv", "accounts", LEA)
    assert df.empty and list(df.columns) == c.columns(c.PlatformAccount)
    assert q.unreadable == {"platform/1111111/accounts.csv": rule}


def test_a_utf16_platform_file_is_read():
    text = "ssid,system,submitted_at\n1000000001,UC,2025-11-20T00:00:00\n"
    df, q = read_platform_file(b"\xff\xfe" + text.encode("utf-16-le"), "applications.csv", "applications", LEA)
    assert len(df) == 1 and not q.unreadable


# --------------------------------------------------------------------------- spreadsheet-safe exports
def test_every_csv_that_leaves_ccgi_defuses_spreadsheet_formulas(tmp_path):
    store = LocalExportStore(root=str(tmp_path))
    df = pd.DataFrame({"course_name": ['=HYPERLINK("http://x","click")', "+SUM(A1)", "@cmd", "Algebra 1", "-3"],
                       "score": [1.0, 2.0, 3.0, 4.0, 5.0]})
    for dest in ("cde", "UC", "CSU", "CCC"):
        p = store.write(dest, "x", df)
        back = pd.read_csv(p, dtype=str)["course_name"].tolist()
        assert back == ["'=HYPERLINK(\"http://x\",\"click\")", "'+SUM(A1)", "'@cmd", "Algebra 1", "-3"], dest


# --------------------------------------------------------------------------- end to end through Dagster
FLOW = ["optin_students", "registration_roster", "student_courses", "verified_accounts", "statewide_submissions",
        "lea_reports", "cde_extract"]


def table(home, name, lea=None):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        cols = ", ".join(c.columns(c.CONTRACTS[name]))
        sql = f"SELECT {cols} FROM ccgi.{name}" + (" WHERE reporting_lea = ?" if lea else "")
        return con.execute(sql, [lea] if lea else None).df()
    finally:
        con.close()


def run_lea(home, instance, lea, **kw):
    return materialize([*SOURCES, *ASSETS], selection=FLOW, partition_key=lea, resources=local_resources(home),
                       instance=instance, **kw)


def write_platform(home, lea, kind, header, rows):
    p = home / "platform" / lea / f"{kind}.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def write_list(home, lea, ssids):
    p = home / "landing" / "optin" / lea / "optin_newer.csv"
    p.write_text("SSID\n" + "".join(f"{s}\n" for s in ssids))
    t = time.time() + 5
    os.utime(p, (t, t))


@pytest.fixture
def platform_home(small_home):
    """A small state whose first opt-in LEA has platform files written by hand, case by case."""
    part = pd.read_csv(small_home / "config" / "lea_participation.csv", dtype=str)
    leas = sorted(part.loc[part["model"] == "opt_in", "reporting_lea"])
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(lea_partitions.name, sorted(part["reporting_lea"]))
        materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=local_resources(small_home),
                    instance=instance)
        lea = leas[0]
        run_lea(small_home, instance, lea)
        roster = table(small_home, "registration_roster", lea)
        with_courses = set(table(small_home, "student_courses", lea)["ssid"])
        r = roster[roster["ssid"].isin(with_courses) & roster["birth_date"].notna()].sort_values("ssid")
        assert len(r) >= 8
        s = {k: r.iloc[i] for i, k in enumerate(["ok", "no_account", "wrong_dob", "wrong_local", "blank_consent",
                                                  "revoked_token", "other_system", "late_consent"])}

        def dob(x, days=0):
            return (pd.Timestamp(x["birth_date"]) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")

        accounts = [(x["ssid"], x["local_student_id"], dob(x), "2025-09-01T10:00:00")
                    for k, x in s.items() if k not in ("no_account", "wrong_dob", "wrong_local")]
        accounts += [(s["wrong_dob"]["ssid"], s["wrong_dob"]["local_student_id"], dob(s["wrong_dob"], 1),
                      "2025-09-01T10:00:00"),
                     (s["wrong_local"]["ssid"], s["wrong_local"]["local_student_id"] + "9", dob(s["wrong_local"]),
                      "2025-09-01T10:00:00")]
        write_platform(small_home, lea, "accounts", "ssid,local_student_id,birth_date,registered_at", accounts)
        write_platform(small_home, lea, "applications", "ssid,system,submitted_at",
                       [(x["ssid"], "UC", "2025-11-20T00:00:00") for x in s.values()])
        consents = [(x["ssid"], "UC", "true", "2025-11-01T00:00:00") for k, x in s.items()
                    if k not in ("other_system", "late_consent", "blank_consent")]
        consents += [(s["blank_consent"]["ssid"], "UC", "", "2025-11-01T00:00:00"),
                     (s["revoked_token"]["ssid"], "UC", "revoked", "2025-11-05T00:00:00"),
                     (s["other_system"]["ssid"], "CSU", "true", "2025-11-01T00:00:00"),
                     (s["late_consent"]["ssid"], "UC", "true", "2025-11-25T00:00:00")]
        write_platform(small_home, lea, "consents", "ssid,system,granted,recorded_at", consents)
        write_platform(small_home, lea, "planning", "ssid,item_type,item,recorded_at", [])
        write_platform(small_home, lea, "activities", "ssid,activity,completed_at", [])
        yield small_home, instance, lea, leas[1], {k: x["ssid"] for k, x in s.items()}


def export_ssids(home, dest, name):
    p = home / "exports" / dest / f"{name}.csv"
    return set(pd.read_csv(p, dtype=str)["ssid"]) if p.exists() else set()


def test_only_verified_rostered_consenting_students_leave_ccgi(platform_home):
    home, instance, lea, _, who = platform_home
    result = run_lea(home, instance, lea)
    assert export_ssids(home, "UC", lea) == {who["ok"]}
    assert export_ssids(home, "CSU", lea) == set() and export_ssids(home, "CCC", lea) == set()
    assert set(table(home, "statewide_submissions", lea)["ssid"]) == {who["ok"]}
    verified = set(table(home, "verified_accounts", lea)["ssid"])
    assert verified == {who[k] for k in ("ok", "blank_consent", "revoked_token", "other_system", "late_consent")}
    cde = export_ssids(home, "cde", "cde_extract")
    assert who["ok"] in cde and not cde & {who["no_account"], who["wrong_dob"], who["wrong_local"]}
    assert set(table(home, "cde_extract")["ssid"]) == cde
    meta = {ev.asset_key.path[-1]: ev.step_materialization_data.materialization.metadata
            for ev in result.get_asset_materialization_events()}
    assert meta["verified_accounts"]["accounts_not_verified"].value == 2
    assert meta["statewide_submissions"]["platform_rows_left_out_by_rule"].value == {"granted_not_true_or_false": 2}
    text = " ".join(str(m.value) for md in meta.values() for m in md.values())
    assert not any(s in text for s in who.values())


@pytest.mark.parametrize("where", ["same_lea", "other_lea"])
def test_an_opt_out_takes_effect_even_with_an_unreadable_platform_file(platform_home, where):
    home, instance, lea, other, who = platform_home
    run_lea(home, instance, lea)
    run_lea(home, instance, other)
    assert who["ok"] in export_ssids(home, "UC", lea) and who["ok"] in export_ssids(home, "cde", "cde_extract")
    kept = [s for s in table(home, "optin_students", lea)["ssid"] if s != who["ok"]]
    write_list(home, lea, kept)
    broken = home / "platform" / (lea if where == "same_lea" else other) / "applications.csv"
    broken.write_bytes(b"")
    result = run_lea(home, instance, lea)
    assert result.success
    assert who["ok"] not in export_ssids(home, "UC", lea)
    assert who["ok"] not in export_ssids(home, "cde", "cde_extract")
    for name in ("registration_roster", "student_courses", "verified_accounts", "statewide_submissions"):
        assert who["ok"] not in set(table(home, name, lea)["ssid"]), name
    assert who["ok"] not in set(table(home, "cde_extract")["ssid"])
    if where == "other_lea":  # the other LEA's previous CDE rows stand
        assert set(table(home, "cde_extract", other)["ssid"])


def test_an_opt_out_takes_effect_when_the_steps_that_add_data_fail(platform_home, monkeypatch):
    home, instance, lea, _, who = platform_home
    run_lea(home, instance, lea)
    assert who["ok"] in export_ssids(home, "UC", lea)
    write_list(home, lea, [s for s in table(home, "optin_students", lea)["ssid"] if s != who["ok"]])

    def broken(*a, **k):
        raise RuntimeError("the platform step broke")

    monkeypatch.setattr(pf, "statewide_submissions", broken)
    monkeypatch.setattr(pf, "cde_extract", broken)
    result = run_lea(home, instance, lea, raise_on_error=False)
    assert not result.success
    assert who["ok"] not in export_ssids(home, "UC", lea)
    assert who["ok"] not in export_ssids(home, "cde", "cde_extract")
    assert who["ok"] not in set(table(home, "statewide_submissions", lea)["ssid"])
    assert who["ok"] not in set(table(home, "cde_extract")["ssid"])
