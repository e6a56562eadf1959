"""CALPADS file reader: caret-delimited SENR / SINF / CRSE / CRSC / SCSC / SCSE files.

Everything about field positions comes from ``ccgi_assets/reference/calpads_layouts.csv``: when the
CALPADS File Specifications move a field, that table changes and this code does not.

One core serves both entry points: one DuckDB ``read_csv`` scan takes every file's physical lines whole
(all VARCHAR), and one SQL statement splits them (``string_split``), classifies every row by the rules
below and types the values, keeping file, line and rule of every bad row. Only files DuckDB's reader
cannot take as they are (UTF-16 or Windows-1252, transcoded to UTF-8; a NUL or 0x01 byte; a lone CR,
which is data, not a line break) have their lines cut in Python (numpy, no loop per line) and join
the same SQL as an arrow table.

* :func:`load_calpads` runs it into a DuckDB table (the state-scale path: the rows stay in the
  warehouse, each LEA partition later pulls only its own rows and columns);
* :func:`read_calpads` / :func:`read_calpads_with_report` run the very same SQL in an in-memory
  DuckDB and hand back a pandas DataFrame (pyarrow-backed strings).

Reading rules
-------------
* Caret (``^``) delimited, no header, one record per physical line (``\\n`` or ``\\r\\n``).
  Line numbers are 1-based physical lines of the file. Blank (whitespace-only) lines are skipped
  and not counted as rows.
* Encoding: a file that is valid UTF-8 is read as UTF-8 (a leading BOM is dropped), otherwise as
  Windows-1252. The 5 bytes cp1252 leaves undefined reject their row with rule ``encoding``.
* Both forms are accepted: the submission form (``SENR``) and the ODS extract form (``SENR-R``)
  with two extra trailing date fields ``upload_date`` and ``last_updated_date``. Those two
  columns are present in the result when at least one input file is in ODS form (NULL for rows of
  a submission-form file).
* Types: ``CS`` stays a string exactly as written (leading zeros kept; an empty field is NULL);
  ``DT`` becomes a date and must be exactly ``CCYYMMDD`` (no padding); ``NU`` becomes a float and
  must be a plain decimal (``5``, ``5.00``, ``-0.5``; no exponent, no padding). An empty or
  whitespace-only DT/NU field is NULL (NaT/NaN in pandas).
  A blank ``transaction_type_code`` is read as ``A`` (CALPADS: blank means add/update), so a
  ``!= 'D'`` filter never meets a NULL.
* ``reserved_*`` positions are never read out; ``columns=[...]`` selects the columns to keep.
  Besides the layout's fields you may request ``record_type`` (normalized type, e.g. ``SENR`` for an
  ``SENR-R`` row), ``source_file`` (file name) and ``source_line`` (1-based line number).

Malformed rows
--------------
Each bad row is classified by the first rule it breaks, in this order (stable short codes):

``encoding``             undefined Windows-1252 byte in the row
``unknown_record_type``  first field is not a record type this reader has a layout for
``mixed_record_types``   record type differs from the file's (the first row with a known type
                         decides; CRSE and CRSC, or SENR and SENR-R, in one file are mixed too) or
                         from the table's record type when loading several files
``field_count``          number of ``^``-separated fields differs from the layout (counted exactly
                         as split, so a trailing ``^`` is one field too many)
``bad_date``             a DT field that is not a real ``CCYYMMDD`` date
``bad_number``           an NU field that is not a decimal number
``too_long``             a CS/NU field longer than its maximum length

``on_error="raise"`` raises :class:`CalpadsFormatError` for the first bad row of the first file
that has one (file, 1-based line, rule, and the column name for field rules; never a value of the
row). ``on_error="skip"`` drops bad rows and reports counts per rule.
"""

from __future__ import annotations

import codecs
import csv
import functools
import importlib.resources
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CalpadsFormatError",
    "CalpadsRead",
    "Field",
    "LoadReport",
    "ODS_FIELDS",
    "RULES",
    "known_record_types",
    "layout",
    "load_calpads",
    "normalize_record_type",
    "read_calpads",
    "read_calpads_with_report",
    "readable_columns",
]

#: Record types that share another type's layout (CALPADS Data Guide).
LAYOUT_ALIASES = {"CRSC": "CRSE", "SCSE": "SCSC"}
#: Suffix of the ODS extract form of a record type (``SENR-R``).
ODS_SUFFIX = "-R"

#: Rule codes, in the order a row is checked, with their human-readable meaning.
RULES: dict[str, str] = {
    "encoding": "bytes that are not valid Windows-1252",
    "unknown_record_type": "unknown record type",
    "mixed_record_types": "record type differs from the file's record type",
    "field_count": "wrong number of fields",
    "bad_date": "not a valid CCYYMMDD date",
    "bad_number": "not a number",
    "too_long": "longer than the maximum length",
}

#: Extra columns a caller may request besides the layout's fields.
EXTRA_COLUMNS = ("record_type", "source_file", "source_line")

_TXN_FIELD = "transaction_type_code"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TMP = "_ccgi_calpads"  # prefix of the temporary objects this module creates
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Field:
    """One positional field of a CALPADS record."""

    name: str
    type: str  # CS string, DT date CCYYMMDD, NU number
    max_length: int
    kind: str  # meta, key, student_id, pii, staff_pii, course, enrollment, other, reserved
    number: str | None = None  # CALPADS field number, e.g. "1.17" (None for the ODS trailer)

    @property
    def reserved(self) -> bool:
        return self.kind == "reserved"


