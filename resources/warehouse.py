"""The asset tables in the warehouse: read-back for what an asset needs to know about its own previous
partition (how many students an opt-out removed), and :meth:`Warehouse.replace_partitions`, with which a
statewide student table is built where the data lives (one SQL statement for every requested LEA, checked
against its contract in SQL; no row comes to Python). Counts leave this module, never values."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import duckdb
import pandas as pd
from dagster import ConfigurableResource

from ccgi_assets import contracts as c
from resources.settings import ASSET_SCHEMA, DUCKDB_CONFIG
from resources.snowflake import SnowflakeConnected


_LEA_KEY = re.compile(r"[0-9A-Za-z_-]{1,32}")


def lea_list(leas) -> str:
    """LEA partition keys as an SQL list of literals; a key that is not a plain code is refused (never quoted
    into SQL)."""
    keys = sorted({str(x) for x in leas})
    bad = sum(1 for k in keys if not _LEA_KEY.fullmatch(k))
    if bad:
        raise ValueError(f"{bad} LEA partition key(s) are not plain codes; not used in SQL")
    return ", ".join(f"'{k}'" for k in keys)


class _Session:
    """One connection's statements for :meth:`Warehouse.replace_partitions`: ``execute(sql)`` returns the rows;
    ``execute(sql, into=name)`` keeps the result as a temporary table and returns its name."""

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql: str, into: str | None = None):
        if into:
            self.cursor.execute(f"CREATE OR REPLACE TEMPORARY TABLE {into} AS {sql}")
            return into
        self.cursor.execute(sql)
        return self.cursor.fetchall() if self.cursor.description else []

    def begin(self):
        self.cursor.execute("BEGIN")

    def commit(self):
        self.cursor.execute("COMMIT")

    def rollback(self):
        self.cursor.execute("ROLLBACK")


@dataclass
class TableWrite:
    """What :meth:`Warehouse.replace_partitions` wrote: rows, named figures over them, and how many distinct
    (LEA, key) pairs the partitions held before and not now (students removed). Counts only."""

    rows: int
    keys_removed: int
    figures: dict[str, int] = field(default_factory=dict)
    by: dict[str, int] = field(default_factory=dict)


class Warehouse(ConfigurableResource):
    #: the SQL dialect of :meth:`replace_partitions` (contract checks are generated for it)
    dialect: ClassVar[str] = "duckdb"

    def relation(self, table: str) -> str:  # pragma: no cover - abstract
        """The qualified name of an asset table."""
        raise NotImplementedError

    @contextmanager
    def _session(self):  # pragma: no cover - abstract
        """A :class:`_Session` on the warehouse."""
        raise NotImplementedError
        yield

    def _ensure(self, session, table: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def replace_partitions(self, table: str, sql: str, leas, share, *, key: str = "ssid",
                           figures: dict[str, str] | None = None, count_by: str | None = None,
                           before_commit=None) -> TableWrite:
        """Replace the rows of ``leas`` in asset table ``table`` with the rows of ``sql``, in the warehouse.

        ``sql`` names the CALPADS share's tables as ``{SENR}`` etc. (filled by ``share.relation``), asset tables
        by their names (``{registration_roster}``) and the requested LEAs as ``{leas}`` (a list of literals);
        it returns the contract's columns. In one transaction: the LEAs' rows are deleted, the new ones inserted,
        and the inserted partitions checked against the table's contract with SQL generated from it
        (:mod:`ccgi_assets.contract_sql`); a violation rolls everything back and raises
        :class:`~ccgi_assets.contracts.ContractViolation` (columns, rules, counts). Tables are created from
        their contracts first, so a fresh warehouse reads as empty. ``figures``: name -> an aggregate SQL
        expression over the new rows (``count(DISTINCT ssid)``; asset tables by name as in ``sql``), returned as
        integers; ``count_by``: a column whose rows are counted per value (``TableWrite.by``).

        ``before_commit(removed)``: called with the (reporting_lea, ``key``) pairs the partitions held before and
        not now, after the new rows are checked and before they are committed; if it raises, nothing is
        written (a withdrawal that fails leaves the old partitions, so the next run withdraws again).
        """
        from ccgi_assets.contract_sql import check_sql, raise_if_violated
        from resources.calpads_share import RECORD_TYPES

        model = c.CONTRACTS[table]
        figures = figures or {}
        keys = sorted({str(x) for x in leas})
        if not keys:
            return TableWrite(0, 0, {k: 0 for k in figures}, {})
        lit = lea_list(keys)
        cols = ", ".join(c.columns(model))
        with self._session() as s:
            named = sql + "".join(figures.values())  # asset tables the statement or a figure reads
            names = {t: self._ensure(s, t) for t in c.CONTRACTS if "{" + t + "}" in named}
            target = self._ensure(s, table)
            text = sql.format(**{rt: share.relation(rt) for rt in RECORD_TYPES}, **names, leas=lit)
            part = f"(SELECT {cols} FROM {target} WHERE reporting_lea IN ({lit}))"
            # the partitions' students before (a temporary table is DDL: on Snowflake it would end a transaction)
            before = s.execute(f"SELECT DISTINCT reporting_lea, {key} FROM {target} WHERE reporting_lea IN ({lit})",
                               into="ccgi_prev_keys")
            s.begin()
            try:
                s.execute(f"DELETE FROM {target} WHERE reporting_lea IN ({lit})")
                s.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM ({text}) q")
                raise_if_violated(model, s.execute(check_sql(model, part, self.dialect)))
                aggs = "".join(f", {expr.format(**names, leas=lit)}" for expr in figures.values())
                row = s.execute(f"SELECT count(*){aggs} FROM {part} p")[0]
                by = (dict(s.execute(f"SELECT {count_by}, count(*) FROM {part} p GROUP BY 1")) if count_by else {})
                removed = s.execute(
                    f"SELECT b.reporting_lea, b.{key} FROM {before} b WHERE NOT EXISTS (SELECT 1 FROM {target} t "
                    f"WHERE t.reporting_lea = b.reporting_lea AND t.{key} = b.{key})")
                if before_commit is not None:
                    before_commit(pd.DataFrame(removed, columns=["reporting_lea", key], dtype=object))
            except BaseException:
                s.rollback()
                raise
            s.commit()
        return TableWrite(int(row[0]), len(removed), {k: int(v or 0) for k, v in zip(figures, row[1:])},
                          {str(k): int(v) for k, v in by.items()})

    def rows_for(self, table: str, leas, ssids) -> pd.DataFrame:  # pragma: no cover - abstract
        """The rows of asset table ``table`` for these LEAs and students (contract columns; an empty contract
        frame when the table does not exist yet): a few students' rows of a statewide table."""
        raise NotImplementedError

    def students_in(self, table: str, ssids) -> pd.DataFrame:  # pragma: no cover - abstract
        """(reporting_lea, ssid) of these students' rows in asset table ``table``, any LEA, as last committed
        (empty when the table does not exist yet)."""
        raise NotImplementedError

    def previous_keys_by_lea(self, table: str, leas, column: str = "ssid") -> pd.DataFrame:  # pragma: no cover
        """The distinct (reporting_lea, ``column``) of an asset table as last written, for many LEAs in one
        query (an empty frame when the table does not exist yet)."""
        raise NotImplementedError

    def previous_rows(self, table: str, lea: str | None = None) -> pd.DataFrame:  # pragma: no cover - abstract
        """An asset table's rows as last written (for an LEA, or all), with its contract's columns; an empty
        contract frame when the table does not exist yet."""
        raise NotImplementedError

    def delete_students(self, table: str, ssids: set[str], lea: str | None = None) -> int:  # pragma: no cover
        """Delete these students' rows from an asset table (only the LEA's rows when ``lea`` is given)."""
        raise NotImplementedError


