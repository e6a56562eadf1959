"""Loading the local CALPADS share from the files CDE sends, as CDE sends them.

Which files
-----------
Every regular file anywhere under ``share/`` is a candidate, whatever its name or folder: CDE's own
names placed flat, ``share/<TYPE>/<lea>.txt``, an extract mixing LEAs, a submission-form (``SENR``) or
an ODS extract-form (``SENR-R``) file. Left out, and named with a reason (:data:`REASONS`):
hidden files and folders, backup and temporary copies (``*.bak``, ``*~``, ``*.tmp``, ``*.part`` ...),
links (a link to a file or folder is not followed: its target, when inside the share, is read as itself),
unreadable files, files with no CALPADS row.

Routing
-------
Each row goes to the table of its own record type (first field; ``SENR-R`` rows to ``SENR``), and within
it to its reporting LEA. Rows of record types the share does not hold (``CRSC``, ``SCSE``) are not loaded.

Full replacement
----------------
CALPADS replaces an LEA's records of a record type with its newest upload. Per (reporting LEA, record
type) the rows of one file are kept: the newest upload, by

1. the ODS ``upload_date`` field (latest over the LEA's rows of the file) for an extract-form file,
   else the file's modification time (for both, compared as a point in time, a date as its midnight);
2. then the file's modification time, then its path (greater wins).

Every other file holding rows of that LEA and record type is *superseded* for it (named, not used).

Guard
-----
The newest upload does not replace an LEA's rows of a record type loaded before when it

* has no valid row of it (a 0-byte file, or every row malformed): reason ``empty_upload``;
* has fewer than half as many valid rows as the last load: reason ``shrinks_by_more_than_half``.

Then the previous rows stay in the share table and the LEA is *held*: a row in ``calpads_share._held``
(reporting_lea, record_type, file, reason, rows_before, rows_now) until an operator accepts the upload in
``$CCGI_HOME/config/calpads_accept.csv`` (:func:`read_accept`) or a later upload passes the guard.
Other LEAs load normally. A first load (no rows before) is never held. An LEA whose files are removed
from the share loses its rows (removing a file is an operator's act; see ``leas_removed``).
For an empty file the LEA and record type come from its path (a 7-digit code in the file name, a
record type code in a folder or file name, e.g. ``SENR/0100001.txt`` or ``SENR_0100001.txt``); when
the path does not say, the file is named as not used (``empty``) and nothing is held.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from ccgi_assets import calpads as cp

__all__ = ["HELD_COLUMNS", "REASONS", "ShareFile", "ShareLoad", "accepted", "guess_lea_and_type", "inventory",
           "load_record_type", "read_accept"]

HELD_COLUMNS = ["reporting_lea", "record_type", "file", "reason", "rows_before", "rows_now"]

#: why a file (or part of it) is not used
REASONS = {
    "hidden": "hidden file or folder",
    "backup_or_temp": "backup or temporary copy",
    "link": "a link (its target is read where it is)",
    "link_outside_share": "a link to outside the share: not followed",
    "not_a_file": "not a regular file",
    "unreadable": "cannot be read",
    "empty": "empty, and its LEA and record type are not known from its name or had no rows before",
    "no_calpads_rows": "no row with a CALPADS record type",
    "no_valid_rows": "every row malformed, and no earlier rows to keep",
    "record_type_not_shared": "rows of record types the share does not hold",
    "superseded": "a newer upload of the same LEA and record type replaces it",
    "held": "the upload is held (see calpads_share._held)",
}
#: held reasons
HOLD_REASONS = ("empty_upload", "shrinks_by_more_than_half")

_BACKUP_SUFFIXES = (".bak", ".backup", ".old", ".orig", ".tmp", ".temp", ".part", ".partial", ".crdownload",
                    ".swp", ".swo", ".download")
_LEA_IN_NAME = re.compile(r"(?<![0-9])[0-9]{7}(?![0-9])", re.ASCII)
_LEA_CODE = re.compile(r"[0-9]{7}", re.ASCII)
_TYPE_TOKEN = re.compile(r"[A-Za-z]+")
_NS = 1_000_000_000


@dataclass(frozen=True)
class ShareFile:
    path: Path
    rel: str  # path relative to the share root, with /
    size: int
    mtime_ns: int


@dataclass
class ShareLoad:
    """What one record type's load did: counts, file names and LEA codes only, never a row value."""

    record_type: str
    rows_loaded: int = 0
    rejected: dict[tuple[str, str], int] = field(default_factory=dict)  # (file, rule) -> rows
    first_error: tuple[str, int, str] | None = None  # (file, line, rule)
    files_used: list[str] = field(default_factory=list)
    not_used: list[dict[str, Any]] = field(default_factory=list)  # {"file", "reason"[, "leas"]}
    held: list[dict[str, Any]] = field(default_factory=list)  # rows of HELD_COLUMNS
    leas_loaded: int = 0
    leas_removed: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def rejected_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (_, rule), n in self.rejected.items():
            out[rule] = out.get(rule, 0) + n
        return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------ inventory