#: The two trailing fields of the ODS extract form.
ODS_FIELDS = (
    Field("upload_date", "DT", 8, "meta"),
    Field("last_updated_date", "DT", 8, "meta"),
)


class CalpadsFormatError(ValueError):
    """A CALPADS file breaks a format rule.

    The message names the file, the 1-based line and the rule (and, for field rules, the column):
    never a value read from the row. Attributes: ``path``, ``line``, ``rule``, ``column``.
    """

    def __init__(self, path: str | Path, line: int | None, rule: str, column: str | None = None,
                 detail: str | None = None):
        self.path = str(path)
        self.line = line
        self.rule = rule
        self.column = column
        what = RULES.get(rule, rule)
        if column:
            what = f"field {column}: {what}"
        if detail:
            what = f"{what} ({detail})"
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {what} [rule {rule}]")


@dataclass(frozen=True)
class CalpadsRead:
    """Result of :func:`read_calpads_with_report`."""

    frame: pd.DataFrame
    rejected: dict[str, int]  # rule -> rows dropped (skip mode)
    rows_read: int  # non-blank lines read


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_calpads` did. Counts only, never values."""

    table: str
    record_type: str | None  # normalized record type of the table, e.g. "SENR"
    files: int
    rows_read: int  # non-blank lines over all files
    rows_loaded: int
    rejected: dict[tuple[str, str], int] = dc_field(default_factory=dict)  # (file name, rule) -> rows
    rows_by_file: dict[str, int] = dc_field(default_factory=dict)  # file name -> rows loaded
    first_error: tuple[str, int, str] | None = None  # (file name, line, rule) of the first bad row

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def rejected_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (_, rule), n in self.rejected.items():
            out[rule] = out.get(rule, 0) + n
        return out


# --------------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _layouts() -> dict[str, tuple[Field, ...]]:
    res = importlib.resources.files("ccgi_assets") / "reference" / "calpads_layouts.csv"
    out: dict[str, list[tuple[tuple[int, int], Field]]] = {}
    with res.open("r", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            major, _, minor = row["field_number"].partition(".")
            f = Field(
                name=row["column"].strip(),
                type=row["type"].strip(),
                max_length=int(row["max_length"]),
                kind=row["kind"].strip(),
                number=row["field_number"].strip(),
            )
            if f.type not in ("CS", "DT", "NU"):
                raise ValueError(f"calpads_layouts.csv: field {f.name}: unknown type {f.type}")
            out.setdefault(row["record_type"].strip(), []).append(((int(major), int(minor)), f))
    return {rt: tuple(f for _, f in sorted(fields, key=lambda t: t[0])) for rt, fields in out.items()}


def known_record_types() -> frozenset[str]:
    """Record type codes this reader can parse, submission and ODS form (``SENR``, ``SENR-R``...)."""
    base = set(_layouts()) | {a for a, target in LAYOUT_ALIASES.items() if target in _layouts()}
    return frozenset(base | {b + ODS_SUFFIX for b in base})


def normalize_record_type(code: str) -> str:
    """``SENR-R`` -> ``SENR``; ``SENR`` -> ``SENR``."""
    return code[: -len(ODS_SUFFIX)] if code.endswith(ODS_SUFFIX) else code


def layout(record_type: str) -> list[Field]:
    """Positional fields of ``record_type`` (reserved positions included, ``kind == "reserved"``).

    ``CRSC`` has the ``CRSE`` layout and ``SCSE`` the ``SCSC`` layout; an ODS code (``SENR-R``)
    gets the two trailing fields of :data:`ODS_FIELDS`.
    """
    base = normalize_record_type(record_type)
    key = LAYOUT_ALIASES.get(base, base)
    fields = _layouts().get(key)
    if fields is None:
        raise ValueError(f"unknown CALPADS record type {record_type!r}")
    out = list(fields)
    if record_type.endswith(ODS_SUFFIX):
        out.extend(ODS_FIELDS)
    return out


def readable_columns(record_type: str, ods: bool | None = None) -> list[str]:
    """Column names :func:`read_calpads` returns by default for ``record_type`` (no reserved ones).

    ``ods`` adds the ODS trailer columns; by default they are added when ``record_type`` is an
    ODS code.
    """
    if ods is None:
        ods = record_type.endswith(ODS_SUFFIX)
    fields = layout(normalize_record_type(record_type)) + (list(ODS_FIELDS) if ods else [])
    return [f.name for f in fields if not f.reserved]


# --------------------------------------------------------------------------------------------
# Bytes -> lines
# --------------------------------------------------------------------------------------------


def _mark_undefined(err: UnicodeDecodeError):
    # cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined: mark them so the row is rejected.
    return "\ufffd" * (err.end - err.start), err.end


codecs.register_error("ccgi_calpads_mark", _mark_undefined)


def _cp1252_to_utf8(data: memoryview, chunk: int = 16 << 20) -> bytes:
    # cp1252 is single-byte: chunks can be cut anywhere.
    parts = []
    for i in range(0, len(data), chunk):
        parts.append(bytes(data[i : i + chunk]).decode("cp1252", "ccgi_calpads_mark").encode("utf-8"))
    return b"".join(parts)


def _split_lines(data) -> pa.LargeStringArray:
    """Zero-copy arrow array of the physical lines of ``data`` (terminators kept)."""
    n = len(data)
    u8 = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(u8 == 10)
    offsets = np.empty(len(nl) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = nl + 1
    offsets[-1] = n
    if offsets[-2] == n:  # file ends with a newline (or is empty): no extra empty line
        offsets = offsets[:-1]
    count = len(offsets) - 1
    return pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))


def _is_utf8(data) -> bool:
    if len(data) == 0:
        return True
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)),
                                                         pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())  # validates UTF-8 (SIMD), no copy
    except pa.ArrowInvalid:
        return False
    return True


def _decoded_lines(raw: bytes) -> tuple[memoryview | bytes, pa.LargeStringArray, bool]:
    """UTF-8 bytes of a CALPADS file and its physical lines; whether it was transcoded from cp1252.

    A UTF-16 file with a byte-order mark is transcoded to UTF-8 whole (:func:`ccgi_assets.textio.decode`).
    """
    data, transcoded = _utf8_bytes(raw)
    return data, _split_lines(data), transcoded


def _utf8_bytes(raw: bytes) -> tuple[memoryview | bytes, bool]:
    """The UTF-8 text of a file's bytes, without a BOM; whether it was transcoded from cp1252."""
    if raw.startswith(_UTF16_BOMS):
        from ccgi_assets.textio import UnreadableFile, decode

        try:
            raw = decode(raw, "").encode("utf-8")
        except UnreadableFile:
            pass  # read as bytes below: its rows are rejected by rule
    data = memoryview(raw)
    if raw.startswith(_BOM):
        data = data[len(_BOM) :]
    if _is_utf8(data):
        return data, False
    return _cp1252_to_utf8(data), True


def _lines_table(data, transcoded: bool) -> pa.Table:
    """``line_no, line, enc`` for every physical line of UTF-8 ``data`` (vectorized, no loop per line).

    ``line`` drops the terminator (a ``\\n``, then a ``\\r`` before it or at the end of the file); a lone
    ``\\r`` inside a line is data. ``enc`` marks a cp1252 byte left undefined (transcoded files only).
    """
    lines = _split_lines(data)
    n = len(lines)
    if n == 0:
        return pa.table({"line_no": pa.array([], pa.int64()), "line": pa.array([], pa.large_string()),
                         "enc": pa.array([], pa.bool_())})
    u8 = np.frombuffer(data, dtype=np.uint8)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[: n + 1]
    starts, ends = offsets[:-1], offsets[1:].copy()
    drop = np.zeros(len(u8), dtype=bool)
    for byte in (10, 13):  # "\n", then "\r" before it
        has = (ends > starts) & (u8[np.maximum(ends - 1, 0)] == byte)
        drop[ends[has] - 1] = True
        ends -= has
    kept = u8[~drop]
    new_offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    text = pa.LargeStringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(kept))
    enc = (pc.match_substring(text, "\ufffd") if transcoded else pa.array(np.zeros(n, dtype=bool)))
    return pa.table({"line_no": pa.array(np.arange(1, n + 1, dtype=np.int64)), "line": text, "enc": enc})


def _first_fields(lines: pa.LargeStringArray) -> pa.Array:
    """The first ``^``-separated field of each line, line terminator dropped."""
    first = pc.list_element(pc.split_pattern(lines, "^", max_splits=1), 0)
    return pc.utf8_rtrim(first, characters="\r\n")


def file_codes(raw: bytes) -> tuple[list[str], int]:
    """Record type codes found in a file's rows, in order of first appearance (``SENR``, ``SENR-R``...), and
    the number of non-blank lines whose first field is no known code."""
    _, lines, _ = _decoded_lines(raw)
    if len(lines) == 0:
        return [], 0
    known = known_record_types()
    head = _first_fields(lines.slice(0, 1))[0].as_py()
    if head in known:  # the common case: every line starts with the first line's code
        same = pc.starts_with(lines, head + "^").to_numpy(zero_copy_only=False)
        if same.all():
            return [head], 0
        lines = pc.filter(lines, pa.array(~same))
        first = _first_fields(lines)
        codes = [head] + [c for c in pc.unique(first).to_pylist() if c != head]
    else:
        first = _first_fields(lines)
        codes = pc.unique(first).to_pylist()
    found = [c for c in codes if c in known]
    unknown = [c for c in codes if c not in known and c is not None and c.strip()]
    n_unknown = 0
    if unknown:
        n_unknown = int(pc.sum(pc.is_in(first, value_set=pa.array(unknown, pa.large_string()))).as_py() or 0)
    return found, n_unknown


def _first_code(path: Path) -> str | None:
    """Record type code of the first non-blank line whose code is known, without reading it all."""
    known = known_record_types()
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        lines = io.BytesIO(bytes(_utf8_bytes(fh.read())[0])) if head in _UTF16_BOMS else fh  # UTF-16: rare
        first = True
        for raw in lines:
            if first and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            first = False
            if not raw.strip():
                continue
            code = raw.split(b"^", 1)[0].rstrip(b"\r\n").decode("latin-1")
            if code in known:
                return code
    return None


# --------------------------------------------------------------------------------------------
# Sources: the files of one load, and how their lines reach DuckDB
# --------------------------------------------------------------------------------------------

#: DuckDB's CSV reader taking each physical line whole as one VARCHAR (no quoting, no escapes, no header,
#: no comments; ``\n`` and ``\r\n`` end a line; an empty line is a NULL). The delimiter is byte 0x01, and a
#: file containing that byte is read in Python (as is one with NUL bytes or a lone ``\r``).
_LINE_CSV = ("delim=chr(1), quote='', escape='', comment='', header=false, skip=0, auto_detect=false, "
             "strict_mode=false, new_line='\\r\\n', columns={'line': 'VARCHAR'}")
_GLOB_CHARS = ("*", "?", "[", "{")  # a path DuckDB would expand as a pattern: read in Python


@dataclass
class _Source:
    """One file of a load. ``name``: its ``source_file`` value; ``exp``: the record type code its rows must
    carry (``None``: every row with a known code is of another record type); ``keep_unknown``: whether rows
    with an unknown code count in this load (routed loads count them with the file's first record type).

    After :func:`_open`, either ``lines`` holds its lines read in Python (a transcoded or irregular file), or
    ``n_lines`` its physical line count, which DuckDB's scan of the file must reproduce.
    """

    path: Path
    name: str
    exp: str | None = None
    keep_unknown: bool = True
    lines: pa.Table | None = None
    n_lines: int = 0


def _open(src: _Source, raw: bytes | None = None) -> None:
    """Decide how ``src`` is read: by DuckDB's CSV scan (UTF-8 with regular line ends: the common case) or
    as lines split in Python (UTF-16 and Windows-1252 files, transcoded; NUL or 0x01 bytes; a lone CR)."""
    if raw is None:
        raw = src.path.read_bytes()
    src.lines, src.n_lines = None, 0
    plain = (not raw.startswith(_UTF16_BOMS) and _is_utf8(raw) and b"\x00" not in raw and b"\x01" not in raw
             and not any(c in str(src.path) for c in _GLOB_CHARS))
    if plain and b"\r" in raw:
        plain = raw.count(b"\r") == raw.count(b"\r\n")  # no lone CR (DuckDB would end a line there)
    if plain:
        src.n_lines = raw.count(b"\n") + (0 if not raw or raw.endswith(b"\n") else 1)
        return
    data, transcoded = _utf8_bytes(raw)
    src.lines = _lines_table(data, transcoded)


_FAST, _FILES, _SLOW, _SRC = f"{_TMP}_fast", f"{_TMP}_files", f"{_TMP}_slow", f"{_TMP}_src"


def _scan(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """Lines of ``paths`` into the temp table ``_FAST`` (fi = index in ``paths``, line), in file order.

    A file DuckDB cannot read (a line longer than its maximum, a vanished file) is left out; its line count
    then differs and the caller reads it in Python. DuckDB's messages may quote a line: they are dropped.
    """
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_FAST} AS SELECT CAST(file_index AS INTEGER) AS fi, line "
                    f"FROM read_csv($paths, {_LINE_CSV})", {"paths": paths})
        return
    except duckdb.Error:
        pass
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_FAST} (fi INTEGER, line VARCHAR)")
    for k, p in enumerate(paths):
        try:
            con.execute(f"INSERT INTO {_FAST} SELECT {k}, line FROM read_csv($p, {_LINE_CSV})", {"p": p})
        except duckdb.Error:
            pass


def _stage(con: duckdb.DuckDBPyConnection, sources: list[_Source]) -> str:
    """Make the lines of ``sources`` queryable; returns SQL of the relation ``(src, line_no, line, enc)``.

    One DuckDB ``read_csv`` scan reads every file DuckDB can (into a temp table, insertion order kept, so a
    row's number within its file is its physical line number); the others come from Python as arrow tables.
    Drop the objects with :func:`_unstage`.
    """
    parts = []
    fast = [i for i, s in enumerate(sources) if s.lines is None and s.n_lines > 0]
    if fast:
        keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        con.execute("SET preserve_insertion_order = true")
        try:
            _scan(con, [str(sources[i].path) for i in fast])
        finally:
            con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
        got = {fi: (first, n) for fi, first, n in
               con.execute(f"SELECT fi, min(rowid), count(*) FROM {_FAST} GROUP BY fi").fetchall()}
        files, redo = [], []
        for k, i in enumerate(fast):
            first, n = got.get(k, (None, 0))
            if n == sources[i].n_lines:
                files.append((k, i, first))
            else:  # DuckDB did not see the physical lines: Python reads the file
                redo.append(k)
                data, transcoded = _utf8_bytes(sources[i].path.read_bytes())
                sources[i].lines = _lines_table(data, transcoded)
        if redo:
            con.execute(f"DELETE FROM {_FAST} WHERE fi IN ({', '.join(map(str, redo))})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_FILES} (fi INTEGER, src INTEGER, first BIGINT)")
        if files:
            con.executemany(f"INSERT INTO {_FILES} VALUES (?, ?, ?)", [list(f) for f in files])
            parts.append(f"SELECT f.src, s.rowid - f.first + 1 AS line_no, s.line, FALSE AS enc "
                         f"FROM {_FAST} s JOIN {_FILES} f ON s.fi = f.fi")
    slow = [(i, s.lines) for i, s in enumerate(sources) if s.lines is not None and s.lines.num_rows]
    if slow:
        table = pa.concat_tables([t.add_column(0, "src", pa.array(np.full(t.num_rows, i, dtype=np.int32)))
                                  for i, t in slow])
        con.register(_SLOW, table)
        parts.append(f"SELECT src, line_no, line, enc FROM {_SLOW}")
    for s in sources:
        s.lines = None  # held by DuckDB now
    con.register(_SRC, pa.table({
        "src": pa.array(range(len(sources)), pa.int32()),
        "name": pa.array([s.name for s in sources], pa.string()),
        "exp": pa.array([s.exp for s in sources], pa.string()),
        "keep_unknown": pa.array([s.keep_unknown for s in sources], pa.bool_()),
    }))
    if not parts:
        parts.append("SELECT CAST(NULL AS INTEGER) AS src, CAST(NULL AS BIGINT) AS line_no, "
                     "CAST(NULL AS VARCHAR) AS line, FALSE AS enc WHERE FALSE")
    return " UNION ALL ".join(parts)


def _unstage(con: duckdb.DuckDBPyConnection) -> None:
    for view in (_SLOW, _SRC):
        try:
            con.unregister(view)
        except duckdb.Error:
            pass
    for table in (_FAST, _FILES):
        con.execute(f"DROP TABLE IF EXISTS {table}")


# --------------------------------------------------------------------------------------------
# SQL core
# --------------------------------------------------------------------------------------------


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _qid(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: str) -> tuple[str, str | None]:
    parts = table.split(".")
    if not 1 <= len(parts) <= 3 or not all(_IDENT.match(p) for p in parts):
        raise ValueError(f"invalid table name {table!r}: use [catalog.][schema.]table identifiers")
    schema = ".".join(_qid(p) for p in parts[:-1]) if len(parts) > 1 else None
    return ".".join(_qid(p) for p in parts), schema


_SQL_TYPES = {"CS": "VARCHAR", "DT": "DATE", "NU": "DOUBLE"}
_NUMBER_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DATE_RE = r"[0-9]{8}"
#: a blank line (whitespace only, as Python's ``str.isspace``): not a row
_BLANK_RE = r"[\s\x{0B}\x{1C}-\x{1F}\x{85}\p{Z}]*"


def _date_bad(v: str) -> str:
    ok = f"regexp_full_match({v}, '{_DATE_RE}') AND {v} >= '00010101' AND try_strptime({v}, '%Y%m%d') IS NOT NULL"
    return f"{v} <> '' AND NOT ({ok}) AND NOT regexp_full_match({v}, '\\s+')"


def _number_bad(v: str) -> str:
    return f"{v} <> '' AND NOT regexp_full_match({v}, '{_NUMBER_RE}') AND NOT regexp_full_match({v}, '\\s+')"


def _problem_sql(record_type: str | None, *, route: bool) -> str:
    """CASE expression naming the first rule a row breaks (``rule:column``), over ``c1``.. (the row's fields;
    ``c1`` its record type code), ``nf`` (their number), ``ods`` (whether it is in the ODS form), ``enc``
    and ``exp`` (the code the row's file must carry). ``route``: rows of other record types were taken out
    before, so there is no ``mixed_record_types``."""
    known = ", ".join(_lit(c) for c in sorted(known_record_types()))
    whens = [("enc", "encoding"), (f"c1 NOT IN ({known})", "unknown_record_type")]
    if not route:
        whens.append(("exp IS NULL OR c1 <> exp", "mixed_record_types"))
    if record_type is not None:
        fields = layout(record_type)
        n = len(fields)
        trailer = list(enumerate(ODS_FIELDS, start=n + 1))
        whens.append((f"nf <> CASE WHEN ods THEN {n + len(ODS_FIELDS)} ELSE {n} END", "field_count"))
        # Conditions are written so the common case (a well-formed value) is decided by the first,
        # cheapest test: DuckDB evaluates the rest of an AND only for the rows still undecided.
        for i, f in enumerate(fields, start=1):
            if f.type == "DT":
                whens.append((_date_bad(f"c{i}"), f"bad_date:{f.name}"))
        for i, f in trailer:
            whens.append((f"ods AND {_date_bad(f'c{i}')}", f"bad_date:{f.name}"))
        for i, f in enumerate(fields, start=1):
            if f.type == "NU":
                whens.append((_number_bad(f"c{i}"), f"bad_number:{f.name}"))
        for i, f in enumerate(fields, start=1):
            if i == 1 or f.type == "DT":  # record type is checked against the known codes; dates above
                continue
            v = f"c{i}"  # strlen (bytes) >= length (characters): the byte test settles most rows
            whens.append((f"strlen({v}) > {f.max_length} AND length({v}) > {f.max_length}", f"too_long:{f.name}"))
    body = " ".join(f"WHEN {cond} THEN {_lit(rule)}" for cond, rule in whens)
    return f"CASE {body} END"


def _value_sql(f: Field, v: str) -> str:
    if f.type == "DT":  # blank or whitespace-only -> NULL
        return f"CAST(try_strptime({v}, '%Y%m%d') AS DATE)"
    if f.type == "NU":
        return f"TRY_CAST({v} AS DOUBLE)"
    if f.name == _TXN_FIELD:
        return f"CASE WHEN trim({v}) = '' THEN 'A' ELSE {v} END"
    return f"nullif({v}, '')"


@dataclass
class _Plan:
    record_type: str | None  # normalized table record type
    ods: bool
    columns: list[str]  # output columns, in order
    col_types: dict[str, str]  # column -> SQL type
    file_codes: list[str | None]


def _plan(paths: Sequence[Path], columns: Iterable[str] | None, record_type: str | None,
          with_source_file: bool) -> _Plan:
    codes = [_first_code(p) for p in paths]
    if record_type is not None:
        rt = normalize_record_type(record_type)
        layout(rt)  # validates
    else:
        rt = next((normalize_record_type(c) for c in codes if c is not None), None)
    ods = any(c is not None and c.endswith(ODS_SUFFIX) and normalize_record_type(c) == rt for c in codes)
    if rt is None:
        if columns is None:
            cols = []
        else:
            cols = list(dict.fromkeys(columns))
        col_types = {c: "VARCHAR" for c in cols}
        if with_source_file and "source_file" not in col_types:
            cols.append("source_file")
            col_types["source_file"] = "VARCHAR"
        if "source_line" in col_types:
            col_types["source_line"] = "BIGINT"
        return _Plan(None, ods, cols, col_types, codes)
    return _Plan(rt, ods, *_columns(rt, ods, columns, with_source_file), codes)


def _columns(rt: str, ods: bool, columns: Iterable[str] | None, with_source_file: bool
             ) -> tuple[list[str], dict[str, str]]:
    all_fields = layout(rt) + list(ODS_FIELDS)
    types = {f.name: _SQL_TYPES[f.type] for f in all_fields if not f.reserved}
    types.update(record_type="VARCHAR", source_file="VARCHAR", source_line="BIGINT")
    reserved = {f.name for f in all_fields if f.reserved}
    if columns is None:
        cols = readable_columns(rt, ods=ods)
    else:
        if isinstance(columns, str):
            raise TypeError("columns must be a list of column names, not a string")
        cols = list(dict.fromkeys(columns))
        for c in cols:
            if c in reserved:
                raise ValueError(f"column {c!r} is a reserved {rt} position and is never read")
            if c not in types:
                raise ValueError(f"unknown column {c!r} for CALPADS record type {rt}")
    if with_source_file and "source_file" not in cols:
        cols.append("source_file")
    return cols, {c: types[c] for c in cols}


_LINE, _PROBLEM, _FILE = f"{_TMP}_line", f"{_TMP}_problem", f"{_TMP}_file"


def _rows_sql(lines_sql: str, plan: _Plan, *, route: bool = False) -> str:
    """SELECT ``_FILE`` (source index), ``_LINE``, ``_PROBLEM`` (NULL for a good row) and the plan's columns,
    typed, for every non-blank line of ``lines_sql`` (see :func:`_stage`): the reading rules as one query.

    ``route``: take only the rows of the plan's record type (either form) and, from a source whose
    ``keep_unknown`` is set, the rows with an unknown code; rows of other record types are not rows here.
    """
    rt = plan.record_type
    fields = layout(rt) if rt is not None else []
    n = len(fields)
    position = {f.name: (i, f) for i, f in enumerate(fields, start=1)}
    position.update({f.name: (i, f) for i, f in enumerate(ODS_FIELDS, start=n + 1)})
    values = []
    for c in plan.columns:
        if c == "record_type":
            v = _lit(rt) if rt is not None else "CAST(NULL AS VARCHAR)"
        elif c == "source_file":
            v = "name"
        elif c == "source_line":
            v = "line_no"
        elif c in position and rt is not None:
            i, f = position[c]
            v = _value_sql(f, f"c{i}")
            if i > n:  # ODS trailer: NULL for a submission-form row
                v = f"CASE WHEN ods THEN {v} END"
        else:  # record type unknown: nothing can be read
            v = "CAST(NULL AS VARCHAR)"
        values.append(f"{v} AS {_qid(c)}")
    ods_code = _lit((rt or "") + ODS_SUFFIX)
    where = ""
    if route:
        known = ", ".join(_lit(c) for c in sorted(known_record_types()))
        where = f" WHERE c1 IN ({_lit(rt)}, {ods_code}) OR (keep_unknown AND c1 NOT IN ({known}))"
    # The fields are taken out of the split list once, as columns: referenced inside the CASE below, an
    # expression over the list would be evaluated again for every reference.
    width = n + len(ODS_FIELDS) if rt is not None else 1
    fields_sql = ", ".join(f"p[{i}] AS c{i}" for i in range(1, width + 1))
    rows = (f"SELECT l.src, line_no, enc, {fields_sql}, len(p) AS nf, p[1] = {ods_code} AS ods, "
            f"s.name, s.exp, s.keep_unknown "
            f"FROM (SELECT src, line_no, enc, string_split(line, '^') AS p FROM ({lines_sql}) "
            f"WHERE line IS NOT NULL AND (contains(line, '^') OR NOT regexp_full_match(line, '{_BLANK_RE}'))) l "
            f"JOIN {_SRC} s ON l.src = s.src")
    return (f"SELECT src AS {_FILE}, line_no AS {_LINE}, {_problem_sql(rt, route=route)} AS {_PROBLEM}"
            + "".join(", " + v for v in values) + f" FROM ({rows}){where}")


Stats = dict[str, tuple[int, int, str | None]]  # rule -> (rows, first line, column of that first row)


def _stats_from_rows(rows: Iterable[tuple[str, int, int]]) -> Stats:
    stats: Stats = {}
    for problem_code, count, first in rows:
        rule, _, column = problem_code.partition(":")
        stats[rule] = (count, first, column or None)
    return stats


def _first_error(path: Path, code: str | None, stats: Stats) -> CalpadsFormatError:
    rule, (_, line, column) = min(stats.items(), key=lambda kv: kv[1][1])
    detail = f"expected {len(layout(code))} fields for {code}" if rule == "field_count" and code else None
    return CalpadsFormatError(path, line, rule, column, detail)


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")


def insert_rows(con: duckdb.DuckDBPyConnection, target: str, sources: list[_Source], plan: _Plan, *,
                route: bool = False, lines: str | None = None) -> None:
    """INSERT into ``target`` (columns ``_FILE, _LINE, _PROBLEM`` and the plan's) every non-blank line of
    ``sources`` (each :func:`_open`-ed), classified and typed: one scan, the rules checked in SQL.

    Not inside a transaction (a file DuckDB's reader refuses is retried), unless the lines were staged
    before it began: pass :func:`_stage`'s ``lines`` then (and :func:`_unstage` afterwards).
    """
    cols = ", ".join(_qid(c) for c in plan.columns)
    staged_here = lines is None
    try:
        if staged_here:
            lines = _stage(con, sources)
        with _no_projection_pullup(con):
            con.execute(f"INSERT INTO {target} ({_FILE}, {_LINE}, {_PROBLEM}{', ' + cols if cols else ''}) "
                        f"SELECT {_FILE}, {_LINE}, {_PROBLEM}{', ' + cols if cols else ''} "
                        f"FROM ({_rows_sql(lines, plan, route=route)})")
    finally:
        if staged_here:
            _unstage(con)


@contextmanager
def _no_projection_pullup(con: duckdb.DuckDBPyConnection):
    """DuckDB 2.0's ``projection_pullup`` optimizer moves the split fields (``c1``..) into the expressions that
    use them, so the line is split again for each of the ~100 references in the rules' CASE (measured: 10-15x
    slower when only the rule is selected). Turned off for this connection while the rows query runs."""
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] or ""
    names = [n for n in before.split(",") if n.strip()]
    changed = False
    if "projection_pullup" not in names:
        try:
            con.execute("SET disabled_optimizers = " + _lit(",".join([*names, "projection_pullup"])))
            changed = True
        except duckdb.Error:  # a DuckDB without that optimizer
            pass
    try:
        yield
    finally:
        if changed:
            con.execute("SET disabled_optimizers = " + _lit(before))


def load_calpads(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path],
    table: str,
    columns: Iterable[str] | None = None,
    on_error: str = "skip",
    *,
    record_type: str | None = None,
) -> LoadReport:
    """Create or replace ``table`` in ``con`` with the rows of the CALPADS files ``paths``.

    ``table`` may be schema-qualified (``calpads_share.senr``; the schema is created if missing).
    The table holds one record type: ``record_type`` if given (pass it: it also fixes the schema
    of an empty load), else the type of the first file's first row with a known type. Columns:
    ``columns`` (default: all non-reserved fields, plus the ODS trailer when any file is in ODS
    form) and always ``source_file`` (the file name, e.g. ``0100001.txt``). All files are read in one
    DuckDB scan and checked by one SQL statement. Row order in the table is not guaranteed (it is written
    in parallel): ask for ``source_line`` and ``ORDER BY source_file, source_line`` when file order matters.

    ``on_error="skip"`` drops bad rows and counts them per (file name, rule); ``"raise"`` raises
    :class:`CalpadsFormatError` for the first bad row of the first file that has one and leaves any
    existing ``table`` untouched (the load runs in its own transaction, so ``con`` must not be inside one).
    """
    _check_on_error(on_error)
    paths = [Path(p) for p in paths]
    plan = _plan(paths, columns, record_type, with_source_file=True)
    if plan.record_type is None:
        raise ValueError(
            f"cannot tell the record type of {table}: no file has a row with a known record type; pass record_type="
        )
    target, schema = _qualified(table)
    sources = []
    for path, code in zip(paths, plan.file_codes):
        matches = code is not None and normalize_record_type(code) == plan.record_type
        src = _Source(path, path.name, exp=code if matches else None)
        _open(src)
        sources.append(src)
    lines = _stage(con, sources)  # before the transaction: a file DuckDB's reader refuses is retried
    # SQL tables are unordered; not preserving insertion order lets DuckDB write in parallel
    # (about 2x faster on a 2-core machine). Restored afterwards.
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    con.begin()
    try:
        if schema is not None:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        # Rows go into the table once, with their line, rule and file index; bad rows are
        # deleted and the helper columns dropped at the end (one write instead of two).
        coldefs = ", ".join(f"{_qid(c)} {plan.col_types[c]}" for c in plan.columns)
        con.execute(
            f"CREATE OR REPLACE TABLE {target} ({_FILE} INTEGER, {_LINE} BIGINT, {_PROBLEM} VARCHAR"
            + (", " + coldefs if coldefs else "") + ")"
        )
        insert_rows(con, target, sources, plan, lines=lines)
        per_file: dict[int, Stats] = {}
        for k, problem, count, first in con.execute(
            f"SELECT {_FILE}, arg_min({_PROBLEM}, {_LINE}), count(*), min({_LINE}) FROM {target} "
            f"WHERE {_PROBLEM} IS NOT NULL GROUP BY {_FILE}, split_part({_PROBLEM}, ':', 1)"
        ).fetchall():
            per_file.setdefault(k, {}).update(_stats_from_rows([(problem, count, first)]))
        read = dict(con.execute(f"SELECT {_FILE}, count(*) FROM {target} GROUP BY 1").fetchall())
        if per_file and on_error == "raise":
            k = min(per_file)
            raise _first_error(paths[k], plan.file_codes[k], per_file[k])
        rejected: dict[tuple[str, str], int] = {}
        rows_by_file: dict[str, int] = {}
        first_error: tuple[str, int, str] | None = None
        for k, path in enumerate(paths):
            stats = per_file.get(k, {})
            for rule, (count, _, _) in stats.items():
                rejected[(path.name, rule)] = rejected.get((path.name, rule), 0) + count
            if stats and first_error is None:
                err = _first_error(path, plan.file_codes[k], stats)
                first_error = (path.name, err.line, err.rule)
            bad = sum(count for count, _, _ in stats.values())
            rows_by_file[path.name] = rows_by_file.get(path.name, 0) + read.get(k, 0) - bad
        if rejected:
            con.execute(f"DELETE FROM {target} WHERE {_PROBLEM} IS NOT NULL")
        for helper in (_FILE, _LINE, _PROBLEM):
            con.execute(f"ALTER TABLE {target} DROP COLUMN {helper}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
        _unstage(con)
    return LoadReport(
        table=table,
        record_type=plan.record_type,
        files=len(paths),
        rows_read=sum(read.values()),
        rows_loaded=sum(rows_by_file.values()),
        rejected=rejected,
        rows_by_file=rows_by_file,
        first_error=first_error,
    )


def _to_pandas(table: pa.Table, col_types: dict[str, str]) -> pd.DataFrame:
    string = pd.StringDtype("pyarrow")
    df = table.to_pandas(
        types_mapper={pa.string(): string, pa.large_string(): string}.get,
        date_as_object=False,
    )
    for c, t in col_types.items():
        if t == "DATE":
            df[c] = df[c].astype("datetime64[us]")
        elif t == "DOUBLE":
            df[c] = df[c].astype("float64")
        elif t == "BIGINT":
            df[c] = df[c].astype("int64")
        elif t == "VARCHAR" and df[c].dtype != string:
            df[c] = df[c].astype(string)
    return df


def read_calpads_with_report(
    path: str | Path,
    columns: Iterable[str] | None = None,
    on_error: str = "raise",
    *,
    record_type: str | None = None,
) -> CalpadsRead:
    """Read one CALPADS file into pandas (same SQL core as :func:`load_calpads`), with skip counts.

    ``frame``: strings as ``string[pyarrow]``, dates ``datetime64[us]`` (NaT when blank), numbers
    ``float64``; columns as in :func:`load_calpads` but without ``source_file`` unless requested.
    ``rejected``: rule -> rows dropped (``on_error="skip"``); ``rows_read``: non-blank lines.
    """
    _check_on_error(on_error)
    path = Path(path)
    plan = _plan([path], columns, record_type, with_source_file=False)
    code = plan.file_codes[0]
    matches = code is not None and normalize_record_type(code) == plan.record_type
    src = _Source(path, path.name, exp=code if matches else None)
    _open(src)
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    try:
        lines = _stage(con, [src])
        with _no_projection_pullup(con):
            result = con.sql(_rows_sql(lines, plan)).to_arrow_table()  # one pass, no table write
    finally:
        con.close()
    problems = result.column(_PROBLEM)
    stats: Stats = {}
    if problems.null_count < len(problems):
        bad = result.filter(pc.is_valid(problems)).select([_PROBLEM, _LINE]).sort_by(_LINE)
        rule = pc.list_element(pc.split_pattern(bad.column(_PROBLEM), ":", max_splits=1), 0)
        agg = (bad.append_column("rule", rule).group_by("rule", use_threads=False)
               .aggregate([(_PROBLEM, "first"), (_LINE, "count"), (_LINE, "min")]).to_pydict())
        rows = zip(agg[f"{_PROBLEM}_first"], agg[f"{_LINE}_count"], agg[f"{_LINE}_min"])
        stats = _stats_from_rows(rows)
        if on_error == "raise":
            raise _first_error(path, code, stats)
        result = result.filter(pc.is_null(problems))
    rows_read = len(problems)
    result = result.sort_by(_LINE)
    frame = _to_pandas(result.select(plan.columns), plan.col_types)
    return CalpadsRead(frame, {rule: s[0] for rule, s in stats.items()}, rows_read)


def read_calpads(
    path: str | Path,
    columns: Iterable[str] | None = None,
    on_error: str = "raise",
    *,
    record_type: str | None = None,
) -> pd.DataFrame:
    """Read one CALPADS file (submission or ODS form, UTF-8 or Windows-1252) into a DataFrame.

    See the module docstring for the rules. With ``on_error="skip"`` bad rows are dropped and
    ``df.attrs["rejected"]`` holds ``{rule: count}`` (``df.attrs["rows_read"]`` the rows read);
    :func:`read_calpads_with_report` returns the same as a :class:`CalpadsRead`.
    """
    result = read_calpads_with_report(path, columns, on_error, record_type=record_type)
    frame = result.frame
    frame.attrs["rejected"] = dict(result.rejected)
    frame.attrs["rows_read"] = result.rows_read
    return frame
