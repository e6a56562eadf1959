"""The landing zone and the platform: LEA opt-in lists and CaliforniaColleges.edu activity files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.contracts import PLATFORM_CONTRACTS, columns
from ccgi_assets.generate.helpers import _days, _iso, _num, _yyyymmdd
from ccgi_assets.generate.vocabulary import _ACTIVITIES, _CAREERS, _COLLEGES, _MAJORS
from ccgi_assets.generate.state import _State
from ccgi_assets.generate.calpads_files import _local_ids

#: the platform's files and their columns: the contracts' (``reporting_lea`` comes from the folder)
PLATFORM_FILES = {kind: [c for c in columns(model) if c != "reporting_lea"]
                  for kind, model in PLATFORM_CONTRACTS.items()}

def _write_csv(path: Path, df: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_plain_csv(path: Path, columns: dict[str, np.ndarray | pa.Array]) -> int:
    """A CSV of values that never need quoting (digits, codes, ISO timestamps, the fixed vocabularies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = [c if isinstance(c, pa.Array) else pa.array(np.asarray(c).astype(str), type=pa.string())
              for c in columns.values()]
    n = len(arrays[0]) if arrays else 0
    with open(path, "wb") as fh:
        fh.write((",".join(columns) + "\n").encode("utf-8"))
        if n:
            lines = pc.binary_join_element_wise(*arrays, "\n", "") if len(arrays) == 1 else \
                pc.binary_join_element_wise(pc.binary_join_element_wise(*arrays, ","), "\n", "")
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=lines.offset * 4)
            fh.write(memoryview(lines.buffers()[2])[offsets[0]:offsets[n]])
    return n


def _needs_quoting(values: list[str]) -> list[str]:
    return [v for v in values if any(ch in v for ch in ',"\n\r')]


if _needs_quoting(_CAREERS + _MAJORS + _COLLEGES + _ACTIVITIES):  # pragma: no cover - guards the constants
    raise RuntimeError("platform vocabulary needs CSV quoting")


def _optin(S: _State, l: int, out: Path, rng: np.random.Generator, dirty: bool,
           counts: dict[str, int], as_of: int) -> np.ndarray:
    """Write the LEA's opt-in list; returns the (valid, current) students listed."""
    st = S.st
    lo, hi = int(S.lea_lo[l]), int(S.lea_hi[l])
    cur = np.arange(lo, hi)
    listed = cur[rng.random(hi - lo) < S.targets.listed_share]
    ssid = _num(st["ssid"][listed], 10).to_numpy(zero_copy_only=False).astype(object)
    local = _local_ids(S, l, st["local"][listed]).to_numpy(zero_copy_only=False).astype(object)
    extra_ssid: list[str] = []
    extra_local: list[str] = []
    if dirty and len(listed) >= 2:
        def add(kind: str, s: str, loc: str) -> None:
            extra_ssid.append(s)
            extra_local.append(loc)
            counts[kind] = counts.get(kind, 0) + 1

        # a spreadsheet dropped the leading zero of a listed student's SSID (the row replaces theirs)
        zero = np.flatnonzero(st["ssid"][listed] < 10**9)
        i = int(zero[0]) if len(zero) else int(rng.integers(0, len(listed)))
        add("nine_digit", ssid[i][1:], local[i])
        listed, ssid, local = np.delete(listed, i), np.delete(ssid, i), np.delete(local, i)
        add("blank", "", "")
        i = int(rng.integers(0, len(listed)))
        add("duplicate", ssid[i], local[i])
        gone = np.flatnonzero(st["old_lea"] == l)
        if len(gone):
            g = gone[int(rng.integers(0, len(gone)))]
            add("transferred_out", f"{st['ssid'][g]:010d}", _local_ids(S, l, st["old_local"][[g]])[0].as_py())
        unk = S.ssid_of(np.array([len(st["ssid"]) + int(rng.integers(0, 10**6))]))[0]
        add("unknown", f"{unk:010d}", "")
    all_ssid = np.concatenate([ssid, np.array(extra_ssid, dtype=object)])
    all_local = np.concatenate([local, np.array(extra_local, dtype=object)])
    order = rng.permutation(len(all_ssid))
    cols = {"SSID": all_ssid[order], "LocalID": all_local[order]}
    if rng.random() < 0.4:
        del cols["LocalID"]
    day = as_of - int(rng.integers(20, 60))
    stamp = int(_yyyymmdd(np.array([day]))[0])
    n = _write_plain_csv(out / "landing" / "optin" / S.lea_code[l] / f"optin_{stamp}.csv", cols)
    counts["rows"] = counts.get("rows", 0) + n
    return listed


