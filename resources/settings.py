"""Where things live and which target is in use: one switch, read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

TARGETS = ("local", "snowflake")


def ccgi_home() -> Path:
    """``$CCGI_HOME`` (default ``./.ccgi``), absolute."""
    return Path(os.environ.get("CCGI_HOME", ".ccgi")).expanduser().resolve()


def target() -> str:
    """``$CCGI_TARGET``: ``local`` (embedded DuckDB, default) or ``snowflake``."""
    value = os.environ.get("CCGI_TARGET", "local").strip().lower() or "local"
    if value not in TARGETS:
        raise ValueError(f"CCGI_TARGET must be one of {', '.join(TARGETS)}, not {value!r}")
    return value


def warehouse_path(home: Path | None = None) -> Path:
    return (home or ccgi_home()) / "warehouse.duckdb"


#: the DuckDB connection config Dagster's DuckDB IO manager uses; every connection to the warehouse file
#: in one process must use the same config, or DuckDB refuses the second one.
DUCKDB_CONFIG = {"custom_user_agent": "dagster"}

#: schema holding one table per asset
ASSET_SCHEMA = "ccgi"
#: schema holding the CALPADS share tables (local stand-in for CDE's Snowflake share)
SHARE_SCHEMA = "calpads_share"
