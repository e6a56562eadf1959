"""Writing the CALPADS share files: one writer per record type and LEA, fields placed by the layout reader
(:func:`ccgi_assets.calpads.layout`), with the deliberate malformed rows; the SENR and SINF rows of an LEA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.calpads import layout
from ccgi_assets.generate.helpers import _date, _days, _EMPTY, _num, _strings, _take, _where
from ccgi_assets.generate.vocabulary import (
    _BIRTHPLACES, _CITIES, _FEMALE, _LAST, _MALE, _race_codes, _STREET_SFX, _STREETS, _SUFFIX,
)
from ccgi_assets.generate.state import _fmt_local, _State


def layout_columns(record_type: str) -> list[str]:
    """Column names of a CALPADS record type, in file order (the layout reader's, from ``calpads_layouts.csv``)."""
    return [f.name for f in layout(record_type)]


class _CalpadsWriter:
    """Writes one record type's rows for one LEA, in layout order, with the dirty-row inserts."""

    def __init__(self, path: Path, record_type: str):
        self.path = path
        self.rt = record_type
        self.layout = [(f.name, f.type, f.max_length) for f in layout(record_type)]
        self.fh = open(path, "wb")
        self.rows = 0
        self.dirty = 0

    def write(self, cols: dict[str, pa.Array | str], n: int, dirty: int, rng: np.random.Generator) -> None:
        if n == 0:
            return
        names = {c for c, _, _ in self.layout}
        unknown = set(cols) - names
        if unknown:
            raise KeyError(f"{self.rt}: columns not in the layout: {sorted(unknown)}")
        parts = [cols.get(c, _EMPTY) for c, _, _ in self.layout]
        parts[0] = self.rt
        lines = pc.binary_join_element_wise(*parts, "^")
        if len(lines) != n:
            raise ValueError("row count mismatch")
        inserts: dict[int, list[str]] = {}
        if dirty:
            for i in sorted(rng.choice(n, size=min(dirty, n), replace=False).tolist()):
                inserts.setdefault(i, []).append(self._corrupt(lines[i].as_py(), rng))
        lines = pc.binary_join_element_wise(lines, "\n", "")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=lines.offset * 4)
        data = memoryview(lines.buffers()[2])
        pos = 0
        for i in sorted(inserts):
            self.fh.write(data[offsets[pos]:offsets[i + 1]])
            for bad in inserts[i]:
                self.fh.write((bad + "\n").encode("utf-8"))
            pos = i + 1
        self.fh.write(data[offsets[pos]:offsets[n]])
        n_bad = sum(len(v) for v in inserts.values())
        self.rows += n + n_bad
        self.dirty += n_bad

    def _corrupt(self, line: str, rng: np.random.Generator) -> str:
        fields = line.split("^")
        dates = [i for i, (_, typ, _) in enumerate(self.layout) if typ == "DT"]
        kind = int(rng.integers(0, 3 if dates else 2))
        if kind == 0:  # a field lost
            return "^".join(fields[:-1])
        if kind == 1:  # one field too many
            return line + "^"
        filled = [i for i in dates if fields[i]] or dates
        i = filled[int(rng.integers(0, len(filled)))]
        fields[i] = ["20251341", "2025-08-14", "00000000", "20260230"][int(rng.integers(0, 4))]
        return "^".join(fields)

    def close(self) -> None:
        self.fh.close()


# --------------------------------------------------------------------------------------------
# per-LEA generation

class _Tables:
    """String tables shared by all LEAs (index 0 = "")."""

    def __init__(self) -> None:
        self.first = _strings(_FEMALE + _MALE)
        self.last = _strings(_LAST)
        self.suffix = _strings(_SUFFIX)
        self.bp_city = _strings([b[0] for b in _BIRTHPLACES])
        self.bp_state = _strings([b[1] for b in _BIRTHPLACES])
        self.bp_country = _strings([b[2] for b in _BIRTHPLACES])
        self.race = _strings(_race_codes())
        self.street = _strings(_STREETS)
        self.street_sfx = _strings(_STREET_SFX)
        self.city = _strings([c[0] for c in _CITIES])
        self.gender = pa.array(["F", "M", "X"])
        self.yn = pa.array(["N", "Y"])


def _last_name(T: _Tables, last: np.ndarray, last2: np.ndarray) -> pa.Array:
    base = _take(T.last, last)
    if not (last2 > 0).any():
        return base
    joined = pc.binary_join_element_wise(base, _take(T.last, last2), "-")
    return _where(last2 > 0, joined, base)


def _person(T: _Tables, st: dict[str, np.ndarray], s: np.ndarray, *, full: bool) -> dict[str, pa.Array]:
    """Name, birth and gender columns of students ``s`` (current values)."""
    bp = st["birthplace"][s]
    cols = {
        "ssid": _num(st["ssid"][s], 10),
        "student_legal_first_name": _take(T.first, st["first"][s]),
        "student_legal_last_name": _last_name(T, st["last"][s], st["last2"][s]),
        "student_birth_date": _date(st["birth"][s]),
        "student_gender_code": _take(T.gender, st["gender"][s]),
    }
    if full:
        cols.update({
            "student_legal_middle_name": _take(T.first, st["middle"][s]),
            "student_legal_name_suffix": _take(T.suffix, st["suffix"][s]),
            "student_alias_first_name": _take(T.first, st["alias"][s]),
            "student_birth_city": _take(T.bp_city, bp),
            "student_birth_state_province_code": _take(T.bp_state, bp),
            "student_birth_country_code": _take(T.bp_country, bp),
        })
    return cols


