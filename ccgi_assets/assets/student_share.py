"""Diagram 2a steps 2-5 and 2b steps 2-4: the student and course share, one LEA per partition.

Every asset here replaces its LEA's rows on each run (the IO manager deletes the partition's rows before
writing), so a student an LEA's newer list drops disappears from all three tables on the next run; the
metadata counts those removals. Metadata holds counts only.
"""


import pandas as pd
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, Output, asset

from ccgi_assets import contracts as c
from ccgi_assets import students as st
from ccgi_assets.assets.automation import on_change
from ccgi_assets.assets.contract_asset import contract_asset
from ccgi_assets.assets.sources import calpads_scsc, calpads_senr, calpads_sinf, lea_participation, optin_landing
from ccgi_assets.optin import OptinFileError, read_optin_list
from resources import CalpadsShare, ExportStore, LandingZone, ParticipationConfig, Warehouse

GROUP = "student_share"
def _sum(dicts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + int(v)
    return dict(sorted(out.items()))


class _Lists:
    """Every requested LEA's students in a few queries: the enrolled students of all ``statewide`` LEAs in one,
    the most recent enrollment of every SSID on every ``opt_in`` list in another. Lists are read per LEA (one
    file each); a list that cannot be read is kept as its error, for that LEA alone."""

    def __init__(self, keys: list[str], models: dict[str, str], calpads: CalpadsShare, landing: LandingZone):
        statewide = [lea for lea in keys if models.get(lea, "opt_in") == "statewide"]
        self.enrolled = (calpads.query(st.ENROLLED_IN_LEAS_SQL, frames={"leas": st.leas_frame(statewide)}, arrow=True)
                         if statewide else pd.DataFrame({"reporting_lea": [], "ssid": []}, dtype=object))
        self.lists: dict[str, object] = {}
        for lea in keys:
            if models.get(lea, "opt_in") == "statewide":
                continue
            path = landing.newest(lea)
            try:
                self.lists[lea] = (path, read_optin_list(path)) if path is not None else (None, None)
            except OptinFileError as exc:
                self.lists[lea] = exc
        listed = {s for v in self.lists.values() if isinstance(v, tuple) and v[1] is not None for s in v[1].ssids}
        recent = (calpads.query(st.MOST_RECENT_SENR_SQL, frames={"ids": st.ids_frame(sorted(listed))}) if listed
                  else pd.DataFrame({"ssid": [], "reporting_lea": []}, dtype=object))
        self.where = st.enrollment_lea(recent)
        self.by_lea = {str(lea): g["ssid"].astype(str) for lea, g in self.enrolled.groupby("reporting_lea", sort=False)}

    def students(self, lea: str, model: str) -> tuple[pd.DataFrame, dict]:
        """One LEA's validated list (opt_in) or enrolled students (statewide), and counts per rule."""
        if model == "statewide":
            ssids = self.by_lea.get(lea, pd.Series([], dtype=str)).reset_index(drop=True)
            return _rows(lea, model, ssids), {"listed": len(ssids), "rejected": {}}
        entry = self.lists[lea]
        if isinstance(entry, OptinFileError):
            raise entry
        path, lst = entry
        if path is None:  # no list yet is a normal state: nobody is shared
            return _rows(lea, model, pd.Series([], dtype=str)), {"listed": 0, "rejected": {}, "list_file": None}
        ssids, boundary = st.classify_list(pd.Series(lst.ssids, dtype=str), self.where, lea)
        figures = {"listed": int(lst.rows_read), "rejected": {**lst.rejected, **boundary}, "list_file": path.name}
        return _rows(lea, model, ssids), figures


class HeldUpload(ValueError):
    """The share did not apply an LEA's CALPADS upload (file names, record types and reasons only)."""

    rule = "calpads_upload_held"

    def __init__(self, lea: str, held: pd.DataFrame):
        parts = "; ".join(f"{r.record_type} {r.file}: {r.reason} ({r.rows_before} rows before, {r.rows_now} now)"
                          for r in held.itertuples())
        super().__init__(f"CALPADS upload held ({parts}); the LEA's previous rows and exports stand until an "
                         "operator accepts it in config/calpads_accept.csv")


def _rows(lea: str, model: str, ssids: pd.Series) -> pd.DataFrame:
    """One LEA's rows (checked against the contract with the others, once)."""
    return pd.DataFrame({"reporting_lea": lea, "ssid": ssids.astype(str).to_numpy(), "participation_model": model})


@asset(deps=[optin_landing, lea_participation, calpads_senr], **contract_asset(c.OptinStudent, GROUP, automation_condition=on_change()))
def optin_students(context: AssetExecutionContext, calpads: CalpadsShare, landing: LandingZone,
                   participation: ParticipationConfig, warehouse: Warehouse) -> Output[pd.DataFrame]:
    """The students an LEA shares (seed 2a step 2 / 2b step 2).

    ``opt_in`` LEAs: the LEA's newest list (a full snapshot: a student absent from it has opted out), each
    SSID checked (10 digits, not blank, not duplicated, known to CALPADS, most recent enrollment in this LEA:
    an LEA can share only its own students). ``statewide`` LEAs: every student whose most recent enrollment is
    an open one in the LEA, grades 6-12. An LEA with a list but no participation row is treated as opt_in.
    An unreadable list fails the LEA's run naming file and rule; the file stays where it is and the LEA's
    previous rows stay as they were. An LEA whose CALPADS upload the share holds (empty, or cutting its rows by
    more than half: see docs/data_layout.md) stops here with the file, record type and reason named, and keeps
    its previous rows and exports until an operator accepts the upload in ``config/calpads_accept.csv``.
    Receivers: ``registration_roster``.
    """
    calpads.prepare(["SENR", "SINF", "SCSC"])  # loaded by the CALPADS observation (figures and warnings there)
    models = participation.read()
    keys = list(context.partition_keys)
    held = calpads.held(keys)
    lists = _Lists(keys, models, calpads, landing)
    previous = warehouse.previous_keys_by_lea("optin_students", keys)
    previous = {str(lea): set(g["ssid"].astype(str)) for lea, g in previous.groupby("reporting_lea")}
    frames, figures, failed = [], [], {}
    for lea in keys:
        model = models.get(lea, "opt_in")
        try:
            mine = held[held["reporting_lea"] == lea]
            if len(mine):
                raise HeldUpload(lea, mine)
            df, fig = lists.students(lea, model)
        except (OptinFileError, HeldUpload) as exc:
            if len(keys) == 1:
                raise Failure(description=f"LEA {lea}: {exc}", metadata={"rule": exc.rule}) from None
            # a single-run backfill keeps the other LEAs going and this LEA's previous rows as they were
            context.log.error(f"LEA {lea}: {exc}; keeping its previous list")
            failed[lea] = exc.rule
            prev = sorted(previous.get(lea, set()))
            df, fig = _rows(lea, model, pd.Series(prev, dtype=str)), {"listed": 0, "rejected": {}}
        fig["removed"] = st.removed_count(previous.get(lea, set()), set(df["ssid"]))
        frames.append(df)
        figures.append(fig)
    out = c.validate(pd.concat(frames, ignore_index=True) if frames
                     else _rows("0000000", "opt_in", pd.Series([], dtype=str)), c.OptinStudent)
    meta = {
        "dagster/row_count": len(out),
        "students_shared": len(out),
        "rows_listed": sum(f["listed"] for f in figures),
        "rejected_by_rule": MetadataValue.json(_sum([f["rejected"] for f in figures])),
        "students_removed_since_last_run": sum(f["removed"] for f in figures),
        "leas": len(keys),
        "leas_with_unreadable_list": len(failed) - int(held["reporting_lea"].nunique()),
        # LEA codes and rules, no student value: `ccgi run` reads which LEAs of its one run kept their previous rows
        "leas_failed": MetadataValue.json(dict(sorted(failed.items()))),
        "leas_with_held_calpads_upload": int(held["reporting_lea"].nunique()),
    }
    if len(keys) == 1:
        meta["participation_model"] = models.get(keys[0], "opt_in")
        if figures[0].get("list_file"):
            meta["list_file"] = figures[0]["list_file"]
    return Output(out, metadata=meta)


#: per-LEA tables and extracts that leave CCGI (or fill student accounts), from which a student leaving the
#: LEA's roster is withdrawn at once
_LEA_TABLES = ("student_courses", "verified_accounts", "statewide_submissions")


def withdraw(lea: str, gone: set[str], warehouse: Warehouse, exports: ExportStore) -> dict[str, int]:
    """Withdrawal before addition: remove students who left ``lea``'s roster from everything that leaves CCGI.

    From the LEA's rows of ``student_courses``, ``verified_accounts`` and ``statewide_submissions`` and its UC,
    CSU and CCC extracts; from ``cde_extract`` (table and file) when the student is on no other LEA's roster.
    Runs inside ``registration_roster``, before any step that adds data, so it does not depend on them
    succeeding. Returns rows removed per place (counts only).
    """
    if not gone:
        return {}
    removed = {t: warehouse.delete_students(t, gone, lea) for t in _LEA_TABLES}
    for system in c.SYSTEMS:
        removed[f"exports/{system}"] = exports.withdraw(system, lea, gone)
    on_rosters = warehouse.students_in("registration_roster", gone)
    elsewhere = set(on_rosters.loc[on_rosters["reporting_lea"] != lea, "ssid"])
    nowhere = gone - elsewhere
    removed["cde_extract"] = warehouse.delete_students("cde_extract", nowhere)
    removed["exports/cde"] = exports.withdraw("cde", "cde_extract", nowhere)
    return {k: int(v) for k, v in removed.items() if v}


@asset(deps=[calpads_senr, calpads_sinf, optin_students],
       **contract_asset(c.RegistrationRoster, GROUP, kind="sql", automation_condition=on_change()))
def registration_roster(context: AssetExecutionContext, calpads: CalpadsShare, warehouse: Warehouse,
                        exports: ExportStore) -> MaterializeResult:
    """What CaliforniaColleges.edu needs to verify a registration (seed 2a step 3 / 2b step 2): SSID, local
    student ID, legal name, birth date, gender, ethnicity and race, plus school and grade, from the student's
    most recent SENR and current SINF record. Nothing else. A student whose most recent enrollment is not in
    this LEA is not on its roster. Receivers: ``verified_accounts`` (registration check).

    Built where the data lives: one SQL statement for every requested LEA, from ``optin_students`` and the
    share's SENR and SINF, written straight into the table and checked against the contract there
    (:meth:`resources.Warehouse.replace_partitions`).

    An opt-out always takes effect: a student who left the roster since the last run is withdrawn here from
    every table and extract that leaves CCGI (:func:`withdraw`), before the new roster is committed (a failed
    withdrawal leaves the old roster, so the next run withdraws again) and whatever happens to the steps that
    add data.
    """
    calpads.prepare(["SENR", "SINF"])
    keys = list(context.partition_keys)
    withdrawn: dict[str, int] = {}

    def withdraw_departures(removed: pd.DataFrame) -> None:  # withdrawal per LEA, before anything adds data
        nonlocal withdrawn
        for lea, g in removed.groupby("reporting_lea", sort=True):
            withdrawn = _sum([withdrawn, withdraw(str(lea), set(g["ssid"].astype(str)), warehouse, exports)])

    listed = "(SELECT count(*) FROM (SELECT DISTINCT reporting_lea, ssid FROM {optin_students} WHERE reporting_lea IN ({leas})) x)"
    w = warehouse.replace_partitions("registration_roster", st.ROSTER_TABLE_SQL, keys, calpads, figures={
        "listed": listed,
        "students_without_current_sinf": "sum(CASE WHEN birth_date IS NULL THEN 1 ELSE 0 END)",
    }, count_by="grade_level_code", before_commit=withdraw_departures)
    return MaterializeResult(metadata={
        "dagster/row_count": w.rows,
        "students_on_roster": w.rows,
        "students_not_enrolled_here": w.figures["listed"] - w.rows,
        "students_without_current_sinf": w.figures["students_without_current_sinf"],
        "students_removed_since_last_run": w.keys_removed,
        "rows_withdrawn_from_shares": MetadataValue.json(withdrawn),
        # "grade 06", not "06": the UI's JSON view puts integer-like keys ("10") before others ("06")
        "by_grade": MetadataValue.json({f"grade {k}": w.by[k] for k in sorted(w.by, key=st.grade_order)}),
    })


@asset(deps=[calpads_scsc, registration_roster, "crse_courses"],
       **contract_asset(c.StudentCourse, GROUP, kind="sql", automation_condition=on_change()))
def student_courses(context: AssetExecutionContext, calpads: CalpadsShare, warehouse: Warehouse) -> MaterializeResult:
    """Course records of roster students (seed 2a step 5 / 2b step 4): course name, local course ID, state
    course code, a-g subject area, year, term, school, credits and grade, to fill their accounts. Only roster
    students: nothing for a student who opted out. Receivers: student accounts, ``statewide_submissions``.

    Built where the data lives: one SQL statement for every requested LEA, from the share's SCSC joined to the
    LEAs' ``registration_roster`` rows and the ``crse_courses`` catalog, written straight into the table and
    checked against the contract there (:meth:`resources.Warehouse.replace_partitions`). The state's course
    records (about a dozen per student) never come to Python.
    """
    calpads.prepare(["SCSC"])
    keys = list(context.partition_keys)
    w = warehouse.replace_partitions("student_courses", st.STUDENT_COURSES_TABLE_SQL, keys, calpads, figures={
        "students_with_courses": "count(DISTINCT ssid)",
        "records_without_catalog_course": "sum(CASE WHEN course_name IS NULL THEN 1 ELSE 0 END)",
    })
    return MaterializeResult(metadata={
        "dagster/row_count": w.rows,
        "course_records": w.rows,
        **w.figures,
        "students_removed_since_last_run": w.keys_removed,
    })
