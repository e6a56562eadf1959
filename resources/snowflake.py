"""Snowflake credentials shared by every production resource (values come from ``EnvVar``s)."""

from dagster import ConfigurableResource


class SnowflakeConnected(ConfigurableResource):
    """Mixin: the connection settings of a resource that talks to Snowflake through dagster-snowflake."""

    account: str
    user: str
    password: str | None = None
    warehouse: str | None = None
    role: str | None = None
    database: str

    def snowflake_connection(self):
        """A connection context manager (``with self.snowflake_connection() as conn``)."""
        from dagster_snowflake import SnowflakeResource

        return SnowflakeResource(account=self.account, user=self.user, password=self.password,
                                 warehouse=self.warehouse, role=self.role,
                                 database=self.database).get_connection()


#: the contracts' SQL types (DuckDB's names) as Snowflake spells them
SNOWFLAKE_TYPES = {"TIMESTAMP": "TIMESTAMP_NTZ", "BIGINT": "NUMBER(38,0)", "DOUBLE": "FLOAT"}


def contract_ddl(model) -> str:
    """The column list of a contract's table in Snowflake (``COL TYPE, ...``)."""
    from ccgi_assets import contracts as c

    return ", ".join(f"{col.upper()} {SNOWFLAKE_TYPES.get(c.sql_type(model, col), c.sql_type(model, col))}"
                     for col in c.columns(model))
