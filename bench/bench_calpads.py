"""Benchmark: load_calpads vs pandas read_csv on a synthetic SCSC-like CALPADS file.

    .venv/bin/python bench/bench_calpads.py [rows]     (default 1,000,000 rows)

Writes the file into a temp dir, then times (median of 3):
  * load_calpads     parse + validate every row rule + type + store into a DuckDB table
  * read_calpads     the same core, into pandas (string[pyarrow] / datetime64 / float64)
  * pandas baseline  read_csv(sep='^', dtype=str, header=None): split only, no checks, no types
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccgi_assets.calpads import layout, load_calpads, read_calpads  # noqa: E402


def write_scsc(path: Path, n: int, seed: int = 7) -> None:
    """n SCSC rows built from the layout table, vectorized with numpy string ops."""
    rng = np.random.default_rng(seed)
    first = np.array(["José", "Maria", "Guadalupe", "Nguyen", "Aaliyah", "Zoë", "Kai", "Sofía"])
    last = np.array(["Peña", "Garcia", "Smith", "Villaseñor", "Tran", "O'Brien", "Kim", "Lopez"])
    cols = {
        "record_type_code": np.full(n, "SCSC"),
        "transaction_type_code": np.full(n, ""),
        "local_record_id": np.char.add("R", np.arange(n).astype(str)),
        "reporting_lea": np.full(n, "0100001"),
        "school_of_course_delivery": np.char.zfill(rng.integers(0, 200, n).astype(str), 7),
        "academic_year_id": np.full(n, "2024-2025"),
        "ssid": np.char.zfill((rng.integers(0, n // 7 + 1, n) + 1_000_000_000).astype(str), 10),
        "local_student_id": np.char.zfill(rng.integers(0, 10**8, n).astype(str), 9),
        "student_legal_first_name": first[rng.integers(0, len(first), n)],
        "student_legal_last_name": last[rng.integers(0, len(last), n)],
        "student_birth_date": None,  # below
        "student_gender_code": np.array(["F", "M", "X"])[rng.integers(0, 3, n)],
        "local_course_id": np.char.add("C", rng.integers(0, 900, n).astype(str)),
        "course_section_id": rng.integers(0, 5000, n).astype(str),
        "academic_term_code": np.array(["S1", "S2", "FY"])[rng.integers(0, 3, n)],
        "student_credits_attempted": np.full(n, "5.00"),
        "student_credits_earned": np.array(["5.00", "0.00", "2.50"])[rng.integers(0, 3, n)],
        "student_course_final_grade": np.array(["A", "B+", "C-", "F", "P"])[rng.integers(0, 5, n)],
        "uc_csu_admission_requirement_code": np.array(["A", "B", "C", "D", "GO", ""])[rng.integers(0, 6, n)],
        "marking_period_code": np.array(["FY", "S1", ""])[rng.integers(0, 3, n)],
    }
    day = np.char.zfill(rng.integers(1, 29, n).astype(str), 2)
    month = np.char.zfill(rng.integers(1, 13, n).astype(str), 2)
    cols["student_birth_date"] = np.char.add(np.char.add("2008", month), day)
    names = [f.name for f in layout("SCSC")]
    assert names == list(cols), "layout changed: update the benchmark generator"
    frame = pd.DataFrame(cols)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, sep="^", header=False, index=False, lineterminator="\r\n", quoting=3)


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
        print(f"{'reader':<44}{'median s':>10}{'rows/s':>14}")
        for name, t in [("load_calpads -> DuckDB table (validated, typed)", t_load),
                        ("read_calpads -> pandas (validated, typed)", t_read),
                        ("pandas read_csv(sep='^', dtype=str)", t_pandas)]:
            print(f"{name:<44}{t:>10.2f}{n / t:>14,.0f}")
        print(f"load_calpads is {t_pandas / t_load:.1f}x the pandas baseline's speed; "
              f"read_calpads {t_pandas / t_read:.1f}x")
        con.close()


if __name__ == "__main__":
    main()
