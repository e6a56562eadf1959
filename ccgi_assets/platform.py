"""What leaves CCGI once students use CaliforniaColleges.edu (seed 2a steps 6-9, 2b steps 5-8): pure functions.

* :func:`statewide_submissions` — SSID and course data for UC, CSU and the community colleges, upon application
  and with the student's consent to that system (2a-6 / 2b-5).
* :func:`cde_extract` — account data for CDE: registration, applications, planning items, activities (2a-7 / 2b-6).
* :func:`activity_figures` and :func:`match_figures` — the aggregate figures of an LEA's report (Diagram 1 step 4,
  2a-9 / 2b-8), with small-cell suppression of student counts.

Platform frames are what ``resources.sources.PlatformSource.read(kind)`` returns (string ids, pandas datetimes, a
``reporting_lea`` column). A platform row whose time could not be read (``NaT``) is not evidence of anything: an
account without a registration time, an application without a submission time, an activity without a completion
time and a consent event without a recording time are left out everywhere in this module, the same way. Times are
compared as naive UTC: a time zone-aware column is converted to UTC, a naive one is taken as UTC already.

Everything here is vectorized (group-bys, merges, ``merge_asof``); nothing loops over students. Nothing here logs
or raises with a student's data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets import contracts as c
from ccgi_assets.contracts import SYSTEMS
from ccgi_assets.matching_vocab import MATCH_STATUSES

#: the smallest count of students a report may show; counts 1..SUPPRESSION_THRESHOLD-1 are suppressed
SUPPRESSION_THRESHOLD = 10
ALL = "ALL"

#: student_activity measures, in report order, with what each counts (the report's column headings use these)
ACTIVITY_MEASURES: dict[str, str] = {
    "roster_students": "Students on the roster",
    "registered_students": "Students registered on CaliforniaColleges.edu",
    "registered_percent": "Share of roster registered (%)",
    "applied_uc_students": "Students who applied to UC",
    "applied_csu_students": "Students who applied to CSU",
    "applied_ccc_students": "Students who applied to a California Community College",
    "activities_completed": "Activities completed (completions)",
    "students_with_activity": "Students with at least one completed activity",
}
#: measures that count students: primary and complementary suppression apply to these
STUDENT_COUNT_MEASURES = ["roster_students", "registered_students", "applied_uc_students", "applied_csu_students",
                          "applied_ccc_students", "students_with_activity"]
#: course_match measures: courses per match status, and all of a school's courses
MATCH_MEASURES: dict[str, str] = {**{f"courses_{s}": s for s in MATCH_STATUSES}, "courses_total": "total"}


# --------------------------------------------------------------------------- helpers
def _s(x: pd.Series) -> pd.Series:
    """Ids and codes as stripped pyarrow-backed strings (missing stays missing; vectorized in Arrow, no Python loop)."""
    if not (isinstance(x.dtype, pd.StringDtype) and x.dtype.storage == "pyarrow"):
        x = x.astype("string[pyarrow]")
    return x.str.strip()


def _isin(s: pd.Series, values) -> np.ndarray:
    """``s.isin(values)`` for id columns, through Arrow's hash set (pandas' isin on Arrow strings loops in Python)."""
    left = pa.array(s if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"
                    else s.astype("string[pyarrow]"))
    vals = values if isinstance(values, pd.Series) else pd.Series(values)
    right = pa.array(vals.astype("string[pyarrow]"))
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    if isinstance(left, pa.ChunkedArray):
        left = left.combine_chunks()
    out = pc.is_in(left, value_set=right.cast(left.type), skip_nulls=True)
    return out.to_numpy(zero_copy_only=False).astype(bool)


def _for_lea(df: pd.DataFrame, lea: str) -> pd.DataFrame:
    if "reporting_lea" in df.columns:
        return df[_s(df["reporting_lea"]) == lea]
    return df


def _times(s: pd.Series) -> pd.Series:
    s = pd.to_datetime(s, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:  # compare everything as naive UTC
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def _applications(applications: pd.DataFrame) -> pd.DataFrame:
    """Readable application rows: ssid, system (UC/CSU/CCC), submitted_at."""
    a = pd.DataFrame({"ssid": _s(applications["ssid"]), "system": _s(applications["system"]).str.upper(),
                      "submitted_at": _times(applications["submitted_at"])})
    return a[a["ssid"].notna() & a["system"].isin(SYSTEMS) & a["submitted_at"].notna()]


def _latest_applications(applications: pd.DataFrame) -> pd.DataFrame:
    """The latest submission per (ssid, system)."""
    a = _applications(applications)
    return (a.groupby(["ssid", "system"], sort=False, observed=True)["submitted_at"].max().reset_index())


# --------------------------------------------------------------------------- 2a-6 / 2b-5
def verify_accounts(lea: str, roster: pd.DataFrame, accounts: pd.DataFrame, validate: bool = True) -> pd.DataFrame:
    """The LEA's verified accounts (seed 2a step 4 / 2b step 3): account rows in the LEA's platform folder whose
    SSID, local student ID and birth date equal the student's row on the LEA's current roster
    (:func:`ccgi_assets.registration.verified`, the one rule). An account for a student on another LEA's roster
    is not verified here. One row per student, with the earliest registration among its verified account rows.
    """
    from ccgi_assets.registration import verified

    acc = _for_lea(accounts, lea)
    acc = acc[_times(acc["registered_at"]).notna().to_numpy()]
    ok = verified(_for_lea(roster, lea), acc)
    v = pd.DataFrame({"ssid": _s(acc["ssid"])[ok], "registered_at": _times(acc["registered_at"])[ok]})
    if v.empty:
        return c.validate(c.empty(c.VerifiedAccount), c.VerifiedAccount)
    v = v.groupby("ssid", sort=True, observed=True)["registered_at"].min().reset_index().assign(reporting_lea=lea)
    v = c.select_allowed(v, c.VerifiedAccount)
    # ``validate=False``: the caller checks many LEAs' rows against the contract at once
    return c.validate(v, c.VerifiedAccount) if validate else v


def statewide_submissions(lea: str, roster: pd.DataFrame, student_courses: pd.DataFrame,
                          applications: pd.DataFrame, consents: pd.DataFrame,
                          verified_accounts: pd.DataFrame, validate: bool = True) -> pd.DataFrame:
    """SSID and course data one LEA's students send to each statewide system they applied to, with consent.

    Upon application submittal, and only with the student's consent to *that* system in force (seed 2a-6 / 2b-5):

    * **Latest submission.** A student who applied twice to one system is sent once, with the latest submission.
    * **Consent in force at submission.** The latest consent event for (ssid, system) recorded at or before the
      submission time must be a grant. A consent recorded only *after* the submission was not in force when the
      application was submitted, so the application did not carry the student's courses and nothing is sent: the
      platform shares on submittal, and a later consent does not turn an earlier submission into a share (the
      student's next submission would). This is the conservative reading of "upon application submittal, and with
      student consent".
    * **Not revoked since.** The latest consent event overall for (ssid, system) must also be a grant: a revocation
      after submission stops the share. (A revocation followed by a new grant leaves consent in force: the latest
      event is what the student wants now.) Two events for one (ssid, system) at the same instant that disagree count
      as a revocation.
    * **Consent is per system.** A grant to CSU does not allow sending to UC.
    * **On the roster, with a verified account.** A student not on this LEA's registration roster (opted out, or
      enrolled elsewhere now) is not shared by the LEA and contributes nothing, whatever the platform holds; nor
      does a student without a verified account (``verified_accounts``: SSID, local ID and birth date matched).
    * **Unreadable consent withholds.** A consent event whose value could not be read (``granted`` null) counts
      as a revocation: it never grants, and it withholds until a later readable grant.

    One row per student course per receiving system, sorted by system, SSID, school, year, term, local course ID.
    A consenting applicant without course records contributes no rows. Rows validated against
    :class:`~ccgi_assets.contracts.StatewideSubmission` (by the caller, for many LEAs at once, with
    ``validate=False``).
    """
    roster = _for_lea(roster, lea)
    courses = _for_lea(student_courses, lea)
    on_roster = _s(roster["ssid"]).dropna()
    on_roster = on_roster[_isin(on_roster, _s(_for_lea(verified_accounts, lea)["ssid"]).dropna())].unique()

    apps = _latest_applications(_for_lea(applications, lea))
    apps = apps[_isin(apps["ssid"], on_roster)]

    cons = _for_lea(consents, lea)
    ev = pd.DataFrame({"ssid": _s(cons["ssid"]), "system": _s(cons["system"]).str.upper(),
                       "granted": cons["granted"].astype("boolean").fillna(False).astype(bool),
                       "recorded_at": _times(cons["recorded_at"])})
    ev = ev[_isin(ev["ssid"], on_roster) & ev["system"].isin(SYSTEMS) & ev["recorded_at"].notna()]
    # disagreeing events at one instant: the revocation wins (all() of the grants)
    ev = ev.groupby(["ssid", "system", "recorded_at"], sort=False, observed=True)["granted"].all().reset_index()
    latest = (ev.sort_values("recorded_at", kind="stable").drop_duplicates(["ssid", "system"], keep="last")
              .rename(columns={"granted": "granted_now"})[["ssid", "system", "granted_now"]])

    if len(apps) and len(ev):
        at = pd.merge_asof(apps.sort_values("submitted_at", kind="stable"),
                           ev.sort_values("recorded_at", kind="stable"),
                           left_on="submitted_at", right_on="recorded_at", by=["ssid", "system"],
                           direction="backward", allow_exact_matches=True)
        at = at.merge(latest, on=["ssid", "system"], how="left")
        ok = at["granted"].astype("boolean").fillna(False) & at["granted_now"].astype("boolean").fillna(False)
        sent = at.loc[ok.astype(bool), ["ssid", "system", "submitted_at"]]
    else:
        sent = pd.DataFrame({"ssid": pd.Series(dtype="string"), "system": pd.Series(dtype="string"),
                             "submitted_at": pd.Series(dtype="datetime64[ns]")})
    if sent.empty or courses.empty:
        return c.validate(c.empty(c.StatewideSubmission), c.StatewideSubmission)

    crs = courses.assign(ssid=_s(courses["ssid"]))
    crs = crs[_isin(crs["ssid"], sent["ssid"])]
    out = sent.rename(columns={"system": "receiving_system", "submitted_at": "application_submitted_at"}).merge(
        crs.drop(columns=["reporting_lea"], errors="ignore"), on="ssid", how="inner")
    out["reporting_lea"] = lea
    out = c.select_allowed(out, c.StatewideSubmission)
    out = out.sort_values(["receiving_system", "ssid", "school_code", "academic_year", "academic_term_code",
                           "local_course_id"], kind="stable", na_position="first").reset_index(drop=True)
    return c.validate(out, c.StatewideSubmission) if validate else out


def submission_counts(df: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per receiving system: distinct students and course rows sent (every system listed, zeros included)."""
    g = df.groupby("receiving_system", observed=True).agg(students=("ssid", "nunique"), course_rows=("ssid", "size"))
    return {s: {"students": int(g.at[s, "students"]) if s in g.index else 0,
                "course_rows": int(g.at[s, "course_rows"]) if s in g.index else 0} for s in SYSTEMS}


