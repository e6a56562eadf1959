"""Files and tables that leave CCGI: extracts for CDE and the statewide systems, and LEA reports.

Local target: CSV files under ``$CCGI_HOME/exports/<destination>/``. Snowflake target: a table per extract in
schema ``EXPORTS_<DESTINATION>`` (written with ``write_pandas``), shared on from there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource

from ccgi_assets.csvsafe import to_csv
from resources.snowflake import SnowflakeConnected


class ExportStore(ConfigurableResource):
    """Writes an extract for one destination; returns where it went."""

    def write(self, destination: str, name: str, df: pd.DataFrame) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def remove(self, destination: str, name: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def withdraw(self, destination: str, name: str, ssids: set[str]) -> int:  # pragma: no cover - abstract
        """Remove the rows of these students from an extract already written; return how many rows went."""
        raise NotImplementedError


class LocalExportStore(ExportStore):
    root: str

    def path(self, destination: str, name: str) -> Path:
        return Path(self.root) / destination / f"{name}.csv"

    def write(self, destination: str, name: str, df: pd.DataFrame) -> str:
        p = self.path(destination, name)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".csv.tmp")
        to_csv(df, tmp, date_format="%Y-%m-%dT%H:%M:%S")  # formula-like cells defused for spreadsheets
        tmp.replace(p)  # readers never see a half-written extract
        return str(p)

    def remove(self, destination: str, name: str) -> None:
        self.path(destination, name).unlink(missing_ok=True)

    def withdraw(self, destination: str, name: str, ssids: set[str]) -> int:
        p = self.path(destination, name)
        if not ssids or not p.exists():
            return 0
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        gone = df["ssid"].isin(ssids)
        if gone.any():
            tmp = p.with_suffix(".csv.tmp")
            df[~gone].to_csv(tmp, index=False, lineterminator="\n")  # cells already defused when written
            tmp.replace(p)
        return int(gone.sum())


def _table_name(name: str) -> str:
    """A Snowflake identifier for an extract: an LEA code (digits) becomes ``LEA_<code>``."""
    return f"LEA_{name}" if name[:1].isdigit() else name.upper()


class SnowflakeExportStore(ExportStore, SnowflakeConnected):

    def write(self, destination: str, name: str, df: pd.DataFrame) -> str:
        from snowflake.connector.pandas_tools import write_pandas

        schema = f"EXPORTS_{destination.upper()}"
        table = _table_name(name)
        with self.snowflake_connection() as conn:
            conn.cursor().execute(f"CREATE SCHEMA IF NOT EXISTS {self.database}.{schema}")
            out = df.copy()
            out.columns = [c.upper() for c in out.columns]
            write_pandas(conn, out, table_name=table, database=self.database, schema=schema,
                         auto_create_table=True, overwrite=True, use_logical_type=True)
        return f"{self.database}.{schema}.{table}"

    def remove(self, destination: str, name: str) -> None:
        with self.snowflake_connection() as conn:
            conn.cursor().execute(f"DROP TABLE IF EXISTS {self.database}.EXPORTS_{destination.upper()}.{_table_name(name)}")

    def withdraw(self, destination: str, name: str, ssids: set[str]) -> int:
        if not ssids:
            return 0
        table = f"{self.database}.EXPORTS_{destination.upper()}.{_table_name(name)}"
        return _delete_ssids(self, table, sorted(ssids))


def _delete_ssids(store: SnowflakeConnected, table: str, ssids: list[str], where: str = "",
                  params: dict | None = None) -> int:
    """DELETE the rows of ``ssids`` from ``table`` (in batches of bound parameters); a missing table holds none."""
    gone = 0
    with store.snowflake_connection() as conn:
        cur = conn.cursor()
        for i in range(0, len(ssids), 1000):
            batch = ssids[i:i + 1000]
            names = {f"s{j}": v for j, v in enumerate(batch)}
            sql = (f"DELETE FROM {table} WHERE SSID IN ({', '.join(f'%({k})s' for k in names)})"
                   + (f" AND {where}" if where else ""))
            try:
                cur.execute(sql, {**names, **(params or {})})
            except Exception as exc:
                if getattr(exc, "errno", None) == 2003:
                    return 0
                raise
            gone += cur.rowcount or 0
    return gone


#: the folder beside the LEAs' report folders that holds what every report shares (plotly.js); never an LEA code
SHARED_FOLDER = "_static"


class ReportStore(ConfigurableResource):
    """Where LEA reports are written: ``<root>/<lea>/`` (a folder locally, an object-storage URL in production).

    ``public_url``: the web address ``root`` is served at (a bucket website, a CDN, ``python -m http.server``), so
    that the asset's metadata links to ``<public_url>/<lea>/index.html``; without it a report in an ``http(s)`` root
    is linked as written, and any other (a local folder, ``s3://``) is named with how to open it.
    """

    root: str
    public_url: str = ""

    def write(self, lea: str, name: str, content: str | bytes) -> str:
        from upath import UPath

        folder = UPath(self.root) / lea
        folder.mkdir(parents=True, exist_ok=True)
        p = folder / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return str(p)

    def write_shared(self, name: str, content: bytes) -> str:
        """A file every report shares, ``<root>/_static/<name>`` (``name`` carries its version), written only when
        it is missing or differs in size (a partial upload), so a rebuild of every report writes it at most once.
        Files of other versions stay: a report not rebuilt still loads the one it names. Returns the file's
        address relative to a report page (``../_static/<name>``), which holds wherever the reports folder is
        opened from: a local folder, object storage, or its web address (``public_url``)."""
        import os

        from upath import UPath

        folder = UPath(self.root) / SHARED_FOLDER
        p = folder / name
        if not (p.exists() and p.stat().st_size == len(content)):
            folder.mkdir(parents=True, exist_ok=True)
            if getattr(p, "protocol", "") in ("", "file", "local"):  # a browser never sees half a file
                tmp = folder / f".{name}.{os.getpid()}.tmp"
                tmp.write_bytes(content)
                os.replace(tmp.path, p.path)
            else:  # an object store writes an object whole
                p.write_bytes(content)
        return f"../{SHARED_FOLDER}/{name}"

    def link(self, lea: str, name: str) -> str | None:
        """A URL a browser opens for a written file, or None (see the class)."""
        from urllib.parse import quote

        if self.public_url:
            return f"{self.public_url.rstrip('/')}/{quote(lea)}/{quote(name)}"
        if self.root.startswith(("http://", "https://")):
            return f"{self.root.rstrip('/')}/{quote(lea)}/{quote(name)}"
        return None