def _no_keys(column: str) -> pd.DataFrame:
    return pd.DataFrame({"reporting_lea": pd.Series(dtype=object), column: pd.Series(dtype=object)})


class DuckDBWarehouse(Warehouse):
    database: str

    def relation(self, table: str) -> str:
        return f"{ASSET_SCHEMA}.{table}"

    @contextmanager
    def _session(self):
        from dagster._utils.backoff import backoff

        con = backoff(fn=duckdb.connect, retry_on=(duckdb.IOException,), args=[self.database],
                      kwargs={"config": DUCKDB_CONFIG}, max_retries=10)
        try:
            yield _Session(con)
        finally:
            con.close()

    def _ensure(self, session, table: str) -> str:
        from resources.io_managers import ensure_table

        return ensure_table(session.cursor, ASSET_SCHEMA, table, c.CONTRACTS[table])

    def rows_for(self, table: str, leas, ssids) -> pd.DataFrame:
        from resources.calpads_share import _from_arrow

        model = c.CONTRACTS[table]
        wanted = pd.DataFrame({"ssid": pd.Series(sorted({str(x) for x in ssids}), dtype=object)})  # noqa: F841
        if not len(wanted) or not leas:
            return c.empty(model)
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            if not self._exists(con, table):
                return c.empty(model)
            return _from_arrow(con.execute(
                f"SELECT {', '.join(c.columns(model))} FROM {ASSET_SCHEMA}.{table} WHERE reporting_lea IN "
                f"({lea_list(leas)}) AND ssid IN (SELECT ssid FROM wanted)").to_arrow_table())
        finally:
            con.close()

    def previous_keys_by_lea(self, table: str, leas, column: str = "ssid") -> pd.DataFrame:
        if not leas:
            return _no_keys(column)
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            if not self._exists(con, table):
                return _no_keys(column)
            wanted = pd.DataFrame({"reporting_lea": pd.Series(sorted({str(x) for x in leas}), dtype=object)})  # noqa: F841
            return con.execute(
                f"SELECT DISTINCT t.reporting_lea, t.{column} FROM {ASSET_SCHEMA}.{table} t "
                "WHERE t.reporting_lea IN (SELECT reporting_lea FROM wanted)").df()
        finally:
            con.close()

    def students_in(self, table: str, ssids) -> pd.DataFrame:
        wanted = pd.DataFrame({"ssid": pd.Series(sorted({str(x) for x in ssids}), dtype=object)})  # noqa: F841
        if not len(wanted):
            return _no_keys("ssid")
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            if not self._exists(con, table):
                return _no_keys("ssid")
            return con.execute(f"SELECT DISTINCT reporting_lea, ssid FROM {ASSET_SCHEMA}.{table} "
                               "WHERE ssid IN (SELECT ssid FROM wanted)").df()
        finally:
            con.close()

    def _exists(self, con, table: str) -> bool:
        return bool(con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [ASSET_SCHEMA, table]).fetchone()[0])

    def previous_rows(self, table: str, lea: str | None = None) -> pd.DataFrame:
        model = c.CONTRACTS[table]
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            if not self._exists(con, table):
                return c.empty(model)
            sql = f"SELECT {', '.join(c.columns(model))} FROM {ASSET_SCHEMA}.{table}"
            return con.execute(sql + (" WHERE reporting_lea = ?" if lea else ""), [lea] if lea else None).df()
        finally:
            con.close()

    def delete_students(self, table: str, ssids: set[str], lea: str | None = None) -> int:
        if not ssids:
            return 0
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            if not self._exists(con, table):
                return 0
            gone = pd.DataFrame({"ssid": sorted(ssids)})  # noqa: F841 - read by DuckDB by name
            sql = f"DELETE FROM {ASSET_SCHEMA}.{table} WHERE ssid IN (SELECT ssid FROM gone)"
            n = con.execute(sql + (" AND reporting_lea = ?" if lea else ""), [lea] if lea else None).fetchone()[0]
            return int(n)
        finally:
            con.close()


