"""Seed Diagram 1 step 3: each UC/CSU "a-g" course of CALPADS CRSE compared with the school's UC CMP list.

Cases are written the way schools write course names; the labelled evaluation set lives in ``match_eval.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ccgi_assets.matching import (
    CONTENT_AREA_SUBJECTS, MATCH_METHODS, MATCH_STATUSES, REASON_CODES, REASONS, RESULT_COLUMNS,
    UNMATCHED_COLUMNS, UNMATCHED_REASONS, LEARNED_COLUMNS, learn_vocabulary, match_courses, normalize_course_names,
    unmatched_cmp_courses,
)
from match_eval import load_eval, precision_recall

LEA, SCHOOL, OTHER = "3668000", "3630001", "3630002"
YEAR = "2025-2026"


def cmp_rows(*rows, school=SCHOOL, lea=LEA, year=YEAR) -> pd.DataFrame:
    """CMP rows: (cmp_course_id, title, abbreviations, local codes, subject[, honors_type[, environment]])."""
    out = []
    for r in rows:
        cid, title, abbr, codes, subj, *rest = r
        out.append({"cmp_course_id": cid, "cds_code": lea + school, "atp_code": "052901", "school_name": "A High",
                    "course_title": title, "transcript_abbreviations": abbr, "local_course_codes": codes,
                    "subject_area": subj, "honors_type": rest[0] if rest else "",
                    "learning_environment": rest[1] if len(rest) > 1 else "Classroom Based", "list_year": year})
    return pd.DataFrame(out)


def crse_rows(*rows, school=SCHOOL, lea=LEA, year=YEAR) -> pd.DataFrame:
    """CRSE courses: (local_course_id, course_name, state_course_code[, approved])."""
    return pd.DataFrame([{"reporting_lea": lea, "school_code": school, "academic_year": year, "local_course_id": r[0],
                          "course_name": r[1], "state_course_code": r[2],
                          "uc_csu_approved": r[3] if len(r) > 3 else True} for r in rows])


def one(crse: pd.DataFrame, cmp: pd.DataFrame, local_id: str) -> pd.Series:
    res = match_courses(crse, cmp)
    return res.set_index("local_course_id").loc[local_id]


SIERRA = cmp_rows(
    ("110001", "English 9", "ENG 9", "1001", "b"),
    ("110002", "English 9 Honors", "ENG 9 H|ENG 9 HON", "1002", "b"),
    ("110033", "Spanish 1", "SPAN 1", "", "e"),
    ("110034", "Spanish 2", "SPAN 2", "", "e"),
    ("110035", "Spanish 3", "SPAN 3", "", "e"),
    ("110043", "Psychology", "PSYCH", "", "g"),
    ("110021", "Principles of American Democracy", "PRIN AM DEM", "", "a"),
    ("110026", "World History, Culture, and Geography: The Modern World", "WORLD HIST|WHCG", "", "a"),
)


# ---------------------------------------------------------------------------------------------- quality
def test_evaluation_set_precision_and_recall_of_matched_at_least_97_percent():
    crse, cmp, expected = load_eval()
    assert crse["school_code"].nunique() >= 10 and int(crse["uc_csu_approved"].sum()) >= 300
    results = match_courses(crse, cmp)
    pr = precision_recall(results, expected)
    print(f"\nevaluation set: precision {pr['precision']:.4f} recall {pr['recall']:.4f} "
          f"({pr['correct']} of {pr['matches_made']} matches made correct, {pr['matches_expected']} expected); "
          f"status accuracy {pr['status_accuracy']:.4f}")
    assert pr["precision"] >= 0.97
    assert pr["recall"] >= 0.97
    assert pr["status_accuracy"] >= 0.97


def test_evaluation_set_every_status_arises_where_a_person_expects_it():
    crse, cmp, expected = load_eval()
    results = match_courses(crse, cmp)
    m = expected[expected["expected_status"] != "excluded"].merge(results, on=["school_code", "local_course_id"])
    for status in MATCH_STATUSES:
        want = m["expected_status"] == status
        assert want.any(), status
        agree = (m.loc[want, "match_status"] == status).mean()
        assert agree >= 0.9, (status, agree)
    # true ties name both tied CMP courses
    tied = m[(m["expected_status"] == "ambiguous") & (m["match_status"] == "ambiguous")]
    assert len(tied) and all(
        {a, b} == set(t.split("/"))
        for a, b, t in zip(tied["candidate_cmp_course_id"], tied["runner_up_cmp_course_id"], tied["tied_cmp_course_ids"]))


# ---------------------------------------------------------------------------------------------- statuses
def test_exact_local_code_is_the_strongest_evidence():
    r = one(crse_rows(("1002", "ENGLISH 9 HNRS", "9105")), SIERRA, "1002")
    assert (r["match_status"], r["cmp_course_id"], r["method"], r["reason"], r["score"]) == \
        ("matched", "110002", "local_course_code", "exact_local_code", 100.0)


def test_transcript_abbreviation_matches_when_the_title_is_worded_differently():
    r = one(crse_rows(("H1000", "WORLD HIST", "9172")), SIERRA, "H1000")
    assert (r["match_status"], r["cmp_course_id"], r["method"], r["reason"]) == \
        ("matched", "110026", "transcript_abbreviation", "name_match")
    # without the abbreviation on the CMP the long title alone is not enough by name; the course is matched
    # only because it is the one history course left at the school on both sides (and says so)
    r = one(crse_rows(("H1000", "WORLD HIST", "9172")), SIERRA.assign(transcript_abbreviations=""), "H1000")
    assert (r["match_status"], r["cmp_course_id"], r["reason"]) == ("matched", "110026", "only_course_left_in_area")
    assert r["score"] < 85


def test_honors_marker_is_discriminative_both_ways():
    cmp = SIERRA.assign(local_course_codes="")
    res = match_courses(crse_rows(("A", "ENG 9 H", "9105"), ("B", "ENG 9", "9105"), ("C", "Honors English 9", "9105"),
                                  ("D", "English 9 (H)", "9105")), cmp).set_index("local_course_id")
    assert res.loc["A", "cmp_course_id"] == "110002"
    assert res.loc["B", "cmp_course_id"] == "110001"
    assert res.loc["C", "cmp_course_id"] == "110002"
    assert res.loc["D", "cmp_course_id"] == "110002"
    assert (res["match_status"] == "matched").all()


def test_honors_course_whose_school_only_listed_the_regular_course_is_not_on_cmp():
    cmp = cmp_rows(("1", "English 9", "ENG 9", "", "b"), ("2", "English 10", "ENG 10", "", "b"))
    r = one(crse_rows(("E9H", "ENG 9 H", "9105")), cmp, "E9H")
    assert (r["match_status"], r["reason"], r["candidate_cmp_course_id"]) == ("not_on_cmp", "honors_ap_ib_differs", "1")
    assert pd.isna(r["cmp_course_id"]) and r["score"] < 85


def test_ap_course_does_not_match_the_regular_course():
    cmp = cmp_rows(("1", "Biology", "BIO", "", "d"))
    r = one(crse_rows(("B", "AP BIO", "9350")), cmp, "B")
    assert (r["match_status"], r["reason"]) == ("not_on_cmp", "honors_ap_ib_differs")


def test_next_level_of_a_language_is_not_on_cmp_with_the_number_named_as_the_reason():
    r = one(crse_rows(("5007", "SPAN 4", "9133")), SIERRA, "5007")
    assert (r["match_status"], r["reason"]) == ("not_on_cmp", "course_number_differs")


def test_state_course_code_content_area_disagreeing_with_cmp_subject_is_a_subject_mismatch():
    # Spanish 1 reported with the Integrated Mathematics I state course code
    r = one(crse_rows(("L1", "SPANISH 1", "9241")), SIERRA, "L1")
    assert (r["match_status"], r["cmp_course_id"], r["reason"]) == \
        ("matched_subject_mismatch", "110033", "subject_area_disagrees")


def test_any_content_area_may_be_a_g_elective():
    # Psychology reported with the Biology state course code; the CMP lists it as a "g" elective
    r = one(crse_rows(("H3", "PSYCHOLOGY", "9324")), SIERRA, "H3")
    assert (r["match_status"], r["cmp_course_id"]) == ("matched", "110043")
    assert set("abcdef") <= set("".join(CONTENT_AREA_SUBJECTS.values()))
    assert all("g" in v for v in CONTENT_AREA_SUBJECTS.values())


def test_duplicate_cmp_entries_for_two_learning_environments_are_ambiguous():
    cmp = cmp_rows(("160001", "English 9", "ENG 9", "", "b", "", "Online"),
                   ("160002", "English 9", "ENG 9", "", "b", "", "Classroom Based"))
    r = one(crse_rows(("ENG9A", "ENGLISH 9A", "9105")), cmp, "ENG9A")
    assert (r["match_status"], r["reason"]) == ("ambiguous", "tie_between_cmp_courses")
    assert pd.isna(r["cmp_course_id"])
    assert {r["candidate_cmp_course_id"], r["runner_up_cmp_course_id"]} == {"160001", "160002"}


def test_state_course_code_name_breaks_a_tie():
    # "SPANISH" fits Spanish 1, 2 and 3 equally; state code 9130 is "World Languages I"
    r = one(crse_rows(("SP", "SPANISH", "9130")), SIERRA, "SP")
    assert (r["match_status"], r["cmp_course_id"]) == ("matched", "110033")


def test_subject_area_breaks_a_tie():
    cmp = cmp_rows(("1", "Financial Literacy", "FIN LIT", "", "a"), ("2", "Financial Literacy", "FIN LIT", "", "c"))
    r = one(crse_rows(("F", "FINANCIAL LITERACY", "9254")), cmp, "F")    # 9254 Algebra - Financial: mathematics
    assert (r["match_status"], r["cmp_course_id"]) == ("matched", "2")


def test_stale_local_code_left_on_the_cmp_after_a_renumbering_loses_to_the_name():
    cmp = cmp_rows(("150001", "English 9", "ENG 9", "101", "b"), ("150006", "Algebra I", "ALGEBRA I", "201", "c"))
    r = one(crse_rows(("101", "ALGEBRA I", "9249")), cmp, "101")
    assert (r["match_status"], r["cmp_course_id"], r["method"], r["reason"]) == \
        ("matched", "150006", "title", "stale_local_code")


def test_local_code_on_a_differently_named_course_with_no_name_match_is_not_on_cmp():
    cmp = cmp_rows(("150007", "Geometry", "GEOMETRY", "202", "c"))
    r = one(crse_rows(("202", "ANATOMY & PHYSIOLOGY", "9335")), cmp, "202")
    assert (r["match_status"], r["reason"], r["candidate_cmp_course_id"]) == \
        ("not_on_cmp", "local_code_names_different_course", "150007")


def test_local_code_on_two_cmp_courses_is_settled_by_the_name_or_left_ambiguous():
    cmp = cmp_rows(("1", "English 9", "ENG 9", "1001", "b"), ("2", "English 10", "ENG 10", "1001", "b"),
                   ("3", "Drawing", "DRAWING", "2001", "f", "", "Online"),
                   ("4", "Drawing", "DRAWING", "2001", "f", "", "Classroom Based"))
    res = match_courses(crse_rows(("1001", "ENG 9", "9105"), ("2001", "DRAWING", "9000")), cmp).set_index("local_course_id")
    assert (res.loc["1001", "match_status"], res.loc["1001", "cmp_course_id"]) == ("matched", "1")
    assert (res.loc["2001", "match_status"], res.loc["2001", "reason"]) == \
        ("ambiguous", "local_code_on_several_cmp_courses")


def test_school_without_a_cmp_list():
    r = one(crse_rows(("NT01", "ENG 9", "9105"), school=OTHER), SIERRA, "NT01")
    assert (r["match_status"], r["reason"], r["score"]) == ("not_on_cmp", "no_cmp_course_at_school", 0.0)
    assert pd.isna(r["cmp_course_title"])


def test_lookalike_below_threshold_is_not_matched():
    cmp = cmp_rows(("1", "Marine Biology", "MARINE BIO", "", "d"), ("2", "English 9", "ENG 9", "", "b"))
    r = one(crse_rows(("B", "BIOLOGY", "9324")), cmp, "B")
    assert (r["match_status"], r["reason"], r["candidate_cmp_course_id"]) == \
        ("not_on_cmp", "best_score_below_threshold", "1")


def test_name_cut_off_by_an_sis_field_limit_matches_the_one_title_it_begins():
    cmp = cmp_rows(("1", "Modified or Specially Designed Physical Education Grades 7-12", "", "", "g"),
                   ("2", "Introduction to Manufacturing and Product Development", "", "", "g"),
                   ("3", "Integrated Mathematics III Honors", "", "", "c"))
    crse = crse_rows(("PE", "MODIFIED OR SPECIALLY DESIGNED PHYSICAL", "9312"),
                     ("MF", "INTRODUCTION TO MANUFACT", "7200"),
                     ("IM", "INTEGRATED MATHEMATICS III", "9243"))   # the cut-off part would be "Honors"
    res = match_courses(crse, cmp).set_index("local_course_id")
    assert res.loc["PE", ["match_status", "cmp_course_id"]].tolist() == ["matched", "1"]
    assert res.loc["MF", ["match_status", "cmp_course_id"]].tolist() == ["matched", "2"]
    assert res.loc["IM", ["match_status", "reason"]].tolist() == ["not_on_cmp", "honors_ap_ib_differs"]


# ---------------------------------------------------------------------------------------------- blocking
def test_a_course_never_matches_another_schools_cmp_course():
    other_cmp = cmp_rows(("900", "AP US History", "APUSH", "4004", "a", "AP"), school=OTHER)
    cmp = pd.concat([SIERRA, other_cmp], ignore_index=True)
    crse = crse_rows(("4004", "AP US HIST", "9194"))                          # same name and code, other school
    r = one(crse, cmp, "4004")
    assert (r["match_status"], r["reason"]) == ("not_on_cmp", "best_score_below_threshold")
    assert r["candidate_cmp_course_id"] != "900"


def test_the_same_local_code_at_two_schools_counts_only_at_its_own_school():
    coastal = cmp_rows(("200", "English 9", "ENG 9", "1002", "b"), school=OTHER, lea="4169000")
    crse = pd.concat([crse_rows(("1002", "ENG 9 H", "9105")),
                      crse_rows(("1002", "ENG 9 H", "9105"), school=OTHER, lea="4169000")])
    res = match_courses(crse, pd.concat([SIERRA, coastal], ignore_index=True)).set_index("school_code")
    assert (res.loc[SCHOOL, "cmp_course_id"], res.loc[SCHOOL, "method"]) == ("110002", "local_course_code")
    # at the other school 1002 is listed on English 9 but the course is the honors one: not on that CMP
    assert (res.loc[OTHER, "match_status"], res.loc[OTHER, "reason"]) == ("not_on_cmp", "honors_ap_ib_differs")


def test_a_cmp_list_of_another_year_is_not_used():
    crse = crse_rows(("1001", "ENG 9", "9105"), year="2024-2025")
    r = one(crse, SIERRA, "1001")
    assert (r["match_status"], r["reason"]) == ("not_on_cmp", "no_cmp_list_for_year")


def test_a_cmp_list_without_list_year_serves_every_year():
    crse = crse_rows(("1001", "ENG 9", "9105"), year="2024-2025")
    r = one(crse, SIERRA.drop(columns="list_year"), "1001")
    assert (r["match_status"], r["cmp_course_id"]) == ("matched", "110001")


# ---------------------------------------------------------------------------------------------- normalization
@pytest.mark.parametrize("names", [
    ["ENG 9 H", "English 9 Honors", "Honors English 9", "ENG9H", "English 9 (H)", "eng 9 hnrs", "ENGLISH 9 HON"],
    ["Spanish II", "SPAN 2", "Spanish 2", "SPN II", "SPANISH II (P)", "Span. 2 CP"],
    ["ALG 1", "Algebra I", "ALGEBRA 1A", "ALGEBRA 1 B", "Algebra I (1 of 2)", "ALG 1 S1/S2", "ALGEBRA I SEM 1",
     "ALG 1 A/B", "ALG 1-1"],
    ["US HIST", "U.S. History", "United States History", "APUSH", "AP US HIST"][:3],
    ["AP US HIST", "APUSH", "AP U.S. History", "A.P. United States History"],
    ["INT MATH 1", "Integrated Mathematics I", "Integrated Math 1", "INTEG MATH I"],
    ["WRLD HIST", "World History", "WLD HIST"],
    ["AM GOVT", "American Government", "Amer. Gov't"],
    ["AP CALC AB", "AP Calculus AB", "APCALC AB", "Advanced Placement (AP) Calculus AB"],
    ["PE 1", "Physical Education I", "PHYS ED 1"],
    ["CHEM H", "Chemistry Honors", "HON CHEM", "CHEMH"],
    ["SPAN 2 (P)-1", "SPANISH 2 (P)", "Spanish 2-2", "SPAN 2 S2"],
    ["ECON", "Economics"], ["GEOM", "Geometry"], ["BIO", "Biology"], ["PSYCH", "Psychology"],
    ["AMER LIT", "American Literature", "AMER. LIT."], ["ENG LANG", "English Language"],
])
def test_names_schools_write_differently_normalize_the_same(names):
    n = normalize_course_names(names)
    assert n.drop_duplicates().shape[0] == 1, n.assign(name=names)


@pytest.mark.parametrize("a, b", [
    ("ENG 9", "ENG 9 H"), ("English 9", "English 10"), ("Spanish 1-2", "Spanish 1"), ("Spanish 3-4", "Spanish 1-2"),
    ("AP Calculus AB", "AP Calculus BC"), ("AP Biology", "Biology"), ("IB Biology HL", "IB Biology SL"),
    ("AP Physics 1", "AP Physics 2"), ("Physics C", "Physics"), ("IB MATH AA SL", "IB MATH AI SL"),
    ("Calculus (Non-Advanced Placement)", "AP Calculus"),
])
def test_levels_and_markers_keep_courses_apart(a, b):
    n = normalize_course_names([a, b])
    assert not n.iloc[0].equals(n.iloc[1])


def test_roman_numeral_i_is_read_as_one_only_where_it_is_a_numeral_token():
    n = normalize_course_names(["Physics I", "IB Biology", "Art I", "Intro to Art", "Theory of Knowledge"])
    assert n["keys"].tolist()[:3] == ["1", "", "1"]
    assert n["markers"].tolist()[1] == 4                      # IB, not "1 b"
    assert n["content"].tolist()[3] == "art introduction"
    assert n["keys"].tolist()[4] == ""


def test_semester_suffixes_are_stripped_but_a_b_course_names_are_not():
    n = normalize_course_names(["BIOLOGY A", "BIOLOGY B", "BIOLOGY S1", "BIOLOGY (2 OF 2)", "BIOLOGY SEM 2",
                                "AP Calculus AB", "IB Spanish B SL"])
    assert n["keys"].tolist()[:5] == [""] * 5
    assert n["keys"].tolist()[5:] == ["ab", "b sl"]


# ---------------------------------------------------------------------------------------------- contract
def test_one_row_per_approved_course_sections_collapse_and_unapproved_are_left_out():
    crse = pd.concat([crse_rows(("1001", "ENG 9", "9105"), ("1001", "ENG 9", "9105"), ("1001", "ENG 9", "9105"),
                                ("8001", "PE 9", "9314", False), ("5001", "SPAN 1", "9130"))], ignore_index=True)
    before = crse.copy()
    res = match_courses(crse, SIERRA)
    pd.testing.assert_frame_equal(crse, before)                          # pure: inputs untouched
    assert sorted(res["local_course_id"]) == ["1001", "5001"]
    assert list(res.columns) == RESULT_COLUMNS


def test_approved_flag_as_calpads_y_n_text_and_cmp_without_derived_columns():
    crse = crse_rows(("1001", "ENG 9", "9105", "Y"), ("1002", "ENG 9 H", "9105", "N"))
    res = match_courses(crse, SIERRA)
    assert res["local_course_id"].tolist() == ["1001"]
    with_derived = SIERRA.assign(school_code=SIERRA["cds_code"].str[7:], reporting_lea=SIERRA["cds_code"].str[:7])
    pd.testing.assert_frame_equal(res, match_courses(crse, with_derived))


def test_results_use_the_shared_vocabulary_and_satisfy_the_cde_contract():
    from ccgi_assets import contracts as c
    crse, cmp, _ = load_eval()
    res = match_courses(crse, cmp)
    assert set(res["match_status"]) == set(MATCH_STATUSES)
    assert set(res["method"].dropna()) <= set(MATCH_METHODS)
    assert set(res["reason"]) <= set(REASON_CODES)
    assert all(set(REASONS[s]) >= set(res.loc[res["match_status"] == s, "reason"]) for s in MATCH_STATUSES)
    assert res["score"].between(0, 100).all()
    assert res.loc[res["match_status"].isin(["ambiguous", "not_on_cmp"]), "cmp_course_id"].isna().all()
    assert res.loc[res["match_status"].str.startswith("matched"), "cmp_course_id"].notna().all()
    c.validate(c.select_allowed(res, c.CmpMatchResult), c.CmpMatchResult)


def test_missing_columns_are_named_without_any_values():
    crse = crse_rows(("1001", "ENG 9", "9105")).drop(columns=["course_name"])
    with pytest.raises(ValueError, match="course_name") as e:
        match_courses(crse, SIERRA)
    assert "ENG 9" not in str(e.value) and "1001" not in str(e.value)


def test_empty_inputs_give_empty_results():
    res = match_courses(crse_rows(("1", "ENG 9", "9105", False)), SIERRA)
    assert res.empty and list(res.columns) == RESULT_COLUMNS
    res = match_courses(crse_rows(("1", "ENG 9", "9105")), SIERRA.iloc[0:0])
    assert res["reason"].tolist() == ["no_cmp_course_at_school"]


# ---------------------------------------------------------------------------------------------- unmatched CMP courses
def test_cmp_courses_no_calpads_course_matched_are_listed_for_the_lea():
    cmp = pd.concat([SIERRA, cmp_rows(("160001", "English 10", "ENG 10", "", "b", "", "Online"),
                                      ("160002", "English 10", "ENG 10", "", "b", "", "Classroom Based")),
                     cmp_rows(("777", "Biology", "BIO", "", "d"), school="3630009")], ignore_index=True)
    crse = crse_rows(("1001", "ENG 9", "9105"), ("E10", "ENGLISH 10", "9106"), ("L1", "SPANISH 1", "9241"))
    res = match_courses(crse, cmp)
    un = unmatched_cmp_courses(crse, cmp, res)
    assert list(un.columns) == UNMATCHED_COLUMNS
    reason = un.set_index("cmp_course_id")["reason"]
    assert "110001" not in reason and "110033" not in reason        # matched (and matched with subject mismatch)
    assert reason["110002"] == "no_calpads_course_matched"
    assert reason["160001"] == reason["160002"] == "tied_in_ambiguous_match"
    assert reason["777"] == "school_has_no_approved_crse_courses"
    assert set(un["reason"]) <= set(UNMATCHED_REASONS)
    assert (un.loc[un["cmp_course_id"] == "777", "cds_code"] == LEA + "3630009").all()


def test_scoring_blocks_on_threads_gives_the_same_results():
    crse, cmp, _ = load_eval()
    pd.testing.assert_frame_equal(match_courses(crse, cmp, workers=1), match_courses(crse, cmp, workers=2))


def test_missing_names_and_codes_do_not_break_matching():
    crse = crse_rows(("X1", None, None), ("X2", "ENG 9", None))
    res = match_courses(crse, SIERRA).set_index("local_course_id")
    assert res.loc["X1", "match_status"] == "not_on_cmp"
    assert (res.loc["X2", "match_status"], res.loc["X2", "cmp_course_id"]) == ("matched", "110001")
    assert normalize_course_names([None, float("nan"), ""])["content"].tolist() == ["", "", ""]


# ---------------------------------------------------------------------------------------------- learned vocabulary
def _schools(n: int, cmp_of, crse_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n schools of one LEA: cmp_of(i) / crse_of(i) give each school's rows (tuples as cmp_rows / crse_rows)."""
    schools = [f"36{i:05d}" for i in range(n)]
    cmp = pd.concat([cmp_rows(*cmp_of(i), school=s) for i, s in enumerate(schools)], ignore_index=True)
    crse = pd.concat([crse_rows(*crse_of(i), school=s) for i, s in enumerate(schools)], ignore_index=True)
    return crse, cmp


