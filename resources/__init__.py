"""Resources: how the pipeline reads its sources and writes its tables, for each target.

``build_resources()`` picks the implementations from ``$CCGI_TARGET`` (``local`` or ``snowflake``); the
asset code only sees the resource keys below.
"""

from __future__ import annotations

from pathlib import Path

from dagster import EnvVar

from resources.calpads_share import CalpadsShare, LocalCalpadsShare, SnowflakeCalpadsShare
from resources.exports import ExportStore, LocalExportStore, ReportStore, SnowflakeExportStore
from resources.settings import ASSET_SCHEMA, DUCKDB_CONFIG, ccgi_home, target, warehouse_path
from resources.sources import CmpSource, LandingZone, ParticipationConfig, PlatformSource
from resources.warehouse import DuckDBWarehouse, SnowflakeWarehouse, Warehouse

__all__ = [
    "CalpadsShare", "LocalCalpadsShare", "SnowflakeCalpadsShare", "ExportStore", "LocalExportStore",
    "SnowflakeExportStore", "ReportStore", "CmpSource", "LandingZone", "ParticipationConfig", "PlatformSource",
    "Warehouse", "DuckDBWarehouse", "SnowflakeWarehouse", "build_resources", "local_resources",
]


def local_resources(home: Path) -> dict:
    """The embedded default: files under ``home`` and a DuckDB warehouse file, no server, no credentials."""
    import os

    from resources.io_managers import ContractDuckDBPandasIOManager

    home = Path(home)
    return {
        "io_manager": ContractDuckDBPandasIOManager(database=str(warehouse_path(home)), schema=ASSET_SCHEMA,
                                            connection_config=dict(DUCKDB_CONFIG)),
        "calpads": LocalCalpadsShare(home=str(home)),
        "cmp": CmpSource(root=str(home / "cmp")),
        "landing": LandingZone(root=str(home / "landing" / "optin")),
        "participation": ParticipationConfig(path=str(home / "config" / "lea_participation.csv")),
        "platform": PlatformSource(root=str(home / "platform")),
        "exports": LocalExportStore(root=str(home / "exports")),
        "reports": ReportStore(root=str(home / "reports"), public_url=os.environ.get("CCGI_REPORTS_PUBLIC_URL", "")),
        "warehouse": DuckDBWarehouse(database=str(warehouse_path(home))),
    }


def snowflake_resources(home: Path) -> dict:
    """Production: the CALPADS share and the asset tables in Snowflake; files (CMP, landing zone, platform)
    from ``CCGI_*_URL`` locations (object storage URLs or folders)."""
    import os

    from resources.snowflake_io import ContractSnowflakePandasIOManager

    creds = dict(account=EnvVar("SNOWFLAKE_ACCOUNT"), user=EnvVar("SNOWFLAKE_USER"),
                 password=EnvVar("SNOWFLAKE_PASSWORD"), warehouse=EnvVar("SNOWFLAKE_WAREHOUSE"),
                 role=EnvVar("SNOWFLAKE_ROLE"))
    home = Path(home)
    return {
        "io_manager": ContractSnowflakePandasIOManager(database=EnvVar("SNOWFLAKE_DATABASE"), schema=ASSET_SCHEMA.upper(), **creds),
        "calpads": SnowflakeCalpadsShare(database=EnvVar("CCGI_CALPADS_SHARE_DATABASE"), **creds),
        "cmp": CmpSource(root=os.environ.get("CCGI_CMP_URL", str(home / "cmp"))),
        "landing": LandingZone(root=os.environ.get("CCGI_LANDING_URL", str(home / "landing" / "optin"))),
        "participation": ParticipationConfig(path=os.environ.get("CCGI_PARTICIPATION_URL",
                                                                 str(home / "config" / "lea_participation.csv"))),
        "platform": PlatformSource(root=os.environ.get("CCGI_PLATFORM_URL", str(home / "platform"))),
        "exports": SnowflakeExportStore(database=EnvVar("SNOWFLAKE_DATABASE"), **creds),
        "reports": ReportStore(root=os.environ.get("CCGI_REPORTS_URL", str(home / "reports")),
                               public_url=os.environ.get("CCGI_REPORTS_PUBLIC_URL", "")),
        "warehouse": SnowflakeWarehouse(database=EnvVar("SNOWFLAKE_DATABASE"), **creds),
    }


def build_resources(which: str | None = None, home: Path | None = None) -> dict:
    which = which or target()
    home = home or ccgi_home()
    return local_resources(home) if which == "local" else snowflake_resources(home)