def _name_reason(name: str) -> str | None:
    lower = name.lower()
    if name.startswith("."):
        return "hidden"
    if name.endswith("~") or name.startswith(("~$", "#")) or lower.endswith(_BACKUP_SUFFIXES):
        return "backup_or_temp"
    return None


def _inside(root: Path, p: Path) -> bool:
    try:
        p.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def inventory(root: Path) -> tuple[list[ShareFile], list[dict[str, Any]]]:
    """The candidate files under ``root`` (path order) and the files left out, each ``{"file", "reason"}``."""
    files: list[ShareFile] = []
    not_used: list[dict[str, Any]] = []
    root = Path(root)
    if not root.is_dir():
        return files, not_used
    for dirpath, dirnames, filenames in os.walk(root):  # followlinks=False: a linked folder is not entered
        d = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            sub = d / name
            rel = sub.relative_to(root).as_posix() + "/"
            if name.startswith("."):
                not_used.append({"file": rel, "reason": "hidden"})
            elif sub.is_symlink():
                not_used.append({"file": rel, "reason": "link" if _inside(root, sub) else "link_outside_share"})
            else:
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            p = d / name
            rel = p.relative_to(root).as_posix()
            reason = _name_reason(name)
            if reason is None and p.is_symlink():
                reason = "link" if _inside(root, p) else "link_outside_share"
            if reason is None:
                try:
                    st = p.stat()
                except OSError:
                    reason = "unreadable"
                else:
                    if not p.is_file():
                        reason = "not_a_file"
                    elif not os.access(p, os.R_OK):
                        reason = "unreadable"
                    else:
                        files.append(ShareFile(p, rel, st.st_size, st.st_mtime_ns))
                        continue
            not_used.append({"file": rel, "reason": reason})
    files.sort(key=lambda f: f.rel)
    return files, not_used


def guess_lea_and_type(rel: str, record_types) -> tuple[str | None, str | None]:
    """(LEA, record type) a path names, each None unless exactly one: ``SENR/0100001.txt`` ->
    ``("0100001", "SENR")``; ``extracts/SENR-R_0100001_20260301.txt`` -> ``("0100001", "SENR")``."""
    parts = rel.split("/")
    leas = set(_LEA_IN_NAME.findall(parts[-1])) or {p for p in parts[:-1] if _LEA_CODE.fullmatch(p)}
    types = {t.upper() for t in _TYPE_TOKEN.findall(rel)} & set(record_types)
    return (next(iter(leas)) if len(leas) == 1 else None, next(iter(types)) if len(types) == 1 else None)


# ------------------------------------------------------------------------------------------ accept config
def read_accept(path: Path | None) -> tuple[list[dict[str, str]], list[str]]:
    """Entries of ``calpads_accept.csv`` and the problems found (line and reason, never a value).

    CSV with a header row; columns ``reporting_lea``, ``record_type``, ``file`` (any may be left empty;
    other columns ignored, e.g. a ``note``). A row accepts a held upload when it names its file (the path
    under ``share/`` or the bare file name), or its reporting LEA and record type. A missing file accepts
    nothing.
    """
    if path is None or not Path(path).is_file():
        return [], []
    from ccgi_assets.textio import UnreadableFile, decode

    try:
        text = decode(Path(path).read_bytes(), path)
    except (UnreadableFile, OSError) as exc:
        return [], [f"{Path(path).name}: {getattr(exc, 'rule', 'unreadable')}"]
    entries, problems = [], []
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return [], []
    reader.fieldnames = [(h or "").strip().lower() for h in reader.fieldnames]
    if not {"reporting_lea", "record_type", "file"} & set(reader.fieldnames):
        return [], [f"{Path(path).name}: no reporting_lea, record_type or file column"]
    for i, row in enumerate(reader, start=2):
        e = {k: (row.get(k) or "").strip() for k in ("reporting_lea", "record_type", "file")}
        e["record_type"] = cp.normalize_record_type(e["record_type"].upper())
        if not any(e.values()):
            continue
        if e["reporting_lea"] and not _LEA_CODE.fullmatch(e["reporting_lea"]):
            problems.append(f"line {i}: reporting_lea is not a 7-digit LEA code")
        elif not e["file"] and not (e["reporting_lea"] and e["record_type"]):
            problems.append(f"line {i}: give a file, or a reporting_lea and a record_type")
        else:
            entries.append(e)
    return entries, problems