def test_another_name_confirmed_by_local_codes_at_two_schools_is_learned_and_used_at_a_third():
    # schools 0 and 1 list the local code of CASTELLANO 1 on their Spanish 1; school 2 lists no codes
    crse, cmp = _schools(
        3,
        lambda i: [("S1", "Spanish 1", "", "L1" if i < 2 else "", "e"), ("S2", "Spanish 2", "", "", "e"),
                   ("F2", "French 2", "", "", "e"), ("E9", "English 9", "", "", "b")],
        lambda i: [("L1", "CASTELLANO 1", "9130"), ("L2", "CASTELLANO 2", "9131"), ("E9", "ENGLISH 9", "9105")])
    vocab = learn_vocabulary(crse, cmp)
    row = vocab.set_index("word").loc["castellano"]
    assert (row["means"], row["schools"], row["source"]) == ("spanish", 2, "local_course_code")
    assert list(vocab.columns) == LEARNED_COLUMNS
    res = match_courses(crse, cmp).set_index(["school_code", "local_course_id"])
    assert res.loc[("3600002", "L2"), ["match_status", "cmp_course_title", "reason"]].tolist() == \
        ["matched", "Spanish 2", "name_match"]
    # without it, French 2 and Spanish 2 are both left over at the level: no name says which, nothing is matched
    res = match_courses(crse, cmp, learn=False).set_index(["school_code", "local_course_id"])
    assert res.loc[("3600002", "L2"), "match_status"] == "not_on_cmp"
    # the table the asset writes is the table the matcher applies
    pd.testing.assert_frame_equal(match_courses(crse, cmp), match_courses(crse, cmp, vocabulary=vocab))
    from ccgi_assets import contracts as c
    c.validate(c.select_allowed(vocab, c.LearnedCourseVocabulary), c.LearnedCourseVocabulary)


