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


def duckdb_memory_limit() -> str:
    """``$CCGI_DUCKDB_MEMORY_LIMIT`` in DuckDB's syntax (``4GiB``, ``50%``); by default half the machine's
    memory, at most 4 GiB. DuckDB spills to :func:`duckdb_temp_directory` beyond it (sorts, joins, big
    loads) instead of failing or taking the machine."""
    value = os.environ.get("CCGI_DUCKDB_MEMORY_LIMIT", "").strip()
    if value:
        return value
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GiB"
    return f"{max(1, min(4 << 10, total // 2 >> 20))}MiB"


def duckdb_temp_directory() -> str:
    """``$CCGI_DUCKDB_TEMP_DIR``; by default ``$CCGI_HOME/warehouse.duckdb.tmp``, where DuckDB itself would put
    the warehouse's spill files (DuckDB creates it when it first spills and removes what it wrote)."""
    value = os.environ.get("CCGI_DUCKDB_TEMP_DIR", "").strip()
    return str(Path(value).expanduser().resolve()) if value else str(warehouse_path()) + ".tmp"


#: the DuckDB connection config Dagster's DuckDB IO manager uses; every connection to the warehouse file
#: in one process must use the same config, or DuckDB refuses the second one. Fixed when this module is
#: first imported (the environment above is read then).
DUCKDB_CONFIG = {
    "custom_user_agent": "dagster",
    "memory_limit": duckdb_memory_limit(),
    "temp_directory": duckdb_temp_directory(),
}

#: schema holding one table per asset
ASSET_SCHEMA = "ccgi"
#: schema holding the CALPADS share tables (local stand-in for CDE's Snowflake share)
SHARE_SCHEMA = "calpads_share"
