"""Readers of the external sources: the UC CMP list, the LEA landing zone, LEA participation, platform activity.

Each takes a root that is a local folder by default (under ``$CCGI_HOME``) or an fsspec URL in production
(object storage, through ``universal_pathlib``); the asset code does not know which.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource, get_dagster_logger
from upath import UPath

from ccgi_assets.contracts import PLATFORM_CONTRACTS, empty
from ccgi_assets.platform_files import PLATFORM_KINDS, Quarantine, read_platform_file


#: an LEA folder's name: a 7-digit reporting LEA code, ASCII digits only (``str.isdigit`` would take "０１２…")
LEA_CODE = re.compile(r"[0-9]{7}", re.ASCII)
#: the longest LEA name the participation file may give (real names are under 100 characters)
LEA_NAME_MAX = 120


def is_lea_code(name: str) -> bool:
    """Whether ``name`` is a 7-digit reporting LEA code (ASCII digits)."""
    return LEA_CODE.fullmatch(name) is not None


def _path(root: str) -> UPath:
    return UPath(root)


def _is_local(p: UPath) -> bool:
    return getattr(p, "protocol", "") in ("", "file", "local")


def inside(root: UPath, p: UPath) -> bool:
    """Whether ``p`` stays under ``root`` once symbolic links are resolved (always true off the local disk,
    where object stores have no links)."""
    if not _is_local(root):
        return True
    try:
        Path(p).resolve().relative_to(Path(root).resolve())
    except (ValueError, OSError):
        return False
    return True


def _lea_dirs(root: str) -> list[UPath]:
    """The sub-folders of ``root`` named by a 7-digit LEA code, in code order.

    Other folders (misnamed, fullwidth digits, a link to a folder outside ``root``) are left out and named in
    one warning; hidden ones (``.name``) are left out quietly.
    """
    r = _path(root)
    if not r.exists():
        return []
    found, ignored = [], []
    for p in r.iterdir():
        if p.name.startswith(".") or not p.is_dir():
            continue
        if not is_lea_code(p.name):
            ignored.append(f"{p.name} (not a 7-digit LEA code)")
        elif not inside(r, p):
            ignored.append(f"{p.name} (link to a folder outside {root})")
        else:
            found.append(p)
    if ignored:
        get_dagster_logger().warning(f"{root}: {len(ignored)} folder(s) ignored: {'; '.join(sorted(ignored))}")
    return sorted(found, key=lambda p: p.name)


def _lea_dir(root: str, lea: str) -> UPath | None:
    """``<root>/<lea>`` when ``lea`` is an LEA code and the folder exists inside ``root``, else None."""
    r = _path(root)
    folder = r / lea
    if not is_lea_code(lea) or not folder.is_dir() or not inside(r, folder):
        return None
    return folder


def _csv_files(folder: UPath) -> list[UPath]:
    """The ``*.csv`` files of ``folder`` (not hidden, not links leading out of it), in name order."""
    if not folder.exists():
        return []
    return sorted((p for p in folder.glob("*.csv") if not p.name.startswith(".") and p.is_file() and inside(folder, p)),
                  key=lambda p: p.name)


def file_version(p) -> str:
    """One file's version: size and modification time (or what the object store keeps instead: an ETag,
    a creation time), so that a replaced file has a new version."""
    st = p.stat()
    stamp = getattr(st, "st_mtime_ns", None)
    if not stamp and not _is_local(p) and hasattr(p, "fs"):
        info = p.fs.info(p.path)
        stamp = next((info[k] for k in ("ETag", "etag", "md5", "mtime", "LastModified", "last_modified", "created")
                      if info.get(k) is not None), None)
    if stamp is None:
        stamp = st.st_mtime
    return f"{st.st_size}:{stamp}"


def files_fingerprint(files: list[UPath], root=None) -> str:
    """Changes whenever one of ``files`` is added, replaced or removed (name, size, modification time).

    Files are named by their path relative to ``root`` when given (files in sub-folders), else by name.
    """
    parts = []
    for p in files:
        name = p.name
        if root is not None:
            try:
                name = Path(str(p)).relative_to(Path(str(root))).as_posix()
            except ValueError:
                pass
        parts.append(f"{name}:{file_version(p)}")
    return "|".join(parts)


def content_digest(files: list[UPath]) -> str:
    """A digest of the files' names and bytes: the same content gives the same digest, whatever the files'
    times (a copy or a ``touch`` changes nothing); what source observations record as a data version."""
    import hashlib

    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:32]


def last_modified(files: list[UPath]) -> float:
    """Latest modification time of ``files`` (0 when none)."""
    return max((p.stat().st_mtime for p in files), default=0.0)


class CmpSource(ConfigurableResource):
    """UC A-G Course Management Portal exports: every ``*.csv`` under ``root``."""

    root: str

    def read(self) -> pd.DataFrame:
        from ccgi_assets.cmp import _empty_frame, read_cmp

        files = _csv_files(_path(self.root))  # the files the fingerprint sees, through the same path layer
        if not files:
            return _empty_frame()
        return pd.concat([read_cmp(p) for p in files], ignore_index=True)

    def files(self) -> list[UPath]:
        """The CMP exports read (``*.csv`` under ``root``), in name order."""
        return _csv_files(_path(self.root))

    def last_modified(self) -> float:
        """Latest modification time of the CMP exports (0 when none)."""
        return last_modified(self.files())

    def fingerprint(self) -> str:
        """Changes whenever a CMP export is added, replaced or removed."""
        return files_fingerprint(_csv_files(_path(self.root)))


class ParticipationConfig(ConfigurableResource):
    """``lea_participation.csv``: ``reporting_lea,model[,lea_name]`` with model ``opt_in`` or ``statewide`` and an
    optional LEA name for people (reports, asset metadata); the code stays the key everywhere."""

    path: str

    def _rows(self) -> list[tuple[int, str, str, str]]:
        """(line, code, model, name) per row, code and model checked; a missing file is no row. Errors name file,
        line and rule."""
        p = _path(self.path)
        if not p.exists():
            return []
        df = pd.read_csv(io.StringIO(p.read_text(encoding="utf-8-sig")), dtype=str, keep_default_na=False)
        df.columns = [c.strip().lower() for c in df.columns]
        missing = {"reporting_lea", "model"} - set(df.columns)
        if missing:
            raise ValueError(f"{self.path}: participation file lacks column(s) {', '.join(sorted(missing))}")
        names = df["lea_name"] if "lea_name" in df.columns else pd.Series("", index=df.index)
        out = []
        for i, (lea, model, name) in enumerate(zip(df["reporting_lea"].str.strip(), df["model"].str.strip().str.lower(),
                                                   names.fillna("")), 2):
            if not is_lea_code(lea):
                raise ValueError(f"{self.path}, line {i}: reporting_lea is not a 7-digit LEA code")
            if model not in ("opt_in", "statewide"):
                raise ValueError(f"{self.path}, line {i}: model must be opt_in or statewide")
            out.append((i, lea, model, str(name)))
        return out

    def read(self) -> dict[str, str]:
        """LEA code -> participation model."""
        return {lea: model for _, lea, model, _ in self._rows()}

    def names(self) -> dict[str, str]:
        """LEA code -> LEA name, for the LEAs whose row gives one (no ``lea_name`` column: no names). Blanks and
        line breaks collapse to one space. A name is for people only, so a bad one (control characters, longer
        than ``LEA_NAME_MAX``) is left out with a warning naming file, line and rule; sharing goes on."""
        out, bad = {}, []
        for i, lea, _, name in self._rows():
            name = " ".join(name.split())
            if not name:
                continue
            if len(name) > LEA_NAME_MAX:
                bad.append(f"line {i} (longer than {LEA_NAME_MAX} characters)")
            elif any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in name):
                bad.append(f"line {i} (control characters)")
            else:
                out[lea] = name
        if bad:
            get_dagster_logger().warning(f"{self.path}: lea_name left out, code shown instead: {'; '.join(bad)}")
        return out

    def model(self, lea: str) -> str | None:
        return self.read().get(lea)


class LandingZone(ConfigurableResource):
    """The LEA opt-in landing zone: ``<root>/<lea>/<list files>``."""

    root: str

    def lea_folders(self) -> dict[str, UPath]:
        return {p.name: p for p in _lea_dirs(self.root)}

    def list_files(self, lea: str) -> list[UPath]:
        """The LEA's list files (see :func:`ccgi_assets.optin.is_list_file`; no link leading out of the folder)."""
        from ccgi_assets.optin import is_list_file

        folder = _lea_dir(self.root, lea)
        if folder is None:
            return []
        return sorted((p for p in folder.iterdir() if is_list_file(p) and p.is_file() and inside(folder, p)),
                      key=lambda p: p.name)

    def newest(self, lea: str) -> UPath | None:
        """The LEA's newest list file (latest modification time, ties to the greater name), or None."""
        from ccgi_assets.optin import newest_of

        return newest_of(self.list_files(lea))


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

        Each file's bytes are read every time, but a file whose bytes were already parsed in this process is not
        parsed again (:data:`ccgi_assets.platform_files.CACHE`): the frame and the quarantine returned are the
        caller's own to change.
        """
        frames, q = [], Quarantine()
        for lea in leas if leas is not None else self.lea_folders():
            folder = _lea_dir(self.root, lea)
            p = folder / f"{kind}.csv" if folder is not None else None
            if p is None or not p.exists() or not inside(folder, p):
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

    def files(self, lea: str) -> list[UPath]:
        """The LEA's platform files that exist (one per kind), in kind order."""
        return self._files(lea)

    def _files(self, lea: str) -> list[UPath]:
        folder = _lea_dir(self.root, lea)
        if folder is None:
            return []
        return [p for kind in PLATFORM_KINDS if (p := folder / f"{kind}.csv").exists() and inside(folder, p)]

    def last_modified(self, lea: str) -> float:
        """Latest modification time of the LEA's platform files (0 when none)."""
        return last_modified(self._files(lea))

    def fingerprint(self, lea: str) -> str:
        """Changes whenever any of the LEA's platform files changes (used by automation)."""
        return files_fingerprint(self._files(lea))