def test_a_word_seen_at_one_school_only_or_confirmed_as_itself_elsewhere_is_not_learned():
    one_school, cmp = _schools(1, lambda i: [("S1", "Spanish 1", "", "L1", "e")],
                               lambda i: [("L1", "CASTELLANO 1", "9130")])
    assert "castellano" not in set(learn_vocabulary(one_school, cmp)["word"])
    # two schools call their Biology "The Living Earth"; five confirm biology as biology: biology keeps its meaning
    crse, cmp = _schools(
        7, lambda i: [("B", "The Living Earth" if i < 2 else "Biology", "", "B1", "d"), ("C", "Chemistry", "", "", "d")],
        lambda i: [("B1", "BIOLOGY", "9324")])
    assert "biology" not in set(learn_vocabulary(crse, cmp)["word"])


def test_a_program_prefix_confirmed_on_several_courses_means_nothing():
    crse, cmp = _schools(
        2,
        lambda i: [("1", "English 9", "", "E9" if i == 0 else "", "b"), ("2", "Geometry", "", "G" if i == 0 else "", "c"),
                   ("3", "Chemistry", "", "C" if i == 0 else "", "d"), ("4", "Physics", "", "", "d"),
                   ("5", "Physical Science", "", "", "d")],
        lambda i: [("E9", "LNKD ENGLISH 9", "9105"), ("G", "LNKD GEOMETRY", "9255"), ("C", "LNKD CHEMISTRY", "9325"),
                   ("P", "LNKD PHYSICS", "9326")])
    assert learn_vocabulary(crse, cmp).set_index("word").loc["lnkd", "means"] == ""
    res = match_courses(crse, cmp).set_index(["school_code", "local_course_id"])
    assert res.loc[("3600001", "P"), ["match_status", "cmp_course_title", "reason"]].tolist() == \
        ["matched", "Physics", "name_match"]


