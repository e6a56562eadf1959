"""Benchmark: the CRSE <-> CMP course matcher at statewide scale, against two baselines.

    .venv/bin/python bench/bench_matching.py                 # ~1,300 high schools x ~250 courses each
    .venv/bin/python bench/bench_matching.py --schools 100 --runs 3

Synthesizes (vectorized, in this script) a state of ``--schools`` high schools, each with ~250 UC/CSU-approved
CALPADS courses written in one of several school styles (title case, upper case, abbreviated, glued,
semester suffixes, the odd typo) and a CMP list of ~250 courses (titles, transcript abbreviations, local
codes filled ~60% / empty ~30% / stale ~10%, ~3% of the school's courses missing, ~3% extra). Then times,
median of ``--runs``:

* ``match_courses``            the matcher (normalization, learning the vocabulary from the confirmed pairs,
                               blocking, local codes, cdist, decisions, the per-block left-over assignment);
* ``duckdb_jaro_winkler``      what a user would write in the warehouse: a join blocked by school on
                               ``jaro_winkler_similarity(lower(name), lower(title))``, best per course;
* ``cdist_floor``              the raw rapidfuzz ``process.cdist`` scoring of the same (course, title) pairs,
                               one call per school, argmax per course: the floor any fuzzy matcher pays.

Each run happens in a forked child process (same data, fresh allocator). Peak memory is the peak resident set
size sampled every 5 ms during the call, minus the RSS just before it (rapidfuzz and DuckDB allocate outside
Python, so tracemalloc would miss them). CPU seconds are the process's; on a shared machine they are the
steadier figure. Precision / recall of
"matched to the right CMP course" are printed for the matcher and the DuckDB baseline (for DuckDB a course
counts as matched when its best similarity >= ``--jw-threshold``).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccgi_assets.matching import match_courses  # noqa: E402

YEAR = "2025-2026"

# --------------------------------------------------------------------------------------------- catalog
_AREA_LETTER = {"History-Social Science": "a", "English": "b", "Mathematics": "c", "Science": "d",
                "World Languages": "e", "Art": "f", "Music": "f", "Dance": "f", "Drama/Theatre": "f",
                "Media Arts": "f"}
_LANGS = ["Spanish", "French", "Chinese", "Japanese", "German", "Korean", "Vietnamese", "Latin",
          "American Sign Language", "Arabic", "Armenian", "Tagalog", "Mandarin", "Italian", "Russian", "Hmong"]
_ABBREV = [  # how schools shorten title words (applied to the upper-cased title)
    (r"\bENGLISH\b", "ENG"), (r"\bALGEBRA\b", "ALG"), (r"\bGEOMETRY\b", "GEOM"), (r"\bCHEMISTRY\b", "CHEM"),
    (r"\bBIOLOGY\b", "BIO"), (r"\bHISTORY\b", "HIST"), (r"\bUNITED STATES\b", "US"), (r"\bHONORS\b", "H"),
    (r"\bINTRODUCTION TO\b", "INTRO"), (r"\bADVANCED\b", "ADV"), (r"\bMATHEMATICS\b", "MATH"),
    (r"\bSCIENCE\b", "SCI"), (r"\bLANGUAGE\b", "LANG"), (r"\bLITERATURE\b", "LIT"), (r"\bGOVERNMENT\b", "GOVT"),
    (r"\bECONOMICS\b", "ECON"), (r"\bPHYSICS\b", "PHYS"), (r"\bCALCULUS\b", "CALC"), (r"\bSPANISH\b", "SPAN"),
    (r"\bPSYCHOLOGY\b", "PSYCH"), (r"\bENVIRONMENTAL\b", "ENV"), (r"\bCOMPOSITION\b", "COMP"),
    (r"\bINTEGRATED\b", "INT"), (r"\bSTATISTICS\b", "STATS"), (r"\bTRIGONOMETRY\b", "TRIG"),
    (r"\bPHOTOGRAPHY\b", "PHOTO"), (r"\bDESIGN\b", "DSGN"), (r"\bWORLD\b", "WRLD"), (r"\bAND\b", "&"),
]
_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def catalog() -> pd.DataFrame:
    """~700 distinct course templates: state course code names (AP/IB/CTE/...), leveled and Honors variants."""
    ref = pd.read_csv(Path(__file__).resolve().parents[1] / "ccgi_assets" / "reference" / "state_course_codes.tsv",
                      sep="\t", dtype=str, keep_default_na=False)
    ref = ref[(ref["code"].str.strip() != "") & ref["meets_uc_csu"].isin(["Y", "U"])]
    rows = []
    for code, name, area in ref[["code", "name", "content_area"]].itertuples(index=False):
        t = re.sub(r"Advanced Placement \(AP\)\s*", "AP ", name)
        t = re.sub(r"International Baccalaureate \(IB\)\s*", "IB ", t)
        t = re.sub(r"\s*\((Concentrator|Capstone|Non-Advanced Placement|Non-CTE|Non-Career Technical Education)\)",
                   "", t)
        t = re.sub(r"\s+", " ", t).strip()
        if "Middle Years" in t or "Departmentalized" in t or "World Languages" in t:
            continue
        rows.append((t, _AREA_LETTER.get(area.strip(), "g"), code))
        if area.strip() in ("English", "Mathematics", "Science") and not t.startswith(("AP", "IB")) and len(t) < 24:
            rows.append((t + " Honors", _AREA_LETTER.get(area.strip(), "g"), code))
    for lang in _LANGS:
        for lvl in ("1", "2", "3", "4"):
            rows.append((f"{lang} {lvl}", "e", str(9129 + int(lvl))))
        rows.append((f"{lang} for Native Speakers 1", "e", "9134"))
    for art in ["Drawing", "Ceramics", "Painting", "Photography", "Guitar", "Piano", "Choir", "Orchestra", "Band",
                "Theatre", "Dance", "Digital Art", "Graphic Design", "Film Studies", "Sculpture"]:
        for lvl in ("1", "2", "3"):
            rows.append((f"{art} {lvl}", "f", "9000"))
    cat = pd.DataFrame(rows, columns=["title", "subject", "state_code"]).drop_duplicates("title")
    return cat.reset_index(drop=True)


def _variants(titles: list[str], rng: np.random.Generator, n: int) -> np.ndarray:
    """(len(titles), n) course names as schools write them (a table, built once; rows index into it)."""
    out = np.empty((len(titles), n), dtype=object)
    for i, t in enumerate(titles):
        up = t.upper()
        ab = up
        for pat, rep in _ABBREV:
            ab = re.sub(pat, rep, ab)
        ab = re.sub(r"[:,]", "", ab)
        roman = re.sub(r"\b([1-4])$", lambda m: _ROMAN[m.group(1)], t)
        glued = re.sub(r" (\d)", r"\1", ab).replace(" H", "H") if len(ab) <= 12 else ab
        base = [t, up, ab, ab, roman, glued, t.replace(" Honors", " (H)"), ab + " (P)"]
        for j in range(n):
            s = base[j % len(base)]
            if j >= len(base):
                s += [" A", " B", " S1", "-1", " SEM 1", " (1 OF 2)"][j % 6]
            if rng.random() < 0.05 and len(s) > 6:           # the odd typo
                k = int(rng.integers(1, len(s) - 1))
                s = s[:k] + s[k + 1:]
            out[i, j] = s
    return out


def _typos(names: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Drop one random character (not the first) from ``share`` of the names, vectorized over a
    fixed-width code-point matrix: schools' names are not all copies of a few hundred strings."""
    u = names.astype("U40")
    m = u.view(np.uint32).reshape(len(u), 40)
    lens = np.char.str_len(u)
    hit = (rng.random(len(u)) < share) & (lens > 4)
    k = np.where(hit, 1 + (rng.random(len(u)) * (lens - 2)).astype(np.int64), 40)
    j = np.arange(40)[None, :]
    src = np.minimum(j + (j >= k[:, None]), 39)
    out = np.take_along_axis(m, src, axis=1)
    out[:, 39] = np.where(hit, 0, out[:, 39])
    return np.ascontiguousarray(out).view("U40").reshape(-1).astype(object)


