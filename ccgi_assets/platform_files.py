"""Reading CaliforniaColleges.edu platform files (``platform/<lea>/<kind>.csv``) row by row, fail closed.

A row that breaks its kind's rules is *quarantined*: left out, and counted per file, line and rule (never a
value), so one bad row costs that row, not the LEA's run. A file that cannot be read at all (empty, not text,
no header with the kind's columns) is named with its rule and yields no rows; the caller decides what an
unreadable file means for the asset (keep the LEA's previous rows: nothing new is granted, nothing is lost).

Consents are the exception that grants: a ``granted`` value other than ``true``/``false`` (any letter case), or
a consent time that cannot be read, is counted like any bad row but is **kept as a withholding event**, never as
a grant (:func:`withholding_consents`). Lines are numbered as in the file (the header is line 1).

A file is parsed and checked once per content in a process (:data:`CACHE`, bounded); each caller gets its own copy.
A *plain* file (no quotes, no ragged or blank lines, no field edged with white space: what the platform exports)
is split by Arrow's CSV parser and, when the row rules already guarantee its contract, not validated again by
pandera; any other file takes the general path. Both give the same rows and the same counts
(``ccgi_assets_tests/test_platform_files.py``; ``bench/bench_platform_files.py`` compares them on a generated state).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import threading
import warnings
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ccgi_assets.contracts import PLATFORM_CONTRACTS, SYSTEMS, columns, validate
from ccgi_assets.textio import UnreadableFile, decode

#: columns of each platform file: its contract's, less the LEA (the folder it sits in says that)
PLATFORM_KINDS: dict[str, list[str]] = {
    kind: [c for c in columns(model) if c != "reporting_lea"] for kind, model in PLATFORM_CONTRACTS.items()
}
#: time columns per kind (ISO 8601); birth dates are dates (ISO YYYY-MM-DD)
_TIMES = {"accounts": ["registered_at"], "applications": ["submitted_at"], "consents": ["recorded_at"],
          "planning": ["recorded_at"], "activities": ["completed_at"]}
#: text columns that must not be blank
_REQUIRED = {"accounts": ["local_student_id"], "planning": ["item_type"], "activities": ["activity"]}


@dataclass
class Quarantine:
    """What was left out of platform files: rows per (file, rule) with the first line, and unreadable files."""

    rows: Counter = field(default_factory=Counter)
    first_line: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)  # file -> rule

    def add(self, file: str, rule: str, lines: list[int]) -> None:
        if lines:
            self.rows[(file, rule)] += len(lines)
            self.first_line[(file, rule)] = min(lines + [self.first_line.get((file, rule), lines[0])])

    def copy(self) -> "Quarantine":
        """A Quarantine of its own with the same counts (merging into it changes nothing of this one)."""
        return Quarantine(Counter(self.rows), dict(self.first_line), dict(self.unreadable))

    def merge(self, other: "Quarantine") -> "Quarantine":
        for k, n in other.rows.items():
            self.rows[k] += n
            self.first_line[k] = min(self.first_line.get(k, other.first_line[k]), other.first_line[k])
        self.unreadable.update(other.unreadable)
        return self

    @property
    def rows_left_out(self) -> int:
        return sum(self.rows.values())

    def by_rule(self) -> dict[str, int]:
        out: Counter = Counter()
        for (_, rule), n in self.rows.items():
            out[rule] += n
        return dict(sorted(out.items()))

    def summary(self) -> dict:
        """For Dagster metadata and logs: file names, rules, counts and line numbers only."""
        return {
            "rows_left_out": {f"{f}: {r}": {"rows": n, "first_line": self.first_line[(f, r)]}
                              for (f, r), n in sorted(self.rows.items())},
            "unreadable_files": dict(sorted(self.unreadable.items())),
        }

    def messages(self) -> list[str]:
        out = [f"{f}: unreadable ({rule}); its rows are not used" for f, rule in sorted(self.unreadable.items())]
        out += [f"{f}: {n} row(s) left out, rule {r} (first at line {self.first_line[(f, r)]})"
                for (f, r), n in sorted(self.rows.items())]
        return out


def _times(s: pd.Series) -> pd.Series:
    t = pd.to_datetime(s.where(s.str.len() > 0), errors="coerce", format="ISO8601", utc=True)
    return t.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")


def read_platform_file(data: bytes, name: str, kind: str, lea: str) -> tuple[pd.DataFrame, Quarantine]:
    """One platform file's readable rows (with ``reporting_lea`` = ``lea``) and what was left out.

    Raises nothing for bad content: an unreadable file gives no rows and is named in ``Quarantine.unreadable``.
    Parsed and checked once per content: the result is kept (:data:`CACHE`) under the kind, LEA, file name and a
    digest of ``data``, so a file read again by another asset of the run is not parsed again, and a changed file
    is seen at once (object stores included: the key is the bytes, not a modification time). Each call returns
    its own frame and its own :class:`Quarantine`: changing them changes nothing kept.
    """
    key = (kind, lea, name, hashlib.blake2b(data, digest_size=20).digest())
    hit = CACHE.get(key)
    if hit is None:
        hit = _parse(data, name, kind, lea)
        CACHE.put(key, *hit)
    df, q = hit
    return df.copy(), q.copy()


def _parse(data: bytes, name: str, kind: str, lea: str, fast: bool = True) -> tuple[pd.DataFrame, Quarantine]:
    """:func:`read_platform_file` without the cache. ``fast=False`` takes the general path only (pandas' Python
    CSV parser, strip every field, full pandera validation): the reference the fast paths must equal."""
    q = Quarantine()
    cols = PLATFORM_KINDS[kind]
    model = PLATFORM_CONTRACTS[kind]
    try:
        text = decode(data, name)
    except UnreadableFile as exc:
        q.unreadable[name] = exc.rule
        return _empty(kind, lea), q
    df = _plain_csv(text, cols) if fast else None
    if df is None:  # the general path: quotes, ragged or blank lines, stray carriage returns, padded fields
        try:
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                              skipinitialspace=False, quoting=csv.QUOTE_MINIMAL, on_bad_lines="skip",
                              engine="python")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            q.unreadable[name] = "no_header"
            return _empty(kind, lea), q
        raw.columns = [str(c).strip().lower() for c in raw.columns]
        missing = [c for c in cols if c not in raw.columns]
        if missing:
            q.unreadable[name] = "missing_column:" + ",".join(missing)
            return _empty(kind, lea), q
        df = raw[cols].apply(lambda s: s.str.strip()).astype("string[pyarrow]")
    line = pd.Series(range(2, len(df) + 2), index=df.index)
    bad = pd.Series(False, index=df.index)
    keep_anyway = pd.Series(False, index=df.index)  # consents: unreadable rows withhold, so they stay

    def rule(mask: pd.Series, name_: str, withhold: bool = False) -> None:
        nonlocal bad, keep_anyway
        mask = mask.fillna(True).astype(bool) & ~bad
        q.add(name, name_, line[mask].tolist())
        if withhold:
            keep_anyway |= mask
        else:
            bad |= mask

    rule(~df["ssid"].str.fullmatch(r"[0-9]{10}"), "ssid_not_10_digits")
    if "system" in cols:
        df["system"] = df["system"].str.upper()
        rule(~df["system"].isin(SYSTEMS), "system_not_UC_CSU_CCC")
    for col in _REQUIRED.get(kind, []):
        rule(df[col].str.len() == 0, f"blank_{col}")
    out = df.copy()
    if kind == "accounts":
        born = pd.to_datetime(df["birth_date"].where(df["birth_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")),
                              errors="coerce", format="%Y-%m-%d")
        rule(born.isna(), "birth_date_not_iso_date")
        out["birth_date"] = born
    if kind == "consents":
        flag = df["granted"].str.lower()
        rule(~flag.isin(["true", "false"]), "granted_not_true_or_false", withhold=True)
        out["granted"] = flag.map({"true": True, "false": False}).astype("boolean")  # anything else: null
    for col in _TIMES[kind]:
        t = _times(df[col])
        rule(t.isna(), f"unreadable_{col}", withhold=(kind == "consents"))
        out[col] = t
    if kind == "consents":
        out = withholding_consents(out[~bad], line[~bad])
    else:
        out = out[~bad]
    out = out.reset_index(drop=True)
    if fast and _LEA.fullmatch(lea):
        out["reporting_lea"] = pd.arrays.ArrowStringArray(pa.repeat(pa.scalar(lea, pa.string()), len(out)))
        if _conforms(out, kind):
            return out, q
    out = out.assign(reporting_lea=lea)
    return validate(out, model), q


def withholding_consents(events: pd.DataFrame, line: pd.Series) -> pd.DataFrame:
    """Consent events with unreadable parts, made to withhold and never to grant.

    * An unreadable ``granted`` (blank, ``revoked``, ``yes``, ``1``, ``t`` ...) with a readable time is a
      withholding event at that time: ``granted`` null, read downstream as not granted (like a revocation),
      until a later readable grant decides.
    * A row whose time cannot be read cannot be placed in time. It is decided by the file's order: when a later
      line of the file has a readable event for the same student and system, that later line decides and the
      unreadable row is dropped; otherwise it stays as the student's latest event, withholding (its time set
      to the latest time pandas can hold, so it is after every submission and nothing can be "in force" past it).
    """
    t = events["recorded_at"]
    if not t.isna().any():
        return events
    key = events["ssid"].astype(str) + "|" + events["system"].astype(str)
    readable_line = line.where(t.notna())
    last_readable = readable_line.groupby(key).transform("max")
    undated = t.isna()
    decided_later = undated & (last_readable > line)
    out = events.loc[~decided_later].copy()
    still = out["recorded_at"].isna()
    out.loc[still, "granted"] = pd.NA
    out.loc[still, "recorded_at"] = pd.Timestamp.max.floor("s")
    return out


#: the LEA code ``reporting_lea`` must be (stricter than the contract's ``^\d{7}$``: ASCII digits, no line end)
_LEA = re.compile(r"[0-9]{7}", re.ASCII)
#: the bytes that are ASCII characters ``str.isspace`` takes (so ``str.strip`` removes), less the line feed
_SPACE_BYTE = np.array([i < 128 and chr(i).isspace() and i != 10 for i in range(256)])
#: the non-ASCII characters ``str.isspace`` takes (``test_platform_files`` checks the list against Python's)
UNICODE_SPACES = ("\x85", "\xa0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
                  "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000")


def _plain_csv(text: str, cols: list[str]) -> pd.DataFrame | None:
    """The columns ``cols`` of a *plain* CSV text, as Arrow strings; None when the text is not plain, or lacks a
    column (the general path then reads it, or names the rule).

    Plain: no quote character; no carriage return but in CRLF line ends; no blank line; every line with as many
    fields as the header; no field that starts or ends with white space (``str.isspace``; a text with non-ASCII
    white space anywhere is not plain); header names unique, also once stripped and lower-cased. Every CSV parser
    splits such a text alike (at each comma and line feed) and stripping changes no field, so the result equals
    the general path's (pandas' Python parser, every field stripped); ``test_platform_files`` checks it on
    files made to differ. Arrow's parser reads it into Arrow strings in about a fifth of the time.
    """
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    if not text.endswith("\n"):
        text += "\n"
    if text.startswith("\n") or "\n\n" in text:
        return None
    data = text.encode("utf-8")
    b = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    commas = np.flatnonzero(b == 44)
    per_line = np.diff(np.searchsorted(commas, nl), prepend=0)
    if (per_line != per_line[0]).any():
        return None
    edges = np.concatenate([[0], nl[:-1] + 1, commas + 1, nl - 1, commas - 1])
    around = b[np.clip(edges, 0, len(b) - 1)]
    if _SPACE_BYTE[around].any() or (not text.isascii() and any(c in text for c in UNICODE_SPACES)):
        return None
    names = text[: nl[0]].split(",")
    lower = [n.lower() for n in names]
    if len(set(names)) != len(names) or len(set(lower)) != len(lower) or not all(names):
        return None
    raw = {low: n for low, n in zip(lower, names)}
    if any(c not in raw for c in cols):
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char=False, double_quote=False, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(include_columns=[raw[c] for c in cols],
                                                 column_types={raw[c]: pa.string() for c in cols},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 null_values=[], check_utf8=True))
    except (pa.ArrowInvalid, ValueError):
        return None
    return pd.DataFrame({c: pd.arrays.ArrowStringArray(table.column(raw[c])) for c in cols})


@functools.cache
def _contract_shape(kind: str) -> tuple[list[tuple[str, object]], list[str]]:
    """(column, dtype) in the contract's order, and the columns that may not be null."""
    model = PLATFORM_CONTRACTS[kind]
    shape = [(c, d) for c, d in _empty(kind, "").dtypes.items()]
    not_null = [n for n, col in model.to_schema().columns.items() if not col.nullable]
    return shape, not_null