# ---------------------------------------------------------------------------------------------- per-school decision
def test_the_only_course_of_an_area_left_on_both_sides_is_matched_and_says_so():
    cmp = cmp_rows(("1", "English 9", "ENG 9", "", "b"), ("2", "Mandarin Chinese 1", "", "", "e"))
    crse = crse_rows(("E9", "ENG 9", "9105"), ("C1A", "CHINESE LANG 1 A", "9130"), ("C1B", "CHINESE LANG 1 B", "9130"))
    res = match_courses(crse, cmp).set_index("local_course_id")
    for part in ("C1A", "C1B"):                                   # semester parts move together
        assert res.loc[part, ["match_status", "cmp_course_id", "reason", "method"]].tolist() == \
            ["matched", "2", "only_course_left_in_area", "title"]
        assert res.loc[part, "score"] < 85                        # not a name match on its own
    # two left-over language courses of the level, neither clearly closer: not matched
    cmp2 = pd.concat([cmp, cmp_rows(("3", "Japanese Language 1", "", "", "e"))], ignore_index=True)
    r = one(crse, cmp2, "C1A")
    assert (r["match_status"], r["reason"]) == ("not_on_cmp", "best_score_below_threshold")
    # another level is not a left-over of this one (Chinese 1 is not Mandarin Chinese 2)
    cmp3 = cmp_rows(("1", "English 9", "ENG 9", "", "b"), ("2", "Mandarin Chinese 2", "", "", "e"))
    assert one(crse, cmp3, "C1A")["match_status"] == "not_on_cmp"


