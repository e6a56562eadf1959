"""Readers of the external sources: the UC CMP list, the LEA landing zone, LEA participation, platform activity.

Each takes a root that is a local folder by default (under ``$CCGI_HOME``) or an fsspec URL in production
(object storage, through ``universal_pathlib``); the asset code does not know which.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource
from upath import UPath

from ccgi_assets.contracts import PLATFORM_CONTRACTS, empty
from ccgi_assets.platform_files import PLATFORM_KINDS, Quarantine, read_platform_file


def _path(root: str) -> UPath:
    return UPath(root)


def _lea_dirs(root: str) -> list[UPath]:
    """The sub-folders of ``root`` named by a 7-digit LEA code, in code order."""
    r = _path(root)
    if not r.exists():
        return []
    return sorted((p for p in r.iterdir() if p.is_dir() and len(p.name) == 7 and p.name.isdigit()),
                  key=lambda p: p.name)


def _csv_files(folder: UPath) -> list[UPath]:
    return sorted(folder.glob("*.csv"), key=lambda p: p.name) if folder.exists() else []


def files_fingerprint(files: list[UPath]) -> str:
    """Changes whenever one of ``files`` is added, replaced or removed (name, size, modification time)."""
    parts = []
    for p in files:
        st = p.stat()
        parts.append(f"{p.name}:{st.st_size}:{getattr(st, 'st_mtime_ns', st.st_mtime)}")
    return "|".join(parts)


def last_modified(files: list[UPath]) -> float:
    """Latest modification time of ``files`` (0 when none)."""
    return max((p.stat().st_mtime for p in files), default=0.0)


class CmpSource(ConfigurableResource):
    """UC A-G Course Management Portal exports: every ``*.csv`` under ``root``."""

    root: str

    def read(self) -> pd.DataFrame:
        from ccgi_assets.cmp import read_cmp_dir

        return read_cmp_dir(Path(self.root))

    def last_modified(self) -> float:
        """Latest modification time of the CMP exports (0 when none)."""
        return last_modified(_csv_files(_path(self.root)))

    def fingerprint(self) -> str:
        """Changes whenever a CMP export is added, replaced or removed."""
        return files_fingerprint(_csv_files(_path(self.root)))


class ParticipationConfig(ConfigurableResource):
    """``lea_participation.csv``: ``reporting_lea,model`` with model ``opt_in`` or ``statewide``."""

    path: str

    def read(self) -> dict[str, str]:
        p = _path(self.path)
        if not p.exists():
            return {}
        df = pd.read_csv(io.StringIO(p.read_text(encoding="utf-8-sig")), dtype=str, keep_default_na=False)
        df.columns = [c.strip().lower() for c in df.columns]
        missing = {"reporting_lea", "model"} - set(df.columns)
        if missing:
            raise ValueError(f"{self.path}: participation file lacks column(s) {', '.join(sorted(missing))}")
        out: dict[str, str] = {}
        for i, (lea, model) in enumerate(zip(df["reporting_lea"].str.strip(), df["model"].str.strip().str.lower()), 2):
            if not (len(lea) == 7 and lea.isdigit()):
                raise ValueError(f"{self.path}, line {i}: reporting_lea is not a 7-digit LEA code")
            if model not in ("opt_in", "statewide"):
                raise ValueError(f"{self.path}, line {i}: model must be opt_in or statewide")
            out[lea] = model
        return out

    def model(self, lea: str) -> str | None:
        return self.read().get(lea)


class LandingZone(ConfigurableResource):
    """The LEA opt-in landing zone: ``<root>/<lea>/<list files>``."""

    root: str

    def lea_folders(self) -> dict[str, UPath]:
        return {p.name: p for p in _lea_dirs(self.root)}

    def list_files(self, lea: str) -> list[UPath]:
        from ccgi_assets.optin import is_list_file

        folder = _path(self.root) / lea
        if not folder.exists():
            return []
        return sorted((p for p in folder.iterdir() if p.is_file() and is_list_file(p)), key=lambda p: p.name)

    def newest(self, lea: str) -> UPath | None:
        from ccgi_assets.optin import newest_list

        folder = _path(self.root) / lea
        return newest_list(folder) if folder.exists() else None


class PlatformSource(ConfigurableResource):
    """CaliforniaColleges.edu activity data: ``<root>/<lea>/<kind>.csv`` (see docs/data_layout.md)."""

    root: str

    def lea_folders(self) -> list[str]:
        return [p.name for p in _lea_dirs(self.root)]

    def read(self, kind: str, leas: list[str] | None = None) -> pd.DataFrame:
        """One kind of activity for the given LEAs (all when None); see :meth:`read_checked`."""
        return self.read_checked(kind, leas)[0]

    def read_checked(self, kind: str, leas: list[str] | None = None) -> tuple[pd.DataFrame, Quarantine]:
        """One kind of activity for the given LEAs (all when None), with a ``reporting_lea`` column, checked
        against the kind's contract row by row: rows that break it are left out and counted per file, line and
        rule (never a value); files that cannot be read are named with their rule
        (:mod:`ccgi_assets.platform_files`). No data yet is a normal state: an empty frame with the kind's columns.
        """
        frames, q = [], Quarantine()
        for lea in leas if leas is not None else self.lea_folders():
            p = _path(self.root) / lea / f"{kind}.csv"
            if not p.exists():
                continue
            df, fq = read_platform_file(p.read_bytes(), f"platform/{lea}/{kind}.csv", kind, lea)
            q.merge(fq)
            frames.append(df)
        frames = [f for f in frames if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else empty(PLATFORM_CONTRACTS[kind])
        return out, q

    def unreadable_leas(self, q: Quarantine) -> set[str]:
        """LEAs with a platform file that could not be read at all (their previous rows stand)."""
        return {f.split("/")[1] for f in q.unreadable}

    def _files(self, lea: str) -> list[UPath]:
        folder = _path(self.root) / lea
        return [p for kind in PLATFORM_KINDS if (p := folder / f"{kind}.csv").exists()]

    def last_modified(self, lea: str) -> float:
        """Latest modification time of the LEA's platform files (0 when none)."""
        return last_modified(self._files(lea))

    def fingerprint(self, lea: str) -> str:
        """Changes whenever any of the LEA's platform files changes (used by automation)."""
        return files_fingerprint(self._files(lea))
