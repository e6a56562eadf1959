"""CALPADS file reader: caret-delimited SENR / SINF / CRSE / CRSC / SCSC / SCSE files.

Everything about field positions comes from ``ccgi_assets/reference/calpads_layouts.csv``: when the
CALPADS File Specifications move a field, that table changes and this code does not.

One core serves both entry points: lines are split into fields by pyarrow's CSV parser (quoting
off; a line that does not have the layout's field count is split in Python, those are rare), and
one DuckDB SQL statement per file classifies every row by the rules below and types the values.

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
import re
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

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
_CSV_BLOCK = 8 << 20  # pyarrow CSV block: also the unit DuckDB scans in parallel
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
# Bytes -> lines (arrow), encoding detection
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


@dataclass
class _Parsed:
    """The non-blank lines of one file, split into fields (all strings).

    ``clean``: line_no, c1..cN for lines with exactly N fields (split by pyarrow's CSV parser);
    ``odd``: line_no, nfields, enc, c1..cN for every other non-blank line (c2..cN only when the
    line has N fields; ``enc`` marks undefined Windows-1252 bytes).
    """

    clean: pa.Table | None
    odd: pa.Table | None
    rows_read: int


def _csv_split(buf, n_fields: int) -> pa.Table:
    names = [f"c{i}" for i in range(1, n_fields + 1)]
    return pcsv.read_csv(
        pa.py_buffer(buf),
        read_options=pcsv.ReadOptions(column_names=names, use_threads=True, block_size=_CSV_BLOCK),
        parse_options=pcsv.ParseOptions(
            delimiter="^", quote_char=False, escape_char=False, newlines_in_values=False, ignore_empty_lines=False
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=False,  # validated (or transcoded) before
        ),
    )


def _split_kept(lines: pa.LargeStringArray, keep: np.ndarray, n_fields: int) -> pa.Table | None:
    """Split the kept lines (each with exactly n_fields fields) with pyarrow; None if it cannot."""
    kept = pc.filter(lines, pa.array(keep))
    offsets = np.frombuffer(kept.buffers()[1], dtype=np.int64)[kept.offset : kept.offset + len(kept) + 1]
    buf = memoryview(kept.buffers()[2])[offsets[0] : offsets[-1]]
    table = None
    try:
        table = _csv_split(buf, n_fields)
    except pa.ArrowInvalid:
        pass
    return table if table is not None and table.num_rows == len(kept) else None


def _decoded_lines(raw: bytes) -> tuple[memoryview | bytes, pa.LargeStringArray, bool]:
    """UTF-8 bytes of a CALPADS file and its physical lines; whether it was transcoded from cp1252.

    A UTF-16 file with a byte-order mark is transcoded to UTF-8 whole (:func:`ccgi_assets.textio.decode`).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        from ccgi_assets.textio import UnreadableFile, decode

        try:
            raw = decode(raw, "").encode("utf-8")
        except UnreadableFile:
            pass  # read as bytes below: its rows are rejected by rule
    data = memoryview(raw)
    if raw.startswith(_BOM):
        data = data[len(_BOM) :]
    lines = _split_lines(data)
    transcoded = False
    try:
        lines.validate(full=True)  # checks UTF-8 validity of every line
    except pa.ArrowInvalid:
        data = _cp1252_to_utf8(data)
        lines = _split_lines(data)
        transcoded = True
    return data, lines, transcoded


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


def _parse_file(path: Path, n_fields: int, *, raw: bytes | None = None, route: str | None = None,
                keep_unknown: bool = True) -> tuple[_Parsed, bool]:
    """Split ``path`` (or its bytes ``raw``) into fields; returns (parsed lines, whether it was transcoded
    from cp1252).

    ``route``: a record type code; only rows with that code are parsed (rows of other known codes are left
    for their own record type, as if absent), plus rows with an unknown code when ``keep_unknown``.
    """
    if raw is None:
        raw = path.read_bytes()
    data, lines, transcoded = _decoded_lines(raw)
    n = len(lines)
    if n == 0:
        return _Parsed(None, None, 0), transcoded
    routed = None  # lines taken (None: all)
    if route is not None:
        ok = pc.starts_with(lines, route + "^").to_numpy(zero_copy_only=False)
        if not ok.all():
            first = _first_fields(lines)
            other = pc.is_in(first, value_set=pa.array(sorted(known_record_types() - {route}), pa.large_string()))
            other = other.to_numpy(zero_copy_only=False)
            routed = ~other if keep_unknown else ok | pc.equal(first, route).to_numpy(zero_copy_only=False)
            if routed.all():
                routed = None
    enc = None
    if transcoded:
        enc = pc.match_substring(lines, "\ufffd").to_numpy(zero_copy_only=False)
        if not enc.any():
            enc = None

    # Fast path: every line has exactly N fields. pyarrow then yields one row per line; a blank
    # line, a wrong field count or a lone CR (which pyarrow takes for a line break) shows up as a
    # parse error or a row count that differs from the line count.
    # (pyarrow turns an empty line into a row of empty fields: such files take the slow path too)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[: n + 1]
    short = np.flatnonzero(np.diff(offsets) <= 2)
    has_empty = bool(len(short)) and pc.any(pc.utf8_is_space(lines.take(pa.array(short)))).as_py()
    if enc is None and n_fields > 1 and not has_empty and routed is None:
        clean = None
        try:
            clean = _csv_split(data, n_fields)
        except pa.ArrowInvalid:
            pass  # the message quotes the row: drop it, take the slow path below
        if clean is not None and clean.num_rows == n:
            line_no = pa.array(np.arange(1, n + 1, dtype=np.int64))
            return _Parsed(clean.add_column(0, "line_no", line_no), None, n), transcoded
        del clean

    # Slow path: classify lines, split the good ones with pyarrow and the others in Python.
    n_caret = pc.count_substring(lines, "^").to_numpy()
    n_cr = pc.count_substring(lines, "\r").to_numpy()
    ends_cr = (pc.ends_with(lines, "\r\n").to_numpy(zero_copy_only=False)
               | pc.ends_with(lines, "\r").to_numpy(zero_copy_only=False))
    lone_cr = (n_cr - ends_cr) > 0
    blank = np.zeros(n, dtype=bool)
    no_caret = np.flatnonzero(n_caret == 0)
    if len(no_caret):
        blank[no_caret] = pc.utf8_is_space(lines.take(pa.array(no_caret))).to_numpy(zero_copy_only=False)
    if routed is not None:
        blank |= ~routed  # rows of another record type: not rows of this one
    good = ~blank & (n_caret == n_fields - 1) & ~lone_cr
    if enc is not None:
        good &= ~enc
    odd = ~blank & ~good
    good_idx = np.flatnonzero(good)
    clean = _split_kept(lines, good, n_fields) if len(good_idx) else None
    if clean is not None:
        clean = clean.add_column(0, "line_no", pa.array(good_idx + 1))
    elif len(good_idx):  # pyarrow could not split them (e.g. a line longer than a block): Python does
        good_idx = good_idx[:0]
        odd = ~blank
    odd_tbl = None
    odd_idx = np.flatnonzero(odd)
    if len(odd_idx):
        cols: list[list] = [[] for _ in range(n_fields)]
        nfields, encs = [], []
        texts = lines.take(pa.array(odd_idx)).to_pylist()
        enc_odd = enc[odd_idx] if enc is not None else np.zeros(len(odd_idx), dtype=bool)
        for text, e in zip(texts, enc_odd):
            if text.endswith("\n"):
                text = text[:-1]
            if text.endswith("\r"):
                text = text[:-1]
            parts = text.split("^")
            nfields.append(len(parts))
            encs.append(bool(e))
            cols[0].append(parts[0])
            full = len(parts) == n_fields
            for i in range(1, n_fields):
                cols[i].append(parts[i] if full else None)
        arrays = [pa.array(odd_idx + 1), pa.array(nfields, pa.int64()), pa.array(encs, pa.bool_())]
        arrays += [pa.array(c, pa.string()) for c in cols]
        odd_tbl = pa.Table.from_arrays(arrays, names=["line_no", "nfields", "enc"] + [f"c{i}" for i in range(1, n_fields + 1)])
    return _Parsed(clean, odd_tbl, len(good_idx) + len(odd_idx)), transcoded


def _first_code(path: Path) -> str | None:
    """Record type code of the first non-blank line whose code is known, without reading it all."""
    known = known_record_types()
    with open(path, "rb") as fh:
        first = True
        for raw in fh:
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


def _problem_sql(fields: Sequence[Field], file_code: str | None, file_matches: bool) -> str:
    """CASE expression over c1..cN, nfields, enc naming the first rule a row breaks (``rule:column``)."""
    known = ", ".join(_lit(c) for c in sorted(known_record_types()))
    whens = [("enc", "encoding"), (f"c1 NOT IN ({known})", "unknown_record_type")]
    if file_code is None:
        pass  # no row with a known code: every row failed above
    elif not file_matches:
        whens.append(("TRUE", "mixed_record_types"))
    else:
        whens.append((f"c1 <> {_lit(file_code)}", "mixed_record_types"))
    whens.append((f"nfields <> {len(fields)}", "field_count"))
    # Conditions are written so the common case (a well-formed value) is decided by the first,
    # cheapest test: DuckDB evaluates the rest of an AND only for the rows still undecided.
    for i, f in enumerate(fields, start=1):
        if f.type == "DT":
            v = f"c{i}"
            ok = f"regexp_full_match({v}, '{_DATE_RE}') AND {v} >= '00010101' AND try_strptime({v}, '%Y%m%d') IS NOT NULL"
            whens.append((f"{v} <> '' AND NOT ({ok}) AND NOT regexp_full_match({v}, '\\s+')", f"bad_date:{f.name}"))
    for i, f in enumerate(fields, start=1):
        if f.type == "NU":
            v = f"c{i}"
            whens.append((f"{v} <> '' AND NOT regexp_full_match({v}, '{_NUMBER_RE}') AND NOT regexp_full_match({v}, '\\s+')",
                          f"bad_number:{f.name}"))
    for i, f in enumerate(fields, start=1):
        if i == 1 or f.type == "DT":  # record type is checked against the known codes; dates above
            continue
        v = f"c{i}"  # strlen (bytes) >= length (characters): the byte test settles most rows
        whens.append((f"strlen({v}) > {f.max_length} AND length({v}) > {f.max_length}", f"too_long:{f.name}"))
    body = " ".join(f"WHEN {cond} THEN {_lit(rule)}" for cond, rule in whens)
    return f"CASE {body} END"


def _value_sql(f: Field, idx: int | None) -> str:
    if idx is None:  # ODS trailer of a submission-form file
        return f"CAST(NULL AS {_SQL_TYPES[f.type]})"
    c = f"c{idx}"
    if f.type == "DT":  # blank or whitespace-only -> NULL
        return f"CAST(try_strptime({c}, '%Y%m%d') AS DATE)"
    if f.type == "NU":
        return f"TRY_CAST({c} AS DOUBLE)"
    if f.name == _TXN_FIELD:
        return f"CASE WHEN trim({c}) = '' THEN 'A' ELSE {c} END"
    return f"nullif({c}, '')"


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
    return _Plan(rt, ods, cols, {c: types[c] for c in cols}, codes)


_LINE, _PROBLEM, _FILE = f"{_TMP}_line", f"{_TMP}_problem", f"{_TMP}_file"


@dataclass
class _FileQuery:
    sql: str  # SELECT _LINE, _PROBLEM, <output columns> over the registered arrow tables
    tables: dict[str, pa.Table]  # arrow tables the SQL reads; register them on the connection
    rows_read: int
    ordered: bool  # rows come out in line order without an ORDER BY


def _file_query(path: Path, file_code: str | None, plan: _Plan, *, raw: bytes | None = None, route: bool = False,
                keep_unknown: bool = True, source_name: str | None = None) -> _FileQuery:
    """The SQL core for one file: parse, classify each row by the first rule it breaks, type the values.

    ``route``: take only the rows whose code is ``file_code`` (and unknown codes when ``keep_unknown``);
    ``source_name``: the ``source_file`` value (default: the file name).
    """
    file_matches = file_code is not None and normalize_record_type(file_code) == plan.record_type
    if file_matches:
        fields = layout(file_code)
    elif plan.record_type is not None:  # every row is rejected; the table's layout keeps the SQL well-formed
        fields = layout(plan.record_type)
    else:
        fields = [Field("record_type_code", "CS", 6, "meta")]
    parsed, _ = _parse_file(path, len(fields), raw=raw, route=file_code if route else None,
                            keep_unknown=keep_unknown)
    n = len(fields)
    index = {f.name: i for i, f in enumerate(fields, start=1)}
    by_name = {f.name: f for f in layout(plan.record_type) + list(ODS_FIELDS)} if plan.record_type else {}
    values = []
    for c in plan.columns:
        if c == "record_type":
            v = _lit(normalize_record_type(file_code)) if file_code else "CAST(NULL AS VARCHAR)"
        elif c == "source_file":
            v = _lit(source_name if source_name is not None else path.name)
        elif c == "source_line":
            v = "line_no"
        elif c in by_name:
            v = _value_sql(by_name[c], index.get(c))
        else:  # record type unknown: nothing can be read
            v = "CAST(NULL AS VARCHAR)"
        values.append(f"{v} AS {_qid(c)}")
    cs = ", ".join(f"c{i}" for i in range(1, n + 1))
    parts, tables = [], {}
    if parsed.clean is not None:
        tables[f"{_TMP}_clean"] = parsed.clean
        parts.append(f"SELECT line_no, {n} AS nfields, FALSE AS enc, {cs} FROM {_TMP}_clean")
    if parsed.odd is not None:
        tables[f"{_TMP}_odd"] = parsed.odd
        parts.append(f"SELECT line_no, nfields, enc, {cs} FROM {_TMP}_odd")
    if not parts:  # empty file: a typed, empty relation
        parts.append(f"SELECT CAST(NULL AS BIGINT) AS line_no, 0 AS nfields, FALSE AS enc, "
                     + ", ".join(f"CAST(NULL AS VARCHAR) AS c{i}" for i in range(1, n + 1)) + " WHERE FALSE")
    problem = _problem_sql(fields, file_code, file_matches)
    sql = (f"SELECT line_no AS {_LINE}, {problem} AS {_PROBLEM}" + "".join(", " + v for v in values)
           + " FROM (" + " UNION ALL ".join(parts) + ")")
    return _FileQuery(sql, tables, parsed.rows_read, ordered=parsed.odd is None)


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
    form) and always ``source_file`` (the file name, e.g. ``0100001.txt``). Files are read one at
    a time. Row order in the table is not guaranteed (it is written in parallel): ask for
    ``source_line`` and ``ORDER BY source_file, source_line`` when file order matters.

    ``on_error="skip"`` drops bad rows and counts them per (file name, rule); ``"raise"`` raises
    :class:`CalpadsFormatError` at the first bad row and leaves any existing ``table`` untouched
    (the load runs in its own transaction, so ``con`` must not be inside one).
    """
    _check_on_error(on_error)
    paths = [Path(p) for p in paths]
    plan = _plan(paths, columns, record_type, with_source_file=True)
    if plan.record_type is None:
        raise ValueError(
            f"cannot tell the record type of {table}: no file has a row with a known record type; pass record_type="
        )
    target, schema = _qualified(table)
    rejected: dict[tuple[str, str], int] = {}
    rows_by_file: dict[str, int] = {}
    rows_read = 0
    first_error: tuple[str, int, str] | None = None
    cols = ", ".join(_qid(c) for c in plan.columns)
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
        for k, (path, code) in enumerate(zip(paths, plan.file_codes)):
            fq = _file_query(path, code, plan)
            for name, tbl in fq.tables.items():
                con.register(name, tbl)
            try:
                con.execute(f"INSERT INTO {target} ({_FILE}, {_LINE}, {_PROBLEM}, {cols}) "
                            f"SELECT {k}, {_LINE}, {_PROBLEM}, {cols} FROM ({fq.sql})")
            finally:
                for name in fq.tables:
                    con.unregister(name)
            del fq.tables
            stats = _stats_from_rows(con.execute(
                f"SELECT arg_min({_PROBLEM}, {_LINE}), count(*), min({_LINE}) FROM {target} "
                f"WHERE {_FILE} = {k} AND {_PROBLEM} IS NOT NULL GROUP BY split_part({_PROBLEM}, ':', 1)"
            ).fetchall())
            if stats and on_error == "raise":
                raise _first_error(path, code, stats)
            bad = 0
            for rule, (count, _, _) in stats.items():
                rejected[(path.name, rule)] = rejected.get((path.name, rule), 0) + count
                bad += count
            if stats and first_error is None:
                err = _first_error(path, code, stats)
                first_error = (path.name, err.line, err.rule)
            rows_read += fq.rows_read
            rows_by_file[path.name] = rows_by_file.get(path.name, 0) + fq.rows_read - bad
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
    return LoadReport(
        table=table,
        record_type=plan.record_type,
        files=len(paths),
        rows_read=rows_read,
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
    fq = _file_query(path, code, plan)
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    try:
        for name, tbl in fq.tables.items():
            con.register(name, tbl)
        result = con.sql(fq.sql).to_arrow_table()  # one pass, no table write
    finally:
        con.close()
    del fq.tables
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
    if not fq.ordered:
        result = result.sort_by(_LINE)
    frame = _to_pandas(result.select(plan.columns), plan.col_types)
    return CalpadsRead(frame, {rule: s[0] for rule, s in stats.items()}, fq.rows_read)


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