def _conforms(out: pd.DataFrame, kind: str) -> bool:
    """Whether ``out`` already is what validating it against the kind's contract would return, without running
    pandera: the contract's columns in order with its dtypes (nothing to coerce, nothing extra) and no null where
    it allows none. Its value checks hold by the row rules: ``ssid`` fully matched ``[0-9]{10}`` (the contract:
    ``^\d{10}$``), ``system`` is one of UC/CSU/CCC, and ``reporting_lea`` matched :data:`_LEA`."""
    shape, not_null = _contract_shape(kind)
    if [(c, d) for c, d in out.dtypes.items()] != shape:
        return False
    return not any(out[c].hasnans for c in not_null)


class PlatformFileCache:
    """Platform files already parsed and checked, by (kind, LEA, file name, digest of the bytes): least recently
    used out first, bounded by entries and by the frames' memory (``CCGI_PLATFORM_CACHE_MB``, 0 turns it off),
    so a long-lived process does not grow without bound. Holds frames no caller is given (callers get copies)."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key) -> tuple[pd.DataFrame, Quarantine] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0], item[1]

    def put(self, key, df: pd.DataFrame, q: Quarantine) -> None:
        size = int(df.memory_usage(index=True, deep=True).sum())
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            if size > self.max_bytes or self.max_bytes <= 0 or self.max_entries <= 0:
                return
            self._items[key] = (df, q, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, _, s) = self._items.popitem(last=False)
                self._bytes -= s

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes


def _cache_bytes(default_mb: float = 1024) -> int:
    """``CCGI_PLATFORM_CACHE_MB`` in bytes (default 1 GiB; 0 keeps nothing). A value that is not a number is
    named in a warning and the default taken: a tuning knob should not stop the code location from loading."""
    value = os.environ.get("CCGI_PLATFORM_CACHE_MB", "")
    try:
        mb = float(value) if value.strip() else default_mb
    except ValueError:
        warnings.warn(f"CCGI_PLATFORM_CACHE_MB is not a number of MiB; {default_mb:g} taken", stacklevel=2)
        mb = default_mb
    return int(max(mb, 0) * 2**20)


#: the platform files parsed in this process (a run reads applications three times, activities twice)
CACHE = PlatformFileCache(max_entries=4096, max_bytes=_cache_bytes())


def _empty(kind: str, lea: str) -> pd.DataFrame:
    from ccgi_assets.contracts import empty

    return empty(PLATFORM_CONTRACTS[kind])