def _local_ids(S: _State, lea: int, nums: np.ndarray) -> pa.Array:
    return _fmt_local(nums, int(S.lea_id_style[lea]))


def _senr(S: _State, T: _Tables, l: int, w: _CalpadsWriter, dirty: int, rng) -> dict[str, int]:
    st = S.st
    lo, hi = S.lea_lo[l], S.lea_hi[l]
    cur = np.arange(lo, hi)
    old = np.flatnonzero(st["old_lea"] == l)
    sec = cur[st["sec"][lo:hi]]
    s = np.concatenate([cur, old, sec])
    kind = np.concatenate([np.zeros(len(cur), np.int8), np.ones(len(old), np.int8), np.full(len(sec), 2, np.int8)])
    n = len(s)
    school = np.where(kind == 1, st["old_school"][s], np.where(kind == 2, st["sec_school"][s], st["school"][s]))
    local = np.where(kind == 1, st["old_local"][s], st["local"][s])
    start = np.where(kind == 1, st["old_start"][s], np.where(kind == 2, st["sec_start"][s], st["start"][s]))
    exit_ = np.where(kind == 1, st["exit"][s], -1)
    sch = pa.array(S.sch_code)
    cols = _person(T, st, s, full=True)
    cols.update({
        "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
        "reporting_lea": S.lea_code[l],
        "school_of_attendance": _take(sch, school),
        "academic_year_id": S.academic_year,
        "local_student_id": _local_ids(S, l, local),
        "enrollment_start_date": _date(start),
        "enrollment_status_code": _where(kind == 2, "20", "10"),
        "grade_level_code": _num(st["grade"][s], 2),
        "enrollment_exit_date": _date(exit_),
        "student_exit_reason_code": _where(kind == 1, "T160", _EMPTY),
        "district_of_geographic_residence_code": S.lea_code[l],
    })
    w.write(cols, n, dirty, rng)
    return {"transfer_out": len(old), "secondary": len(sec)}


def _sinf(S: _State, T: _Tables, l: int, w: _CalpadsWriter, dirty: int, rng) -> None:
    st = S.st
    lo, hi = S.lea_lo[l], S.lea_hi[l]
    cur = np.arange(lo, hi)
    hist = cur[st["hist"][lo:hi]]
    old = np.flatnonzero(st["old_lea"] == l)
    s = np.concatenate([cur, hist, old])
    kind = np.concatenate([np.zeros(len(cur), np.int8), np.ones(len(hist), np.int8), np.full(len(old), 2, np.int8)])
    o = np.argsort(s, kind="stable")
    s, kind = s[o], kind[o]
    n = len(s)
    cur_hist = (kind == 0) & st["hist"][s]
    eff_start = np.where(kind == 1, st["sinf_start"][s],
                         np.where(cur_hist, st["change"][s], np.where(kind == 2, st["sinf_start"][s],
                                  np.where(st["is_tr"][s], st["start"][s], st["sinf_start"][s]))))
    eff_end = np.where(kind == 1, st["change"][s] - 1, -1)
    school = np.where(kind == 2, st["old_school"][s], st["school"][s])
    local = np.where(kind == 2, st["old_local"][s], st["local"][s])
    cols = _person(T, st, s, full=True)
    if (kind == 1).any():
        old_last = _last_name(T, st["old_last"][s], np.where(st["hist_last"][s], 0, st["last2"][s]))
        cols["student_legal_last_name"] = _where(kind == 1, old_last, cols["student_legal_last_name"])
        cols["student_gender_code"] = _where(kind == 1, _take(T.gender, st["old_gender"][s]),
                                             cols["student_gender_code"])
    street = pc.binary_join_element_wise(
        _num(st["house"][s]), _take(T.street, st["street"][s]), _take(T.street_sfx, st["street_sfx"][s]), " ")
    apt = st["apt"][s]
    foreign = st["init_us"][s] >= 0
    recent = foreign & (st["init_us"][s] > _days(S.year - 3, 8, 1))
    cols.update({
        "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
        "effective_start_date": _date(eff_start),
        "effective_end_date": _date(eff_end),
        "reporting_lea": S.lea_code[l],
        "school_of_attendance": _take(pa.array(S.sch_code), school),
        "local_student_id": _local_ids(S, l, local),
        "hispanic_ethnicity_indicator": _take(T.yn, st["hisp"][s].astype(np.int64)),
        "ethnicity_missing_indicator": "N",
        "race_1_code": _take(T.race, st["race1"][s]),
        "race_2_code": _take(T.race, st["race2"][s]),
        "race_missing_indicator": "N",
        "address_line_1": street,
        "address_line_2": _where(apt > 0, pc.binary_join_element_wise("Apt", _num(apt), " "), _EMPTY),
        "address_city": _take(T.city, np.full(n, S.lea_city[l] + 1)),
        "address_state_province_code": "CA",
        "address_zip_code": _num(st["zip"][s], 5),
        "initial_us_school_enrollment_date_k12": _date(st["init_us"][s]),
        "enrolled_in_us_school_less_than_3_years_indicator": _where(foreign, _where(recent, "Y", "N"), _EMPTY),
        "parent_guardian_highest_education_level_code": _num(st["parent_ed"][s]),
        "guardian_1_first_name": _take(T.first, st["g1_first"][s]),
        "guardian_1_last_name": _take(T.last, st["g1_last"][s]),
        "guardian_2_first_name": _take(T.first, st["g2_first"][s]),
        "guardian_2_last_name": _where(st["g2_first"][s] > 0, _take(T.last, st["g2_last"][s]), _EMPTY),
    })
    w.write(cols, n, dirty, rng)
