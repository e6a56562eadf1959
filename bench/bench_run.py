"""`ccgi run` against the plain-SQL floor (bench/floor.py), one LEA's update, and growth with the state's size.

    .venv/bin/python bench/bench_run.py                      # 200,000 students x 2 runs; growth 100,000 and 500,000
    .venv/bin/python bench/bench_run.py --state-scale        # adds 2,000,000 students / 500 LEAs (long, ~4 GB)
    .venv/bin/python bench/bench_run.py --sizes 100000 --runs 1

Each state is generated once (``ccgi generate``, seed 3) under ``--states`` and reused. Every run is a fresh
process with its own ``CCGI_HOME`` (the generated inputs; warehouse, exports and reports removed first) and a
fresh ``DAGSTER_HOME``, exactly as a user runs it: ``ccgi run``. Figures, per size:

* ``ccgi run``: wall time and peak RSS of the whole command (whatever ``ccgi run`` does on this commit);
* the floor: ``bench/floor.py`` on the same files, run between the ``ccgi run`` runs; the roster and student
  course row counts of both are compared (they must be equal);
* at the key size (``--key``, default 200,000): one LEA's update, the way a sensor starts it: a run of
  ``lea_student_flow_job`` for the largest LEA (by roster rows) on the warehouse ``ccgi run`` left, against
  the floor rebuilding that LEA from its own loaded tables (``floor.py --lea``);
* growth: the exponent k of time ~ students^k (and of peak RSS), least squares over the sizes run.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

ROOT = benchlib.ROOT
LEAS = {100_000: 20, 200_000: 40, 500_000: 100, 2_000_000: 500}
SEED = 3
OUTPUTS = ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.duckdb.tmp", "exports", "reports")

COUNTS = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({name: con.execute(f"SELECT count(*) FROM ccgi.{t}").fetchone()[0]
                  for name, t in (("roster", "registration_roster"), ("student_courses", "student_courses"))}))
"""
LARGEST = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
lea, n = con.execute("SELECT reporting_lea, count(*) n FROM ccgi.registration_roster GROUP BY 1 ORDER BY n DESC, 1 "
                     "LIMIT 1").fetchone()
