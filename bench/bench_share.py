"""Benchmark: the share load (files routed by content, newest upload per LEA, guard) vs load_calpads.

    .venv/bin/python bench/bench_share.py [rows]     (default 1,000,000 rows)

One synthetic SCSC file (bench_calpads.write_scsc) under a temp ``share/``; times (median of 3):
  * load_calpads        one file into a table (the reader's own cost)
  * share prepare       LocalCalpadsShare.prepare(["SCSC"]) from scratch: code scan, routed parse, stage,
                        per-LEA replacement, guard, final table
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_calpads import write_scsc  # noqa: E402

from ccgi_assets.calpads import load_calpads  # noqa: E402
from resources.calpads_share import SHARE_COLUMNS, LocalCalpadsShare  # noqa: E402


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        f = home / "share" / "SCSC" / "0100001.txt"
        f.parent.mkdir(parents=True)
        write_scsc(f, n)
        times = {"load_calpads": [], "share prepare": []}
        for i in range(3):
            db = home / f"bench{i}.duckdb"
            con = duckdb.connect(str(db))
            t = time.perf_counter()
            load_calpads(con, [f], "calpads_share.scsc", columns=SHARE_COLUMNS["SCSC"], record_type="SCSC")
            times["load_calpads"].append(time.perf_counter() - t)
            con.close()
            db.unlink()
            (home / "warehouse.duckdb").unlink(missing_ok=True)
            share = LocalCalpadsShare(home=str(home))
            t = time.perf_counter()
            fig = share.prepare(["SCSC"])
            times["share prepare"].append(time.perf_counter() - t)
            assert fig["SCSC"]["rows_loaded"] == n, fig
        size = f.stat().st_size / 1e6
        for k, v in times.items():
            m = statistics.median(v)
            print(f"{k:15s} {m:7.2f} s  {n / m / 1e6:5.2f} M rows/s  {size / m:6.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
