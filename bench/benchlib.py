"""What every benchmark script shares: the machine and versions, child processes measured for wall time and peak
resident memory, and one JSON file of results per script (``bench/results/<name>.json``) that
``bench/report.py`` turns into BENCHMARKS.md.

A figure is measured in a fresh child process per run (``os.wait4`` gives that process tree's peak RSS: the
largest single process). Every figure names its baseline, measured in the same script, runs interleaved with
it, so ratios compare runs under the same load of a shared machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PACKAGES = ("duckdb", "dagster", "pandas", "pyarrow", "numpy", "pandera", "rapidfuzz")


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        mem = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1),
            "system": f"{platform.system()} {platform.release()}", "load_average_at_start": os.getloadavg()[0]}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    try:
        out["commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                       text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None, timeout: float | None = None) -> dict:
    """Run ``cmd``; its wall seconds, peak RSS (MiB, the largest process of its tree), exit code and output.
    The last stdout line, when it is a JSON object, is parsed into ``result``."""
    full_env = {**os.environ, **(env or {})}
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = _Popen(cmd, env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = proc.peak_rss_mib
    result = None
    lines = [line for line in out.splitlines() if line.strip()]
    if lines and lines[-1].lstrip().startswith("{"):
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = None
    return {"wall_s": wall, "peak_rss_mib": peak, "returncode": proc.returncode, "stdout": out, "stderr": err,
            "result": result, "load_average": load}


class _Popen(subprocess.Popen):
    """Popen that reaps its child with ``wait4``, keeping the peak RSS of the child's process tree (MiB)."""

    peak_rss_mib = float("nan")

    def _try_wait(self, wait_flags):  # the hook CPython's wait()/communicate() reap through on POSIX
        try:
            pid, sts, ru = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            self.peak_rss_mib = ru.ru_maxrss / 1024
        return pid, sts


def python(code: str, *args: str, env: dict | None = None, timeout: float | None = None) -> dict:
    """:func:`measure` of ``python -c code args`` with the repository on the path."""
    pre = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    return measure([sys.executable, "-c", pre + code, *args], env=env, timeout=timeout)


def summary(values: list[float]) -> dict:
    return {"runs": [round(v, 3) for v in values], "median": round(statistics.median(values), 3),
            "min": round(min(values), 3), "max": round(max(values), 3)}


def figure(fid: str, label: str, runs: list[dict], *, baseline: str | None = None, rows: int | None = None,
           unit: str = "s", note: str | None = None, **extra) -> dict:
    """A figure from measured runs (each a :func:`measure` dict, or {"wall_s", "peak_rss_mib"})."""
    f = {"id": fid, "label": label, "unit": unit, **summary([r["wall_s"] for r in runs]),
         "peak_rss_mib": round(max(r.get("peak_rss_mib") or 0 for r in runs), 0)}
    loads = [r["load_average"] for r in runs if "load_average" in r]
    if loads:
        f["load_average"] = round(statistics.median(loads), 1)
    if rows:
        f["rows"] = rows
        f["rows_per_s"] = round(rows / f["median"])
    if baseline:
        f["baseline"] = baseline
    if note:
        f["note"] = note
    f.update(extra)
    return f


def ratios(figures: list[dict]) -> None:
    """Fill ``x_baseline`` (median time / the baseline's median time) in place."""
    by_id = {f["id"]: f for f in figures}
    for f in figures:
        b = by_id.get(f.get("baseline") or "")
        if b and b["median"]:
            f["x_baseline"] = round(f["median"] / b["median"], 2)


def write(name: str, title: str, figures: list[dict], *, started: float, params: dict | None = None,
          targets: list[dict] | None = None, notes: list[str] | None = None, extra: dict | None = None) -> Path:
    ratios(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"name": name, "title": title, "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "duration_s": round(time.perf_counter() - started, 1), "machine": machine(), "versions": versions(),
           "params": params or {}, "figures": figures, "targets": targets or [], "notes": notes or [], **(extra or {})}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def check(run: dict, what: str) -> dict:
    if run["returncode"] != 0:
        raise SystemExit(f"{what} failed (exit {run['returncode']}):\n{run['stderr'][-3000:]}")
    return run
