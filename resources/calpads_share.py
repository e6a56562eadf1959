"""The CALPADS share: CDE's CRSE, SENR, SINF and SCSC data as CCGI sees it.

One interface, two implementations:

* :class:`LocalCalpadsShare` loads the caret-delimited CALPADS files anywhere under ``$CCGI_HOME/share/``
  (routed by each row's record type and LEA, newest upload per LEA; see :mod:`ccgi_assets.share_load`) into
  schema ``calpads_share`` of the embedded DuckDB warehouse, once per change of the files, keeping only the
  share's columns (data minimization starts at the reader).
* :class:`SnowflakeCalpadsShare` queries the Snowflake share database CDE grants CCGI (column-level
  restricted secure views), through ``dagster-snowflake``.

SQL handed to :meth:`CalpadsShare.query` names tables as ``{SENR}``, ``{SINF}``, ``{CRSE}``, ``{SCSC}`` and
binds parameters as ``$name``; each implementation fills in its own relation names and parameter style.
Statewide steps (most-recent enrollment, current student information) therefore run where the data lives.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import ConfigurableResource, get_dagster_logger
from pydantic import PrivateAttr

from resources.settings import DUCKDB_CONFIG, SHARE_SCHEMA
from resources.sources import file_version, files_fingerprint, last_modified
from resources.snowflake import SnowflakeConnected

#: What the CALPADS share exposes to CCGI, per record type (the column-level restriction of the seed's
#: Snowflake-to-Snowflake share). Addresses, guardians, birthplace, SEIDs and class IDs are not shared.
#: Derived from the contracts: exactly the CALPADS columns their lineage needs (``ccgi share-ddl`` prints CDE's views).
from ccgi_assets.contracts import calpads_share_columns  # noqa: E402

SHARE_COLUMNS: dict[str, list[str]] = calpads_share_columns()
RECORD_TYPES = tuple(SHARE_COLUMNS)


def _empty_held() -> pd.DataFrame:
    return pd.DataFrame({"reporting_lea": pd.Series(dtype=object), "record_type": pd.Series(dtype=object),
                         "file": pd.Series(dtype=object), "reason": pd.Series(dtype=object),
                         "rows_before": pd.Series(dtype="int64"), "rows_now": pd.Series(dtype="int64")})
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def version_basis(record_type: str) -> list[str]:
    """The record types a record type's per-LEA versions depend on (SENR says which LEA a student is in)."""
    return ["SENR", record_type] if record_type in ("SINF", "SCSC") else [record_type]


def _every_student(sql: str) -> str:
    """One of the student flow's queries (:mod:`ccgi_assets.students`) over every student, not a list's."""
    out = sql.replace("AND ssid IN (SELECT ssid FROM ids)", "")
    assert out != sql, "the student query no longer restricts to `ids`: update version_sql"
    return out


def version_sql(record_type: str, rows_hash: str) -> str:
    """Per LEA (``lea``), the row count (``n``) and an order-independent hash (``h``) of what its assets read.

    SENR: each student's most recent enrollment, by the LEA it is in (a student who moves changes the LEA left
    and the LEA joined); SINF and SCSC: the current student information and the course records of the students
    whose most recent enrollment is in the LEA; CRSE: the course sections the LEA reported. The selections are
    the student flow's own queries, so a version changes exactly when what an LEA's run reads changes.
    """
    from ccgi_assets import students as st
    from ccgi_assets.courses import CRSE_SECTIONS_SQL

    agg = rows_hash.format(a="x")
    recent = _every_student(st.MOST_RECENT_SENR_SQL)
    if record_type == "CRSE":
        return f"SELECT x.reporting_lea AS lea, count(*) AS n, {agg} AS h FROM ({CRSE_SECTIONS_SQL}) x GROUP BY 1"
    if record_type == "SENR":
        return f"SELECT x.reporting_lea AS lea, count(*) AS n, {agg} AS h FROM ({recent}) x GROUP BY 1"
    inner = {"SINF": st.CURRENT_SINF_SQL, "SCSC": st.STUDENT_SCSC_SQL}[record_type]
    return (f"SELECT r.reporting_lea AS lea, count(*) AS n, {agg} AS h FROM ({_every_student(inner)}) x "
            f"JOIN ({recent}) r ON x.ssid = r.ssid GROUP BY 1")


def _from_arrow(table) -> pd.DataFrame:
    """An Arrow result as pandas: text as pyarrow strings, dates and times as datetime64, numbers as numpy."""
    import pyarrow as pa

    strings = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
    return table.to_pandas(types_mapper=strings.get, date_as_object=False)


