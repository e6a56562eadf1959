"""The synthetic state generator: determinism, CALPADS layout, and the traps the flows rely on."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccgi_assets.generate import (
    CONTENT_AREA_SUBJECTS,
    PLATFORM_FILES,
    GenerateSummary,
    _catalog,
    generate,
    layout_columns,
)

STUDENTS, LEAS, SEED = 2000, 4, 7
RECORD_TYPES = ("SENR", "SINF", "CRSE", "SCSC")
AG_CODES = {"A", "B", "C", "D", "E", "F", "GA", "GB", "GC", "GD", "GE", "GF", "GO"}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read(root: Path, rt: str) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Rows with the layout's field count (as strings, blanks ""), and the (file, line) of the others."""
    cols = layout_columns(rt)
    good, bad = [], []
    for p in sorted((root / "share" / rt).glob("*.txt")):
        for n, line in enumerate(p.read_text(encoding="utf-8").split("\n")[:-1], start=1):
            fields = line.split("^")
            if len(fields) == len(cols):
                good.append(fields)
            else:
                bad.append((p.name, n))
    return pd.DataFrame(good, columns=cols), bad


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    root = tmp_path_factory.mktemp("state")
    return root, generate(root, STUDENTS, LEAS, SEED)


@pytest.fixture(scope="module")
def tables(state) -> dict[str, pd.DataFrame]:
    root, _ = state
    return {rt: _read(root, rt)[0] for rt in RECORD_TYPES}


@pytest.fixture(scope="module")
def cmp(state) -> pd.DataFrame:
    root, s = state
    return pd.read_csv(root / "cmp" / f"cmp_{s.academic_year}.csv", dtype=str, keep_default_na=False)


def _latest_senr(senr: pd.DataFrame) -> pd.DataFrame:
    ok = senr[senr["enrollment_start_date"].str.fullmatch(r"\d{8}")]
    return ok.sort_values(["ssid", "enrollment_start_date", "enrollment_status_code"],
                          ascending=[True, True, False]).groupby("ssid").tail(1)


# ---------------------------------------------------------------------------------------------
# determinism and layout

