"""Benchmark: loading a generated state's CALPADS share against DuckDB's plain read of the same files.

    .venv/bin/python bench/bench_share.py [--students 200000] [--runs 3]

The state is generated once (``ccgi generate``, seed 3, the LEAs of bench_run.py) and reused. Each run is a fresh
child process on an empty warehouse; runs interleaved (median, min-max, peak RSS):

* ``share prepare``  ``LocalCalpadsShare.prepare`` of SENR, SINF, CRSE and SCSC: every file scanned for its record
                     type codes, one DuckDB ``read_csv`` scan of whole lines per record type, every reading rule in
                     SQL (file, line and rule kept per bad row), routing by record type and LEA, newest upload per
                     LEA, the guard, the share's columns typed into ``calpads_share.*``;
* baseline: DuckDB's plain ``read_csv`` of the same files (per record type folder, ``delim='^'``, all VARCHAR,
  every column) into tables of a DuckDB file: the split and the write, no rule, no type, no routing;
* reference: the same plain read of whole lines (the scan the share load starts from).

Target (issue 11): the load at no less than a third of the plain read's rows per second.
Results: bench/results/share.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from bench_run import state  # noqa: E402

PREPARE = """
import json, logging, sys, time
from pathlib import Path
logging.disable(logging.WARNING)
from resources.calpads_share import LocalCalpadsShare
home = Path(sys.argv[1])
t = time.perf_counter()
fig = LocalCalpadsShare(home=str(home)).prepare(["SENR", "SINF", "CRSE", "SCSC"])
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": sum(f["rows_loaded"] for f in fig.values()),
                  "rejected": sum(f["rows_rejected"] for f in fig.values())}))
"""
PLAIN = """
import duckdb, json, sys, time
home, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect(db)
t = time.perf_counter()
rows = 0
for rt in ("SENR", "SINF", "CRSE", "SCSC"):
    if mode == "columns":
        opts = "delim='^', all_varchar=true, null_padding=true, strict_mode=false"
    else:
        opts = "delim=chr(1), auto_detect=false, strict_mode=false, new_line='\\\\r\\\\n', columns={'line': 'VARCHAR'}"
    con.execute(f"CREATE TABLE {rt} AS SELECT * FROM read_csv('{home}/share/{rt}/*', quote='', escape='', "
                f"header=false, {opts})")
    rows += con.execute(f"SELECT count(*) FROM {rt}").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--states", type=Path, default=Path("/tmp/ccgi_bench"))
    args = ap.parse_args()
    started = time.perf_counter()
    src = state(args.states, args.students)
    size_mb = sum(p.stat().st_size for p in (src / "share").rglob("*") if p.is_file()) / 1e6
    runs: dict[str, list[dict]] = {"prepare": [], "plain": [], "lines": []}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "share").symlink_to(src / "share", target_is_directory=True)
        for i in range(args.runs):
            for name in runs:
                for p in home.glob("*.duckdb*"):
                    p.unlink()
                if name == "prepare":
                    r = benchlib.python(PREPARE, str(home))
                else:
                    r = benchlib.python(PLAIN, str(src), str(home / "plain.duckdb"),
                                        "columns" if name == "plain" else "lines")
                benchlib.check(r, name)
                r["process_s"], r["wall_s"] = r["wall_s"], r["result"]["seconds"]
                runs[name].append(r)
                print(f"  run {i + 1} {name:8s} {r['wall_s']:6.2f} s  {r['peak_rss_mib']:6.0f} MiB  {r['result']}",
                      flush=True)
    rows = runs["prepare"][0]["result"]["rows"]
    lines = runs["plain"][0]["result"]["rows"]
    figures = [
        benchlib.figure("share.prepare", f"CALPADS share load (`prepare`, 4 record types, {len(list((src / 'share').rglob('*.txt')))} files)",
                        runs["prepare"], rows=rows, baseline="share.plain",
                        rows_rejected=runs["prepare"][0]["result"]["rejected"]),
        benchlib.figure("share.plain", "DuckDB plain `read_csv(delim='^', all_varchar)` of the same files -> tables",
                        runs["plain"], rows=lines),
        benchlib.figure("share.lines", "(ref) DuckDB `read_csv` of whole lines of the same files -> tables",
                        runs["lines"], rows=runs["lines"][0]["result"]["rows"], baseline="share.plain"),
    ]
    benchlib.ratios(figures)
    rate = figures[0]["rows_per_s"] / figures[1]["rows_per_s"]
    targets = [{"target": "CALPADS load at no less than 1/3 of DuckDB's plain read rate (a state's share)",
                "value": f"{rate:.2f} of the plain rate", "met": rate >= 1 / 3}]
    for f in figures:
        print(f"{f['label']:80s} {f['median']:6.2f} s  {f.get('rows_per_s', 0):>10,} rows/s  x{f.get('x_baseline', 1)}")
    benchlib.write("share", f"CALPADS share load vs DuckDB's plain read ({args.students:,}-student state)", figures,
                   started=started, params={"students": args.students, "runs": args.runs, "share_mb": round(size_mb)},
                   targets=targets, notes=["Times are the operation alone, in a new process per run (imports "
                                           "excluded); peak RSS is the whole process's."])


if __name__ == "__main__":
    main()
