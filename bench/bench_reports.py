"""The LEA reports at state scale: ``lea_reports`` and ``course_match_reports`` over every LEA, this commit against
the commit before the report work (the baseline), on the same warehouse.

    .venv/bin/python bench/bench_reports.py                    # 200,000 students / 40 LEAs, 3 runs each
    .venv/bin/python bench/bench_reports.py --runs 5 --base 2ac6a2b

The state is generated once (``ccgi generate --students 200000 --leas 40 --seed 3``) and run once (``ccgi run``)
under ``--state``; or ``--home`` names such a home (it is copied, never written). The baseline is the ``--base``
commit's tree (``git archive`` into a temporary folder), imported first on ``sys.path`` by the same Python and
packages. Each figure is one fresh process that materializes one asset for all LEAs in one run (a fresh Dagster
instance, the home's warehouse as its inputs, reports written to a folder of its own), baseline and this commit
interleaved. The figure is the asset's step (inputs read from the warehouse, platform files read, figures, render,
files written), from Dagster's step events; the process's wall time and peak RSS are kept beside it. Output sizes
(bytes written under ``reports/``) are recorded, and each run's HTML pages (with plotly.js taken out and the
generation time blanked) and CSVs are compared between baseline and this commit: they must be equal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

ROOT = benchlib.ROOT
ASSETS = ("lea_reports", "course_match_reports")

#: one asset for every LEA, in one run, in a fresh instance; argv: tree, home, asset, reports folder
CHILD = r"""
import json, resource, sys, time
tree, home, asset, out = sys.argv[1:5]
sys.path.insert(0, tree)
from pathlib import Path
import pandas as pd
from dagster import DagsterEventType, instance_for_test, materialize
import ccgi_assets
assert str(Path(ccgi_assets.__file__).resolve()).startswith(str(Path(tree).resolve())), ccgi_assets.__file__
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.partitions import lea_partitions
from resources import ReportStore, local_resources
leas = sorted(pd.read_csv(Path(home) / "config" / "lea_participation.csv", dtype=str)["reporting_lea"])
resources = {**local_resources(Path(home)), "reports": ReportStore(root=out)}
with instance_for_test() as instance:
    instance.add_dynamic_partitions(lea_partitions.name, leas)
    tags = ({"dagster/asset_partition_range_start": leas[0], "dagster/asset_partition_range_end": leas[-1]}
            if asset == "lea_reports" else {})
    t, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = materialize([*SOURCES, *ASSETS], selection=[asset], resources=resources, instance=instance, tags=tags,
                         raise_on_error=True)
    wall = time.perf_counter() - t
    end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
    step = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_SUCCESS]
    print(json.dumps({"step_s": step[0].event_specific_data.duration_ms / 1000, "materialize_s": wall, "cpu_s": cpu_s,
                      "leas": len(leas)}))
