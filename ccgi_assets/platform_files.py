"""Reading CaliforniaColleges.edu platform files (``platform/<lea>/<kind>.csv``) row by row, fail closed.

A row that breaks its kind's rules is *quarantined*: left out, and counted per file, line and rule (never a
value), so one bad row costs that row, not the LEA's run. A file that cannot be read at all (empty, not text,
no header with the kind's columns) is named with its rule and yields no rows; the caller decides what an
unreadable file means for the asset (keep the LEA's previous rows: nothing new is granted, nothing is lost).

Consents are the exception that grants: a ``granted`` value other than ``true``/``false`` (any letter case), or
a consent time that cannot be read, is counted like any bad row but is **kept as a withholding event**, never as
a grant (:func:`withholding_consents`). Lines are numbered as in the file (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

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
    """
    q = Quarantine()
    cols = PLATFORM_KINDS[kind]
    model = PLATFORM_CONTRACTS[kind]
    try:
        text = decode(data, name)
    except UnreadableFile as exc:
        q.unreadable[name] = exc.rule
        return _empty(kind, lea), q
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
    out = out.assign(reporting_lea=lea)
    return validate(out.reset_index(drop=True), model), q


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


def _empty(kind: str, lea: str) -> pd.DataFrame:
    from ccgi_assets.contracts import empty

    return empty(PLATFORM_CONTRACTS[kind])