# --------------------------------------------------------------------------- 2a-7 / 2b-6
def cde_extract(rosters: pd.DataFrame, accounts: pd.DataFrame, applications: pd.DataFrame,
                planning: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """Account data for CDE: one row per student on a current roster who has a verified platform account.

    ``accounts`` are the verified accounts (``verified_accounts``: SSID, local ID and birth date matched the
    roster); an account that was never verified is not CDE's business and is not sent.

    ``rosters`` holds every participating LEA's registration roster. A student on no current roster — one who
    opted out, or whose most recent enrollment is in an LEA that does not take part — is excluded even when the
    platform still holds an account: CDE receives platform data only for students their LEA currently shares
    (seed 2a-7 / 2b-6 follow 2a-2 / 2b-2). ``reporting_lea`` is the LEA of the roster (the student's current LEA);
    were a student on two rosters, the one matching the platform folder of the account wins, then the lowest code.

    Per student (platform rows of every folder count: a student who moved keeps the account and its history):
    ``registered_at`` the earliest readable registration; ``uc_/csu_/ccc_application_submitted_at`` the latest
    submission to each system (null when none); ``planning_items`` planning rows recorded; ``activities_completed``
    completions (rows with a completion time); ``last_activity_at`` the latest completion. Sorted by SSID.
    """
    r = pd.DataFrame({"ssid": _s(rosters["ssid"]), "reporting_lea": _s(rosters["reporting_lea"])}).dropna()
    acc_ssid = _s(accounts["ssid"])
    acc_at = _times(accounts["registered_at"])
    keep = acc_ssid.notna().to_numpy() & acc_at.notna().to_numpy() & _isin(acc_ssid, r["ssid"])
    if not keep.any():
        return c.validate(c.empty(c.CdeExtractRow), c.CdeExtractRow)
    # every student is a position in the sorted SSIDs of the registered, rostered students; each platform frame is
    # mapped to positions once (Arrow hash lookup), then counted and maximised over integer codes
    ids = pc.unique(pa.array(acc_ssid[keep]))
    ids = ids.take(pc.sort_indices(ids))
    n = len(ids)
    reg = pd.Series(acc_at.to_numpy()[keep]).groupby(_codes(acc_ssid[keep], ids)).min()
    out = pd.DataFrame({"ssid": pd.array(ids, dtype="string[pyarrow]"),
                        "registered_at": reg.reindex(range(n)).to_numpy()})

    # the current LEA: a roster row, preferring the LEA whose platform folder holds the account, then the lowest code
    rc = _codes(r["ssid"], ids)
    cand = pd.DataFrame({"code": rc, "reporting_lea": r["reporting_lea"].to_numpy()})[rc >= 0].drop_duplicates()
    if "reporting_lea" in accounts.columns:
        pairs = pd.DataFrame({"code": _codes(acc_ssid[keep], ids),
                              "reporting_lea": _s(accounts["reporting_lea"]).to_numpy()[keep]}).drop_duplicates()
        cand = cand.merge(pairs.assign(match=True), on=["code", "reporting_lea"], how="left")
        cand["mismatch"] = cand["match"].isna()
    else:
        cand["mismatch"] = True
    cand = cand.sort_values(["code", "mismatch", "reporting_lea"], kind="stable").drop_duplicates("code")
    out["reporting_lea"] = cand.set_index("code")["reporting_lea"].reindex(range(n)).to_numpy()

    apps = _latest_applications(applications)
    ac = _codes(apps["ssid"], ids)
    for s in SYSTEMS:
        m = (ac >= 0) & (apps["system"] == s).to_numpy(dtype=bool)
        latest = pd.Series(apps["submitted_at"].to_numpy()[m]).groupby(ac[m]).max()
        out[f"{s.lower()}_application_submitted_at"] = latest.reindex(range(n)).to_numpy()
    pc_ = _codes(_s(planning["ssid"]), ids)
    out["planning_items"] = pd.array(np.bincount(pc_[pc_ >= 0], minlength=n), dtype="Int64")
    at = _times(activities["completed_at"])
    qc = _codes(_s(activities["ssid"]), ids)
    m = (qc >= 0) & at.notna().to_numpy()
    out["activities_completed"] = pd.array(np.bincount(qc[m], minlength=n), dtype="Int64")
    out["last_activity_at"] = pd.Series(at.to_numpy()[m]).groupby(qc[m]).max().reindex(range(n)).to_numpy()
    return c.validate(c.select_allowed(out, c.CdeExtractRow), c.CdeExtractRow)


def _codes(s: pd.Series, ids: pa.Array) -> np.ndarray:
    """Position of each value of ``s`` in ``ids`` (-1 when absent), by Arrow's hash lookup."""
    left = pa.array(s if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"
                    else s.astype("string[pyarrow]"))
    if isinstance(left, pa.ChunkedArray):
        left = left.combine_chunks()
    pos = pc.index_in(left, value_set=ids.cast(left.type), skip_nulls=True).fill_null(-1)
    return pos.to_numpy(zero_copy_only=False).astype(np.int64)


# --------------------------------------------------------------------------- report figures (2a-9 / 2b-8)
def _grade_key(g: pd.Series) -> pd.Series:
    """Grades in school order: ALL first, numeric codes by number, then others (UE, US, ...) alphabetically."""
    g = g.astype("string").fillna("")
    num = pd.to_numeric(g, errors="coerce")
    key = ("2" + g).astype(object)
    isnum = num.notna().to_numpy()
    key[isnum] = ("1" + num[isnum].astype("int64").astype(str).str.zfill(3)).to_numpy()
    key[(g == ALL).to_numpy(dtype=bool)] = "0"
    return key


def activity_figures(lea: str, roster: pd.DataFrame, accounts: pd.DataFrame, applications: pd.DataFrame,
                     activities: pd.DataFrame) -> pd.DataFrame:
    """Student activity on CaliforniaColleges.edu for one LEA's report (section ``student_activity``).

    Measures (:data:`ACTIVITY_MEASURES`): roster size, registered students, share of the roster registered (percent,
    one decimal), students who applied to UC / CSU / CCC, activity completions, and students with at least one
    completed activity. Only students on the LEA's roster count: platform rows of anyone else are ignored. Each
    measure for the whole LEA (school ``ALL``, grade ``ALL``), per school (grade ``ALL``) and per school and grade
    (the student's school and grade of most recent enrollment, from the roster).

    **Small-cell suppression**, as education agencies publish:

    1. *Primary*: a count of students from 1 to 9 is suppressed (``value`` null, ``suppressed`` true). Zero is shown.
    2. *Complementary*: the cells of a breakdown add up to its total — schools to the LEA, a school's grades to the
       school. Where a breakdown (its total and its parts) holds exactly one suppressed cell, that cell could be
       recovered by subtraction, so the next smallest published part is suppressed too (the smallest non-zero one;
       a zero only when no other is left; the total when no part is left). Suppressing a school total this way makes
       its grade breakdown hold one suppressed cell, so it is repeated until no breakdown holds exactly one.
    3. *Derived figures*: ``registered_percent`` is suppressed when its numerator or denominator is (primary or
       complementary); ``activities_completed`` counts completions, not students, but is a figure about the
       students behind ``students_with_activity`` and is suppressed with it.

    Rows validated against :class:`~ccgi_assets.contracts.LeaReportFigure`, ordered school, grade, measure.
    One LEA of :func:`activity_figures_by_lea` (the same figures, computed for many LEAs at once); a frame without
    a ``reporting_lea`` column is taken as the LEA's.
    """
    def own(df):
        return df.assign(reporting_lea=lea) if "reporting_lea" not in df.columns else df

    return activity_figures_by_lea([lea], own(roster), own(accounts), own(applications), own(activities))


def _lea_key(df: pd.DataFrame) -> pd.Series:
    """``<reporting_lea> <US> <ssid>``: a student within an LEA's folder or roster, as one Arrow string."""
    return _s(df["reporting_lea"]) + "\x1f" + _s(df["ssid"])


def activity_figures_by_lea(leas: list[str], roster: pd.DataFrame, accounts: pd.DataFrame,
                            applications: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """:func:`activity_figures` of every LEA in ``leas`` at once: group-bys over the whole state instead of one
    pass per LEA, the figures of each LEA equal to its own :func:`activity_figures`. Every frame carries
    ``reporting_lea``; a platform row counts only for the LEA whose folder holds it, and only for a student on that
    LEA's roster. An LEA without roster rows gets its LEA-wide cells (zeros). Complementary suppression keeps each
    LEA's breakdowns apart (a breakdown never spans two LEAs). Rows ordered as ``leas``, then school, grade,
    measure; validated against :class:`~ccgi_assets.contracts.LeaReportFigure`."""
    leas = list(dict.fromkeys(str(x) for x in leas))
    r = roster[_isin(_s(roster["reporting_lea"]), leas)]
    st = pd.DataFrame({"reporting_lea": _s(r["reporting_lea"]), "ssid": _s(r["ssid"]),
                       "school_code": _s(r["school_code"]),
                       "grade_level_code": _s(r["grade_level_code"]).fillna("UU")})
    st = st[st["ssid"].notna()].drop_duplicates(["reporting_lea", "ssid"])
    key = _lea_key(st)
    registered = _lea_key(accounts)[_times(accounts["registered_at"]).notna().to_numpy()].dropna().unique()
    st["roster_students"] = 1
    st["registered_students"] = _isin(key, registered).astype("int64")
    a = pd.DataFrame({"key": _lea_key(applications), "system": _s(applications["system"]).str.upper(),
                      "submitted_at": _times(applications["submitted_at"])})
    a = a[a["key"].notna() & a["system"].isin(SYSTEMS) & a["submitted_at"].notna()]  # as _applications
    for s in SYSTEMS:
        st[f"applied_{s.lower()}_students"] = _isin(key, a.loc[a["system"] == s, "key"]).astype("int64")
    done = _lea_key(activities)[_times(activities["completed_at"]).notna().to_numpy()].dropna()
    st["activities_completed"] = key.map(done.value_counts()).fillna(0).astype("int64").to_numpy()
    st["students_with_activity"] = (st["activities_completed"] > 0).astype("int64")

    counts = [m for m in ACTIVITY_MEASURES if m != "registered_percent"]
    by_grade = st.groupby(["reporting_lea", "school_code", "grade_level_code"], sort=True)[counts].sum().reset_index()
    by_school = (st.groupby(["reporting_lea", "school_code"], sort=True)[counts].sum().reset_index()
                 .assign(grade_level_code=ALL))
    total = (st.groupby("reporting_lea", sort=True)[counts].sum()
             .reindex(pd.Index(leas, name="reporting_lea"), fill_value=0).reset_index()
             .assign(school_code=ALL, grade_level_code=ALL))  # an LEA without students: its zeros
    key_cols = ["reporting_lea", "school_code", "grade_level_code"]
    cells = pd.concat([total, by_school, by_grade], ignore_index=True)[key_cols + counts]
    cells["reporting_lea"] = cells["reporting_lea"].astype("string[pyarrow]")

    long = cells.melt(id_vars=key_cols, var_name="measure", value_name="value")
    long["value"] = long["value"].astype("float64")
    student = long["measure"].isin(STUDENT_COUNT_MEASURES)
    long["suppressed"] = student & (long["value"] > 0) & (long["value"] < SUPPRESSION_THRESHOLD)
    long.loc[student, "suppressed"] = _complementary(long[student])
    # activities_completed follows students_with_activity
    swa = long[long["measure"] == "students_with_activity"].set_index(key_cols)["suppressed"]
    acts = long["measure"] == "activities_completed"
    long.loc[acts, "suppressed"] = swa.reindex(pd.MultiIndex.from_frame(long.loc[acts, key_cols])).to_numpy()
    # registered_percent from the two counts, suppressed with either
    wide_v = long.pivot(index=key_cols, columns="measure", values="value")
    wide_s = long.pivot(index=key_cols, columns="measure", values="suppressed")
    num, den = wide_v["registered_students"], wide_v["roster_students"]
    pct = pd.DataFrame({"value": (100.0 * num / den.where(den > 0)).round(1),
                        "suppressed": wide_s["registered_students"].astype(bool) | wide_s["roster_students"].astype(bool)})
    pct = pct.reset_index().assign(measure="registered_percent")
    long = pd.concat([long, pct], ignore_index=True)
    long.loc[long["suppressed"].astype(bool), "value"] = np.nan

    long["section"] = "student_activity"
    order = {m: i for i, m in enumerate(ACTIVITY_MEASURES)}
    lea_order = {x: i for i, x in enumerate(leas)}
    long = long.assign(_l=long["reporting_lea"].map(lea_order).astype("int64"),
                       _s=(long["school_code"] != ALL).astype(int), _g=_grade_key(long["grade_level_code"]),
                       _m=long["measure"].map(order))
    long = long.sort_values(["_l", "_s", "school_code", "_g", "_m"], kind="stable").reset_index(drop=True)
    long["suppressed"] = long["suppressed"].astype("boolean")
    return c.validate(c.select_allowed(long, c.LeaReportFigure), c.LeaReportFigure)


def _complementary(cells: pd.DataFrame) -> pd.Series:
    """Complementary suppression over the two additive breakdowns (LEA = sum of schools; school = sum of grades).

    ``cells``: [reporting_lea,] measure, school_code, grade_level_code, value, suppressed (primary); with
    ``reporting_lea`` each LEA's breakdowns are its own. Returns the final suppressed
    flags (same index). Iterates to a fixpoint with group-bys over breakdowns (a handful of rounds), not over cells.
    """
    cells = cells.copy()
    cells["_cell"] = np.arange(len(cells))
    # membership: (breakdown id, cell, is_total)
    lea_total = (cells["school_code"] == ALL)
    school_total = (cells["school_code"] != ALL) & (cells["grade_level_code"] == ALL)
    grade_cell = (cells["school_code"] != ALL) & (cells["grade_level_code"] != ALL)
    measure = cells["measure"].astype("string")
    if "reporting_lea" in cells.columns:  # each LEA's breakdowns are its own
        measure = cells["reporting_lea"].astype("string") + "|" + measure
    m1 = pd.DataFrame({"bd": "L|" + measure[lea_total | school_total],
                       "cell": cells.loc[lea_total | school_total, "_cell"],
                       "is_total": lea_total[lea_total | school_total]})
    sg = school_total | grade_cell
    m2 = pd.DataFrame({"bd": "S|" + measure[sg] + "|" + cells.loc[sg, "school_code"],
                       "cell": cells.loc[sg, "_cell"], "is_total": school_total[sg]})
    mem = pd.concat([m1, m2], ignore_index=True)
    value = cells["value"].to_numpy()
    sup = cells["suppressed"].to_numpy(dtype=bool).copy()
    mem["value"] = value[mem["cell"].to_numpy()]
    while True:
        mem["sup"] = sup[mem["cell"].to_numpy()]
        n_sup = mem.groupby("bd", sort=False)["sup"].transform("sum")
        open_ = mem[(n_sup == 1) & ~mem["sup"]]
        if open_.empty:
            break
        # prefer a part over the total, a non-zero cell over a zero one, then the smallest value, then cell order
        pick = (open_.assign(_tot=open_["is_total"].astype(int), _zero=(open_["value"] == 0).astype(int))
                .sort_values(["bd", "_tot", "_zero", "value", "cell"], kind="stable")
                .drop_duplicates("bd"))
        sup[pick["cell"].to_numpy()] = True
    return pd.Series(sup, index=cells.index)


def match_figures(lea: str, match_results: pd.DataFrame) -> pd.DataFrame:
    """How the LEA's courses matched the CMP list (section ``course_match``): per school and for the LEA
    (school ``ALL``), the count of courses per match status (``courses_<status>``, every status, zeros included)
    and ``courses_total``. Grade is ``ALL``. Course counts are not student counts: nothing is suppressed.
    One LEA of :func:`match_figures_by_lea`; a frame without ``reporting_lea`` is taken as the LEA's."""
    if "reporting_lea" not in match_results.columns:
        match_results = match_results.assign(reporting_lea=lea)
    return match_figures_by_lea([lea], match_results)


def match_figures_by_lea(leas: list[str], match_results: pd.DataFrame) -> pd.DataFrame:
    """:func:`match_figures` of every LEA in ``leas`` at once (one group-by over all their match results); an LEA
    without results gets its LEA-wide zeros. Rows ordered as ``leas``, then school, measure; validated against
    :class:`~ccgi_assets.contracts.LeaReportFigure`."""
    leas = list(dict.fromkeys(str(x) for x in leas))
    m = match_results
    df = pd.DataFrame({"reporting_lea": _s(m["reporting_lea"]), "school_code": _s(m["school_code"]),
                       "status": _s(m["match_status"])})
    df = df[_isin(df["reporting_lea"], leas) & df["school_code"].notna() & df["status"].isin(MATCH_STATUSES)]
    by_school = (df.groupby(["reporting_lea", "school_code", "status"], sort=True).size().unstack("status")
                 .reindex(columns=MATCH_STATUSES).fillna(0).astype("int64"))
    total = (by_school.groupby(level="reporting_lea").sum()
             .reindex(pd.Index(leas, name="reporting_lea"), fill_value=0))  # an LEA without results: its zeros
    total.index = pd.MultiIndex.from_arrays([total.index, [ALL] * len(total)], names=["reporting_lea", "school_code"])
    wide = pd.concat([total, by_school]) if len(by_school) else total
    wide.columns = [f"courses_{s}" for s in MATCH_STATUSES]
    wide["courses_total"] = wide.sum(axis=1)
    long = wide.reset_index().melt(id_vars=["reporting_lea", "school_code"], var_name="measure", value_name="value")
    order = {k: i for i, k in enumerate(MATCH_MEASURES)}
    lea_order = {x: i for i, x in enumerate(leas)}
    long = long.assign(_l=long["reporting_lea"].map(lea_order).astype("int64"),
                       _s=(long["school_code"] != ALL).astype(int), _m=long["measure"].map(order))
    long = long.sort_values(["_l", "_s", "school_code", "_m"], kind="stable").reset_index(drop=True)
    long = long.assign(section="course_match", grade_level_code=ALL, value=long["value"].astype("float64"),
                       suppressed=pd.array([False] * len(long), dtype="boolean"))
    return c.validate(c.select_allowed(long, c.LeaReportFigure), c.LeaReportFigure)