def _platform(S: _State, l: int, roster: np.ndarray, out: Path, rng: np.random.Generator,
              rows: dict[str, int], as_of_s: int) -> None:
    st = S.st
    year = S.year
    folder = out / "platform" / S.lea_code[l]
    day = 86400
    reg = roster[rng.random(len(roster)) < S.targets.registered_share]
    t0 = _days(year, 8, 25) * day
    reg_at = t0 + rng.integers(0, max(as_of_s - t0 - 30 * day, day), len(reg))
    ssid = _num(st["ssid"][reg], 10).to_numpy(zero_copy_only=False)
    frames: dict[str, dict[str, np.ndarray]] = {}
    # what the student entered when registering: their local ID and birth date (a few typos: not verified)
    local = _local_ids(S, l, st["local"][reg]).to_numpy(zero_copy_only=False).astype(object)
    born = np.datetime_as_string(st["birth"][reg].astype("datetime64[D]"), unit="D").astype(object)
    frames["accounts"] = ({"ssid": ssid, "local_student_id": local, "birth_date": born, "registered_at": _iso(reg_at)})
    # applications: some grade-12 students apply to UC / CSU / CCC
    g12 = np.flatnonzero(st["grade"][reg] == 12)
    app_i, app_sys, app_at = [], [], []
    for sysname, p in (("UC", 0.3), ("CSU", 0.4), ("CCC", 0.3)):
        who = g12[rng.random(len(g12)) < p]
        app_i.append(who)
        app_sys.append(np.full(len(who), sysname, dtype=object))
        app_at.append(np.minimum(reg_at[who] + rng.integers(3600, 90 * day, len(who)), as_of_s - 3600))
    a_i = np.concatenate(app_i)
    a_sys = np.concatenate(app_sys)
    a_at = np.concatenate(app_at)
    o = np.lexsort((a_at, a_i))
    a_i, a_sys, a_at = a_i[o], a_sys[o], a_at[o]
    frames["applications"] = ({"ssid": ssid[a_i], "system": a_sys, "submitted_at": _iso(a_at)})
    # consents: mostly granted before submission; some after; some revoked later; some for another system
    has = rng.random(len(a_i)) < 0.9
    after = rng.random(len(a_i)) < 0.1
    c_at = np.where(after, a_at + rng.integers(day, 20 * day, len(a_i)), a_at - rng.integers(60, 10 * day, len(a_i)))
    c_at = np.maximum(np.minimum(c_at, as_of_s - 60), reg_at[a_i])
    ci, csys, cgr, cat_ = [a_i[has]], [a_sys[has]], [np.full(int(has.sum()), "true", dtype=object)], [c_at[has]]
    rev = has & (rng.random(len(a_i)) < 0.05)
    ci.append(a_i[rev])
    csys.append(a_sys[rev])
    cgr.append(np.full(int(rev.sum()), "false", dtype=object))
    cat_.append(np.minimum(c_at[rev] + rng.integers(5 * day, 60 * day, int(rev.sum())), as_of_s))
    other = np.unique(a_i)[rng.random(len(np.unique(a_i))) < 0.03]
    systems = np.array(["UC", "CSU", "CCC"], dtype=object)
    if len(other):
        applied = {(int(i), s) for i, s in zip(a_i, a_sys)}
        osys = []
        for i in other:  # few: a loop over the handful of students is fine
            free = [s for s in systems if (int(i), s) not in applied]
            osys.append(free[int(rng.integers(0, len(free)))] if free else "CCC")
        ci.append(other)
        csys.append(np.array(osys, dtype=object))
        cgr.append(np.full(len(other), "true", dtype=object))
        cat_.append(np.minimum(reg_at[other] + rng.integers(day, 30 * day, len(other)), as_of_s))
    c_i, c_sys, c_gr, c_at2 = (np.concatenate(x) for x in (ci, csys, cgr, cat_))
    o = np.lexsort((c_at2, c_i))
    frames["consents"] = ({"ssid": ssid[c_i[o]], "system": c_sys[o], "granted": c_gr[o],
                                       "recorded_at": _iso(c_at2[o])})
    # planning items and completed activities
    n_items = rng.integers(0, 5, len(reg))
    p_i = np.repeat(np.arange(len(reg)), n_items)
    types = np.array(["career", "major", "college"], dtype=object)
    p_type = rng.integers(0, 3, len(p_i))
    lists = [np.array(_CAREERS, dtype=object), np.array(_MAJORS, dtype=object), np.array(_COLLEGES, dtype=object)]
    p_item = np.empty(len(p_i), dtype=object)
    for j in range(3):
        m = p_type == j
        p_item[m] = lists[j][rng.integers(0, len(lists[j]), int(m.sum()))]
    p_at = np.minimum(reg_at[p_i] + rng.integers(60, 120 * day, len(p_i)), as_of_s)
    frames["planning"] = ({"ssid": ssid[p_i], "item_type": types[p_type], "item": p_item,
                                       "recorded_at": _iso(p_at)})
    n_act = rng.integers(0, 6, len(reg))
    q_i = np.repeat(np.arange(len(reg)), n_act)
    q_act = np.array(_ACTIVITIES, dtype=object)[rng.integers(0, len(_ACTIVITIES), len(q_i))]
    q_at = np.minimum(reg_at[q_i] + rng.integers(60, 150 * day, len(q_i)), as_of_s)
    frames["activities"] = ({"ssid": ssid[q_i], "activity": q_act, "completed_at": _iso(q_at)})
    # registration typos, drawn last so the rest of the data set does not move: a day off in the birth date, or
    # the local ID without its leading zeros (both fail verification, as they should)
    typo = rng.random(len(reg))
    off_day = typo < S.targets.registration_typo_share / 2
    no_zeros = (typo >= S.targets.registration_typo_share / 2) & (typo < S.targets.registration_typo_share)
    born = born.copy()
    born[off_day] = np.datetime_as_string((st["birth"][reg][off_day] + 1).astype("datetime64[D]"), unit="D")
    stripped = np.array([v.lstrip("0") or "0" for v in local[no_zeros]], dtype=object)
    local = local.copy()
    local[no_zeros] = stripped
    frames["accounts"].update({"local_student_id": local, "birth_date": born})
    for name, cols in PLATFORM_FILES.items():
        rows[name] = rows.get(name, 0) + _write_plain_csv(folder / f"{name}.csv", {c: frames[name][c] for c in cols})