def accepted(entries: list[dict[str, str]], lea: str, record_type: str, rel: str) -> bool:
    """Whether an accept entry covers the upload ``rel`` of (``lea``, ``record_type``)."""
    name = rel.rsplit("/", 1)[-1]
    for e in entries:
        if e["file"] and e["file"].strip("/") not in (rel, name):
            continue
        if e["reporting_lea"] and e["reporting_lea"] != lea:
            continue
        if e["record_type"] and e["record_type"] != record_type:
            continue
        return True
    return False


# ------------------------------------------------------------------------------------------ load
def _table_exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def _columns_of(con, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                                      "AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()]


def load_record_type(con: duckdb.DuckDBPyConnection, record_type: str, files: list[ShareFile], columns: list[str],
                     schema: str, accept: list[dict[str, str]], codes: dict[str, tuple[list[str], int]] | None = None,
                     ) -> ShareLoad:
    """Replace ``<schema>.<record_type>`` with the newest upload per LEA from ``files`` (rows of this record
    type only), keeping a held LEA's previous rows, and record the held LEAs in ``<schema>._held``.

    ``codes``: rel -> :func:`ccgi_assets.calpads.file_codes` of each file, a cache filled as files are read
    (pass one dict to the loads of several record types: each file is scanned for its codes once).
    The table keeps ``columns`` (``reporting_lea`` added when missing) plus ``source_file`` (path under the
    share). One transaction: on an error the previous table and held rows stay as they were.
    """
    rt = record_type
    out = ShareLoad(rt)
    table = rt.lower()
    target = f"{schema}.{table}"
    cols = list(dict.fromkeys([*columns, *([] if "reporting_lea" in columns else ["reporting_lea"])]))
    all_fields = cp.layout(rt) + list(cp.ODS_FIELDS)
    types = {f.name: cp._SQL_TYPES[f.type] for f in all_fields if not f.reserved}
    plan_cols = [*cols, *([] if "upload_date" in cols else ["upload_date"])]
    plan = cp._Plan(rt, True, [*plan_cols, "source_file"],
                    {**{c: types[c] for c in plan_cols}, "source_file": "VARCHAR"}, [])
    # the stage becomes the new table: rows not taken are deleted, the previous rows of held LEAs added
    stage = f"{schema}._ccgi_new_{table}"
    line, problem = cp._LINE, cp._PROBLEM
    coldefs = ", ".join(f"{cp._qid(c)} {plan.col_types[c]}" for c in plan.columns)
    codes = codes if codes is not None else {}
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        # the rows of this record type from every file, in one scan, checked in SQL, into the stage
        # (outside the transaction: a file DuckDB's reader refuses is read again in Python)
        empty_files, sources = _sources(files, rt, codes, out)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE OR REPLACE TABLE {stage} ({cp._FILE} INTEGER, {line} BIGINT, {problem} VARCHAR, "
                    f"{coldefs})")
        cp.insert_rows(con, stage, sources, plan, route=True)
        con.begin()
    except BaseException:
        con.execute(f"DROP TABLE IF EXISTS {stage}")
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
        raise
    try:
        # rejected rows, per file and rule, with the first line
        for rel, rule, n, first in con.execute(
            f"SELECT source_file, split_part({problem}, ':', 1) AS rule, count(*), min({line}) FROM {stage} "
            f"WHERE {problem} IS NOT NULL GROUP BY ALL ORDER BY source_file, min({line})"
        ).fetchall():
            out.rejected[(rel, rule)] = int(n)
            if out.first_error is None or (rel, first) < (out.first_error[0], out.first_error[1]):
                out.first_error = (rel, int(first), rule)

        # candidates: (file, LEA) with their valid rows and upload time
        mtime = {f.rel: f.mtime_ns for f in files}
        size = {f.rel: f.size for f in files}
        cands: dict[str, list[tuple[tuple, str, int]]] = {}
        lea_seen_in: dict[str, set[str]] = {}
        staged_ok: set[tuple[str, str]] = set()  # (file, LEA) with valid rows in the stage
        for rel, lea, ok, upload in con.execute(
            f"SELECT source_file, coalesce(reporting_lea, '') AS lea, count(*) FILTER (WHERE {problem} IS NULL), "
            f"max(upload_date) FILTER (WHERE {problem} IS NULL) FROM {stage} GROUP BY ALL"
        ).fetchall():
            lea_seen_in.setdefault(rel, set()).add(lea)
            if ok:
                staged_ok.add((rel, lea))
            if lea == "" and ok == 0:
                continue  # malformed rows that name no LEA: counted as rejected above
            when = (int(datetime(upload.year, upload.month, upload.day, tzinfo=timezone.utc).timestamp()) * _NS
                    if upload is not None else mtime[rel])
            cands.setdefault(lea, []).append(((when, mtime[rel], rel), rel, int(ok)))
        for rel, leas in lea_seen_in.items():  # a file whose rows name no LEA at all: maybe its path does
            if leas == {""} and not any(r == rel for v in cands.values() for _, r, _ in v):
                empty_files.append(next(f for f in files if f.rel == rel))
        for f in empty_files:
            lea, guessed_rt = guess_lea_and_type(f.rel, _TYPES)
            guessed_rt = cp.normalize_record_type(guessed_rt) if guessed_rt else None
            if lea is not None and guessed_rt == rt:
                cands.setdefault(lea, []).append(((f.mtime_ns, f.mtime_ns, f.rel), f.rel, 0))
            elif guessed_rt in (rt, None):  # not known whose: named in each record type's figures
                reason = "empty" if f.size == 0 or f.rel not in lea_seen_in else "no_valid_rows"
                out.not_used.append({"file": f.rel, "reason": reason})

        before: dict[str, int] = {}
        exists = _table_exists(con, schema, table)
        if exists:
            before = {lea: int(n) for lea, n in con.execute(
                f"SELECT coalesce(reporting_lea, ''), count(*) FROM {target} GROUP BY 1").fetchall()}

        applied: list[tuple[str, str]] = []  # (file, lea)
        kept: list[str] = []  # LEAs whose previous rows stay
        superseded: dict[str, list[str]] = {}
        for lea in sorted(cands):
            ranked = sorted(cands[lea], reverse=True)
            _, rel, now = ranked[0]
            for _, other, _ in ranked[1:]:
                if other != rel:
                    superseded.setdefault(other, []).append(lea)
            prev = before.get(lea, 0)
            reason = None
            if prev > 0 and now == 0:
                reason = "empty_upload"
            elif prev > 0 and now * 2 < prev:
                reason = "shrinks_by_more_than_half"
            if reason and not accepted(accept, lea, rt, rel):
                out.held.append(dict(reporting_lea=lea, record_type=rt, file=rel, reason=reason, rows_before=prev,
                                     rows_now=now))
                kept.append(lea)
            elif now > 0:
                applied.append((rel, lea))
            else:
                out.not_used.append({"file": rel, "reason": "empty" if size[rel] == 0 else "no_valid_rows",
                                     "leas": [lea]})
        for rel, leas in sorted(superseded.items()):
            out.not_used.append({"file": rel, "reason": "superseded", "leas": sorted(set(leas))})
        for h in out.held:
            out.not_used.append({"file": h["file"], "reason": "held", "leas": [h["reporting_lea"]]})
        out.files_used = sorted({rel for rel, _ in applied})
        out.leas_removed = sorted(lea for lea in before if lea not in cands and lea != "")

        # the new table: applied uploads, plus the previous rows of held LEAs
        con.execute("CREATE OR REPLACE TEMP TABLE _ccgi_applied (file VARCHAR, lea VARCHAR)")
        if applied:
            con.executemany("INSERT INTO _ccgi_applied VALUES (?, ?)", [list(a) for a in applied])
        if set(applied) != staged_ok:
            con.execute(f"DELETE FROM {stage} s WHERE s.{problem} IS NOT NULL OR NOT EXISTS (SELECT 1 FROM "
                        "_ccgi_applied a WHERE a.file = s.source_file AND a.lea = coalesce(s.reporting_lea, ''))")
        elif out.rejected:
            con.execute(f"DELETE FROM {stage} WHERE {problem} IS NOT NULL")
        for helper in (cp._FILE, line, problem, *([] if "upload_date" in cols else ["upload_date"])):
            con.execute(f"ALTER TABLE {stage} DROP COLUMN {cp._qid(helper)}")
        if kept and exists:
            old_cols = set(_columns_of(con, schema, table))
            sel = ", ".join(
                (cp._qid(c) if c in old_cols else f"CAST(NULL AS {plan.col_types.get(c, 'VARCHAR')}) AS {cp._qid(c)}")
                for c in [*cols, "source_file"])
            con.execute("CREATE OR REPLACE TEMP TABLE _ccgi_kept (lea VARCHAR)")
            con.executemany("INSERT INTO _ccgi_kept VALUES (?)", [[k] for k in kept])
            con.execute(f"INSERT INTO {stage} SELECT {sel} FROM {target} "
                        "WHERE coalesce(reporting_lea, '') IN (SELECT lea FROM _ccgi_kept)")
        con.execute(f"DROP TABLE IF EXISTS {target}")
        con.execute(f"ALTER TABLE {stage} RENAME TO {table}")
        out.rows_loaded = int(con.execute(f"SELECT count(*) FROM {target}").fetchone()[0])
        out.leas_loaded = len(applied)

        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}._held (reporting_lea VARCHAR, record_type VARCHAR, "
                    "file VARCHAR, reason VARCHAR, rows_before BIGINT, rows_now BIGINT)")
        con.execute(f"DELETE FROM {schema}._held WHERE record_type = ?", [rt])
        if out.held:
            con.executemany(f"INSERT INTO {schema}._held VALUES (?, ?, ?, ?, ?, ?)",
                            [[h[c] for c in HELD_COLUMNS] for h in out.held])
        for tmp in ("_ccgi_applied", "_ccgi_kept"):
            con.execute(f"DROP TABLE IF EXISTS {tmp}")
        con.commit()
    except BaseException:
        con.rollback()
        con.execute(f"DROP TABLE IF EXISTS {stage}")  # created before the transaction
        raise
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
    return out


