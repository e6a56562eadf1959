"""The Snowflake side of ``resources.io_managers``: asset tables made from their contracts (see that module)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice
from dagster_snowflake_pandas import SnowflakePandasIOManager, SnowflakePandasTypeHandler

from ccgi_assets import contracts as c
from resources.io_managers import _contract, _row_metadata
from resources.snowflake import contract_ddl



class ContractSnowflakePandasTypeHandler(SnowflakePandasTypeHandler):
    def handle_output(self, context, table_slice: TableSlice, obj: pd.DataFrame, connection):
        model = _contract(context)
        if model is not None:
            table = f"{table_slice.database}.{table_slice.schema}.{table_slice.table}".upper()
            connection.cursor().execute(f"CREATE TABLE IF NOT EXISTS {table} ({contract_ddl(model)})")
            obj = obj.loc[:, c.columns(model)]
            if obj.empty:
                context.add_output_metadata(_row_metadata(context, 0, "snowflake"))
                return {}
        return super().handle_output(context, table_slice, obj, connection)

    def load_input(self, context, table_slice: TableSlice, connection) -> pd.DataFrame:
        model = _contract(context)
        if model is not None and table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return c.empty(model)
        try:
            df = super().load_input(context, table_slice, connection)
        except Exception as exc:  # a table not created yet holds nothing
            if model is not None and (getattr(exc, "errno", None) == 2003 or "does not exist" in str(exc)):
                return c.empty(model)
            raise
        if model is not None:
            df = df.loc[:, c.columns(model)] if len(df.columns) else c.empty(model)
        return df


class ContractSnowflakePandasIOManager(SnowflakePandasIOManager):
    """Dagster's Snowflake pandas IO manager, with tables made from the contracts (see the module)."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [ContractSnowflakePandasTypeHandler()]
