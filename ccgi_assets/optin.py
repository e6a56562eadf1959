"""LEA opt-in lists: the SSIDs of the students an LEA shares (students who have not opted out).

A list is a CSV file with a header row holding an ``SSID`` column (matched case-insensitively,
surrounding blanks ignored; other columns are ignored). Each file is a full snapshot: the newest
file of an LEA's folder replaces the earlier ones (:func:`newest_list`).

Row rules (counted, the rows are dropped):

``blank``          the SSID cell is empty (fully blank lines are not rows at all)
``not_10_digits``  not exactly 10 ASCII digits after stripping blanks (``1234567890.0`` or a
                   9-digit SSID that lost its leading zero in a spreadsheet count here)
``duplicate``      the second and later occurrence of a valid SSID

Whole-file failures raise :class:`OptinFileError` naming the file and the rule, never a value:
``empty`` (zero bytes or no header), ``binary`` (NUL bytes / not text, e.g. an ``.xlsx`` saved as
``.csv``), ``encoding`` (neither UTF-8, UTF-16 with BOM nor Windows-1252), ``unreadable`` (CSV parse
error), ``no_ssid_column``. Text is UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252
(decoded by :func:`ccgi_assets.textio.decode`); the
delimiter is ``,`` unless the header shows ``;``, tab or ``|`` around the SSID column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from ccgi_assets.textio import UnreadableFile, decode

__all__ = ["LIST_SUFFIXES", "OptinFileError", "OptinList", "is_list_file", "newest_list", "newest_of", "read_optin_list"]

#: File name suffixes of a list file (case-insensitive).
LIST_SUFFIXES = (".csv", ".txt")
#: Temporary or partial uploads, never read as a list.
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")

RULES = {
    "empty": "empty file or no header row",
    "binary": "not a text file",
    "encoding": "neither UTF-8, UTF-16 (with a byte-order mark) nor Windows-1252 text",
    "unreadable": "not readable as CSV",
    "no_ssid_column": "no SSID column in the header",
}
ROW_RULES = ("not_10_digits", "blank", "duplicate")

_STRING = pd.StringDtype("pyarrow")
_PARSER_LINE = re.compile(r"line (\d+)")
_DELIMITERS = (",", ";", "\t", "|")


class OptinFileError(ValueError):
    """A whole opt-in list cannot be used. Attributes ``path``, ``rule``, ``line`` (when known)."""

    def __init__(self, path: str | PathLike, rule: str, line: int | None = None):
        self.path = str(path)
        self.rule = rule
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {RULES.get(rule, rule)} [rule {rule}]")


@dataclass(frozen=True)
class OptinList:
    """A validated list: ``ssids`` valid, unique, in file order; ``rejected`` rule -> rows dropped."""

    ssids: pd.Series
    rejected: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0  # data rows (fully blank lines excluded)


def is_list_file(path: str | PathLike) -> bool:
    """Whether a file name is a list (``.csv``/``.txt``, not hidden, not a temp or partial upload)."""
    name = getattr(path, "name", None) or Path(str(path)).name
    lower = name.lower()
    if not name or name.startswith((".", "~")):
        return False
    if lower.endswith(_TEMP_SUFFIXES):
        return False
    return lower.endswith(LIST_SUFFIXES)


def newest_of(files) -> Path | None:
    """The newest of some list files (latest mtime; ties go to the greater name), or None."""
    candidates = []
    for p in files:
        st = p.stat()
        mtime = getattr(st, "st_mtime_ns", None)
        if mtime is None:
            mtime = int(st.st_mtime * 1e9)
        candidates.append((mtime, p.name, p))
    if not candidates:
        return None
    return max(candidates, key=lambda t: (t[0], t[1]))[2]


def newest_list(folder) -> Path | None:
    """The newest list file of an LEA folder (a ``pathlib.Path`` or ``upath.UPath``), or None."""
    return newest_of(p for p in folder.iterdir() if is_list_file(p) and p.is_file())


def _decode(path, data: bytes) -> str:
    try:
        return decode(data, path)
    except UnreadableFile as exc:
        rule = exc.rule
    raise OptinFileError(path, rule)


def _delimiter(header_line: str) -> str:
    for d in _DELIMITERS:
        try:
            cells = next(csv.reader([header_line], delimiter=d))
        except (csv.Error, StopIteration):
            continue
        if any(c.strip().lower() == "ssid" for c in cells):
            return d
    return ","


def read_optin_list(path) -> OptinList:
    """Read and validate one opt-in list (see the module docstring for the rules)."""
    data = path.read_bytes() if hasattr(path, "read_bytes") else Path(path).read_bytes()
    text = _decode(path, data)
    if not text.strip():
        raise OptinFileError(path, "empty")
    header_line = next(line for line in text.splitlines() if line.strip())
    frame = None
    bad_line = None
    try:
        # header=None: the header row fixes the field count, so a row with more fields is a parse
        # error wherever it is (with a header, pandas would silently shift a too-long first row)
        frame = pd.read_csv(io.StringIO(text), dtype=str, na_filter=False, keep_default_na=False, header=None,
                            sep=_delimiter(header_line), engine="c", skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        m = _PARSER_LINE.search(str(exc))  # keep the line number only, never the message
        bad_line = int(m.group(1)) if m else None
    if frame is None:
        raise OptinFileError(path, "unreadable", bad_line)
    names = [str(c).strip().lower() for c in frame.iloc[0]]
    if "ssid" not in names:
        raise OptinFileError(path, "no_ssid_column")
    raw = frame.iloc[1:, names.index("ssid")].str.strip().reset_index(drop=True)
    rows_read = len(raw)

    blank = (raw == "").to_numpy()
    valid = raw.str.fullmatch(r"[0-9]{10}").to_numpy(dtype=bool)
    not_10 = ~blank & ~valid
    dup = valid & raw.duplicated(keep="first").to_numpy()  # validity depends on the value alone
    keep = valid & ~dup
    rejected = {rule: int(n) for rule, n in (("not_10_digits", not_10.sum()), ("blank", blank.sum()),
                                             ("duplicate", dup.sum())) if n}
    ssids = pd.Series(raw[keep].to_numpy(), dtype=_STRING, name="ssid")
    return OptinList(ssids=ssids, rejected=rejected, rows_read=rows_read)