def _sources(files: list[ShareFile], rt: str, codes: dict[str, tuple[list[str], int]], out: ShareLoad,
             ) -> tuple[list[ShareFile], list]:
    """The files holding rows of ``rt``, opened for one scan (:func:`ccgi_assets.calpads.insert_rows`), and
    the files with no row at all (their path may say whose they were); others are named in ``out``."""
    empty_files: list[ShareFile] = []
    sources = []
    for f in files:
        raw = None
        if f.rel not in codes:
            try:
                raw = f.path.read_bytes()
            except OSError:
                out.not_used.append({"file": f.rel, "reason": "unreadable"})
                continue
            codes[f.rel] = cp.file_codes(raw)
        found, n_unknown = codes[f.rel]
        mine = [c for c in found if cp.normalize_record_type(c) == rt]
        if not found:
            if f.size == 0 or n_unknown == 0:
                empty_files.append(f)  # nothing in it: its path may say whose it was
            else:
                out.not_used.append({"file": f.rel, "reason": "no_calpads_rows"})
            continue
        if not mine:
            if not any(cp.normalize_record_type(c) in _TYPES for c in found):
                out.not_used.append({"file": f.rel, "reason": "record_type_not_shared"})
            continue
        # rows with an unknown code are counted once per file: with its first record type
        src = cp._Source(f.path, f.rel, keep_unknown=cp.normalize_record_type(found[0]) == rt)
        try:
            cp._open(src, raw)
        except OSError:
            out.not_used.append({"file": f.rel, "reason": "unreadable"})
            continue
        sources.append(src)
    return empty_files, sources


#: the record types the local share holds, in the order they are named in
_TYPES = ("SENR", "SINF", "CRSE", "SCSC")
