"""Reader for the UC A-G Course Management Portal (CMP) list export.

The format (project-defined, see docs): CSV with a header row, one row per approved course at one
school for one list year, columns :data:`CMP_COLUMNS`. Everything is read as a string
(``string[pyarrow]``): ``cds_code`` keeps its 14 digits and ``atp_code`` its 6, leading zeros
included; the ``|``-separated ``transcript_abbreviations`` and ``local_course_codes`` stay single
strings (empty is ``""``). Surrounding blanks of every value are dropped, ``subject_area`` is
lower-cased. Two columns are derived: ``reporting_lea`` (first 7 digits of ``cds_code``) and
``school_code`` (last 7). Columns outside the format are not returned; header names match
case-insensitively. Blank lines are ignored.

Errors are :class:`CmpFormatError` (a ``ValueError``) naming file, line (1-based physical line,
the header is line 1) and rule, never a value: ``missing_column``, ``field_count``, ``cds_code``
(not 14 digits), ``subject_area`` (not one letter a-g), ``empty`` (no header), ``encoding``
(neither UTF-8, UTF-16 with BOM nor Windows-1252;
see :mod:`ccgi_assets.textio`), ``binary`` (not a text file).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ccgi_assets.textio import UnreadableFile, decode

__all__ = ["CMP_COLUMNS", "CmpFormatError", "read_cmp", "read_cmp_dir"]

CMP_COLUMNS = (
    "cmp_course_id",
    "cds_code",
    "atp_code",
    "school_name",
    "course_title",
    "transcript_abbreviations",
    "local_course_codes",
    "subject_area",
    "honors_type",
    "learning_environment",
    "list_year",
)
DERIVED_COLUMNS = ("reporting_lea", "school_code")

_RULES = {
    "missing_column": "required column missing",
    "field_count": "wrong number of fields",
    "cds_code": "cds_code is not 14 digits",
    "subject_area": "subject_area is not one letter a-g",
    "empty": "no header row",
    "encoding": "neither UTF-8, UTF-16 (with a byte-order mark) nor Windows-1252 text",
    "binary": "not a text file",
}
_STRING = pd.StringDtype("pyarrow")
_PARSER_LINE = re.compile(r"line (\d+)")


class CmpFormatError(ValueError):
    """A CMP export breaks the format. Attributes ``path``, ``line`` (or None), ``rule``, ``column``."""

    def __init__(self, path, line: int | None, rule: str, column: str | None = None):
        self.path = str(path)
        self.line = line
        self.rule = rule
        self.column = column
        what = _RULES.get(rule, rule)
        if rule == "missing_column" and column:
            what = f"required column {column} missing"
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {what} [rule {rule}]")


def _decode(path, data: bytes) -> str:
    try:
        return decode(data, path)
    except UnreadableFile as exc:
        rule = exc.rule
    raise CmpFormatError(path, None, rule)


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=_STRING) for c in CMP_COLUMNS + DERIVED_COLUMNS})


def read_cmp(path: str | Path) -> pd.DataFrame:
    """Read one CMP CSV export (UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252)."""
    path = _as_path(path)
    text = _decode(path, path.read_bytes())
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise CmpFormatError(path, 1 if text.strip() else None, "empty")
    header = [h.strip().lower() for h in next(csv.reader([first_line]))]
    for col in CMP_COLUMNS:
        if col not in header:
            raise CmpFormatError(path, 1, "missing_column", col)
    raw = None
    try:
        raw = pd.read_csv(
            io.StringIO(text), dtype=str, na_filter=False, keep_default_na=False,
            skip_blank_lines=False, engine="c",
        )
    except pd.errors.ParserError as exc:  # the message names the line only; keep no reference to it
        m = _PARSER_LINE.search(str(exc))
        bad_line = int(m.group(1)) if m else None
    if raw is None:
        raise CmpFormatError(path, bad_line, "field_count")
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    df = raw[list(CMP_COLUMNS)].apply(lambda s: s.str.strip())

    # physical line of each row: header is line 1; a quoted value may span lines
    embedded = np.zeros(len(raw), dtype=np.int64)
    for col in raw.columns:
        s = raw[col]
        if s.str.contains("\n", regex=False).any():
            embedded += s.str.count("\n").to_numpy()
    lines = 2 + np.arange(len(raw)) + np.concatenate(([0], np.cumsum(embedded)[:-1])) if len(raw) else np.array([], int)
    blank = (raw == "").all(axis=1).to_numpy() if len(raw) else np.array([], bool)
    df = df[~blank]
    lines = lines[~blank]

    df["subject_area"] = df["subject_area"].str.lower()
    bad_cds = ~df["cds_code"].str.fullmatch(r"[0-9]{14}").to_numpy(dtype=bool)
    bad_subject = ~df["subject_area"].str.fullmatch(r"[a-g]").to_numpy(dtype=bool)
    bad = bad_cds | bad_subject
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CmpFormatError(path, int(lines[i]), "cds_code" if bad_cds[i] else "subject_area")

    df["reporting_lea"] = df["cds_code"].str[:7]
    df["school_code"] = df["cds_code"].str[7:]
    return df.reset_index(drop=True).astype(_STRING)


def _as_path(p):
    """A local path for a string; a path object (``pathlib`` or ``upath.UPath``, e.g. object storage) as is."""
    return Path(p) if isinstance(p, str) else p


def read_cmp_dir(directory) -> pd.DataFrame:
    """Every ``*.csv`` in ``directory`` (not hidden ones), in name order, concatenated.

    ``directory`` is a local folder or a ``upath.UPath`` (e.g. ``s3://...``, ``memory://...``).
    """
    directory = _as_path(directory)
    if not directory.exists():
        return _empty_frame()
    files = sorted((p for p in directory.glob("*.csv") if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.name)
    if not files:
        return _empty_frame()
    return pd.concat([read_cmp(p) for p in files], ignore_index=True)