class SnowflakeWarehouse(Warehouse, SnowflakeConnected):
    dialect: ClassVar[str] = "snowflake"

    def relation(self, table: str) -> str:
        return f"{self.database}.{ASSET_SCHEMA.upper()}.{table.upper()}"

    @contextmanager
    def _session(self):
        with self.snowflake_connection() as conn:
            yield _Session(conn.cursor())

    def _ensure(self, session, table: str) -> str:
        from resources.snowflake import contract_ddl

        session.execute(f"CREATE SCHEMA IF NOT EXISTS {self.database}.{ASSET_SCHEMA.upper()}")
        session.execute(f"CREATE TABLE IF NOT EXISTS {self.relation(table)} ({contract_ddl(c.CONTRACTS[table])})")
        return self.relation(table)

    def _by_ssids(self, select: str, ssids: list[str], fetch):
        """``select`` (ending in ``WHERE ...``) with ``SSID IN (...)`` for ``ssids``, in batches of bound
        parameters; ``fetch(cursor)`` of each batch, in a list; None when the table does not exist yet."""
        out = []
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            for i in range(0, len(ssids), 1000):
                names = {f"s{j}": v for j, v in enumerate(ssids[i:i + 1000])}
                try:
                    cur.execute(f"{select} SSID IN ({', '.join(f'%({k})s' for k in names)})", names)
                except Exception as exc:  # a table not created yet holds nothing
                    if getattr(exc, "errno", None) == 2003:
                        return None
                    raise
                out.append(fetch(cur))
        return out

    def students_in(self, table: str, ssids) -> pd.DataFrame:
        batches = self._by_ssids(f"SELECT DISTINCT REPORTING_LEA, SSID FROM {self.relation(table)} WHERE",
                                 sorted({str(x) for x in ssids}), lambda cur: cur.fetchall())
        rows = [r for b in batches or [] for r in b]
        return pd.DataFrame(rows, columns=["reporting_lea", "ssid"]) if rows else _no_keys("ssid")

    def rows_for(self, table: str, leas, ssids) -> pd.DataFrame:
        model = c.CONTRACTS[table]
        ssids = sorted({str(x) for x in ssids})
        if not ssids or not leas:
            return c.empty(model)
        cols = ", ".join(col.upper() for col in c.columns(model))
        frames = self._by_ssids(f"SELECT {cols} FROM {self.relation(table)} WHERE REPORTING_LEA IN "
                                f"({lea_list(leas)}) AND", ssids, lambda cur: cur.fetch_pandas_all())
        if not frames:
            return c.empty(model)
        df = pd.concat(frames, ignore_index=True)
        df.columns = [col.lower() for col in df.columns]
        return df if len(df) else c.empty(model)

    def previous_rows(self, table: str, lea: str | None = None) -> pd.DataFrame:
        model = c.CONTRACTS[table]
        cols = ", ".join(col.upper() for col in c.columns(model))
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute(f"SELECT {cols} FROM {self.database}.{ASSET_SCHEMA.upper()}.{table.upper()}"
                            + (" WHERE REPORTING_LEA = %(lea)s" if lea else ""), {"lea": lea} if lea else None)
            except Exception as exc:
                if getattr(exc, "errno", None) == 2003:
                    return c.empty(model)
                raise
            df = cur.fetch_pandas_all()
        df.columns = [col.lower() for col in df.columns]
        return df

    def delete_students(self, table: str, ssids: set[str], lea: str | None = None) -> int:
        from resources.exports import _delete_ssids

        return _delete_ssids(self, f"{self.database}.{ASSET_SCHEMA.upper()}.{table.upper()}", sorted(ssids),
                             where="REPORTING_LEA = %(lea)s" if lea else "", params={"lea": lea} if lea else None)

    def previous_keys_by_lea(self, table: str, leas, column: str = "ssid") -> pd.DataFrame:
        leas = sorted({str(x) for x in leas})
        if not leas:
            return _no_keys(column)
        marks = ", ".join(f"%(l{i})s" for i in range(len(leas)))
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute(f"SELECT DISTINCT REPORTING_LEA, {column.upper()} FROM "
                            f"{self.database}.{ASSET_SCHEMA.upper()}.{table.upper()} WHERE REPORTING_LEA IN ({marks})",
                            {f"l{i}": lea for i, lea in enumerate(leas)})
            except Exception as exc:  # a table not created yet: nothing was there before
                if getattr(exc, "errno", None) == 2003:
                    return _no_keys(column)
                raise
            rows = cur.fetchall()
        return pd.DataFrame(rows, columns=["reporting_lea", column]) if rows else _no_keys(column)
