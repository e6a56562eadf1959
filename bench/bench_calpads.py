"""Benchmark: the CALPADS reader against DuckDB's own plain read of the same file.

    .venv/bin/python bench/bench_calpads.py [--rows 1000000] [--runs 3]

Writes one synthetic SCSC file (vectorized, from the layout table) and times, each run a fresh child process,
runs interleaved (median, min-max, peak RSS):

* ``load_calpads``   one DuckDB scan of whole lines, every reading rule as SQL, typed values, into a table
                     (file, line and rule kept for bad rows);
* ``read_calpads``   the same SQL into pandas (string[pyarrow] / datetime64 / float64);
* baseline: DuckDB's plain ``read_csv`` of the same file into a table, ``delim='^'``, all VARCHAR: the split and
  the write, with no rule and no type;
* reference: DuckDB ``read_csv`` of whole lines into a table (the scan the reader starts from); pandas
  ``read_csv(sep='^', dtype=str)``.

Target (issue 11): ``load_calpads`` at no less than a third of the plain read's rows per second.
Results: bench/results/calpads.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

from ccgi_assets.calpads import layout  # noqa: E402


def write_scsc(path: Path, n: int, seed: int = 7) -> None:
    """n SCSC rows built from the layout table (vectorized: numpy draws, pyarrow string kernels)."""
    rng = np.random.default_rng(seed)

    def pick(values, size=n):
        return pa.array(np.asarray(values, dtype=object)[rng.integers(0, len(values), size)], pa.string())

    def digits(low, high, width):
        return pc.utf8_lpad(pc.cast(pa.array(rng.integers(low, high, n)), pa.string()), width, "0")

    def const(value):
        return pa.array(np.full(n, value, dtype=object), pa.string())

    birth = pc.binary_join_element_wise(const("2008"), digits(1, 13, 2), digits(1, 29, 2), "")
    cols = {
        "record_type_code": const("SCSC"),
        "transaction_type_code": const(""),
        "local_record_id": pc.binary_join_element_wise(const("R"), digits(0, 10**7, 7), ""),
        "reporting_lea": const("0100001"),
        "school_of_course_delivery": digits(0, 200, 7),
        "academic_year_id": const("2024-2025"),
        "ssid": digits(1_000_000_000, 1_000_000_000 + n // 7 + 1, 10),
        "local_student_id": digits(0, 10**8, 9),
        "student_legal_first_name": pick(["José", "Maria", "Guadalupe", "Nguyen", "Aaliyah", "Zoë", "Kai", "Sofía"]),
        "student_legal_last_name": pick(["Peña", "Garcia", "Smith", "Villaseñor", "Tran", "O'Brien", "Kim", "Lopez"]),
        "student_birth_date": birth,
        "student_gender_code": pick(["F", "M", "X"]),
        "local_course_id": pc.binary_join_element_wise(const("C"), digits(0, 900, 3), ""),
        "course_section_id": digits(0, 5000, 4),
        "academic_term_code": pick(["S1", "S2", "FY"]),
        "student_credits_attempted": const("5.00"),
        "student_credits_earned": pick(["5.00", "0.00", "2.50"]),
        "student_course_final_grade": pick(["A", "B+", "C-", "F", "P"]),
        "uc_csu_admission_requirement_code": pick(["A", "B", "C", "D", "GO", ""]),
        "marking_period_code": pick(["FY", "S1", ""]),
    }
    names = [f.name for f in layout("SCSC")]
    assert names == list(cols), "the SCSC layout changed: update the benchmark generator"
    pcsv.write_csv(pa.table(cols), path, pcsv.WriteOptions(include_header=False, delimiter="^",
                                                            quoting_style="none"))


#: each method, run in a child: argv = file, scratch database; prints {"rows": n, "seconds": t} (t: the
#: operation alone, imports and start-up excluded)
METHODS = {
    "load_calpads": ("`load_calpads` -> DuckDB table (every rule, typed)", """
import duckdb, json, sys, time
from ccgi_assets.calpads import load_calpads
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
r = load_calpads(con, [sys.argv[1]], "calpads_share.scsc")
print(json.dumps({"rows": r.rows_loaded, "seconds": time.perf_counter() - t}))
"""),
    "read_calpads": ("`read_calpads` -> pandas (every rule, typed)", """
import json, sys, time
from ccgi_assets.calpads import read_calpads
t = time.perf_counter()
n = len(read_calpads(sys.argv[1]))
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t}))
"""),
    "duckdb_plain": ("DuckDB plain `read_csv(delim='^', all_varchar)` -> table, no checks", """
import duckdb, json, sys, time
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}', delim='^', quote='', escape='', header=false, "
            "all_varchar=true, null_padding=true, strict_mode=false)")
print(json.dumps({"rows": con.execute("SELECT count(*) FROM t").fetchone()[0], "seconds": time.perf_counter() - t}))
"""),
    "duckdb_lines": ("(ref) DuckDB `read_csv` of whole lines -> table", """
import duckdb, json, sys, time
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}', delim=chr(1), quote='', escape='', "
            "header=false, auto_detect=false, strict_mode=false, new_line='\\\\r\\\\n', columns={'line': 'VARCHAR'})")
print(json.dumps({"rows": con.execute("SELECT count(*) FROM t").fetchone()[0], "seconds": time.perf_counter() - t}))
"""),
    "pandas": ("(ref) pandas `read_csv(sep='^', dtype=str)`", """
import json, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], sep="^", dtype=str, header=None, quoting=3, keep_default_na=False)
print(json.dumps({"rows": len(df), "seconds": time.perf_counter() - t}))
"""),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "0100001.txt"
        write_scsc(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"wrote {args.rows:,} SCSC rows ({size_mb:.0f} MB)", flush=True)
        runs: dict[str, list[dict]] = {m: [] for m in METHODS}
        for i in range(args.runs):
            for name, (_, code) in METHODS.items():
                db = Path(tmp) / f"{name}.duckdb"
                db.unlink(missing_ok=True)
                r = benchlib.check(benchlib.python(code, str(path), str(db)), name)
                assert r["result"]["rows"] == args.rows, (name, r["result"])
                r["process_s"], r["wall_s"] = r["wall_s"], r["result"]["seconds"]
                runs[name].append(r)
                print(f"  run {i + 1} {name:14s} {r['wall_s']:6.2f} s  {r['peak_rss_mib']:6.0f} MiB", flush=True)
    figures = [benchlib.figure(f"calpads.{name}", label, runs[name], rows=args.rows,
                               baseline=None if name == "duckdb_plain" else "calpads.duckdb_plain")
               for name, (label, _) in METHODS.items()]
    benchlib.ratios(figures)
    load = figures[0]
    rate = load["rows_per_s"] / figures[2]["rows_per_s"]
    targets = [{"target": "CALPADS load at no less than 1/3 of DuckDB's plain read rate (one file)",
                "value": f"{rate:.2f} of the plain rate", "met": rate >= 1 / 3}]
    for f in figures:
        print(f"{f['label']:70s} {f['median']:6.2f} s  {f.get('rows_per_s', 0):>10,} rows/s  x{f.get('x_baseline', 1)}")
    benchlib.write("calpads", "CALPADS reader vs DuckDB's plain read (one synthetic SCSC file)", figures,
                   started=started, params={"rows": args.rows, "runs": args.runs, "file_mb": round(size_mb)},
                   targets=targets, notes=["Each run is a new process; times are the operation alone (imports and start-up excluded); "
                          "peak RSS is the whole process's."])


if __name__ == "__main__":
    main()
