"""Read-back of the asset tables, for what an asset needs to know about its own previous partition
(how many students an opt-out removed). Counts leave this module, never values."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import ConfigurableResource

from ccgi_assets import contracts as c
from resources.settings import ASSET_SCHEMA, DUCKDB_CONFIG
from resources.snowflake import SnowflakeConnected


class Warehouse(ConfigurableResource):
    def previous_keys(self, table: str, lea: str, column: str = "ssid") -> set[str]:  # pragma: no cover - abstract
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

    def previous_keys(self, table: str, lea: str, column: str = "ssid") -> set[str]:
        con = duckdb.connect(self.database, config=DUCKDB_CONFIG)
        try:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [ASSET_SCHEMA, table],
            ).fetchone()[0]
            if not exists:
                return set()
            rows = con.execute(f"SELECT DISTINCT {column} FROM {ASSET_SCHEMA}.{table} WHERE reporting_lea = ?", [lea])
            return {r[0] for r in rows.fetchall()}
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

    def previous_keys(self, table: str, lea: str, column: str = "ssid") -> set[str]:
        with self.snowflake_connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute(f"SELECT DISTINCT {column.upper()} FROM {self.database}.{ASSET_SCHEMA.upper()}.{table.upper()} "
                            "WHERE REPORTING_LEA = %(lea)s", {"lea": lea})
            except Exception as exc:  # a table not created yet: nothing was there before
                if getattr(exc, "errno", None) == 2003:
                    return set()
                raise
            return {r[0] for r in cur.fetchall()}

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
