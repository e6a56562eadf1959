"""The CALPADS share: CDE's CRSE, SENR, SINF and SCSC data as CCGI sees it.

One interface, two implementations:

* :class:`LocalCalpadsShare` loads the caret-delimited CALPADS files under ``$CCGI_HOME/share/<TYPE>/``
  into schema ``calpads_share`` of the embedded DuckDB warehouse, once per change of the files, keeping only
  the share's columns (data minimization starts at the reader).
* :class:`SnowflakeCalpadsShare` queries the Snowflake share database CDE grants CCGI (column-level
  restricted secure views), through ``dagster-snowflake``.

SQL handed to :meth:`CalpadsShare.query` names tables as ``{SENR}``, ``{SINF}``, ``{CRSE}``, ``{SCSC}`` and
binds parameters as ``$name``; each implementation fills in its own relation names and parameter style.
Statewide steps (most-recent enrollment, current student information) therefore run where the data lives.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import ConfigurableResource, get_dagster_logger
from pydantic import PrivateAttr

from resources.settings import DUCKDB_CONFIG, SHARE_SCHEMA
from resources.snowflake import SnowflakeConnected

#: What the CALPADS share exposes to CCGI, per record type (the column-level restriction of the seed's
#: Snowflake-to-Snowflake share). Addresses, guardians, birthplace, SEIDs and class IDs are not shared.
#: Derived from the contracts: exactly the CALPADS columns their lineage needs (``ccgi share-ddl`` prints CDE's views).
from ccgi_assets.contracts import calpads_share_columns  # noqa: E402

SHARE_COLUMNS: dict[str, list[str]] = calpads_share_columns()
RECORD_TYPES = tuple(SHARE_COLUMNS)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


class CalpadsShare(ConfigurableResource):
    """Read access to the CALPADS share. Subclasses implement :meth:`_run`."""

    def query(self, sql: str, frames: dict[str, pd.DataFrame] | None = None, **params: Any) -> pd.DataFrame:
        """Run ``sql`` (tables as ``{SENR}`` etc., parameters as ``$name``) and return a DataFrame.

        ``frames`` are small local tables the query may join to by name (e.g. an LEA's list of SSIDs): the
        lookup runs in the warehouse, so the statewide tables never come to pandas.
        """
        return self._run(sql.format(**{t: self.relation(t) for t in RECORD_TYPES}), params, frames or {})

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

    def leas(self) -> list[str]:
        """Reporting LEAs that have submitted enrollment (SENR) data."""
        self.prepare(["SENR"])
        return self.query("SELECT DISTINCT reporting_lea FROM {SENR} ORDER BY 1")["reporting_lea"].tolist()


class LocalCalpadsShare(CalpadsShare):
    """CALPADS files under ``<home>/share/<TYPE>/*.txt`` loaded into the embedded DuckDB warehouse."""

    home: str
    _loaded: dict = PrivateAttr(default_factory=dict)

    @property
    def database(self) -> Path:
        return Path(self.home) / "warehouse.duckdb"

    def relation(self, record_type: str) -> str:
        return f"{SHARE_SCHEMA}.{record_type.lower()}"

    @contextmanager
    def connect(self):
        self.database.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.database), config=DUCKDB_CONFIG)
        try:
            yield con
        finally:
            con.close()

    def files(self, record_type: str) -> list[Path]:
        folder = Path(self.home) / "share" / record_type
        return sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith("."))

    def fingerprint(self, record_type: str) -> str:
        return self._fingerprint(self.files(record_type))

    def last_modified(self, record_type: str) -> float:
        return max((p.stat().st_mtime for p in self.files(record_type)), default=0.0)

    def _fingerprint(self, files: list[Path]) -> str:
        h = hashlib.sha256()
        for p in files:
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()

    def prepare(self, record_types: list[str]) -> dict[str, Any]:
        """Load each record type's files unless the loaded copy is of the same files (name, size, mtime)."""
        from ccgi_assets.calpads import load_calpads

        figures: dict[str, Any] = {}
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SHARE_SCHEMA}")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {SHARE_SCHEMA}._loads (record_type VARCHAR PRIMARY KEY, "
                "fingerprint VARCHAR, rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMP)"
            )
            for rt in record_types:
                files = self.files(rt)
                fp = self._fingerprint(files)
                row = con.execute(
                    f"SELECT fingerprint, rows_loaded, rows_rejected FROM {SHARE_SCHEMA}._loads WHERE record_type = ?",
                    [rt],
                ).fetchone()
                if row and row[0] == fp:
                    figures[rt] = {"files": len(files), "rows_loaded": row[1], "rows_rejected": row[2], "reloaded": False}
                    continue
                report = load_calpads(con, files, self.relation(rt), columns=SHARE_COLUMNS[rt], on_error="skip",
                                      record_type=rt)
                rejected = int(report.rows_rejected)
                con.execute(
                    f"INSERT OR REPLACE INTO {SHARE_SCHEMA}._loads VALUES (?, ?, ?, ?, now())",
                    [rt, fp, int(report.rows_loaded), rejected],
                )
                figures[rt] = {"files": len(files), "rows_loaded": int(report.rows_loaded), "rows_rejected": rejected,
                               "reloaded": True, "rejected_by_rule": report.rejected_by_rule}
                if rejected:
                    where = "; ".join(f"{f}: {n} {rule}" for (f, rule), n in sorted(report.rejected.items()))
                    first = report.first_error
                    get_dagster_logger().warning(
                        f"CALPADS {rt}: {rejected} malformed row(s) skipped ({where})"
                        + (f"; first at {first[0]} line {first[1]} ({first[2]})" if first else "")
                    )
        return figures

    def _run(self, sql: str, params: dict[str, Any], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        with self.connect() as con:
            for name, frame in frames.items():
                con.register(name, frame)
            return con.execute(sql, params or None).df()


class SnowflakeCalpadsShare(CalpadsShare, SnowflakeConnected):
    """The Snowflake share database CDE grants CCGI (tables ``<database>.<schema>.SENR`` etc.)."""

    schema_: str = "CALPADS"
    #: where lookup frames (an LEA's SSID list) go as temporary tables: CCGI's own database, since a share
    #: is read-only. Defaults to the share database for a test double.
    scratch_database: str | None = None
    scratch_schema: str = "CCGI_SCRATCH"

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
            df = cur.fetch_pandas_all()
        df.columns = [c.lower() for c in df.columns]
        return df