def test_a_tie_or_a_lookalike_is_not_a_left_over():
    # a title that is the name with a qualifier in front is another course (Marine Biology is not Biology)
    cmp = cmp_rows(("1", "Marine Biology", "", "", "d"))
    assert one(crse_rows(("B", "BIOLOGY", "9324")), cmp, "B")["match_status"] == "not_on_cmp"
    # a CMP course of another a-g area is never taken by area
    cmp = cmp_rows(("1", "Mandarin Chinese 1", "", "", "e"))
    assert one(crse_rows(("C1", "CHINESE LANG 1", "9105")), cmp, "C1")["match_status"] == "not_on_cmp"


# ---------------------------------------------------------------------------------------------- AP / IB level of the code
def test_state_code_of_another_ap_ib_level_is_reported_not_obeyed():
    only_plain = cmp_rows(("1", "Chemistry", "CHEM", "", "d"), ("2", "Biology", "BIO", "", "d"))
    r = one(crse_rows(("C", "CHEMISTRY", "9349")), only_plain, "C")          # 9349: AP Chemistry
    assert (r["match_status"], r["cmp_course_id"], r["reason"]) == ("matched", "1", "state_code_level_differs")
    both = pd.concat([only_plain, cmp_rows(("3", "AP Chemistry", "AP CHEM", "", "d", "AP"))], ignore_index=True)
    res = match_courses(crse_rows(("C", "CHEMISTRY", "9349"), ("A", "AP CHEM", "9349"), ("B", "AP BIOLOGY", "9324")),
                        both).set_index("local_course_id")
    assert res.loc["C", ["cmp_course_id", "reason"]].tolist() == ["1", "state_code_level_differs"]
    assert res.loc["A", ["cmp_course_id", "reason"]].tolist() == ["3", "name_match"]
    # the code still supplies a level the name leaves out when the list agrees with the code
    ap_only = cmp_rows(("1", "AP Calculus AB", "AP CALC AB", "", "c", "AP"))
    r = one(crse_rows(("K", "CALCULUS AB", "9268")), ap_only, "K")
    assert (r["match_status"], r["cmp_course_id"], r["reason"]) == ("matched", "1", "name_match")


