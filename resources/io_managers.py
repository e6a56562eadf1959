"""Asset tables made from their contracts, on DuckDB (here) and Snowflake (``resources.snowflake_io``, imported
only for the Snowflake target: ``dagster_snowflake`` takes seconds to import).

Dagster's DuckDB and Snowflake pandas IO managers skip writing an empty frame ("An empty table will not be
created"), so a first LEA with no list, or a day with nothing to send, left downstream steps reading a table that
does not exist. Here an asset that names its contract (``metadata["contract"]``, set by
``contracts.asset_metadata``) always has its table, created from the contract's columns and types, even with
zero rows; a table from an older contract gains the new columns and loses the ones the contract dropped; rows
are inserted by column name; reads select the contract's columns (never ``*``), and a read of nothing (no
partition yet, no table yet) is an empty frame with the contract's columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice
from dagster_duckdb_pandas import DuckDBPandasIOManager, DuckDBPandasTypeHandler

from ccgi_assets import contracts as c


def _contract(context):
    meta = getattr(context, "definition_metadata", None) or {}
    if "contract" not in meta and getattr(context, "upstream_output", None) is not None:
        meta = context.upstream_output.definition_metadata or {}
    name = meta.get("contract")
    if name is None:
        return None
    return c.by_name(name.value if hasattr(name, "value") else str(name))


def _partition_where(table_slice: TableSlice) -> str:
    from dagster_duckdb.io_manager import _partition_where_clause

    return _partition_where_clause(table_slice.partition_dimensions)


def _row_metadata(context, n: int, kind: str) -> dict:
    from dagster._core.definitions.metadata import TableMetadataSet

    return dict(TableMetadataSet(partition_row_count=n, storage_kind=kind) if context.has_partition_key
                else TableMetadataSet(row_count=n, storage_kind=kind))


def ensure_table(connection, schema: str, name: str, model) -> str:
    """The contract's table ``schema.name`` in DuckDB, created with zero rows if missing; a table from an older
    contract gains the new columns and loses the ones the contract dropped. Returns the qualified name."""
    table = f"{schema}.{name}"
    cols = c.columns(model)
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    ddl = ", ".join(f"{col} {c.sql_type(model, col)}" for col in cols)
    connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
    have = [r[0] for r in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, name]).fetchall()]
    for col in cols:
        if col not in have:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {col} {c.sql_type(model, col)}")
    for col in have:
        if col not in cols:  # a column the contract no longer allows leaves the table
            connection.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
    return table


class ContractDuckDBPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(self, context, table_slice: TableSlice, obj: pd.DataFrame, connection):
        model = _contract(context)
        if model is None:
            return super().handle_output(context, table_slice, obj, connection)
        table = ensure_table(connection, table_slice.schema, table_slice.table, model)
        cols = c.columns(model)
        if len(obj):
            frame = obj.loc[:, cols]  # noqa: F841 - read by DuckDB by name
            connection.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM frame")
        context.add_output_metadata(_row_metadata(context, len(obj), "duckdb"))

    def load_input(self, context, table_slice: TableSlice, connection) -> pd.DataFrame:
        model = _contract(context)
        if model is None:
            return super().load_input(context, table_slice, connection)
        if table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return c.empty(model)
        exists = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [table_slice.schema, table_slice.table]).fetchone()[0]
        if not exists:
            return c.empty(model)
        sql = f"SELECT {', '.join(c.columns(model))} FROM {table_slice.schema}.{table_slice.table}"
        if table_slice.partition_dimensions:
            sql += " WHERE\n" + _partition_where(table_slice)
        # through Arrow: text as pandas' pyarrow strings, no Python object per value (a statewide roster is
        # millions of rows, read by several assets)
        from resources.calpads_share import _from_arrow

        return _from_arrow(connection.execute(sql).to_arrow_table())


class ContractDuckDBPandasIOManager(DuckDBPandasIOManager):
    """Dagster's DuckDB pandas IO manager, with tables made from the contracts (see the module)."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [ContractDuckDBPandasTypeHandler()]
