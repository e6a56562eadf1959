"""Wall time and peak memory of the platform-sharing functions and the LEA report at large-LEA and state scale.

    .venv/bin/python bench/bench_platform.py              # a large LEA (150,000 students) + CDE extract at 500,000
    .venv/bin/python bench/bench_platform.py --full       # CDE extract over 2,000,000 rostered students (state scale)

Data is synthetic (numpy, seeded), shaped like the generator's platform files: ~75% of students registered, grade-12
applicants to UC/CSU/CCC, consents mostly granted before submission with some late and some revoked, 0-4 planning
items and 0-5 activities per registered student, ~14 course rows per student. Each step runs in this process; peak
RSS is the process's (``ru_maxrss``), so read it as an upper bound for the step that set it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import pandas as pd

from ccgi_assets import platform as pf
from ccgi_assets.reports import render_lea_report

LEA = "1964733"
DAY = np.timedelta64(1, "D")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ids(start: int, n: int) -> np.ndarray:
    return np.char.zfill((start + np.arange(n)).astype(str), 10)


def make_lea(n: int, schools: int, seed: int = 1, lea: str = LEA, start: int = 1_000_000_000):
    rng = np.random.default_rng(seed)
    ssid = _ids(start, n)
    school = np.char.add(lea[:3], np.char.zfill((1000 + rng.integers(0, schools, n)).astype(str), 4))
    grade = rng.choice(np.array(["09", "10", "11", "12"]), n)
    roster = pd.DataFrame({"reporting_lea": lea, "ssid": ssid, "local_student_id": ssid, "school_code": school,
                           "grade_level_code": grade}).astype("string[pyarrow]")
    per = 14
    courses = pd.DataFrame({
        "reporting_lea": lea, "ssid": np.repeat(ssid, per), "school_code": np.repeat(school, per),
        "academic_year": "2025-2026", "academic_term_code": "FY",
        "local_course_id": np.tile(np.char.zfill(np.arange(per).astype(str), 4), n),
        "course_name": "ENG 9", "state_course_code": "2101", "ag_subject_area": "B", "final_grade": "A",
    }).astype("string[pyarrow]").assign(credits_attempted=5.0, credits_earned=5.0)
    t0 = np.datetime64("2025-08-25T00:00:00")
    reg = rng.random(n) < 0.75
    reg_at = t0 + rng.integers(0, 200, n) * DAY
    accounts = pd.DataFrame({"ssid": ssid[reg], "registered_at": reg_at[reg], "reporting_lea": lea})
    g12 = np.flatnonzero(reg & (grade == "12"))
    a_i, a_sys = [], []
    for s, p in (("UC", 0.3), ("CSU", 0.4), ("CCC", 0.3)):
        who = g12[rng.random(len(g12)) < p]
        a_i.append(who)
        a_sys.append(np.full(len(who), s))
    a_i, a_sys = np.concatenate(a_i), np.concatenate(a_sys)
    a_at = reg_at[a_i] + rng.integers(1, 90, len(a_i)) * DAY
    apps = pd.DataFrame({"ssid": ssid[a_i], "system": a_sys, "submitted_at": a_at, "reporting_lea": lea})
    late = rng.random(len(a_i)) < 0.1
    c_at = np.where(late, a_at + 5 * DAY, a_at - 3 * DAY)
    rev = rng.random(len(a_i)) < 0.05
    consents = pd.DataFrame({"ssid": np.concatenate([ssid[a_i], ssid[a_i[rev]]]),
                             "system": np.concatenate([a_sys, a_sys[rev]]),
                             "granted": np.concatenate([np.ones(len(a_i), bool), np.zeros(int(rev.sum()), bool)]),
                             "recorded_at": np.concatenate([c_at, c_at[rev] + 10 * DAY]), "reporting_lea": lea})
    regi = np.flatnonzero(reg)
    p_i = np.repeat(regi, rng.integers(0, 5, len(regi)))
    planning = pd.DataFrame({"ssid": ssid[p_i], "item_type": "career", "item": "Nurse",
                             "recorded_at": reg_at[p_i] + DAY, "reporting_lea": lea})
    q_i = np.repeat(regi, rng.integers(0, 6, len(regi)))
    acts = pd.DataFrame({"ssid": ssid[q_i], "activity": "Lesson", "completed_at": reg_at[q_i] + 2 * DAY,
                         "reporting_lea": lea})
    return roster, courses, accounts, apps, consents, planning, acts


def timed(label: str, fn, rows: str = ""):
    t = time.perf_counter()
    out = fn()
    print(f"| {label} | {time.perf_counter() - t:6.2f} s | {_rss_mb():7.0f} MB | {rows or ''} |", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="CDE extract over 2,000,000 rostered students")
    ap.add_argument("--lea-students", type=int, default=150_000)
    ap.add_argument("--schools", type=int, default=300)
    args = ap.parse_args()

    print("| step | wall | peak RSS | size |\n|---|---|---|---|")
    roster, courses, accounts, apps, consents, planning, acts = timed(
        "make large LEA", lambda: make_lea(args.lea_students, args.schools))
    sub = timed("statewide_submissions (one LEA)", lambda: pf.statewide_submissions(LEA, roster, courses, apps, consents, accounts),
                f"{len(roster):,} students, {len(courses):,} course rows, {len(apps):,} applications")
    counts = pf.submission_counts(sub)
    print(f"|   sent | | | {len(sub):,} rows; " + ", ".join(f"{k} {v['students']:,} students" for k, v in counts.items()) + " |")
    figs = timed("activity_figures (one LEA)", lambda: pf.activity_figures(LEA, roster, accounts, apps, acts),
                 f"{args.schools} schools x 4 grades -> {len(pf.ACTIVITY_MEASURES)} measures")
    mr = pd.DataFrame({"reporting_lea": LEA, "school_code": np.repeat(roster["school_code"].unique()[: args.schools], 40)})
    n = len(mr)
    rng = np.random.default_rng(2)
    mr = mr.assign(academic_year="2025-2026", local_course_id=[f"{i:05d}" for i in range(n)], course_name="ENG 9 H",
                   state_course_code="2101", cmp_course_id="C1", cmp_course_title="English 9 Honors",
                   cmp_subject_area="b",
                   match_status=rng.choice(["matched", "matched", "matched", "not_on_cmp", "ambiguous",
                                            "matched_subject_mismatch"], n),
                   score=90.0, method="title", reason="title_similar")
    um = pd.DataFrame({"reporting_lea": LEA, "school_code": mr["school_code"].iloc[:500], "cmp_course_id": "C9",
                       "course_title": "Dance 1", "subject_area": "f"})
    figures = pd.concat([pf.match_figures(LEA, mr), figs], ignore_index=True)
    rep = timed("render_lea_report (one LEA)",
                lambda: render_lea_report(LEA, mr, um, figures, dt.datetime.now(dt.timezone.utc)),
                f"{n:,} courses, {len(figures):,} figures")
    print(f"|   report | | | HTML {len(rep.html) / 1e6:.1f} MB (plotly.js {4.8:.1f} MB of it) |")
    del sub, courses, rep

    n_state = 2_000_000 if args.full else 500_000
    leas = 500 if args.full else 125
    per = n_state // leas
    parts = timed("make rosters for CDE extract", lambda: [make_lea(per, 8, seed=i, lea=f"{1000000 + i:07d}",
                                                                    start=1_000_000_000 + i * per) for i in range(leas)],
                  f"{leas} LEAs")
    rosters = pd.concat([p[0] for p in parts], ignore_index=True)
    acc = pd.concat([p[2] for p in parts], ignore_index=True)
    ap_ = pd.concat([p[3] for p in parts], ignore_index=True)
    pl = pd.concat([p[5] for p in parts], ignore_index=True)
    ac = pd.concat([p[6] for p in parts], ignore_index=True)
    del parts
    ex = timed("cde_extract (statewide)", lambda: pf.cde_extract(rosters, acc, ap_, pl, ac),
               f"{len(rosters):,} rostered, {len(acc):,} accounts, {len(ap_):,} applications, {len(pl):,} planning, "
               f"{len(ac):,} activities")
    print(f"|   sent | | | {len(ex):,} students |")


if __name__ == "__main__":
    main()
