"""Platform sharing (seed 2a steps 6, 7, 9 / 2b steps 5, 6, 8): statewide submissions with consent, the CDE
extract, and the figures of the LEA report with small-cell suppression."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ccgi_assets import contracts as c
from ccgi_assets import platform as pf
from ccgi_assets.matching_vocab import MATCH_STATUSES

LEA = "0100001"
OTHER_LEA = "0200002"
T = pd.Timestamp


def roster(ssids, lea=LEA, schools=None, grades=None) -> pd.DataFrame:
    n = len(ssids)
    df = pd.DataFrame({
        "reporting_lea": lea, "ssid": list(ssids), "local_student_id": [f"L{i:05d}" for i in range(n)],
        "legal_first_name": "Ana", "legal_last_name": "Peña", "birth_date": T("2008-05-01"), "gender_code": "F",
        "hispanic_ethnicity_indicator": "Y", "race_1_code": "700", "race_2_code": None, "race_3_code": None,
        "race_4_code": None, "race_5_code": None,
        "school_code": list(schools) if schools is not None else "0100011",
        "grade_level_code": list(grades) if grades is not None else "12",
    })
    return c.validate(df, c.RegistrationRoster)


def courses(ssids, per_student=3, lea=LEA) -> pd.DataFrame:
    ssids = list(ssids)
    df = pd.DataFrame({
        "reporting_lea": lea, "ssid": np.repeat(ssids, per_student), "school_code": "0100011",
        "academic_year": "2025-2026", "academic_term_code": "FY",
        "local_course_id": np.tile([f"C{j:03d}" for j in range(per_student)], len(ssids)),
        "course_name": "ENG 12", "state_course_code": "2104", "ag_subject_area": "B",
        "credits_earned": 5.0, "final_grade": "A",
    })
    return c.validate(df, c.StudentCourse)


def apps(rows, lea=LEA) -> pd.DataFrame:
    return pd.DataFrame([{"ssid": s, "system": y, "submitted_at": T(t), "reporting_lea": lea} for s, y, t in rows],
                        columns=["ssid", "system", "submitted_at", "reporting_lea"]).astype({"submitted_at": "datetime64[ns]"})


def consents(rows, lea=LEA) -> pd.DataFrame:
    return pd.DataFrame([{"ssid": s, "system": y, "granted": g, "recorded_at": T(t), "reporting_lea": lea}
                         for s, y, g, t in rows],
                        columns=["ssid", "system", "granted", "recorded_at", "reporting_lea"]).astype(
        {"recorded_at": "datetime64[ns]", "granted": bool})


# --------------------------------------------------------------------------- statewide submissions
# one student per consent case; expected: the systems that receive the student's courses
CASES = {
    "granted_before": ("1000000001", [("UC", "2025-11-20")], [("UC", True, "2025-11-01")], {"UC"}),
    "granted_same_instant": ("1000000002", [("CSU", "2025-11-20 10:00")], [("CSU", True, "2025-11-20 10:00")], {"CSU"}),
    "revoked_after_granting": ("1000000003", [("UC", "2025-11-20")],
                               [("UC", True, "2025-11-01"), ("UC", False, "2025-12-15")], set()),
    "granted_after_submission": ("1000000004", [("UC", "2025-11-20")], [("UC", True, "2025-11-25")], set()),
    "consent_for_another_system": ("1000000005", [("UC", "2025-11-20")], [("CSU", True, "2025-11-01")], set()),
    "no_consent": ("1000000006", [("CCC", "2025-11-20")], [], set()),
    "revoked_before_submission": ("1000000007", [("UC", "2025-11-20")],
                                  [("UC", True, "2025-10-01"), ("UC", False, "2025-11-01")], set()),
    "revoked_then_granted_again": ("1000000008", [("UC", "2025-11-20")],
                                   [("UC", True, "2025-10-01"), ("UC", False, "2025-12-01"), ("UC", True, "2026-01-05")],
                                   {"UC"}),
    "two_systems_one_consent": ("1000000009", [("UC", "2025-11-20"), ("CSU", "2025-11-21")],
                                [("UC", True, "2025-11-01")], {"UC"}),
    "two_systems_two_consents": ("1000000010", [("UC", "2025-11-20"), ("CCC", "2025-11-21")],
                                 [("UC", True, "2025-11-01"), ("CCC", True, "2025-11-02")], {"UC", "CCC"}),
    "same_instant_disagreeing_events": ("1000000011", [("UC", "2025-11-20")],
                                        [("UC", True, "2025-11-01"), ("UC", False, "2025-11-01")], set()),
    "messy_system_spelling": ("1000000012", [(" uc ", "2025-11-20")], [("UC", True, "2025-11-01")], {"UC"}),
}
def verified(r):
    """Every roster student with a verified account (verification itself: test_verified_consent.py)."""
    return pd.DataFrame({"reporting_lea": LEA, "ssid": r["ssid"].to_numpy(), "registered_at": pd.Timestamp("2025-09-01")})


OPTED_OUT = "1000000099"  # applied with consent, has course rows, but is not on the roster


def scenario():
    ssids = [v[0] for v in CASES.values()]
    a = apps([(s, y, t) for s, al, _, _ in CASES.values() for y, t in al] + [(OPTED_OUT, "UC", "2025-11-20")])
    k = consents([(s, y, g, t) for s, _, cl, _ in CASES.values() for y, g, t in cl]
                 + [(OPTED_OUT, "UC", True, "2025-11-01")])
    return roster(ssids), courses(ssids + [OPTED_OUT]), a, k


@pytest.fixture(scope="module")
def sent():
    r, crs, a, k = scenario()
    return (r, crs, a, k), pf.statewide_submissions(LEA, r, crs, a, k, verified(r))


@pytest.mark.parametrize("case", sorted(CASES))
def test_courses_go_to_a_system_only_with_consent_in_force_at_submission_and_not_revoked(case, sent):
    (r, crs, a, k), out = sent
    ssid, _, _, expected = CASES[case]
    mine = out[out["ssid"] == ssid]
    assert set(mine["receiving_system"]) == expected
    for system in expected:  # every course of the student, once per receiving system
        sent = mine[mine["receiving_system"] == system]
        assert sorted(sent["local_course_id"]) == sorted(crs.loc[crs["ssid"] == ssid, "local_course_id"])


def test_opted_out_student_contributes_nothing_even_with_consent_and_courses(sent):
    _, out = sent
    assert OPTED_OUT not in set(out["ssid"])
    assert len(out) > 0  # the consenting students on the roster are sent


def test_two_applications_to_one_system_send_once_with_the_latest_submission():
    s = "1000000020"
    a = apps([(s, "UC", "2025-10-01"), (s, "UC", "2025-11-30"), (s, "UC", "2025-11-02")])
    k = consents([(s, "UC", True, "2025-09-01")])
    out = pf.statewide_submissions(LEA, roster([s]), courses([s], per_student=4), a, k, verified(roster([s])))
    assert len(out) == 4
    assert (out["application_submitted_at"] == T("2025-11-30")).all()


def test_consent_evaluated_at_the_latest_submission():
    # consent granted between the two applications: in force at the latest one
    s = "1000000021"
    a = apps([(s, "CSU", "2025-10-01"), (s, "CSU", "2025-12-01")])
    k = consents([(s, "CSU", True, "2025-11-01")])
    out = pf.statewide_submissions(LEA, roster([s]), courses([s]), a, k, verified(roster([s])))
    assert set(out["receiving_system"]) == {"CSU"} and (out["application_submitted_at"] == T("2025-12-01")).all()


def test_submission_rows_follow_the_contract_and_carry_no_registration_pii(sent):
    _, out = sent
    assert list(out.columns) == c.columns(c.StatewideSubmission)
    c.validate(out, c.StatewideSubmission)
    for col in ("legal_first_name", "legal_last_name", "birth_date", "gender_code", "local_student_id"):
        assert col not in out.columns
    assert (out["reporting_lea"] == LEA).all()


def test_submissions_are_deterministic_whatever_the_input_order(sent):
    (r, crs, a, k), first = sent
    rng = np.random.default_rng(3)
    again = pf.statewide_submissions(LEA, r.sample(frac=1, random_state=1), crs.iloc[rng.permutation(len(crs))],
                                     a.iloc[::-1], k.iloc[rng.permutation(len(k))], verified(r))
    pd.testing.assert_frame_equal(first, again)
    keys = ["receiving_system", "ssid", "school_code", "academic_year", "academic_term_code", "local_course_id"]
    assert first[keys].equals(first.sort_values(keys)[keys].reset_index(drop=True))


def test_platform_rows_of_another_lea_do_not_count():
    s = "1000000030"
    a = apps([(s, "UC", "2025-11-20")], lea=OTHER_LEA)
    k = consents([(s, "UC", True, "2025-11-01")], lea=OTHER_LEA)
    assert pf.statewide_submissions(LEA, roster([s]), courses([s]), a, k, verified(roster([s]))).empty


def test_no_platform_data_yet_is_an_empty_valid_extract():
    s = "1000000031"
    out = pf.statewide_submissions(LEA, roster([s]), courses([s]), apps([]), consents([]), verified(roster([s])))
    assert out.empty and list(out.columns) == c.columns(c.StatewideSubmission)


def test_submission_counts_per_system(sent):
    _, out = sent
    counts = pf.submission_counts(out)
    expected_students = {y: sum(y in v[3] for v in CASES.values()) for y in c.SYSTEMS}
    assert {y: counts[y]["students"] for y in c.SYSTEMS} == expected_students
    assert {y: counts[y]["course_rows"] for y in c.SYSTEMS} == {y: 3 * n for y, n in expected_students.items()}


# --------------------------------------------------------------------------- CDE extract
def test_cde_extract_one_row_per_rostered_student_with_an_account():
    on_a, on_b = ["2000000001", "2000000002", "2000000003"], ["2000000011"]
    rosters = pd.concat([roster(on_a), roster(on_b, lea=OTHER_LEA)], ignore_index=True)
    gone = "2000000099"  # opted out / left: has an account and activity, on no roster
    accounts = pd.DataFrame({"ssid": ["2000000001", "2000000002", "2000000011", gone],
                             "registered_at": [T("2025-09-01"), T("2025-09-02"), T("2025-09-03"), T("2025-09-04")],
                             "reporting_lea": [LEA, LEA, LEA, LEA]})  # 2000000011 registered while at LEA, now at OTHER
    a = apps([("2000000001", "UC", "2025-11-01"), ("2000000001", "UC", "2025-11-15"), ("2000000001", "CCC", "2025-11-03"),
              (gone, "UC", "2025-11-01"), ("2000000003", "UC", "2025-11-01")])
    planning = pd.DataFrame({"ssid": ["2000000001"] * 3 + ["2000000011", gone],
                             "item_type": "career", "item": "Nurse", "recorded_at": T("2025-10-01"), "reporting_lea": LEA})
    acts = pd.DataFrame({"ssid": ["2000000001", "2000000001", "2000000002", "2000000002", gone],
                         "activity": "Lesson",
                         "completed_at": [T("2025-10-01"), T("2026-01-02"), T("2025-10-05"), pd.NaT, T("2025-10-01")],
                         "reporting_lea": LEA})
    out = pf.cde_extract(rosters, accounts, a, planning, acts)
    c.validate(out, c.CdeExtractRow)
    assert list(out.columns) == c.columns(c.CdeExtractRow)
    # on a roster and registered; 2000000003 applied but has no account; the one who left is not sent
    assert out["ssid"].tolist() == ["2000000001", "2000000002", "2000000011"]
    row = out.set_index("ssid")
    assert row.at["2000000001", "uc_application_submitted_at"] == T("2025-11-15")  # latest per system
    assert row.at["2000000001", "ccc_application_submitted_at"] == T("2025-11-03")
    assert pd.isna(row.at["2000000001", "csu_application_submitted_at"])
    assert row.at["2000000001", "planning_items"] == 3 and row.at["2000000002", "planning_items"] == 0
    assert row.at["2000000001", "activities_completed"] == 2
    assert row.at["2000000001", "last_activity_at"] == T("2026-01-02")
    assert row.at["2000000002", "activities_completed"] == 1  # a row without a completion time is not a completion
    assert row.at["2000000011", "reporting_lea"] == OTHER_LEA  # the current roster's LEA
    assert row.at["2000000011", "planning_items"] == 1 and pd.isna(row.at["2000000011", "last_activity_at"])


def test_cde_extract_takes_the_earliest_registration_and_is_empty_without_accounts():
    s = "2000000001"
    accounts = pd.DataFrame({"ssid": [s, s], "registered_at": [T("2025-10-01"), T("2025-09-01")], "reporting_lea": LEA})
    empty_planning = pd.DataFrame(columns=["ssid", "item_type", "item", "recorded_at", "reporting_lea"])
    empty_acts = pd.DataFrame({"ssid": pd.Series(dtype=str), "activity": pd.Series(dtype=str),
                               "completed_at": pd.Series(dtype="datetime64[ns]"), "reporting_lea": pd.Series(dtype=str)})
    out = pf.cde_extract(roster([s]), accounts, apps([]), empty_planning, empty_acts)
    assert out["registered_at"].tolist() == [T("2025-09-01")]
    none = pf.cde_extract(roster([s]), accounts.iloc[:0], apps([]), empty_planning, empty_acts)
    assert none.empty and list(none.columns) == c.columns(c.CdeExtractRow)


# --------------------------------------------------------------------------- activity figures
def _random_lea(seed: int, n_schools: int = 4):
    """A roster with schools and grades of varied sizes, and platform rows (some for students not on it)."""
    rng = np.random.default_rng(seed)
    sizes = {(f"01000{s:02d}", g): int(rng.choice([0, 1, 3, 7, 9, 10, 12, 25, 60]))
             for s in range(11, 11 + n_schools) for g in ["09", "10", "11", "12"]}
    schools, grades = [], []
    for (s, g), n in sizes.items():
        schools += [s] * n
        grades += [g] * n
    n = len(schools)
    ssids = [f"{3000000000 + i}" for i in range(n)]
    r = roster(ssids, schools=schools, grades=grades)
    outsider = ["3999999999"]
    reg = [s for s in ssids if rng.random() < 0.7] + outsider
    accounts = pd.DataFrame({"ssid": reg, "registered_at": T("2025-09-01"), "reporting_lea": LEA})
    a_rows = [(s, y, "2025-11-01") for s in reg for y in c.SYSTEMS if rng.random() < 0.25]
    acts_ssid = [s for s in reg for _ in range(int(rng.integers(0, 4)))]
    acts = pd.DataFrame({"ssid": acts_ssid, "activity": "Lesson", "completed_at": T("2025-10-01"), "reporting_lea": LEA})
    return r, accounts, apps(a_rows), acts


def _reference_counts(r, accounts, a, acts) -> dict[tuple[str, str, str], int]:
    """A plain-Python count of every cell (the independent reference)."""
    on = {row.ssid: (row.school_code, row.grade_level_code) for row in r.itertuples()}
    reg = set(accounts["ssid"]) & set(on)
    applied = {y: set(a.loc[a["system"] == y, "ssid"]) & set(on) for y in c.SYSTEMS}
    n_acts: dict[str, int] = {}
    for s in acts["ssid"]:
        if s in on:
            n_acts[s] = n_acts.get(s, 0) + 1
    out: dict[tuple[str, str, str], int] = {}
    for s, (sc, g) in on.items():
        vals = {"roster_students": 1, "registered_students": int(s in reg),
                **{f"applied_{y.lower()}_students": int(s in applied[y]) for y in c.SYSTEMS},
                "activities_completed": n_acts.get(s, 0), "students_with_activity": int(n_acts.get(s, 0) > 0)}
        for cell in [("ALL", "ALL"), (sc, "ALL"), (sc, g)]:
            for m, v in vals.items():
                out[(*cell, m)] = out.get((*cell, m), 0) + v
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_published_activity_figures_equal_a_plain_count(seed):
    r, accounts, a, acts = _random_lea(seed)
    figs = pf.activity_figures(LEA, r, accounts, a, acts)
    c.validate(figs, c.LeaReportFigure)
    assert (figs["section"] == "student_activity").all() and (figs["reporting_lea"] == LEA).all()
    ref = _reference_counts(r, accounts, a, acts)
    shown = figs[~figs["suppressed"].astype(bool) & (figs["measure"] != "registered_percent")]
    got = {(row.school_code, row.grade_level_code, row.measure): row.value for row in shown.itertuples()}
    assert got and all(ref[k] == v for k, v in got.items())
    # every cell the roster has is reported (a school/grade with no students has no cell)
    assert {k for k in ref} == {(row.school_code, row.grade_level_code, row.measure) for row in figs.itertuples()
                                if row.measure != "registered_percent"}


def _breakdowns(figs: pd.DataFrame):
    """(measure, total cell, part cells) for LEA = schools and school = grades."""
    f = figs.set_index(["school_code", "grade_level_code", "measure"])
    schools = sorted({s for s in figs["school_code"] if s != "ALL"})
    for m in pf.STUDENT_COUNT_MEASURES + ["activities_completed"]:
        yield m, f.loc[("ALL", "ALL", m)], f.loc[[(s, "ALL", m) for s in schools]]
        for s in schools:
            grades = sorted({g for g in figs.loc[figs["school_code"] == s, "grade_level_code"] if g != "ALL"})
            yield m, f.loc[(s, "ALL", m)], f.loc[[(s, g, m) for g in grades]]


@pytest.mark.parametrize("seed", range(1, 9))
def test_no_suppressed_count_can_be_recovered_by_subtraction(seed):
    r, accounts, a, acts = _random_lea(seed, n_schools=3 + seed % 3)
    figs = pf.activity_figures(LEA, r, accounts, a, acts)
    ref = _reference_counts(r, accounts, a, acts)
    sup = figs["suppressed"].astype(bool)
    # primary: no student count 1..9 is shown; zero is shown
    counts = figs[figs["measure"].isin(pf.STUDENT_COUNT_MEASURES)]
    true = counts.apply(lambda row: ref[(row.school_code, row.grade_level_code, row.measure)], axis=1)
    small = (true > 0) & (true < 10)
    assert counts.loc[small, "suppressed"].all()
    assert not counts.loc[true == 0, "suppressed"].any()
    assert figs.loc[sup, "value"].isna().all()
    # complementary: no breakdown (total + parts) holds exactly one suppressed cell
    for m, total, parts in _breakdowns(figs):
        n = int(bool(total["suppressed"])) + int(parts["suppressed"].astype(bool).sum())
        assert n != 1, (m, total.name)


def test_complementary_suppression_hides_the_next_smallest_cell_and_cascades():
    # school A: grade 09 has 4 students (suppressed), 10 has 30, 11 has 12 -> 11 (the next smallest) hidden too.
    # school B: 5 students in one grade -> its total is 5 too: LEA = A + B + C needs another school hidden: C (smaller
    # than A), and C's total then being hidden forces one of C's grades hidden.
    layout = {("0100011", "09"): 4, ("0100011", "10"): 30, ("0100011", "11"): 12,
              ("0100012", "09"): 5,
              ("0100013", "09"): 20, ("0100013", "10"): 15}
    schools = [s for (s, g), n in layout.items() for _ in range(n)]
    grades = [g for (s, g), n in layout.items() for _ in range(n)]
    ssids = [f"{4000000000 + i}" for i in range(len(schools))]
    r = roster(ssids, schools=schools, grades=grades)
    none_acc = pd.DataFrame({"ssid": pd.Series(dtype=str), "registered_at": pd.Series(dtype="datetime64[ns]"),
                             "reporting_lea": pd.Series(dtype=str)})
    none_acts = pd.DataFrame({"ssid": pd.Series(dtype=str), "activity": pd.Series(dtype=str),
                              "completed_at": pd.Series(dtype="datetime64[ns]"), "reporting_lea": pd.Series(dtype=str)})
    figs = pf.activity_figures(LEA, r, none_acc, apps([]), none_acts)
    rs = figs[figs["measure"] == "roster_students"].set_index(["school_code", "grade_level_code"])["suppressed"]
    hidden = {k for k, v in rs.items() if v}
    assert hidden == {("0100011", "09"), ("0100011", "11"),  # primary + next smallest in school A
                      ("0100012", "09"), ("0100012", "ALL"),  # primary (5 students)
                      ("0100013", "ALL"), ("0100013", "10")}  # complementary at LEA level, then inside school C
    assert not rs[("ALL", "ALL")]
    # nothing registered anywhere: zeros are shown, and the percent is suppressed only with its roster count
    reg = figs[figs["measure"] == "registered_students"]
    assert (reg["value"] == 0).all() and not reg["suppressed"].any()
    pct = figs[figs["measure"] == "registered_percent"].set_index(["school_code", "grade_level_code"])
    assert {k for k, v in pct["suppressed"].items() if v} == hidden
    assert (pct.loc[~pct["suppressed"].astype(bool), "value"] == 0).all()


def test_percent_and_activity_totals_are_suppressed_with_the_counts_they_rest_on():
    r, accounts, a, acts = _random_lea(7)
    figs = pf.activity_figures(LEA, r, accounts, a, acts)
    w_v = figs.pivot(index=["school_code", "grade_level_code"], columns="measure", values="value")
    w_s = figs.pivot(index=["school_code", "grade_level_code"], columns="measure", values="suppressed").astype(bool)
    assert (w_s["registered_percent"] == (w_s["registered_students"] | w_s["roster_students"])).all()
    assert (w_s["activities_completed"] == w_s["students_with_activity"]).all()
    ok = ~w_s["registered_percent"]
    expected = (100 * w_v.loc[ok, "registered_students"] / w_v.loc[ok, "roster_students"]).round(1)
    pd.testing.assert_series_equal(w_v.loc[ok, "registered_percent"], expected, check_names=False)
    assert w_s.any().any() and (~w_s).any().any()  # the sample exercises both


def test_activity_figures_ignore_platform_rows_of_students_not_on_the_roster():
    ssids = [f"{5000000000 + i}" for i in range(12)]
    outsiders = [f"{5100000000 + i}" for i in range(12)]
    accounts = pd.DataFrame({"ssid": ssids + outsiders, "registered_at": T("2025-09-01"), "reporting_lea": LEA})
    figs = pf.activity_figures(LEA, roster(ssids), accounts, apps([(s, "UC", "2025-11-01") for s in outsiders]),
                               pd.DataFrame({"ssid": outsiders, "activity": "x", "completed_at": T("2025-10-01"),
                                             "reporting_lea": LEA}))
    lea_row = figs[(figs["school_code"] == "ALL")].set_index("measure")["value"]
    assert lea_row["roster_students"] == 12 and lea_row["registered_students"] == 12
    assert lea_row["registered_percent"] == 100.0
    assert lea_row["applied_uc_students"] == 0 and lea_row["activities_completed"] == 0


# --------------------------------------------------------------------------- match figures
def test_match_figures_count_courses_per_school_and_status_without_suppression():
    statuses = ["matched"] * 5 + ["not_on_cmp"] * 2 + ["ambiguous"] + ["matched", "matched_subject_mismatch"]
    schools = ["0100011"] * 8 + ["0100012"] * 2
    mr = pd.DataFrame({"reporting_lea": LEA, "school_code": schools, "match_status": statuses})
    figs = pf.match_figures(LEA, mr)
    c.validate(figs, c.LeaReportFigure)
    assert (figs["section"] == "course_match").all() and not figs["suppressed"].any()
    got = figs.set_index(["school_code", "measure"])["value"]
    for school in ["0100011", "0100012"]:
        for status in MATCH_STATUSES:
            expected = sum(1 for s, st in zip(schools, statuses) if s == school and st == status)
            assert got[(school, f"courses_{status}")] == expected  # small counts are shown: courses, not students
        assert got[(school, "courses_total")] == schools.count(school)
    for m in pf.MATCH_MEASURES:
        assert got[("ALL", m)] == got[("0100011", m)] + got[("0100012", m)]
    assert (figs["grade_level_code"] == "ALL").all()


def test_match_figures_of_an_lea_without_results():
    empty = pd.DataFrame({"reporting_lea": pd.Series(dtype=str), "school_code": pd.Series(dtype=str),
                          "match_status": pd.Series(dtype=str)})
    figs = pf.match_figures(LEA, empty)
    assert set(figs["school_code"]) == {"ALL"} and (figs["value"] == 0).all()
    assert set(figs["measure"]) == set(pf.MATCH_MEASURES)


def test_figures_hold_no_student_level_column():
    r, accounts, a, acts = _random_lea(2)
    figs = pf.activity_figures(LEA, r, accounts, a, acts)
    assert list(figs.columns) == c.columns(c.LeaReportFigure)
    text = figs.to_csv()
    assert not any(s in text for s in r["ssid"])


def test_activity_figures_cells_are_ordered():
    r, accounts, a, acts = _random_lea(3)
    figs = pf.activity_figures(LEA, r, accounts, a, acts)
    assert figs.iloc[0]["school_code"] == "ALL"
    schools = [s for s, _ in itertools.groupby(figs["school_code"])]
    assert schools == ["ALL"] + sorted(set(schools) - {"ALL"})