class CalpadsShare(ConfigurableResource):
    """Read access to the CALPADS share. Subclasses implement :meth:`_run`."""

    def query(self, sql: str, frames: dict[str, pd.DataFrame] | None = None, *, arrow: bool = False,
              **params: Any) -> pd.DataFrame:
        """Run ``sql`` (tables as ``{SENR}`` etc., parameters as ``$name``) and return a DataFrame.

        ``frames`` are small local tables the query may join to by name (e.g. an LEA's list of SSIDs): the
        lookup runs in the warehouse, so the statewide tables never come to pandas. ``arrow``: the result comes
        through Arrow, text as pandas' pyarrow strings and dates as datetime64 (no Python object per value: for
        results of millions of rows).
        """
        sql = sql.format(**{t: self.relation(t) for t in RECORD_TYPES})
        if arrow:
            return _from_arrow(self._run_arrow(sql, params, frames or {}))
        return self._run(sql, params, frames or {})

    def _run_arrow(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]):  # pragma: no cover
        raise NotImplementedError

    def relation(self, record_type: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _run(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def prepare(self, record_types: list[str]) -> dict[str, Any]:
        """Make the record types queryable; return load figures (counts only)."""
        return {}

    def fingerprint(self, record_type: str) -> str:
        """Changes whenever the record type's data in the share changes (sensors compare it)."""
        raise NotImplementedError

    def last_modified(self, record_type: str) -> float:
        """When the record type's data last changed, seconds since the epoch (0 when unknown: always newer)."""
        return 0.0

    # ------------------------------------------------------------------ data versions (source observation)
    #: an aggregate over the rows of alias ``{a}`` that changes when any row changes (order-independent)
    _ROWS_HASH = "CAST(sum(hash({a})) AS VARCHAR)"

    def state(self, record_type: str) -> str:
        """A cheap token that changes whenever the share's data behind :meth:`lea_versions` may have changed
        (SINF and SCSC versions also depend on SENR, which places each student in an LEA)."""
        return "|".join(self.fingerprint(rt) for rt in version_basis(record_type))

    def lea_versions(self, record_type: str) -> dict[str, tuple[str, int]]:
        """Per reporting LEA, ``(version, rows)``: a fingerprint of the rows of ``record_type`` that LEA's
        assets read, and how many (see :func:`version_sql`). Hashes and counts only."""
        df = self.query(version_sql(record_type, self._ROWS_HASH))
        return {str(lea): (f"{int(n)}:{h}", int(n)) for lea, n, h in df[["lea", "n", "h"]].itertuples(index=False)}

    def held(self, leas: list[str] | None = None) -> pd.DataFrame:
        """Uploads the share did not apply, per LEA and record type (columns reporting_lea, record_type, file,
        reason, rows_before, rows_now), for ``leas`` (all when None). Empty by default: CDE's share applies its
        own rules."""
        return _empty_held()

    def leas(self) -> list[str]:
        """Reporting LEAs that have submitted enrollment (SENR) data."""
        self.prepare(["SENR"])
        return self.query("SELECT DISTINCT reporting_lea FROM {SENR} ORDER BY 1")["reporting_lea"].tolist()


class LocalCalpadsShare(CalpadsShare):
    """CALPADS files under ``<home>/share/`` loaded into the embedded DuckDB warehouse."""

    home: str
    _loaded: dict = PrivateAttr(default_factory=dict)

    @property
    def database(self) -> Path:
        return Path(self.home) / "warehouse.duckdb"

    def relation(self, record_type: str) -> str:
        return f"{SHARE_SCHEMA}.{record_type.lower()}"

    @contextmanager
    def connect(self):
        from dagster._utils.backoff import backoff

        self.database.parent.mkdir(parents=True, exist_ok=True)
        # another process reading the file (a person's DuckDB CLI, a test) holds its lock for a moment: wait for
        # it, as Dagster's DuckDB IO manager does, rather than fail the step
        con = backoff(fn=duckdb.connect, retry_on=(duckdb.IOException,), args=[str(self.database)],
                      kwargs={"config": DUCKDB_CONFIG}, max_retries=10)
        try:
            yield con
        finally:
            con.close()

    @property
    def share_root(self) -> Path:
        return Path(self.home) / "share"

    @property
    def accept_path(self) -> Path:
        """Operator's acceptances of held uploads (see docs/data_layout.md)."""
        return Path(self.home) / "config" / "calpads_accept.csv"

    def files(self, record_type: str) -> list[Path]:
        """Files under ``share/`` whose first row is of ``record_type`` (``SENR-R`` counts as ``SENR``), and
        files with no row of a known type (an empty upload may be anyone's): what the sensors watch. A load
        reads every file and routes each row by its own record type."""
        from ccgi_assets.calpads import _first_code, normalize_record_type
        from ccgi_assets.share_load import inventory

        out = []
        for f in inventory(self.share_root)[0]:
            try:
                code = _first_code(f.path)
            except OSError:
                code = None
            if code is None or normalize_record_type(code) == record_type:
                out.append(f.path)
        return out

    def fingerprint(self, record_type: str) -> str:
        return files_fingerprint(self.files(record_type), self.share_root)

    def last_modified(self, record_type: str) -> float:
        return last_modified(self.files(record_type))

    def state(self, record_type: str) -> str:
        """The fingerprints of the loads (``calpads_share._loads``) the record type's versions depend on: a
        change of files, of the accept config or of the shared columns changes it."""
        from ccgi_assets.share_load import _table_exists

        if not self.database.exists():
            return ""
        with self.connect() as con:
            if not _table_exists(con, SHARE_SCHEMA, "_loads"):
                return ""
            loads = dict(con.execute(f"SELECT record_type, fingerprint FROM {SHARE_SCHEMA}._loads").fetchall())
        return "|".join(loads.get(rt) or "" for rt in version_basis(record_type))

    def lea_versions(self, record_type: str) -> dict[str, tuple[str, int]]:
        """As :meth:`CalpadsShare.lea_versions`, computed once per load (kept in ``calpads_share._versions``)."""
        basis = self.state(record_type)
        table = f"{SHARE_SCHEMA}._versions"
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SHARE_SCHEMA}")
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} (record_type VARCHAR, basis VARCHAR, lea VARCHAR, "
                        "n BIGINT, version VARCHAR)")
            rows = con.execute(f"SELECT lea, n, version FROM {table} WHERE record_type = ? AND basis = ?",
                               [record_type, basis]).fetchall()
        if basis and rows:  # a row with lea '' marks a computed set (an LEA-less share has only that row)
            return {lea: (v, int(n)) for lea, n, v in rows if lea}
        out = super().lea_versions(record_type)
        with self.connect() as con:
            con.begin()
            con.execute(f"DELETE FROM {table} WHERE record_type = ?", [record_type])
            con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)",
                            [[record_type, basis, "", 0, ""]]
                            + [[record_type, basis, lea, n, v] for lea, (v, n) in sorted(out.items())])
            con.commit()
        return out

    def prepare(self, record_types: list[str]) -> dict[str, Any]:
        """Load each record type from the files under ``share/`` unless the loaded copy is of the same files.

        Files are taken by content (see :mod:`ccgi_assets.share_load`): rows routed by record type and
        reporting LEA; per (LEA, record type) the newest upload replaces earlier ones -- by the ODS
        ``upload_date`` field for an extract-form file, else by the file's modification time; an empty upload,
        or one that cuts an LEA's rows by more than half, is held (previous rows kept, see :meth:`held`) until
        accepted in ``config/calpads_accept.csv``. A record type is reloaded when a file that holds (or held)
        rows of it changes, appears or goes, or when that config changes; the record type codes of each
        file version are kept in ``calpads_share._files``, so each file is scanned for them once.

        Returns, per record type, load figures for Dagster metadata (file names, LEA codes and counts, never
        a row value): ``files``, ``rows_loaded``, ``rows_rejected``, ``reloaded``, ``rejected_by_rule``,
        ``files_used``, ``files_not_used`` (``[{"file", "reason"[, "leas"]}]``), ``held``, ``leas_removed``.
        """
        from ccgi_assets.calpads import file_codes, normalize_record_type
        from ccgi_assets.share_load import guess_lea_and_type, inventory, load_record_type, read_accept

        files, skipped = inventory(self.share_root)
        accept, problems = read_accept(self.accept_path)
        log = get_dagster_logger()
        if problems:
            log.warning(f"{self.accept_path.name}: entries ignored ({'; '.join(problems)})")
        accept_version = file_version(self.accept_path) if self.accept_path.is_file() else ""
        figures: dict[str, Any] = {}
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SHARE_SCHEMA}")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {SHARE_SCHEMA}._loads (record_type VARCHAR PRIMARY KEY, "
                "fingerprint VARCHAR, rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMP)"
            )
            con.execute(f"ALTER TABLE {SHARE_SCHEMA}._loads ADD COLUMN IF NOT EXISTS figures VARCHAR")
            # the record type codes in each file version, scanned once (a change of one LEA's SENR file
            # then reloads SENR only, and reads no SCSC file)
            con.execute(f"CREATE TABLE IF NOT EXISTS {SHARE_SCHEMA}._files (file VARCHAR PRIMARY KEY, "
                        "version VARCHAR, codes VARCHAR, unknown_rows BIGINT)")
            seen = {r[0]: r[1:] for r in con.execute(f"SELECT * FROM {SHARE_SCHEMA}._files").fetchall()}
            codes: dict[str, tuple[list[str], int]] = {}
            for f in files:
                version = f"{f.size}:{f.mtime_ns}"
                rec = seen.get(f.rel)
                if rec and rec[0] == version:
                    codes[f.rel] = ([c for c in rec[1].split(",") if c], int(rec[2]))
                    continue
                try:
                    codes[f.rel] = file_codes(f.path.read_bytes())
                except OSError:
                    continue  # named unreadable by the load
            con.execute(f"DELETE FROM {SHARE_SCHEMA}._files")
            if codes:
                con.executemany(f"INSERT INTO {SHARE_SCHEMA}._files VALUES (?, ?, ?, ?)",
                                [[f.rel, f"{f.size}:{f.mtime_ns}", ",".join(codes[f.rel][0]), codes[f.rel][1]]
                                 for f in files if f.rel in codes])

            def concerns(rel: str, rt: str) -> bool:
                """Whether a file may hold rows of ``rt`` (its codes; else, for an empty file, its path)."""
                found = codes.get(rel, (None, 0))[0]
                if found is None:
                    return True
                shared = [c for c in found if normalize_record_type(c) in RECORD_TYPES]
                if shared:
                    return any(normalize_record_type(c) == rt for c in shared)
                return guess_lea_and_type(rel, RECORD_TYPES)[1] in (rt, None)

            for rt in record_types:
                cols = SHARE_COLUMNS[rt]
                mine_files = [f for f in files if concerns(f.rel, rt)]
                mine = [s for s in skipped if guess_lea_and_type(s["file"], RECORD_TYPES)[1] in (rt, None)]
                fp = hashlib.sha256("\0".join([
                    files_fingerprint([f.path for f in mine_files], self.share_root),
                    ";".join(f"{s['file']}:{s['reason']}" for s in mine), accept_version, ",".join(cols),
                ]).encode()).hexdigest()
                row = con.execute(
                    f"SELECT fingerprint, figures FROM {SHARE_SCHEMA}._loads WHERE record_type = ?", [rt],
                ).fetchone()
                if row and row[0] == fp and row[1]:
                    figures[rt] = {**json.loads(row[1]), "reloaded": False}
                    continue
                load = load_record_type(con, rt, mine_files, cols, SHARE_SCHEMA, accept, codes)
                by_file: dict[str, dict[str, int]] = {}
                for (f, rule), n in sorted(load.rejected.items()):
                    by_file.setdefault(f, {})[rule] = int(n)
                fig = {
                    "files": len(load.files_used), "rows_loaded": load.rows_loaded,
                    "rows_rejected": load.rows_rejected, "rejected_by_rule": load.rejected_by_rule,
                    "rejected_by_file": by_file,
                    "first_rejected": ({"file": load.first_error[0], "line": load.first_error[1],
                                        "rule": load.first_error[2]} if load.first_error else None),
                    "files_used": load.files_used, "files_not_used": mine + load.not_used, "held": load.held,
                    "leas_removed": load.leas_removed,
                }
                con.execute(
                    f"INSERT OR REPLACE INTO {SHARE_SCHEMA}._loads (record_type, fingerprint, rows_loaded, "
                    "rows_rejected, loaded_at, figures) VALUES (?, ?, ?, ?, now(), ?)",
                    [rt, fp, load.rows_loaded, load.rows_rejected, json.dumps(fig)],
                )
                figures[rt] = {**fig, "reloaded": True}
                if load.rows_rejected:
                    where = "; ".join(f"{f}: {n} {rule}" for (f, rule), n in sorted(load.rejected.items()))
                    first = load.first_error
                    log.warning(
                        f"CALPADS {rt}: {load.rows_rejected} malformed row(s) skipped ({where})"
                        + (f"; first at {first[0]} line {first[1]} ({first[2]})" if first else "")
                    )
                if fig["files_not_used"]:
                    log.warning(f"CALPADS {rt}: {len(fig['files_not_used'])} file(s) not used: " + "; ".join(
                        f"{e['file']} ({e['reason']}" + (f" for LEA {', '.join(e['leas'])}" if e.get("leas") else "")
                        + ")" for e in fig["files_not_used"]))
                for h in load.held:
                    log.warning(
                        f"CALPADS {rt}: LEA {h['reporting_lea']} held: {h['file']} {h['reason']} "
                        f"({h['rows_before']} rows before, {h['rows_now']} now); its previous rows stay until "
                        f"accepted in {self.accept_path.name}"
                    )
        return figures

    def held(self, leas: list[str] | None = None) -> pd.DataFrame:
        """Uploads held at the last :meth:`prepare` (columns reporting_lea, record_type, file, reason,
        rows_before, rows_now), for ``leas`` (all when None)."""
        from ccgi_assets.share_load import HELD_COLUMNS

        if not self.database.exists():
            return _empty_held()
        with self.connect() as con:
            exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                                 "AND table_name = '_held'", [SHARE_SCHEMA]).fetchone()[0]
            if not exists:
                return _empty_held()
            df = con.execute(f"SELECT {', '.join(HELD_COLUMNS)} FROM {SHARE_SCHEMA}._held "
                             "ORDER BY reporting_lea, record_type").df()
        if leas is not None:
            df = df[df["reporting_lea"].isin(list(leas))].reset_index(drop=True)
        return df.astype({"rows_before": "int64", "rows_now": "int64"})

    def _run(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        with self.connect() as con:
            for name, frame in frames.items():
                con.register(name, frame)
            return con.execute(sql, params or None).df()

    def _run_arrow(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]):
        with self.connect() as con:
            for name, frame in frames.items():
                con.register(name, frame)
            return con.sql(sql, params=params or None).to_arrow_table()