def test_the_lea_report_lists_courses_whose_state_code_level_differs():
    import datetime as dt

    from ccgi_assets.reports import REASON_TEXT, render_lea_report
    cmp = cmp_rows(("1", "Chemistry", "CHEM", "", "d"), ("2", "English 9", "ENG 9", "", "b"))
    crse = crse_rows(("C", "CHEMISTRY", "9349"), ("E", "ENG 9", "9105"))
    res = match_courses(crse, cmp)
    figures = pd.DataFrame(columns=["reporting_lea", "section", "school_code", "grade_level_code", "measure", "value",
                                    "suppressed"])
    report = render_lea_report(LEA, res, unmatched_cmp_courses(crse, cmp, res), figures,
                               dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    action = report.csvs["courses_needing_action.csv"]
    assert "state_code_level_differs" in action and ",C," in action and ",E," not in action
    assert 'data-reason="state_code_level_differs"' in report.html
    assert "state course code is for another level" in REASON_TEXT["state_code_level_differs"]
    assert "state course code is for another level" in report.html


# ---------------------------------------------------------------------------------------------- one content-area table
def test_generator_and_matcher_read_one_content_area_table():
    from ccgi_assets import content_areas, generate
    from ccgi_assets.matching.vocabulary import _state_codes
    # the generator's letter for an area is one the matcher accepts; CTE may be approved in any area
    for area, letter in generate.CONTENT_AREA_SUBJECTS.items():
        assert letter in CONTENT_AREA_SUBJECTS[area]
    assert CONTENT_AREA_SUBJECTS["Career Technical Education"] == "abcdefg"
    assert content_areas.allowed_subjects("Physical Education") == "g"
    sc = _state_codes().set_index("code")
    assert sc.loc["9325", "subjects"] == "dg" and sc.loc["7130", "subjects"] == "abcdefg"


# ---------------------------------------------------------------------------------------------- evaluation
def test_variant_words_are_not_in_the_hand_tables():
    from match_eval_variants import OTHER_NAMES, OTHER_TITLES, PREFIXES

    from ccgi_assets.matching import ABBREVIATIONS, SYNONYMS
    words = {w for alts in OTHER_NAMES.values() for a in alts for w in a.split()}
    words |= {w.lower() for alts in OTHER_TITLES.values() for a in alts for w in a.split()}
    words |= {p.lower() for p in PREFIXES}
    assert words and not words & (set(ABBREVIATIONS) | set(SYNONYMS))


@pytest.fixture(scope="module")
def variants():
    from match_eval_variants import build
    crse, cmp, expected = build()
    return crse, cmp, expected.drop(columns="kind")


def test_variants_set_built_from_state_codes_precision_and_recall(variants):
    from match_eval_variants import evaluate
    pr = evaluate(*variants)
    print(f"\nvariants set: precision {pr['precision']:.4f} recall {pr['recall']:.4f} "
          f"(recall by name {pr['name_recall']:.4f} over {pr['name_courses']} courses)")
    assert pr["matches_expected"] > 4000
    assert pr["precision"] >= 0.995 and pr["recall"] >= 0.985 and pr["name_recall"] >= 0.98


@pytest.mark.parametrize("table", ["abbreviations", "synonyms", "phrases"])
def test_leave_one_hand_table_out_recall_stays_high_on_both_sets(table, variants):
    from match_eval_variants import evaluate
    for name, data, floor in (("hand-written", load_eval(), 0.99), ("variants", variants, 0.985)):
        pr = evaluate(*data, without=(table,))
        print(f"\n{name} without {table}: precision {pr['precision']:.4f} recall {pr['recall']:.4f} "
              f"by name {pr['name_recall']:.4f}")
        assert pr["precision"] >= 0.995 and pr["recall"] >= floor and pr["name_recall"] >= 0.98, (name, table, pr)


def test_learned_words_recover_names_the_tables_do_not_know(variants):
    from match_eval_variants import evaluate
    learned = evaluate(*variants, without=("abbreviations",))
    not_learned = evaluate(*variants, without=("abbreviations",), learn=False)
    assert learned["name_recall"] >= not_learned["name_recall"] + 0.01
    assert learned["precision"] >= not_learned["precision"] - 0.001
