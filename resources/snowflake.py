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
