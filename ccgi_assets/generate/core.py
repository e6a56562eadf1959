"""The generator's entry point: :func:`generate` writes a state's inputs LEA by LEA and says what it wrote."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from ccgi_assets.generate.helpers import _days, _rng
from ccgi_assets.generate.vocabulary import _CITIES
from ccgi_assets.generate.state import GenerateTargets, _make_state, _State
from ccgi_assets.generate.calpads_files import _CalpadsWriter, _senr, _sinf, _Tables
from ccgi_assets.generate.courses import CMP_COLUMNS, _courses
from ccgi_assets.generate.landing import _optin, _platform, PLATFORM_FILES, _write_csv

RECORD_TYPES = ("SENR", "SINF", "CRSE", "SCSC")

@dataclass
class GenerateSummary:
    """What :func:`generate` wrote (counts only, never values of a student)."""

    out: Path
    seed: int
    academic_year: str
    students: int
    leas: list[str]
    opt_in_leas: list[str]
    statewide_leas: list[str]
    high_schools: int
    middle_schools: int
    #: rows written per file kind: SENR, SINF, CRSE, SCSC (incl. dirty rows), CMP, OPTIN (data
    #: rows incl. dirty ones), accounts, applications, consents, planning, activities, CONFIG
    rows: dict[str, int] = field(default_factory=dict)
    #: files written per kind (same keys)
    files: dict[str, int] = field(default_factory=dict)
    #: deliberately malformed CALPADS rows per record type
    dirty_rows: dict[str, int] = field(default_factory=dict)
    #: deliberately dirty opt-in rows per kind (nine_digit, blank, duplicate, transferred_out, unknown)
    dirty_optin_rows: dict[str, int] = field(default_factory=dict)
    #: deliberate course-data discrepancies: course_conflicts (CRSE sections disagreeing on a
    #: course-level field), cmp_missing (approved in CRSE, not on the CMP), cmp_extra (on the CMP,
    #: not in CRSE), cmp_subject_mismatch, cmp_stale_codes (local course code no longer used)
    discrepancies: dict[str, int] = field(default_factory=dict)
    transfers: int = 0
    secondary_enrollments: int = 0
    sinf_histories: int = 0



def _clean(out: Path) -> None:
    """Remove what an earlier run of the generator wrote (only the generator's own inputs)."""
    for rt in RECORD_TYPES:
        d = out / "share" / rt
        if d.is_dir():
            for p in d.glob("*.txt"):
                p.unlink()
    for d in (out / "landing" / "optin", out / "platform"):
        if d.is_dir():
            shutil.rmtree(d)
    cmp_dir = out / "cmp"
    if cmp_dir.is_dir():
        for p in cmp_dir.glob("cmp_*.csv"):
            p.unlink()
    cfg = out / "config" / "lea_participation.csv"
    if cfg.exists():
        cfg.unlink()


def _lea_names(S: _State) -> list[str]:
    """A district name per LEA from its city (already drawn, so no other value changes): the first LEA of a city is
    its Unified School District, the next ones other kinds, then numbered."""
    kinds = ["Unified School District", "Union High School District", "Elementary School District"]
    seen: dict[str, int] = {}
    out = []
    for c in S.lea_city:
        city = _CITIES[int(c)][0]
        k = seen[city] = seen.get(city, -1) + 1
        out.append(f"{city} {kinds[k]}" if k < len(kinds) else f"{city} School District No. {k - len(kinds) + 2}")
    return out


def generate(out: Path, students: int, leas: int, seed: int, academic_year: str = "2025-2026", *,
             targets: GenerateTargets | None = None, clean: bool = True,
             progress: Callable[[str], None] | None = None) -> GenerateSummary:
    """Write a synthetic state's inputs into ``out`` (a ``$CCGI_HOME``) and return what was written.

    ``students`` current students in grades 6-12 spread over ``leas`` reporting LEAs (sizes
    skewed), deterministic for ``seed``; ``targets`` overrides the documented shares and rates. ``clean`` first removes the files an earlier run wrote
    (CALPADS share files, CMP lists, opt-in landing folders, platform folders, participation
    config); the warehouse, exports and reports are never touched. ``progress`` receives short
    count-only messages.
    """
    out = Path(out)
    if not re.fullmatch(r"\d{4}-\d{4}", academic_year) or int(academic_year[5:]) != int(academic_year[:4]) + 1:
        raise ValueError("academic_year must look like 2025-2026")
    if leas < 1 or leas > 50_000:
        raise ValueError("leas must be between 1 and 50000")
    if students < leas:
        raise ValueError("need at least one student per LEA")
    if students >= 10**9:
        raise ValueError("too many students")
    t = targets or GenerateTargets()
    say = progress or (lambda _m: None)
    S = _make_state(students, leas, seed, academic_year, t)
    T = _Tables()
    if clean:
        _clean(out)
    for rt in RECORD_TYPES:
        (out / "share" / rt).mkdir(parents=True, exist_ok=True)
    (out / "cmp").mkdir(parents=True, exist_ok=True)
    (out / "config").mkdir(parents=True, exist_ok=True)
    M = leas
    g = _rng(seed, 2)
    # dirty CALPADS rows: ~1 per 200k rows, at least one per record type (in the largest LEAs)
    sizes = S.lea_hi - S.lea_lo
    by_size = np.argsort(-sizes, kind="stable")
    forced = {rt: int(by_size[i % M]) for i, rt in enumerate(RECORD_TYPES)}
    # opt-in lists with dirty rows: about half of them, incl. the one with most transferred-out students
    opt_leas = np.flatnonzero(S.lea_opt_in)
    dirty_lists = set(opt_leas[g.random(len(opt_leas)) < 0.5].tolist())
    if len(opt_leas):
        gone = np.bincount(S.st["old_lea"][S.st["is_tr"]], minlength=M)[opt_leas]
        dirty_lists.add(int(opt_leas[int(np.argmax(gone))]))
    as_of = _days(S.year + 1, 4, 1) + seed % 30
    as_of_s = as_of * 86400 + 17 * 3600
    summary = GenerateSummary(
        out=out, seed=seed, academic_year=academic_year, students=students, leas=list(S.lea_code),
        opt_in_leas=[S.lea_code[i] for i in range(M) if S.lea_opt_in[i]],
        statewide_leas=[S.lea_code[i] for i in range(M) if not S.lea_opt_in[i]],
        high_schools=int(S.sch_hs.sum()), middle_schools=int((~S.sch_hs).sum()),
    )
    rows: dict[str, int] = {k: 0 for k in (*RECORD_TYPES, "CMP", "OPTIN", *PLATFORM_FILES, "CONFIG")}
    files: dict[str, int] = {k: 0 for k in rows}
    dirty_rows = {rt: 0 for rt in RECORD_TYPES}
    optin_counts: dict[str, int] = {}
    seid_counter = [0]
    cmp_parts: list[pd.DataFrame] = []
    disc = {k: 0 for k in ("course_conflicts", "cmp_missing", "cmp_extra", "cmp_subject_mismatch", "cmp_stale_codes")}
    est = {"SENR": 1.06, "SINF": 1.08, "CRSE": 0.6, "SCSC": 12.7}  # rows per student, for the dirty-row rate
    for l in range(M):
        rng = _rng(seed, 3, l)
        n_l = int(sizes[l])
        dirty = {rt: int(rng.binomial(max(int(n_l * est[rt]), 1), t.dirty_row_rate)) + (forced[rt] == l)
                 for rt in RECORD_TYPES}
        writers = {rt: _CalpadsWriter(out / "share" / rt / f"{S.lea_code[l]}.txt", rt) for rt in RECORD_TYPES}
        try:
            info = _senr(S, T, l, writers["SENR"], dirty["SENR"], rng)
            summary.secondary_enrollments += info["secondary"]
            _sinf(S, T, l, writers["SINF"], dirty["SINF"], rng)
            _courses(S, T, l, writers["CRSE"], writers["SCSC"], dirty, rng, seid_counter, cmp_parts, disc)
        finally:
            for w in writers.values():
                w.close()
        for rt, w in writers.items():
            rows[rt] += w.rows
            files[rt] += 1
            dirty_rows[rt] += w.dirty
        if S.lea_opt_in[l]:
            roster = _optin(S, l, out, rng, l in dirty_lists, optin_counts, as_of)
            files["OPTIN"] += 1
        else:
            roster = np.arange(S.lea_lo[l], S.lea_hi[l])
        _platform(S, l, roster, out, rng, rows, as_of_s)
        for name in PLATFORM_FILES:
            files[name] += 1
        say(f"LEA {l + 1}/{M} written")
    rows["OPTIN"] = optin_counts.pop("rows", 0)
    cmp_df = pd.concat(cmp_parts, ignore_index=True) if cmp_parts else pd.DataFrame(columns=CMP_COLUMNS[1:])
    cmp_df.insert(0, "cmp_course_id", [f"{1_000_000 + v}" for v in S.cmp_id_of(np.arange(len(cmp_df)))])
    cmp_df = cmp_df[CMP_COLUMNS]
    _write_csv(out / "cmp" / f"cmp_{academic_year}.csv", cmp_df)
    rows["CMP"], files["CMP"] = len(cmp_df), 1
    cfg = pd.DataFrame({"reporting_lea": S.lea_code, "model": np.where(S.lea_opt_in, "opt_in", "statewide"),
                        "lea_name": _lea_names(S)})
    _write_csv(out / "config" / "lea_participation.csv", cfg)
    rows["CONFIG"], files["CONFIG"] = len(cfg), 1
    summary.rows, summary.files, summary.dirty_rows = rows, files, dirty_rows
    summary.dirty_optin_rows = optin_counts
    summary.discrepancies = disc
    summary.transfers = int(S.st["is_tr"].sum())
    summary.sinf_histories = int(S.st["hist"].sum())
    return summary