"""

PLOTLY_INLINE = re.compile(r"<script>/\*\*\s*\n?\s*\* plotly\.js v.*?</script>\n?", re.S)
PLOTLY_SRC = re.compile(r"<script charset=\"utf-8\" src=\"[^\"]*plotly[^\"]*\"></script>\n?")
#: what this commit adds around a shared plotly.js: where it is, and the note shown when it cannot be loaded
SHARED_NOTES = re.compile(r"\s*<p id=\"plotly-src\">.*?</p>|<script>\n  // plotly\.js not found.*?</script>\n", re.S)
NEWPLOT = "Plotly.newPlot("


def normalized(html: str) -> str:
    """A page for comparing two commits' pages: plotly.js (embedded or referenced) and the notes about the shared
    file taken out, the generation time blanked, and each chart's data, layout and config re-written as sorted
    JSON (the same figure written by ``go.Figure`` or from plain dicts differs only in key order)."""
    html = PLOTLY_INLINE.sub("<plotly/>", html)
    html = PLOTLY_SRC.sub("<plotly/>", html)
    html = SHARED_NOTES.sub("", html)
    html = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\+00:00| UTC)?", "<time>", html)
    out, i, dec = [], 0, json.JSONDecoder()
    while (j := html.find(NEWPLOT, i)) >= 0:
        k = j + len(NEWPLOT)
        out.append(html[i:k])
        parts = []
        for _ in range(4):  # "div id", data, layout, config
            while html[k] in " ,\n":
                k += 1
            value, k = dec.raw_decode(html, k)
            parts.append(json.dumps(value, sort_keys=True))
        out.append(",".join(parts))
        i = k
    out.append(html[i:])
    return "".join(out)


def digest(folder: Path) -> dict[str, str]:
    """Per file under a reports folder (``_static`` left out): a hash of its normalized content."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "_static" not in p.parts:
            text = p.read_text(encoding="utf-8")
            text = normalized(text) if p.suffix == ".html" else re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", "", text)
            out[str(p.relative_to(folder))] = hashlib.sha256(text.encode()).hexdigest()
    return out


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ensure_home(state: Path, home: Path | None) -> Path:
    if home is not None:
        return home
    home = state / "home"
    if not (home / "warehouse.duckdb").exists():
        benchlib.check(benchlib.measure([str(ROOT / ".venv" / "bin" / "ccgi"), "generate", "--students", "200000",
                                         "--leas", "40", "--seed", "3", "--out", str(home)]), "ccgi generate")
        benchlib.check(benchlib.measure([str(ROOT / ".venv" / "bin" / "ccgi"), "run"],
                                        env={"CCGI_HOME": str(home), "DAGSTER_HOME": str(state / "dagster_home")}),
                       "ccgi run")
    return home


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--base", default="2ac6a2b", help="the baseline commit (before the report work)")
    ap.add_argument("--state", type=Path, default=Path("/tmp/ccgi_bench_reports"))
    ap.add_argument("--home", type=Path, help="a generated and run home (copied, never written)")
    ap.add_argument("--assets", nargs="+", default=list(ASSETS))
    args = ap.parse_args()
    started = time.perf_counter()
    source = ensure_home(args.state, args.home)
    work = Path(tempfile.mkdtemp(prefix="bench_reports_"))
    try:
        home = work / "home"
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("reports"))
        base = work / "base"
        base.mkdir()
        subprocess.run(f"git -C {ROOT} archive {args.base} | tar -x -C {base}", shell=True, check=True)
        trees = {"baseline": base, "this": ROOT}
        figures, sizes, equal = [], {}, {}
        for asset in args.assets:
            runs: dict[str, list[dict]] = {k: [] for k in trees}
            for i in range(args.runs):
                outs = {}
                for which, tree in trees.items():
                    out = work / f"reports_{asset}_{which}"
                    shutil.rmtree(out, ignore_errors=True)
                    r = benchlib.check(benchlib.python(CHILD, str(tree), str(home), asset, str(out)),
                                       f"{asset} ({which})")
                    runs[which].append({"wall_s": r["result"]["step_s"], "peak_rss_mib": r["peak_rss_mib"],
                                        "load_average": r["load_average"], "process_s": r["wall_s"],
                                        "cpu_s": r["result"]["cpu_s"]})
                    outs[which] = out
                    print(f"{asset} {which} run {i + 1}: step {r['result']['step_s']:.2f} s, "
                          f"CPU {r['result']['cpu_s']:.2f} s "
                          f"(process {r['wall_s']:.1f} s)", flush=True)
                sizes[asset] = {k: size(v) for k, v in outs.items()}
                a, b = digest(outs["baseline"]), digest(outs["this"])
                equal[asset] = {"files": len(a), "same_files": sorted(a) == sorted(b),
                                "differing": sorted(k for k in a if b.get(k) != a[k])[:20]}
            figures.append(benchlib.figure(f"{asset}_baseline", f"{asset}, all 40 LEAs ({args.base})",
                                           runs["baseline"], bytes_written=sizes[asset]["baseline"],
                                           cpu_s_median=_median([r["cpu_s"] for r in runs["baseline"]]),
                                           process_s_median=_median([r["process_s"] for r in runs["baseline"]])))
            figures.append(benchlib.figure(f"{asset}", f"{asset}, all 40 LEAs (this commit)", runs["this"],
                                           baseline=f"{asset}_baseline", bytes_written=sizes[asset]["this"],
                                           cpu_s_median=_median([r["cpu_s"] for r in runs["this"]]),
                                           process_s_median=_median([r["process_s"] for r in runs["this"]]),
                                           same_content_as_baseline=equal[asset]))
        benchlib.write("reports", "LEA reports: every LEA's report, this commit against the baseline", figures,
                       started=started,
                       params={"students": 200_000, "leas": 40, "seed": 3, "runs": args.runs, "base": args.base},
                       notes=["The figure is the asset's step as Dagster times it (reading its inputs from the "
                              "warehouse and the platform files included); cpu_s_median is the CPU time of the "
                              "materialization (steadier than wall time on a shared machine); bytes_written is the "
                              "reports folder.",
                              "same_content_as_baseline compares every HTML page (plotly.js, the generation time "
                              "left out) and CSV of the last run of each.", *content_notes(figures)])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def content_notes(figures: list[dict]) -> list[str]:
    """What each asset wrote and whether it equals the baseline's, in words (BENCHMARKS.md shows notes)."""
    by = {f["id"]: f for f in figures}
    out = []
    for asset in ASSETS:
        if asset not in by:
            continue
        new, old = by[asset], by[f"{asset}_baseline"]
        same = new["same_content_as_baseline"]
        out.append(f"{asset}: {old['bytes_written'] / 1e6:,.1f} MB written by the baseline, "
                   f"{new['bytes_written'] / 1e6:,.1f} MB by this commit (plotly.js once); {same['files']} pages and "
                   f"CSVs compared, " + ("all equal." if same["same_files"] and not same["differing"]
                                         else f"differing: {same['differing']}"))
    return out


def _median(v: list[float]) -> float:
    import statistics

    return round(statistics.median(v), 3)


if __name__ == "__main__":
    main()