print(json.dumps({"lea": lea, "roster": n}))
"""
#: one LEA's update as the opt-in sensor starts it: a run of the LEA's job for its partition
UPDATE = """
import json, os, sys, time
from dagster import DagsterInstance
from ccgi_assets.definitions import defs
lea = sys.argv[1]
t = time.perf_counter()
result = defs.resolve_job_def("lea_student_flow_job").execute_in_process(
    instance=DagsterInstance.get(), partition_key=lea, raise_on_error=False,
    run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
print(json.dumps({"success": result.success, "seconds": time.perf_counter() - t}))
"""


def state(states: Path, students: int) -> Path:
    leas = LEAS.get(students, max(1, students // 5000))
    home = states / f"s{students}_l{leas}_seed{SEED}" / "home"
    if not (home / "share").is_dir():
        shutil.rmtree(home.parent, ignore_errors=True)
        print(f"generating {students:,} students / {leas} LEAs ...", flush=True)
        benchlib.check(benchlib.measure([str(ROOT / ".venv" / "bin" / "ccgi"), "generate", "--students", str(students),
                                         "--leas", str(leas), "--seed", str(SEED), "--out", str(home)]), "generate")
    return home


def clean(home: Path) -> Path:
    for name in OUTPUTS:
        p = home / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    dagster_home = home.parent / "dagster_home"
    shutil.rmtree(dagster_home, ignore_errors=True)
    return dagster_home


def ccgi_run(home: Path) -> dict:
    dagster_home = clean(home)
    env = {"CCGI_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}
    run = benchlib.check(benchlib.measure([str(ROOT / ".venv" / "bin" / "ccgi"), "run"], env=env), "ccgi run")
    counts = benchlib.check(benchlib.python(COUNTS, str(home / "warehouse.duckdb")), "counts")["result"]
    run["rows"] = counts
    return run


def floor(home: Path, db: Path, lea: str | None = None) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "floor.py"), str(home), "--db", str(db), "--json"]
    if lea:
        cmd += ["--lea", lea]
    run = benchlib.check(benchlib.measure(cmd), "floor")
    run["rows"] = run["result"]["rows"]
    return run


def exponent(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return round(sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / den, 2) if den else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", type=int, default=200_000, help="the size run --runs times, with the one-LEA update")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 500_000], help="growth sizes, one run each")
    ap.add_argument("--state-scale", action="store_true", help="add 2,000,000 students / 500 LEAs to the growth")
    ap.add_argument("--update-runs", type=int, default=3)
    ap.add_argument("--states", type=Path, default=Path("/tmp/ccgi_bench"), help="where generated states are kept")
    args = ap.parse_args()
    started = time.perf_counter()
    sizes = sorted(set(args.sizes) | {args.key} | ({2_000_000} if args.state_scale else set()))
    figures, growth, notes, targets = [], [], [], []
    for students in sizes:
        home = state(args.states, students)
        db = home.parent / "floor.duckdb"
        runs = args.runs if students == args.key else 1
        ours, base = [], []
        for i in range(runs):
            base.append(floor(home, db))
            print(f"{students:,}: floor run {i + 1}: {base[-1]['wall_s']:.1f} s, {base[-1]['peak_rss_mib']:.0f} MiB, "
                  f"{base[-1]['rows']}", flush=True)
            ours.append(ccgi_run(home))
            print(f"{students:,}: ccgi run {i + 1}: {ours[-1]['wall_s']:.1f} s, {ours[-1]['peak_rss_mib']:.0f} MiB, "
                  f"{ours[-1]['rows']}", flush=True)
        same = all(r["rows"] == base[0]["rows"] for r in ours + base)
        if not same:
            notes.append(f"{students:,} students: row counts differ: ccgi run {ours[0]['rows']}, floor {base[0]['rows']}")
        leas = LEAS.get(students, max(1, students // 5000))
        tag = f"{students // 1000}k"
        figures.append(benchlib.figure(f"floor.{tag}", f"plain-SQL floor, {students:,} students / {leas} LEAs", base,
                                       rows=base[0]["rows"]["student_courses"], read_s=round(
                                           min(r["result"]["read_s"] for r in base), 2)))
        figures.append(benchlib.figure(f"run.{tag}", f"`ccgi run`, {students:,} students / {leas} LEAs", ours,
                                       baseline=f"floor.{tag}", rows=ours[0]["rows"]["student_courses"],
                                       same_rows_as_floor=same, roster_rows=ours[0]["rows"]["roster"]))
        growth.append((students, figures[-1]["median"], figures[-1]["peak_rss_mib"],
                       figures[-2]["median"], figures[-2]["peak_rss_mib"]))
        if students == args.key:
            largest = benchlib.check(benchlib.python(LARGEST, str(home / "warehouse.duckdb")), "largest")["result"]
            env = {"CCGI_HOME": str(home), "DAGSTER_HOME": str(home.parent / "dagster_home")}
            up, upf = [], []
            for i in range(args.update_runs):
                upf.append(floor(home, db, largest["lea"]))
                r = benchlib.check(benchlib.python(UPDATE, largest["lea"], env=env), "one-LEA update")
                if not r["result"]["success"]:
                    raise SystemExit("the one-LEA update run failed")
                up.append(r)
                print(f"{students:,}: LEA {largest['lea']} update {i + 1}: {r['wall_s']:.1f} s (run "
                      f"{r['result']['seconds']:.1f} s); floor {upf[-1]['wall_s']:.1f} s", flush=True)
            figures.append(benchlib.figure(
                f"lea_floor.{tag}", f"floor, one LEA ({largest['roster']:,} roster students) from loaded tables", upf,
                rows=upf[0]["rows"]["student_courses"]))
            figures.append(benchlib.figure(
                f"lea_update.{tag}", f"one LEA's update (`lea_student_flow_job`, largest LEA, "
                f"{largest['roster']:,} roster students), process incl. start-up", up, baseline=f"lea_floor.{tag}",
                run_s=round(sorted(r["result"]["seconds"] for r in up)[len(up) // 2], 2)))
            key = figures[-3]
            benchlib.ratios(figures)
            targets.append({"target": f"`ccgi run` within 4x of the floor at {students:,} students",
                            "value": f"{key['x_baseline']}x", "met": key["x_baseline"] <= 4})
            targets.append({"target": "largest LEA's sensor-driven update under 20 s",
                            "value": f"{figures[-1]['median']:.1f} s (the run alone {figures[-1]['run_s']:.1f} s)",
                            "met": figures[-1]["median"] < 20})
    xs = [g[0] for g in growth]
    exps = {"ccgi_run_time": exponent(xs, [g[1] for g in growth]), "ccgi_run_peak_rss": exponent(xs, [g[2] for g in growth]),
            "floor_time": exponent(xs, [g[3] for g in growth]), "floor_peak_rss": exponent(xs, [g[4] for g in growth])}
    if 2_000_000 in xs:
        big = next(f for f in figures if f["id"] == "run.2000k")
        targets.append({"target": "2,000,000 students / 500 LEAs: `ccgi run` under 10 minutes",
                        "value": f"{big['median']:.0f} s", "met": big["median"] < 600})
        targets.append({"target": "2,000,000 students / 500 LEAs: peak under 6 GiB",
                        "value": f"{big['peak_rss_mib'] / 1024:.1f} GiB", "met": big["peak_rss_mib"] < 6 * 1024})
    benchlib.write("run", "`ccgi run` vs the plain-SQL floor, one LEA's update, growth", figures, started=started,
                   params={"sizes": xs, "key": args.key, "runs": args.runs, "seed": SEED,
                           "leas": {str(x): LEAS.get(x, max(1, x // 5000)) for x in xs}},
                   targets=targets, notes=notes, extra={"growth": {"students": xs, "exponents": exps}})
    print(f"growth exponents (time ~ students^k): {exps}")


if __name__ == "__main__":
    main()