def synthesize(schools: int, courses: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(crse, cmp, truth): truth has school_code, local_course_id, expected cmp_course_id (None if missing)."""
    rng = np.random.default_rng(seed)
    cat = catalog()
    nt = len(cat)
    names = _variants(cat["title"].tolist(), rng, 16)
    abbrevs = _variants(cat["title"].tolist(), rng, 4)[:, 2]
    per = min(courses, nt - 10)
    # each school offers `per` distinct templates: argsort of random keys, vectorized over schools
    offer = np.argsort(rng.random((schools, nt)), axis=1)[:, :per + max(1, per // 30)]
    extra = offer[:, per:]                        # on the CMP only (~3%)
    offer = offer[:, :per]
    school_codes = np.char.zfill(np.arange(100000, 100000 + schools).astype(str), 7)
    lea_codes = np.char.zfill((np.arange(schools) // 4 + 1000000).astype(str), 7)
    s_idx = np.repeat(np.arange(schools), per)
    t_idx = offer.reshape(-1)
    n = len(t_idx)
    style = rng.integers(0, 16, n)
    local = np.char.add("C", np.char.zfill((t_idx * 7 + 1000).astype(str), 5))
    course_name = _typos(names[t_idx, style], rng, share=0.10)
    crse = pd.DataFrame({
        "reporting_lea": lea_codes[s_idx], "school_code": school_codes[s_idx], "academic_year": YEAR,
        "local_course_id": local, "course_name": course_name,
        "state_course_code": cat["state_code"].to_numpy()[t_idx], "uc_csu_approved": True,
    })
    # CMP: offered courses (minus ~3% missing) plus extras
    missing = rng.random(n) < 0.03
    cmp_t = np.concatenate([t_idx[~missing], extra.reshape(-1)])
    cmp_s = np.concatenate([s_idx[~missing], np.repeat(np.arange(schools), extra.shape[1])])
    cmp_id = (cmp_s.astype(np.int64) * 1000 + cmp_t).astype(str)
    kind = rng.random(len(cmp_t))
    codes = np.where(kind < 0.6, np.char.add("C", np.char.zfill((cmp_t * 7 + 1000).astype(str), 5)),
                     np.where(kind < 0.9, "", np.char.add("X", rng.integers(0, 99999, len(cmp_t)).astype(str))))
    cds = np.char.add(lea_codes[cmp_s], school_codes[cmp_s])
    cmp = pd.DataFrame({
        "cmp_course_id": cmp_id, "cds_code": cds, "atp_code": "050000", "school_name": "School",
        "course_title": cat["title"].to_numpy()[cmp_t], "transcript_abbreviations": abbrevs[cmp_t],
        "local_course_codes": codes, "subject_area": cat["subject"].to_numpy()[cmp_t], "honors_type": "",
        "learning_environment": "Classroom Based", "list_year": YEAR,
    })
    truth = pd.DataFrame({"school_code": school_codes[s_idx], "local_course_id": local,
                          "expected": np.where(missing, None, (s_idx.astype(np.int64) * 1000 + t_idx).astype(str))})
    return crse, cmp, truth


# --------------------------------------------------------------------------------------------- methods
def duckdb_jaro_winkler(crse: pd.DataFrame, cmp: pd.DataFrame, threshold: float) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("crse", crse[["school_code", "local_course_id", "course_name"]])
    con.register("cmp", cmp.assign(school_code=cmp["cds_code"].str[7:])[["school_code", "cmp_course_id",
                                                                         "course_title"]])
    out = con.execute(f"""
        SELECT q.school_code, q.local_course_id,
               arg_max(c.cmp_course_id, jaro_winkler_similarity(lower(q.course_name), lower(c.course_title)))
                   AS cmp_course_id,
               max(jaro_winkler_similarity(lower(q.course_name), lower(c.course_title))) AS sim
        FROM crse q JOIN cmp c USING (school_code)
        GROUP BY ALL
    """).df()
    con.close()
    out["cmp_course_id"] = out["cmp_course_id"].where(out["sim"] >= threshold, None)
    return out


def cdist_floor(crse: pd.DataFrame, cmp: pd.DataFrame, token_set: bool = False) -> np.ndarray:
    """Raw scoring of the same (course name, CMP title) pairs: one cdist per school on lower-cased strings,
    argmax per course. The scorer is ``fuzz.ratio``, the one the matcher runs in cdist; ``token_set=True``
    adds ``fuzz.token_set_ratio`` (what the matcher would cost had it kept token_set_ratio)."""
    from rapidfuzz import fuzz, process
    q = crse.sort_values("school_code", kind="stable")
    c = cmp.assign(school_code=cmp["cds_code"].str[7:]).sort_values("school_code", kind="stable")
    qs, cs = q["school_code"].to_numpy(), c["school_code"].to_numpy()
    qn = q["course_name"].str.lower().to_numpy(object)
    cn = c["course_title"].str.lower().to_numpy(object)
    schools = np.unique(qs)
    q0, q1 = np.searchsorted(qs, schools), np.searchsorted(qs, schools, side="right")
    c0, c1 = np.searchsorted(cs, schools), np.searchsorted(cs, schools, side="right")
    best = np.empty(len(qn), dtype=np.int64)
    for a, b, x, y in zip(q0, q1, c0, c1):
        if y == x:
            continue
        s = process.cdist(qn[a:b].tolist(), cn[x:y].tolist(), scorer=fuzz.ratio, dtype=np.float32, workers=-1)
        if token_set:
            s += process.cdist(qn[a:b].tolist(), cn[x:y].tolist(), scorer=fuzz.token_set_ratio, dtype=np.float32,
                               workers=-1)
        best[a:b] = x + s.argmax(axis=1)
    return best


# --------------------------------------------------------------------------------------------- measuring
def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(fn, *args) -> tuple[float, float, int, object]:
    """(wall seconds, CPU seconds of this process, peak RSS above the start in bytes, result)."""
    gc.collect()
    start = _rss()
    peak = [start]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    done.set()
    th.join()
    peak[0] = max(peak[0], _rss())
    return secs, cpu, peak[0] - start, result


def measure_in_child(fn) -> tuple[float, float, int, object]:
    """:func:`measure` in a forked child: each run starts from the same memory state (a fresh allocator), so
    peaks of later runs are not hidden by memory an earlier run left in the process."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child():
        send.send(measure(fn))
        send.close()

    proc = ctx.Process(target=child)
    proc.start()
    out = recv.recv()
    proc.join()
    return out


def precision_recall(pred: pd.Series, expected: pd.Series) -> tuple[float, float]:
    made, should = pred.notna(), expected.notna()
    correct = made & should & (pred.astype(object) == expected.astype(object))
    return correct.sum() / max(made.sum(), 1), correct.sum() / max(should.sum(), 1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schools", type=int, default=1300)
    ap.add_argument("--courses", type=int, default=250, help="approved CALPADS courses per school")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jw-threshold", type=float, default=0.90)
    ap.add_argument("--skip", nargs="*", default=[], choices=["duckdb", "cdist"])
    ap.add_argument("--json", action="store_true", help="write bench/results/matching.json (see bench/report.py)")
    ap.add_argument("--token-set-floor", action="store_true",
                    help="also time cdist with ratio + token_set_ratio (slow: no SIMD path in rapidfuzz)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    crse, cmp, truth = synthesize(args.schools, args.courses)
    print(f"synthesized {len(crse):,} CALPADS courses and {len(cmp):,} CMP courses at {args.schools:,} schools "
          f"({crse['course_name'].nunique():,} distinct names) in {time.perf_counter() - t0:.1f} s; "
          f"{os.cpu_count()} cores", flush=True)

    methods = {"match_courses": lambda: match_courses(crse, cmp)}
    if "duckdb" not in args.skip:
        methods["duckdb_jaro_winkler"] = lambda: duckdb_jaro_winkler(crse, cmp, args.jw_threshold)
    if "cdist" not in args.skip:
        methods["cdist_floor"] = lambda: cdist_floor(crse, cmp)
    if args.token_set_floor:
        methods["cdist_ratio+token_set"] = lambda: cdist_floor(crse, cmp, token_set=True)
    times: dict[str, list[float]] = {m: [] for m in methods}
    cpus: dict[str, list[float]] = {m: [] for m in methods}
    mems: dict[str, list[int]] = {m: [] for m in methods}
    last: dict[str, object] = {}
    for run in range(args.runs):
        for name, fn in methods.items():
            secs, cpu, mem, last[name] = measure_in_child(fn)
            times[name].append(secs)
            cpus[name].append(cpu)
            mems[name].append(mem)
            print(f"  run {run + 1} {name:22s} {secs:8.2f} s wall {cpu:8.2f} s cpu  peak +{mem / 2**20:7.0f} MiB",
                  flush=True)

    n = len(crse)
    print(f"\nmedian of {args.runs} runs, {n:,} courses (load average now {os.getloadavg()[0]:.1f}):")
    print(f"{'method':22s} {'wall s':>8s} {'cpu s':>8s} {'courses/s':>10s} {'peak MiB':>9s} {'wall x floor':>13s} "
          f"{'cpu x floor':>12s}")
    floor = statistics.median(times["cdist_floor"]) if "cdist_floor" in times else None
    cfloor = statistics.median(cpus["cdist_floor"]) if "cdist_floor" in cpus else None
    for name in methods:
        t, cpu = statistics.median(times[name]), statistics.median(cpus[name])
        ratio = f"{t / floor:13.2f} {cpu / cfloor:12.2f}" if floor else f"{'-':>13s} {'-':>12s}"
        print(f"{name:22s} {t:8.2f} {cpu:8.2f} {n / t:10,.0f} {statistics.median(mems[name]) / 2**20:9.0f} {ratio}")
    if "duckdb_jaro_winkler" in times:
        print(f"match_courses / duckdb_jaro_winkler time ratio: "
              f"{statistics.median(times['match_courses']) / statistics.median(times['duckdb_jaro_winkler']):.2f}")

    res = last["match_courses"].merge(truth, on=["school_code", "local_course_id"])
    pred = res["cmp_course_id"].where(res["match_status"].isin(["matched", "matched_subject_mismatch"]))
    p, r = precision_recall(pred, res["expected"])
    quality = {"match_courses": (p, r)}
    print(f"\nmatch_courses:       precision {p:.4f}  recall {r:.4f}  "
          f"statuses {res['match_status'].value_counts().to_dict()}")
    if "duckdb_jaro_winkler" in last:
        d = last["duckdb_jaro_winkler"].merge(truth, on=["school_code", "local_course_id"])
        p, r = precision_recall(d["cmp_course_id"], d["expected"])
        quality["duckdb_jaro_winkler"] = (p, r)
        print(f"duckdb_jaro_winkler: precision {p:.4f}  recall {r:.4f}  (best title per course, "
              f"similarity >= {args.jw_threshold})")
    if args.json:
        write_json(args, n, methods, times, cpus, mems, quality, started=t0)


LABELS = {"match_courses": "`match_courses` (learning and left-over assignment included)",
          "duckdb_jaro_winkler": "DuckDB `jaro_winkler_similarity` join, best per course",
          "cdist_floor": "raw rapidfuzz `process.cdist` of the same pairs (floor)",
          "cdist_ratio+token_set": "cdist with ratio + token_set_ratio"}


def write_json(args, n, methods, times, cpus, mems, quality, started) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

    figures = []
    for name in methods:
        runs = [{"wall_s": t, "peak_rss_mib": m / 2**20} for t, m in zip(times[name], mems[name])]
        extra = {"cpu_s_median": round(statistics.median(cpus[name]), 2)}
        if name in quality:
            extra.update(precision=round(quality[name][0], 4), recall=round(quality[name][1], 4))
        figures.append(benchlib.figure(f"matching.{name}", LABELS.get(name, name), runs, rows=n, unit="s",
                                       baseline=None if name == "cdist_floor" else "matching.cdist_floor", **extra))
    benchlib.ratios(figures)
    by = {f["id"]: f for f in figures}
    targets = []
    if "matching.duckdb_jaro_winkler" in by:
        x = by["matching.match_courses"]["median"] / by["matching.duckdb_jaro_winkler"]["median"]
        by["matching.match_courses"]["x_duckdb"] = round(x, 2)
        targets.append({"target": "matcher within 2x of DuckDB's join (issue 12)", "value": f"{x:.2f}x",
                        "met": x <= 2})
    if "x_baseline" in by["matching.match_courses"]:
        x = by["matching.match_courses"]["x_baseline"]
        targets.append({"target": "matcher within 10x of raw cdist (issue 12)", "value": f"{x}x", "met": x <= 10})
    benchlib.write("matching", f"Course matcher vs DuckDB's join and raw cdist ({n:,} CALPADS courses, "
                   f"{args.schools} schools)", figures, started=started,
                   params={"schools": args.schools, "courses_per_school": args.courses, "runs": args.runs},
                   targets=targets, notes=["Peak RSS here is the increase during the call (sampled every 5 ms), "
                                           "not the process's total."])


if __name__ == "__main__":
    main()
