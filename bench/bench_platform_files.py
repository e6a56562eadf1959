"""Benchmark: reading the CaliforniaColleges.edu platform files (``platform/<lea>/<kind>.csv``) of a state through
``PlatformSource.read_checked``, now (parsed once per content, plain files by Arrow's CSV parser, pandera skipped
where the row rules already hold the contract) against the old behaviour measured in the same script.

    .venv/bin/python bench/bench_platform_files.py [--home /tmp/platonce_home] [--runs 5]

The state is ``ccgi generate --students 200000 --leas 40 --seed 3`` (generated into ``--home`` when it has no
``platform`` folder; only that folder is read). Each run is a fresh child process; runs interleaved; times are the
reads alone (imports excluded), peak RSS the whole process's:

* ``all kinds, old``: every kind for every LEA once, with the old behaviour (no cache; pandas' Python CSV parser,
  every field stripped, full pandera validation): the baseline;
* ``all kinds, first read``: the same reads now, cache empty (every file parsed);
* ``all kinds, memoized``: the same reads again in the same process (every file found in the cache: its bytes
  read and hashed, the frame and quarantine copied);
* ``run pattern, old`` / ``run pattern, now``: the reads one ``ccgi run`` makes, in asset order: verified_accounts
  (accounts), statewide_submissions (applications, consents), cde_extract (applications, planning, activities),
  lea_reports (applications, activities): 8 kinds read, 5 distinct.

Before timing, every file is read both ways in one process and the frames and quarantines compared (equal, or the
script stops). Results: bench/results/platform_files.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

KINDS = ["accounts", "applications", "consents", "planning", "activities"]
RUN_PATTERN = ["accounts", "applications", "consents", "applications", "planning", "activities", "applications",
               "activities"]

READ = """
import functools, json, logging, sys, time
logging.disable(logging.WARNING)
from ccgi_assets import platform_files as pfiles
from resources import PlatformSource
root, mode, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
if mode == "old":
    pfiles.CACHE.max_entries = 0  # nothing kept
    pfiles._parse = functools.partial(pfiles._parse, fast=False)  # the general path only: the old reader
src = PlatformSource(root=root)
leas = src.lea_folders()

def once():
    rows = left_out = 0
    t = time.perf_counter()
    for kind in kinds:
        df, q = src.read_checked(kind, leas)
        rows += len(df)
        left_out += q.rows_left_out
    return time.perf_counter() - t, rows, left_out

first, rows, left_out = once()
out = {"seconds": first, "rows": rows, "left_out": left_out, "leas": len(leas)}
if mode == "memo":
    again, rows2, left2 = once()
    assert (rows2, left2) == (rows, left_out)
    out.update(seconds=again, first_seconds=first, hits=pfiles.CACHE.hits, cached_mib=pfiles.CACHE.nbytes / 2**20)
print(json.dumps(out))
"""

VARIANTS = {  # name -> (mode, kinds, label)
    "all_old": ("old", KINDS, "read_checked, all 5 kinds x all LEAs: old (no cache, Python CSV parser, full pandera)"),
    "all_first": ("new", KINDS, "read_checked, all 5 kinds x all LEAs: now, first read (cache empty)"),
    "all_memo": ("memo", KINDS, "read_checked, all 5 kinds x all LEAs: now, memoized (second read)"),
    "run_old": ("old", RUN_PATTERN, "a run's reads (8 kinds in asset order): old"),
    "run_new": ("new", RUN_PATTERN, "a run's reads (8 kinds in asset order): now"),
}


CHECK = """
import json, sys
from pathlib import Path
import pandas as pd
from ccgi_assets import platform_files as pfiles
same = plain = 0
for p in sorted(Path(sys.argv[1]).glob("*/*.csv")):
    args = (p.read_bytes(), f"platform/{p.parent.name}/{p.name}", p.stem, p.parent.name)
    new, old = pfiles._parse(*args), pfiles._parse(*args, fast=False)
    pd.testing.assert_frame_equal(new[0], old[0])
    assert new[1] == old[1], p
    same += 1
    plain += pfiles._plain_csv(pfiles.decode(args[0], p.name), pfiles.PLATFORM_KINDS[p.stem]) is not None
print(json.dumps({"files_equal": same, "files_plain": plain}))
"""


def ensure_home(home: Path) -> Path:
    if not (home / "platform").is_dir():
        print(f"generating 200,000 students / 40 LEAs into {home} ...", flush=True)
        benchlib.check(benchlib.measure([str(benchlib.ROOT / ".venv" / "bin" / "ccgi"), "generate", "--students",
                                         "200000", "--leas", "40", "--seed", "3", "--out", str(home)]), "generate")
    return home / "platform"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=Path("/tmp/platonce_home"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    started = time.perf_counter()
    root = ensure_home(args.home)
    files = sorted(root.glob("*/*.csv"))
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    check = benchlib.check(benchlib.python(CHECK, str(root)), "check")["result"]
    print(f"  every file read alike now and before (frame and quarantine): {check}", flush=True)
    runs: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for i in range(args.runs):
        for name, (mode, kinds, _) in VARIANTS.items():
            r = benchlib.check(benchlib.python(READ, str(root), mode, ",".join(kinds)), name)
            r["process_s"], r["wall_s"] = r["wall_s"], r["result"]["seconds"]
            runs[name].append(r)
            print(f"  run {i + 1} {name:9s} {r['wall_s']:6.2f} s  {r['peak_rss_mib']:6.0f} MiB  {r['result']}",
                  flush=True)
    for a, b in (("all_old", "all_first"), ("all_old", "all_memo"), ("run_old", "run_new")):
        ra, rb = runs[a][0]["result"], runs[b][0]["result"]
        if (ra["rows"], ra["left_out"]) != (rb["rows"], rb["left_out"]):
            raise SystemExit(f"{a} and {b} differ: {ra} vs {rb}")
    base = {"all_first": "all_old", "all_memo": "all_old", "run_new": "run_old"}
    figures = [benchlib.figure(f"platform_files.{name}", label, runs[name], rows=runs[name][0]["result"]["rows"],
                               baseline=f"platform_files.{base[name]}" if name in base else None,
                               rows_rejected=runs[name][0]["result"]["left_out"])
               for name, (_, _, label) in VARIANTS.items()]
    benchlib.ratios(figures)
    memo = runs["all_memo"][0]["result"]
    for f in figures:
        print(f"{f['label']:90s} {f['median']:6.2f} s  x{f.get('x_baseline', 1)}")
    benchlib.write("platform_files", "Platform files read once per content (200,000-student / 40-LEA state)", figures,
                   started=started,
                   params={"students": 200_000, "leas": memo["leas"], "files": len(files), "platform_mb": round(size_mb),
                           "runs": args.runs},
                   notes=[f"Before timing, every one of the {check['files_equal']} files was read both ways and gave "
                          f"equal frames and quarantines ({check['files_plain']} of them on the fast path).",
                          "Times are the reads alone, in a new process per run (imports excluded); peak RSS is the "
                          "whole process's.",
                          f"The cache held {memo['cached_mib']:.0f} MiB for all {len(files)} files "
                          "(bounded: CCGI_PLATFORM_CACHE_MB, default 1024, and 4,096 files)."])


if __name__ == "__main__":
    main()
