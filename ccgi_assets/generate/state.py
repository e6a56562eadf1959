"""The state: LEAs, schools and students, drawn once (vectorized) from the seed and the targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ccgi_assets.generate.helpers import _allocate, _days, _num, _pick, _rng, _Scrambler, _zipf_weights
from ccgi_assets.generate.vocabulary import (
    _BIRTHPLACES, _CITIES, _FEMALE, _LAST, _MALE, _race_codes, _SCHOOL_STEMS, _STREET_SFX, _STREETS, _SUFFIX,
)

@dataclass(frozen=True)
class GenerateTargets:
    """Shares and rates of the generated data (the defaults are the documented ones)."""

    transfer_share: float = 0.05
    secondary_share: float = 0.01
    sinf_history_share: float = 0.03
    opt_in_share: float = 0.70
    listed_share: float = 0.90
    registered_share: float = 0.60
    #: registrations whose birth date or local ID has a typo (they fail verification)
    registration_typo_share: float = 0.03
    dirty_row_rate: float = 1 / 200_000
    course_conflict_share: float = 0.01
    cmp_missing_share: float = 0.03
    cmp_extra_share: float = 0.03
    cmp_subject_mismatch_share: float = 0.01
    hs_students_per_school: int = 1300
    ms_students_per_school: int = 650


# --------------------------------------------------------------------------------------------
# the state: LEAs, schools, students

@dataclass
class _State:
    year: int
    academic_year: str
    seed: int
    targets: GenerateTargets
    # LEAs
    lea_code: list[str]
    lea_opt_in: np.ndarray
    lea_first_day: np.ndarray
    lea_id_style: np.ndarray
    lea_id_base: np.ndarray
    lea_city: np.ndarray
    lea_txn: np.ndarray
    lea_lo: np.ndarray  # student range of each LEA (students are sorted by LEA, then school)
    lea_hi: np.ndarray
    lea_school_lo: np.ndarray
    lea_school_hi: np.ndarray
    lea_integrated: np.ndarray
    # schools
    sch_lea: np.ndarray
    sch_hs: np.ndarray
    sch_code: list[str]
    sch_name: list[str]
    sch_atp: list[str]
    ssid_of: _Scrambler
    seid_of: _Scrambler
    cmp_id_of: _Scrambler
    # students (index = row)
    st: dict[str, np.ndarray]


_ID_STYLES = 5  # 0: 9 digits zero-padded, 1: plain digits, 2: "S" + 8 digits, 3: 12 zero-padded, 4: 16 chars


def _fmt_local(nums: np.ndarray, style: int) -> pa.Array:
    if style == 0:
        return _num(nums, 9)
    if style == 1:
        return _num(nums)
    if style == 2:
        return pc.binary_join_element_wise("S", _num(nums, 8), "")
    if style == 3:
        return _num(nums, 12)
    return pc.binary_join_element_wise("20", _num(nums, 14), "")


def _make_state(students: int, leas: int, seed: int, academic_year: str, t: GenerateTargets) -> _State:
    year = int(academic_year[:4])
    M, N = leas, students
    rng = _rng(seed, 1)
    # --- LEAs (sorted by code: iteration in code order)
    county = rng.integers(1, 59, M)
    district = rng.choice(np.arange(10000, 80000), M, replace=False)
    codes = county * 100000 + district
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    lea_code = [f"{c:07d}" for c in codes]
    n_opt = int(round(t.opt_in_share * M))
    if M >= 2:
        n_opt = min(max(n_opt, 1), M - 1)
    opt = np.zeros(M, dtype=bool)
    opt[rng.permutation(M)[:n_opt]] = True
    size_w = rng.lognormal(0.0, 1.3, M)
    counts = _allocate(N, size_w, 30)
    first_day = np.array([_days(year, 8, 10)] * M) + rng.integers(0, 11, M)
    id_style = rng.integers(0, _ID_STYLES, M)
    id_style[0] = 0  # at least one LEA pads local IDs with leading zeros
    id_base = rng.integers(1, 60000, M)
    id_base[id_style == 1] += 100000  # plain style: no leading zero to lose
    lea_city = rng.integers(0, len(_CITIES), M)
    txn = rng.random(M) < 0.5
    integrated = rng.random(M) < 0.3
    # --- students: LEA, grade, school
    lea = np.repeat(np.arange(M), counts)
    grade = rng.choice(np.arange(6, 13), size=N, p=[0.05, 0.05, 0.05, 0.2125, 0.2125, 0.2125, 0.2125])
    hs = grade >= 9
    hs_n = np.bincount(lea[hs], minlength=M)
    ms_n = np.bincount(lea[~hs], minlength=M)
    n_hs = np.maximum(1, np.round(hs_n / t.hs_students_per_school)).astype(np.int64)
    n_ms = np.maximum(1, np.round(ms_n / t.ms_students_per_school)).astype(np.int64)
    per_lea = n_hs + n_ms
    sch_lea = np.repeat(np.arange(M), per_lea)
    within = np.arange(len(sch_lea)) - np.repeat(np.cumsum(per_lea) - per_lea, per_lea)
    sch_hs = within < n_hs[sch_lea]
    school_lo = np.cumsum(per_lea) - per_lea
    S = len(sch_lea)
    u = rng.random(N)
    school = np.where(hs, school_lo[lea] + np.floor(u * n_hs[lea]).astype(np.int64),
                      school_lo[lea] + n_hs[lea] + np.floor(u * n_ms[lea]).astype(np.int64))
    o = np.lexsort((school, lea))
    lea, grade, school = lea[o], grade[o], school[o]
    hs = grade >= 9
    lo = np.cumsum(counts) - counts
    # --- schools
    sch_num = rng.choice(np.arange(10**5, 10**7), S, replace=False)
    sch_code = [f"{c:07d}" for c in sch_num]
    stems = rng.integers(0, len(_SCHOOL_STEMS), S)
    style = rng.integers(0, 2, S)
    sch_name = [
        f"{_SCHOOL_STEMS[s]} {('High' if h else 'Middle')}{' School' if st_ else ''}"
        for s, h, st_ in zip(stems, sch_hs, style)
    ]
    atp = rng.choice(np.arange(50000, 100000), S, replace=False) if S <= 50000 else 50000 + np.arange(S)
    sch_atp = [f"{a:06d}" for a in atp]

    st: dict[str, np.ndarray] = {"lea": lea, "school": school, "grade": grade}
    # --- identity
    ssid_of = _Scrambler(rng, 10**5)  # counters >= N give SSIDs no student has
    st["ssid"] = ssid_of(np.arange(N))
    gender = _pick(rng, [0.49, 0.49, 0.02], N)  # 0 F, 1 M, 2 X
    st["gender"] = gender
    nf, nm = len(_FEMALE), len(_MALE)
    fem = 1 + _pick(rng, _zipf_weights(nf), N)
    mal = 1 + nf + _pick(rng, _zipf_weights(nm), N)
    x_female = rng.random(N) < 0.5
    st["first"] = np.where((gender == 0) | ((gender == 2) & x_female), fem, mal)
    mid_f = 1 + _pick(rng, _zipf_weights(nf), N)
    mid_m = 1 + nf + _pick(rng, _zipf_weights(nm), N)
    st["middle"] = np.where(rng.random(N) < 0.55, np.where(st["first"] <= nf, mid_f, mid_m), 0)
    nl = len(_LAST)
    st["last"] = 1 + _pick(rng, _zipf_weights(nl, 0.7), N)
    st["last2"] = np.where(rng.random(N) < 0.04, 1 + rng.integers(0, nl, N), 0)
    st["suffix"] = np.where((gender == 1) & (rng.random(N) < 0.02), 1 + rng.integers(0, len(_SUFFIX), N), 0)
    st["alias"] = np.where(rng.random(N) < 0.02, np.where(st["first"] <= nf, mid_f, mid_m), 0)
    retained = rng.random(N) < 0.03
    born_lo = np.array([_days(year - g - 6, 9, 2) for g in range(13)])
    st["birth"] = born_lo[grade] - 365 * retained + rng.integers(0, 365, N)
    st["birthplace"] = 1 + _pick(rng, [b[3] for b in _BIRTHPLACES], N)
    st["hisp"] = rng.random(N) < 0.55
    races = _race_codes()
    rw = np.array([3 if r == "700" else 1.2 if r in ("600", "400", "201", "204") else 0.3 for r in races])
    st["race1"] = 1 + _pick(rng, rw, N)
    st["race2"] = np.where(rng.random(N) < 0.1, 1 + _pick(rng, rw, N), 0)
    st["house"] = rng.integers(1, 20000, N)
    st["street"] = 1 + rng.integers(0, len(_STREETS), N)
    st["street_sfx"] = 1 + rng.integers(0, len(_STREET_SFX), N)
    st["apt"] = np.where(rng.random(N) < 0.12, rng.integers(1, 400, N), 0)
    st["zip"] = np.array([c[1] for c in _CITIES])[lea_city[lea]] * 100 + rng.integers(1, 60, N)
    st["g1_first"] = np.where(rng.random(N) < 0.6, 1 + _pick(rng, _zipf_weights(nf), N),
                              1 + nf + _pick(rng, _zipf_weights(nm), N))
    st["g1_last"] = np.where(rng.random(N) < 0.8, st["last"], 1 + rng.integers(0, nl, N))
    st["g2_first"] = np.where(rng.random(N) < 0.55, 1 + nf + _pick(rng, _zipf_weights(nm), N), 0)
    st["g2_last"] = np.where(rng.random(N) < 0.85, st["last"], 1 + rng.integers(0, nl, N))
    st["parent_ed"] = rng.integers(10, 16, N)
    foreign = np.array([b[2] != "US" for b in _BIRTHPLACES])[st["birthplace"] - 1]
    init_us = np.where(foreign, _days(year, 8, 1) - rng.integers(30, 365 * 8, N), -1)
    st["init_us"] = np.maximum(init_us, np.where(init_us >= 0, st["birth"] + 365 * 5, -1))
    # --- enrollment
    late = rng.random(N) < 0.03
    st["start"] = first_day[lea] + np.where(late, rng.integers(5, 60, N), 0)
    st["sinf_start"] = np.minimum(
        st["start"], _days(year, 8, 1) - rng.integers(0, 365 * 6, N))
    st["sinf_start"] = np.maximum(st["sinf_start"], st["birth"] + 365 * 5)
    # transfers: earlier enrollment in another LEA, current (open) one starts at the move
    is_tr = (rng.random(N) < t.transfer_share) if M >= 2 else np.zeros(N, dtype=bool)
    old_lea = np.where(is_tr, (lea + 1 + rng.integers(0, max(M - 1, 1), N)) % M, -1)
    uo = rng.random(N)
    ol = np.maximum(old_lea, 0)
    old_school = np.where(hs, school_lo[ol] + np.floor(uo * n_hs[ol]).astype(np.int64),
                          school_lo[ol] + n_hs[ol] + np.floor(uo * n_ms[ol]).astype(np.int64))
    move = _days(year, 9, 15) + rng.integers(0, 165, N)
    st["is_tr"] = is_tr
    st["old_lea"] = old_lea
    st["old_school"] = np.where(is_tr, old_school, -1)
    st["old_start"] = first_day[ol]
    st["exit"] = move - rng.integers(1, 8, N)
    st["start"] = np.where(is_tr, move, st["start"])
    # secondary enrollment at another school of the same LEA (later start, status 20)
    sec = hs & ~is_tr & (n_hs[lea] >= 2) & (rng.random(N) < t.secondary_share)
    other = school_lo[lea] + (school - school_lo[lea] + 1 + rng.integers(0, np.maximum(n_hs[lea] - 1, 1))) % np.maximum(n_hs[lea], 1)
    st["sec"] = sec
    st["sec_school"] = np.where(sec, other, -1)
    # same first day as the primary one: "latest start date wins" then ties, and status 10 breaks them
    st["sec_start"] = st["start"].copy()
    # SINF history (non-transfer students): an end-dated earlier record with another last name or gender
    hist = ~is_tr & (rng.random(N) < t.sinf_history_share)
    kind = rng.integers(0, 10, N) < 6  # True: last name changed, False: gender code changed
    st["hist"] = hist
    st["hist_last"] = hist & kind
    st["old_last"] = np.where(hist & kind, 1 + (st["last"] - 1 + 1 + rng.integers(0, nl - 1, N)) % nl, st["last"])
    st["old_gender"] = np.where(hist & ~kind, (gender + 1 + rng.integers(0, 2, N)) % 3, gender)
    st["change"] = np.maximum(_days(year, 9, 1) + rng.integers(0, 180, N), st["start"] + 1)
    # --- local student IDs: unique within each LEA, also for the old LEA of a transfer
    mem_lea = np.concatenate([lea, old_lea[is_tr]])
    o = np.lexsort((rng.random(len(mem_lea)), mem_lea))
    grp_start = np.searchsorted(mem_lea[o], mem_lea[o], side="left")
    rank = np.empty(len(mem_lea), dtype=np.int64)
    rank[o] = np.arange(len(mem_lea)) - grp_start
    step = rng.integers(1, 4, M)
    nums = id_base[mem_lea] + rank * step[mem_lea] + rng.integers(0, 1 << 30, len(mem_lea)) % step[mem_lea]
    st["local"] = nums[:N]
    old_local = np.full(N, -1, dtype=np.int64)
    old_local[is_tr] = nums[N:]
    st["old_local"] = old_local
    return _State(
        year=year, academic_year=academic_year, seed=seed, targets=t,
        lea_code=lea_code, lea_opt_in=opt, lea_first_day=first_day, lea_id_style=id_style,
        lea_id_base=id_base, lea_city=lea_city, lea_txn=txn, lea_lo=lo, lea_hi=lo + counts,
        lea_school_lo=school_lo, lea_school_hi=school_lo + per_lea, lea_integrated=integrated,
        sch_lea=sch_lea, sch_hs=sch_hs, sch_code=sch_code, sch_name=sch_name, sch_atp=sch_atp, st=st,
        ssid_of=ssid_of, seid_of=_Scrambler(rng, 10**5), cmp_id_of=_Scrambler(rng, 3000),
    )