def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(state, tmp_path):
    root, summary = state
    again = generate(tmp_path / "again", STUDENTS, LEAS, SEED)
    first, second = _files(root), _files(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert again.rows == summary.rows
    other = _files(Path(generate(tmp_path / "other", STUDENTS, LEAS, SEED + 1).out))
    assert set(first.values()).isdisjoint(v for k, v in other.items() if k.startswith("share/"))


def test_writes_the_ccgi_home_layout(state):
    root, s = state
    assert len(s.leas) == LEAS and all(re.fullmatch(r"\d{7}", c) for c in s.leas)
    for rt in RECORD_TYPES:
        assert sorted(p.stem for p in (root / "share" / rt).glob("*.txt")) == sorted(s.leas)
    assert (root / "cmp" / "cmp_2025-2026.csv").is_file()
    cfg = pd.read_csv(root / "config" / "lea_participation.csv", dtype=str)
    assert list(cfg.columns) == ["reporting_lea", "model", "lea_name"]
    assert cfg["lea_name"].str.contains("School District").all() and cfg["lea_name"].is_unique  # a name a person knows
    assert dict(zip(cfg.reporting_lea, cfg.model)) == {
        **{c: "opt_in" for c in s.opt_in_leas}, **{c: "statewide" for c in s.statewide_leas}}
    assert s.opt_in_leas and s.statewide_leas
    for lea in s.opt_in_leas:
        (f,) = (root / "landing" / "optin" / lea).glob("optin_*.csv")
        assert re.fullmatch(r"optin_\d{8}\.csv", f.name)
    assert not (root / "landing" / "optin").joinpath(s.statewide_leas[0]).exists()
    for lea in s.leas:
        for name, cols in PLATFORM_FILES.items():
            head = (root / "platform" / lea / f"{name}.csv").read_text(encoding="utf-8").split("\n")[0]
            assert head == ",".join(cols)


def test_every_calpads_row_has_the_layout_field_count_except_the_counted_dirty_ones(state):
    root, s = state
    for rt in RECORD_TYPES:
        rows, bad = _read(root, rt)
        assert len(rows) + len(bad) == s.rows[rt]
        assert len(bad) <= s.dirty_rows[rt]
        assert (rows["record_type_code"] == rt).all()
        reserved = [c for c in rows.columns if c.startswith("reserved_")]
        assert (rows[reserved] == "").all().all()
        assert (rows["reporting_lea"].isin(s.leas)).all()
    assert all(n >= 1 for n in s.dirty_rows.values())


def test_the_calpads_reader_accepts_every_row_but_the_dirty_ones(state):
    calpads = pytest.importorskip("ccgi_assets.calpads")
    root, s = state
    for rt in RECORD_TYPES:
        rejected: dict[str, int] = {}
        n = 0
        for p in sorted((root / "share" / rt).glob("*.txt")):
            df = calpads.read_calpads(p, on_error="skip")
            n += len(df)
            for rule, k in df.attrs["rejected"].items():
                rejected[rule] = rejected.get(rule, 0) + k
        assert sum(rejected.values()) == s.dirty_rows[rt], (rt, rejected)
        assert set(rejected) <= {"field_count", "bad_date"}
        assert n == s.rows[rt] - s.dirty_rows[rt]


def test_ids_keep_leading_zeros_and_formats(tables):
    senr = tables["SENR"]
    assert senr["ssid"].str.fullmatch(r"\d{10}").all()
    assert senr["ssid"].str.startswith("0").any()
    assert senr["local_student_id"].str.len().between(1, 16).all()
    assert senr["local_student_id"].str.startswith("0").any()
    assert senr["school_of_attendance"].str.fullmatch(r"\d{7}").all()
    assert senr["academic_year_id"].eq("2025-2026").all()
    # one SSID per student statewide, one local ID per student within an LEA
    cur = senr[senr["enrollment_exit_date"] == ""]
    per_lea = senr.groupby(["reporting_lea", "local_student_id"])["ssid"].nunique()
    assert (per_lea == 1).all()
    assert cur["ssid"].nunique() == STUDENTS


# ---------------------------------------------------------------------------------------------
# students

def test_grades_6_to_12_and_birth_dates_fit_the_grade(tables):
    senr = tables["SENR"]
    senr = senr[senr["student_birth_date"].str.fullmatch(r"\d{8}")]
    assert set(senr["grade_level_code"]) == {f"{g:02d}" for g in range(6, 13)}
    birth = pd.to_datetime(senr["student_birth_date"], format="%Y%m%d")
    age = (pd.Timestamp("2025-09-01") - birth).dt.days // 365.25
    offset = age - senr["grade_level_code"].astype(int)
    assert offset.isin([5, 6]).all()
    assert (offset == 5).mean() > 0.9


def test_names_are_realistic_with_accents_and_hyphens(tables):
    senr = tables["SENR"]
    names = pd.concat([senr["student_legal_first_name"], senr["student_legal_last_name"]])
    assert names.str.contains(r"[^\x00-\x7f]").any()  # José, Peña, Nguyễn
    assert senr["student_legal_last_name"].str.contains("-").any()
    assert (senr["student_legal_first_name"] != "").all() and (senr["student_legal_last_name"] != "").all()
    assert set(senr["student_gender_code"]) == {"F", "M", "X"}


def test_transfers_leave_an_exited_row_in_the_old_lea_and_an_open_later_one_in_the_new(tables, state):
    _, s = state
    senr = tables["SENR"]
    senr = senr[senr["enrollment_start_date"].str.fullmatch(r"\d{8}")]
    exited = senr[senr["enrollment_exit_date"] != ""]
    assert (exited["student_exit_reason_code"] == "T160").all()
    moved = exited["ssid"].unique()
    assert 0.03 * STUDENTS < len(moved) < 0.07 * STUDENTS
    latest = _latest_senr(senr).set_index("ssid")
    for ssid, old in exited.drop_duplicates("ssid").set_index("ssid").iterrows():
        new = latest.loc[ssid]
        assert new["enrollment_exit_date"] == ""
        assert new["reporting_lea"] != old["reporting_lea"]
        assert new["enrollment_start_date"] > old["enrollment_exit_date"] >= old["enrollment_start_date"]
    # the student's courses are reported by the LEA of the latest enrollment
    scsc = tables["SCSC"]
    course_lea = scsc.drop_duplicates("ssid").set_index("ssid")["reporting_lea"]
    mv = [x for x in moved if x in course_lea.index]
    assert mv and all(course_lea[x] == latest.loc[x, "reporting_lea"] for x in mv)
    assert s.transfers == len(moved)


def test_latest_enrollment_of_every_student_is_open(tables):
    latest = _latest_senr(tables["SENR"])
    primary = tables["SENR"][tables["SENR"]["enrollment_status_code"] == "10"]
    latest_primary = _latest_senr(primary)
    assert (latest_primary["enrollment_exit_date"] == "").all()
    assert (latest["enrollment_exit_date"] == "").all()


def test_sinf_history_has_end_dated_earlier_records_that_differ(tables):
    sinf = tables["SINF"]
    sinf = sinf[sinf["effective_start_date"].str.fullmatch(r"\d{8}")
                & sinf["effective_end_date"].str.fullmatch(r"(\d{8})?")]
    ended = sinf[sinf["effective_end_date"] != ""]
    assert 0.01 * STUDENTS < ended["ssid"].nunique() < 0.06 * STUDENTS
    current = sinf[sinf["effective_end_date"] == ""]
    changed_name = changed_gender = 0
    for _, old in ended.iterrows():
        new = current[(current["ssid"] == old["ssid"]) & (current["reporting_lea"] == old["reporting_lea"])]
        assert len(new) == 1
        new = new.iloc[0]
        assert new["effective_start_date"] > old["effective_end_date"] >= old["effective_start_date"]
        changed_name += new["student_legal_last_name"] != old["student_legal_last_name"]
        changed_gender += new["student_gender_code"] != old["student_gender_code"]
        assert (new["student_legal_last_name"] != old["student_legal_last_name"]) or (
            new["student_gender_code"] != old["student_gender_code"])
    assert changed_name and changed_gender


def test_sinf_carries_pii_that_a_leak_test_can_look_for(tables):
    sinf = tables["SINF"]
    for col in ("address_line_1", "address_city", "address_zip_code", "guardian_1_first_name",
                "guardian_1_last_name", "race_1_code", "hispanic_ethnicity_indicator"):
        assert (sinf[col] != "").mean() > 0.95, col
    assert sinf["address_zip_code"].str.fullmatch(r"9\d{4}").all()


# ---------------------------------------------------------------------------------------------
# courses and the CMP list

def test_crse_courses_per_school_and_course_level_fields(tables, state):
    _, s = state
    crse = tables["CRSE"]
    per_school = crse.groupby("school_of_course_delivery")["local_course_id"].nunique()
    assert s.high_schools + s.middle_schools == len(per_school)
    assert (per_school.sort_values().iloc[-s.high_schools:].between(150, 250)).all()
    assert crse["seid"].str.fullmatch(r"\d{10}").all()
    assert crse["local_course_id"].str.len().le(10).all()
    assert set(crse["academic_term_code"]) == {"S1", "S2"}
    assert not crse.duplicated(["school_of_course_delivery", "course_section_id", "academic_term_code"]).any()
    # abbreviated names, as schools write them
    names = set(crse["course_name"])
    assert {"ENG 9 H", "ENG9H", "ENG 9 HON", "ENGLISH 9 HONORS"} & {n.removesuffix(" A/B") for n in names}
    assert all(n == n.upper() for n in names)
    # a course-level field disagrees across sections for a few courses (~1%)
    fields = ["state_course_code", "course_name", "uc_csu_approved_indicator"]
    nunique = crse.groupby(["school_of_course_delivery", "local_course_id"])[fields].nunique()
    conflicted = (nunique > 1).any(axis=1)
    assert 0 < conflicted.sum() <= 0.03 * len(nunique)
    assert conflicted.sum() == s.discrepancies["course_conflicts"]


def test_state_course_codes_match_the_subject_of_the_course(tables):
    codes = pd.read_csv(Path(__file__).parents[1] / "ccgi_assets" / "reference" / "state_course_codes.tsv",
                        sep="\t", dtype=str).dropna(subset=["code"]).set_index("code")
    crse = tables["CRSE"]
    assert crse["state_course_code"].isin(codes.index).all()
    area = crse["state_course_code"].map(codes["content_area"])
    eng = crse["course_name"].str.match(r"(ENG|ENGLISH) (9|10|11|12)\b")
    assert (area[eng] == "English").all()
    math = crse["course_name"].str.match(r"(ALG|INT MATH|GEOM|AP CALC|PRECALC)")
    assert (area[math] == "Mathematics").all()


def _title_of_name() -> dict[str, set[str]]:
    C = _catalog()
    out: dict[str, set[str]] = {}
    for t, abbrevs in enumerate(C.abbrevs):
        for a in abbrevs:
            out.setdefault(a, set()).add(C.title[t])
    return out


def _strip(name: str) -> str:
    return re.sub(r"( S1| S2| A| B|-1|-2| A/B)$", "", name)


def test_cmp_list_has_titles_abbreviations_and_the_documented_discrepancies(tables, cmp, state):
    _, s = state
    assert list(cmp.columns) == ["cmp_course_id", "cds_code", "atp_code", "school_name", "course_title",
                                 "transcript_abbreviations", "local_course_codes", "subject_area",
                                 "honors_type", "learning_environment", "list_year"]
    assert cmp["cmp_course_id"].is_unique
    assert cmp["cds_code"].str.fullmatch(r"\d{14}").all()
    assert cmp["atp_code"].str.fullmatch(r"\d{6}").all()
    assert set(cmp["subject_area"]) <= set("abcdefg")
    assert set(cmp["honors_type"]) <= {"", "UC Honors", "AP", "IB"}
    assert (cmp["list_year"] == "2025-2026").all()
    crse = tables["CRSE"]
    crse = crse.assign(cds=crse["reporting_lea"] + crse["school_of_course_delivery"])
    assert set(cmp["cds_code"]) <= set(crse["cds"])
    # official titles on the CMP, school abbreviations in CALPADS
    for title in ("English 9 Honors", "AP Calculus AB", "Algebra II", "Chemistry Honors",
                  "Spanish 2", "United States History"):
        assert title in set(cmp["course_title"]), title
    assert not set(cmp["course_title"]) & set(crse["course_name"])
    # lookalike titles at one school
    both = cmp.groupby("cds_code")["course_title"].agg(lambda t: {"English 9", "English 9 Honors"} <= set(t))
    assert both.any()
    # local course codes: filled with the school's CRSE IDs, empty, or stale
    codes = cmp["local_course_codes"]
    assert 0.4 < (codes != "").mean() < 0.8
    crse_ids = set(zip(crse["cds"], crse["local_course_id"]))
    listed = [(cds, c) for cds, cc in zip(cmp["cds_code"], codes) for c in cc.split("|") if c]
    stale = [x for x in listed if x not in crse_ids]
    assert 0 < len(stale) < 0.3 * len(listed)
    # approved in CALPADS but missing from CMP, and on CMP but not in CALPADS (by title, unambiguous names)
    title_of = _title_of_name()
    approved = crse[crse["uc_csu_approved_indicator"] == "Y"]
    missing = extra = 0
    for cds, grp in approved.groupby("cds"):
        titles = {next(iter(title_of[_strip(n)])) for n in grp["course_name"]
                  if len(title_of.get(_strip(n), ())) == 1}
        all_titles = set().union(*(title_of.get(_strip(n), set()) for n in crse.loc[crse.cds == cds, "course_name"]))
        on_cmp = set(cmp.loc[cmp.cds_code == cds, "course_title"])
        missing += len(titles - on_cmp)
        extra += len(on_cmp - all_titles)
    assert missing > 0 and extra > 0
    assert s.discrepancies["cmp_missing"] > 0 and s.discrepancies["cmp_extra"] > 0
    # subject area contradicting the state course code's content area (~1%)
    assert 0 < s.discrepancies["cmp_subject_mismatch"] <= 0.03 * len(cmp)
    assert set(CONTENT_AREA_SUBJECTS.values()) <= set("abcdef")


def test_scsc_courses_per_student_terms_and_a_g_codes(tables):
    scsc, crse, senr = tables["SCSC"], tables["CRSE"], tables["SENR"]
    assert set(scsc["academic_term_code"]) == {"S1", "S2"}
    assert set(scsc["uc_csu_admission_requirement_code"]) - {""} <= AG_CODES
    assert (scsc["uc_csu_admission_requirement_code"] != "G").all()
    assert set(scsc["student_credits_attempted"]) == {"5.0"}
    assert set(scsc["student_credits_earned"]) == {"0.0", "5.0"}
    assert ((scsc["student_course_final_grade"] == "F") == (scsc["student_credits_earned"] == "0.0")).all()
    # every student course record points at a section of the school's CRSE
    sections = set(zip(crse["school_of_course_delivery"], crse["local_course_id"], crse["course_section_id"],
                       crse["academic_term_code"]))
    keys = zip(scsc["school_of_course_delivery"], scsc["local_course_id"], scsc["course_section_id"],
               scsc["academic_term_code"])
    assert all(k in sections for k in keys)
    # a-g code present exactly for UC/CSU-approved courses (by the course's majority indicator)
    ind = (crse.groupby(["school_of_course_delivery", "local_course_id"])["uc_csu_approved_indicator"]
           .agg(lambda x: x.mode().iloc[0]))
    approved = pd.Series(list(zip(scsc["school_of_course_delivery"], scsc["local_course_id"]))).map(ind)
    has_code = (scsc["uc_csu_admission_requirement_code"] != "").to_numpy()
    assert (has_code == (approved == "Y").to_numpy()).all()
    # 6-7 courses per term for high-school students, fewer for middle school
    grade = senr.drop_duplicates("ssid").set_index("ssid")["grade_level_code"].astype(int)
    per_term = scsc.groupby(["ssid", "academic_term_code"]).size().groupby("ssid").mean()
    hs = per_term[grade.reindex(per_term.index) >= 9]
    ms = per_term[grade.reindex(per_term.index) < 9]
    assert 5.5 <= hs.mean() <= 7.2
    assert ms.mean() < hs.mean()


# ---------------------------------------------------------------------------------------------
# opt-in lists and platform data

def test_opt_in_lists_miss_some_students_and_carry_the_dirty_rows(state, tables):
    root, s = state
    latest = _latest_senr(tables["SENR"][tables["SENR"]["enrollment_status_code"] == "10"])
    current_lea = latest.set_index("ssid")["reporting_lea"]
    all_ssids = set(tables["SENR"]["ssid"])
    kinds = {"nine_digit": 0, "blank": 0, "duplicate": 0, "transferred_out": 0, "unknown": 0}
    for lea in s.opt_in_leas:
        (f,) = (root / "landing" / "optin" / lea).glob("*.csv")
        lst = pd.read_csv(f, dtype=str, keep_default_na=False)
        assert lst.columns[0] == "SSID"
        ssid = lst["SSID"]
        enrolled = set(current_lea[current_lea == lea].index)
        listed = set(ssid) & enrolled
        assert 0.8 * len(enrolled) < len(listed) < len(enrolled)  # some opted out
        kinds["blank"] += int((ssid == "").sum())
        nine = ssid[ssid.str.fullmatch(r"\d{9}")]
        kinds["nine_digit"] += len(nine)
        assert (("0" + nine).isin(enrolled) & ~("0" + nine).isin(ssid)).all()  # lost its leading zero
        kinds["duplicate"] += int(ssid[ssid != ""].duplicated().sum())
        ten = ssid[ssid.str.fullmatch(r"\d{10}")]
        kinds["unknown"] += int((~ten.isin(all_ssids)).sum())
        kinds["transferred_out"] += int((ten.isin(all_ssids) & ten.map(current_lea).ne(lea)).sum())
    assert all(v > 0 for v in kinds.values()), kinds
    assert kinds == s.dirty_optin_rows


def test_platform_data_belongs_to_the_lea_roster_with_consent_edge_cases(state, tables):
    root, s = state
    latest = _latest_senr(tables["SENR"][tables["SENR"]["enrollment_status_code"] == "10"])
    current_lea = latest.set_index("ssid")["reporting_lea"]
    grade = latest.set_index("ssid")["grade_level_code"]
    acc_total = apps_total = 0
    revoked = after = other_system = 0
    for lea in s.leas:
        d = root / "platform" / lea
        acc = pd.read_csv(d / "accounts.csv", dtype=str)
        apps = pd.read_csv(d / "applications.csv", dtype=str)
        cons = pd.read_csv(d / "consents.csv", dtype=str)
        assert (acc["ssid"].map(current_lea) == lea).all()
        assert acc["ssid"].is_unique
        assert set(apps["ssid"]) <= set(acc["ssid"]) and (apps["ssid"].map(grade) == "12").all()
        assert set(apps["system"]) <= {"UC", "CSU", "CCC"} and set(cons["granted"]) <= {"true", "false"}
        assert acc["registered_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
        acc_total += len(acc)
        apps_total += len(apps)
        sub = apps.set_index(["ssid", "system"])["submitted_at"]
        for (ssid, system), g in cons.groupby(["ssid", "system"]):
            if (g["granted"] == "false").any():
                assert g.sort_values("recorded_at")["granted"].iloc[0] == "true"
                revoked += 1
            if (ssid, system) not in sub.index:
                other_system += 1
            elif (g.loc[g.granted == "true", "recorded_at"] > sub[(ssid, system)]).any():
                after += 1
    assert 0.4 * STUDENTS < acc_total < 0.7 * STUDENTS
    assert apps_total > 0 and revoked > 0 and after > 0 and other_system > 0


# ---------------------------------------------------------------------------------------------
# API behaviour

def test_summary_and_progress_messages_carry_counts_not_student_values(state, tmp_path, tables):
    _, s = state
    messages: list[str] = []
    generate(tmp_path / "p", 200, 2, 3, progress=messages.append)
    text = repr(s) + "\n".join(messages)
    senr = tables["SENR"]
    for col in ("ssid", "student_legal_last_name", "local_student_id"):
        assert not any(v in text for v in senr[col].unique() if len(v) > 4), col


def test_regenerating_replaces_the_earlier_inputs(tmp_path):
    first = generate(tmp_path, 300, 3, 1)
    second = generate(tmp_path, 300, 2, 2)
    assert sorted(p.stem for p in (tmp_path / "share" / "SENR").glob("*.txt")) == sorted(second.leas)
    assert sorted(p.name for p in (tmp_path / "platform").iterdir()) == sorted(second.leas)
    assert set(first.leas) != set(second.leas)


@pytest.mark.parametrize("kwargs", [dict(academic_year="2025-26"), dict(academic_year="2025-2027"),
                                    dict(leas=0), dict(students=3, leas=4)])
def test_bad_arguments_are_refused(tmp_path, kwargs):
    args = dict(out=tmp_path, students=100, leas=2, seed=1) | kwargs
    with pytest.raises(ValueError):
        generate(**args)
    assert not (tmp_path / "share").exists()
