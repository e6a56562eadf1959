"""Run time and peak memory of the student flow (optin_students -> registration_roster -> student_courses)
at state scale: for the largest LEA alone, and for every LEA as one single-run backfill.

    .venv/bin/python bench/bench_student_flow.py                       # 2,000,000 students, 500 LEAs
    .venv/bin/python bench/bench_student_flow.py --students 100000 --leas 50

The state is generated once into --home (kept for reuse; 4 GB at 2M students). Each phase runs in its own
child process, which reports its wall time and its own peak RSS. Phases:

1. ``load``: CALPADS files into the DuckDB warehouse (once per file change; the share's columns only).
2. ``catalog``: ``crse_courses``.
3. ``largest``: the student flow for the largest LEA (by SENR rows), a run of its own, twice (median).
4. ``sample``: the student flow for 10 LEAs of median size, one run each (the per-LEA baseline).
5. ``backfill``: the student flow for every LEA in one run (``BackfillPolicy.single_run()``).

The baseline for the backfill is the per-LEA runs: the backfill's time per LEA against the sample's.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, os
from pathlib import Path
home, phase, arg, result_path = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.environ["CCGI_HOME"] = str(home)
from dagster import DagsterInstance, materialize
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.partitions import lea_partitions
from resources import local_resources, LocalCalpadsShare
res = local_resources(home)
t = time.perf_counter()
out = {}
if phase == "load":
    out["figures"] = LocalCalpadsShare(home=str(home)).prepare(["SENR", "SINF", "CRSE", "SCSC"])
else:
    with DagsterInstance.ephemeral() as instance:
        leas = json.loads(arg) if arg != "-" else []
        if phase == "catalog":
            r = materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=res, instance=instance)
        else:
            flow = ["optin_students", "registration_roster", "student_courses"]
            instance.add_dynamic_partitions(lea_partitions.name, leas)
            if phase == "backfill":
                r = materialize([*SOURCES, *ASSETS], selection=flow, resources=res, instance=instance,
                                tags={"dagster/asset_partition_range_start": leas[0],
                                      "dagster/asset_partition_range_end": leas[-1]})
            else:
                times = []
                for lea in leas:
                    t1 = time.perf_counter()
                    r = materialize([*SOURCES, *ASSETS], selection=flow, resources=res, instance=instance,
                                    partition_key=lea)
                    times.append(time.perf_counter() - t1)
                out["per_run"] = times
        assert r.success
        out["rows"] = {ev.asset_key.path[-1]: ev.step_materialization_data.materialization.metadata["dagster/row_count"].value
                       for ev in r.get_asset_materialization_events()}
out["wall"] = time.perf_counter() - t
out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
Path(result_path).write_text(json.dumps(out, default=str))
"""


def phase(home: Path, name: str, arg="-") -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(home), name, json.dumps(arg) if arg != "-" else "-",
                               result.name], capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"phase {name} failed:\n{proc.stderr[-4000:]}")
        return json.loads(Path(result.name).read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=2_000_000)
    ap.add_argument("--leas", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--home", default=None, help="state folder (default /tmp/ccgi_bench_<students>)")
    ap.add_argument("--phases", default="load,catalog,largest,sample,backfill", help="comma-separated subset")
    args = ap.parse_args()
    home = Path(args.home or f"/tmp/ccgi_bench_{args.students}")
    if not (home / "share" / "SENR").exists():
        from ccgi_assets.generate import generate

        t = time.perf_counter()
        generate(home, args.students, args.leas, args.seed)
        print(f"generated {args.students:,} students / {args.leas} LEAs in {time.perf_counter() - t:.0f} s")

    import duckdb

    phases = set(args.phases.split(","))
    if "load" in phases:
        load = phase(home, "load")
        print(f"load CALPADS into DuckDB: {load['wall']:.1f} s, peak {load['peak_gb']:.2f} GB", flush=True)
    if "catalog" in phases:
        cat = phase(home, "catalog")
        print(f"crse_courses: {cat['wall']:.1f} s, peak {cat['peak_gb']:.2f} GB, {cat['rows']}", flush=True)

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    sizes = con.execute("SELECT reporting_lea, count(DISTINCT ssid) n FROM calpads_share.senr GROUP BY 1 "
                        "ORDER BY n DESC, 1").fetchall()
    con.close()
    leas = sorted(lea for lea, _ in sizes)
    largest, largest_n = sizes[0]
    mid = len(sizes) // 2
    sample = [lea for lea, _ in sizes[max(0, mid - 5): mid + 5]]

    if "largest" in phases:
        big = [phase(home, "largest", [largest]) for _ in range(2)]
        walls = sorted(b["wall"] for b in big)
        print(f"largest LEA {largest} ({largest_n:,} students in SENR): median {walls[len(walls) // 2]:.1f} s of "
              f"{[round(w, 1) for w in walls]}, peak {max(b['peak_gb'] for b in big):.2f} GB, rows {big[-1]['rows']}",
              flush=True)
    if "sample" not in phases or "backfill" not in phases:
        return
    samp = phase(home, "sample", sample)
    per = sorted(samp["per_run"])
    per_median = per[len(per) // 2]
    print(f"{len(sample)} median-size LEAs, one run each: median {per_median:.2f} s per LEA run "
          f"(peak {samp['peak_gb']:.2f} GB)", flush=True)

    back = phase(home, "backfill", leas)
    print(f"all {len(leas)} LEAs as one backfill run: {back['wall']:.1f} s ({back['wall'] / len(leas):.2f} s per LEA), "
          f"peak {back['peak_gb']:.2f} GB, rows {back['rows']}")
    print(f"ratio, per-LEA time in the backfill vs a separate run per median LEA: "
          f"{(back['wall'] / len(leas)) / per_median:.2f}x; estimated {len(leas)} separate runs: "
          f"{per_median * len(leas):.0f} s")


if __name__ == "__main__":
    main()
