"""Read-back of the asset tables, for what an asset needs to know about its own previous partition
(how many students an opt-out removed). Counts leave this module, never values."""

from __future__ import annotations

import duckdb
from dagster import ConfigurableResource

from resources.settings import ASSET_SCHEMA, DUCKDB_CONFIG
from resources.snowflake import SnowflakeConnected


class Warehouse(ConfigurableResource):
    def previous_keys(self, table: str, lea: str, column: str = "ssid") -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError


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


class SnowflakeWarehouse(Warehouse, SnowflakeConnected):

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
