"""Benchmark: load_calpads vs pandas read_csv on a synthetic SCSC-like CALPADS file.

    .venv/bin/python bench/bench_calpads.py [rows]     (default 1,000,000 rows)

Writes the file into a temp dir, then times (median of 3):
  * load_calpads     parse + validate every row rule + type + store into a DuckDB table
  * read_calpads     the same core, into pandas (string[pyarrow] / datetime64 / float64)
  * pandas baseline  read_csv(sep='^', dtype=str, header=None): split only, no checks, no types
  * reference        DuckDB's own read_csv into a table (all VARCHAR): the storage cost alone
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccgi_assets.calpads import layout, load_calpads, read_calpads  # noqa: E402


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


def median_time(fn, repeat: int = 3) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (all threads) of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "0100001.txt"
        t0 = time.perf_counter()
        write_scsc(path, n)
        size = path.stat().st_size
        print(f"wrote {n:,} SCSC rows ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")

        con = duckdb.connect(str(Path(tmp) / "warehouse.duckdb"))
        con.execute("SET enable_progress_bar = false")
        report = None

        def load():
            nonlocal report
            report = load_calpads(con, [path], "calpads_share.scsc")

        t_load = median_time(load)
        assert report.rows_loaded == n, report
        t_read = median_time(lambda: read_calpads(path))
        t_pandas = median_time(lambda: pd.read_csv(path, sep="^", dtype=str, header=None, quoting=3,
                                                   keep_default_na=False))
        t_duck = median_time(lambda: con.execute(
            f"CREATE OR REPLACE TABLE raw_scsc AS SELECT * FROM read_csv('{path}', delim='^', quote='', "
            "escape='', header=false, all_varchar=true)"))
        print(f"{'reader':<48}{'median s':>10}{'cpu s':>8}{'rows/s':>12}")
        for name, (t, cpu) in [("load_calpads -> DuckDB table (validated, typed)", t_load),
                               ("read_calpads -> pandas (validated, typed)", t_read),
                               ("pandas read_csv(sep='^', dtype=str)", t_pandas),
                               ("(ref) duckdb read_csv -> table, no checks", t_duck)]:
            print(f"{name:<48}{t:>10.2f}{cpu:>8.2f}{n / t:>12,.0f}")
        print(f"speed vs the pandas baseline (wall): load_calpads {t_pandas[0] / t_load[0]:.1f}x, "
              f"read_calpads {t_pandas[0] / t_read[0]:.1f}x")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(wall times are noisy when other work shares the machine; cpu s is steadier)")
        con.close()


if __name__ == "__main__":
    main()
