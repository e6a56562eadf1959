"""Wall time and peak memory of the synthetic state generator.

    .venv/bin/python bench/bench_generate.py            # 100,000 students
    .venv/bin/python bench/bench_generate.py --full     # also 2,000,000 students (state scale)

Each size runs in a fresh child process (so its peak RSS is its own: the child reports
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after generating) into a temporary folder that is
removed afterwards. Prints one table row per size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from ccgi_assets.generate import generate
out, students, leas, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = time.perf_counter()
s = generate(out, students, leas, seed)
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "rows": s.rows, "high_schools": s.high_schools,
                  "middle_schools": s.middle_schools}))
"""


def _size_on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(students: int, leas: int, seed: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ccgi_bench_gen_"))
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp), str(students), str(leas), str(seed)],
                              capture_output=True, text=True, check=True)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["peak_rss_gb"] = result["peak_kb"] / 1024 / 1024
        result["disk_gb"] = _size_on_disk(tmp) / 1e9
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also run 2,000,000 students (about 3 minutes)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sizes = [(100_000, 50)] + ([(2_000_000, 500)] if args.full else [])
    print(f"{'students':>10} {'LEAs':>5} {'HS':>5} {'MS':>5} {'SCSC rows':>11} {'CRSE rows':>10} "
          f"{'wall s':>8} {'peak RSS GB':>11} {'disk GB':>8}")
    for students, leas in sizes:
        r = run(students, leas, args.seed)
        print(f"{students:>10,} {leas:>5} {r['high_schools']:>5} {r['middle_schools']:>5} "
              f"{r['rows']['SCSC']:>11,} {r['rows']['CRSE']:>10,} {r['wall']:>8.1f} "
              f"{r['peak_rss_gb']:>11.2f} {r['disk_gb']:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