class SnowflakeCalpadsShare(CalpadsShare, SnowflakeConnected):
    """The Snowflake share database CDE grants CCGI (tables ``<database>.<schema>.SENR`` etc.)."""

    schema_: str = "CALPADS"
    #: where lookup frames (an LEA's SSID list) go as temporary tables: CCGI's own database, since a share
    #: is read-only. Defaults to the share database for a test double.
    scratch_database: str | None = None
    scratch_schema: str = "CCGI_SCRATCH"

    _ROWS_HASH = "TO_VARCHAR(HASH_AGG({a}.*))"

    def relation(self, record_type: str) -> str:
        return f"{self.database}.{self.schema_}.{record_type}"

    def fingerprint(self, record_type: str) -> str:
        sql = (f"SELECT last_altered, row_count FROM {self.database}.INFORMATION_SCHEMA.TABLES "
               "WHERE table_schema = %(schema)s AND table_name = %(table)s")
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            cur.execute(sql, {"schema": self.schema_, "table": record_type})
            return "|".join(str(v) for v in (cur.fetchone() or ()))

    def _run(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        return self._execute(sql, params, frames, arrow=False)

    def _run_arrow(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]):
        return self._execute(sql, params, frames, arrow=True)

    def _execute(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame], arrow: bool):
        from snowflake.connector.pandas_tools import write_pandas

        sql = _PARAM.sub(lambda m: f"%({m.group(1)})s", sql)
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            if frames:
                scratch = f"{self.scratch_database or self.database}.{self.scratch_schema}"
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {scratch}")
                cur.execute(f"USE SCHEMA {scratch}")
            for name, frame in frames.items():
                cols = ", ".join(f"{c} VARCHAR" for c in frame.columns)
                cur.execute(f"CREATE TEMPORARY TABLE {name} ({cols})")
                write_pandas(conn, frame.astype(str), table_name=name.upper(), quote_identifiers=False)
            cur.execute(sql, params or None)
            if arrow:
                import pyarrow as pa

                if hasattr(cur, "fetch_arrow_all"):  # the connector's own Arrow batches (not in fakesnow)
                    table = cur.fetch_arrow_all()
                else:
                    table = pa.Table.from_pandas(cur.fetch_pandas_all(), preserve_index=False)
                if table is None:  # no rows: the result's columns, typed as text
                    table = pa.table({d[0]: pa.array([], pa.string()) for d in cur.description})
                return table.rename_columns([c.lower() for c in table.column_names])
            df = cur.fetch_pandas_all()
        df.columns = [c.lower() for c in df.columns]
        return df
