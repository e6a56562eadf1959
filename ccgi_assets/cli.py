"""``ccgi``: generate sample data, run the whole pipeline through Dagster, print the data dictionary.

    ccgi generate [--students N] [--leas M] [--seed S] [--out DIR]
    ccgi run [--no-wait]     # materialize every asset for every LEA in one run (recorded in $DAGSTER_HOME)
    ccgi dictionary          # the data dictionary, generated from the contracts
    ccgi share-ddl [--out DIR] [--ccgi-account ORG.ACCT ...]   # Snowflake share SQL, from the contracts
    ccgi lineage [--out DIR] # column lineage: offline HTML page and OpenLineage events
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

#: the console shows warnings and errors only; every event is in the run's log in the UI
QUIET = {"loggers": {"console": {"config": {"log_level": os.environ.get("CCGI_LOG_LEVEL", "WARNING")}}}}
SAMPLE = dict(students=6000, leas=6, seed=20251)

# --------------------------------------------------------------------------- the Dagster home (issue 9 points 4-5)
#: the first line of every dagster.yaml ccgi wrote (old ones said "# Written by `ccgi run` when absent.")
DAGSTER_YAML_MARK = "# Written by `ccgi"
DAGSTER_YAML = """\
# Written by `ccgi` (ccgi run, make ui), which rewrites this file when its settings change. Delete this first line
# to keep your own edits: ccgi then leaves the file alone and warns if it lacks what follows.
# The embedded DuckDB warehouse has one writer at a time: queued runs (sensor-driven ones included) go one after
# another, and every run takes the warehouse's writer lock ($CCGI_HOME/.writer.lock), which `ccgi run` takes too.
run_queue:
  max_concurrent_runs: 1
# Dagster's default run launcher plus a health check by process id (ccgi_assets/runs.py): run monitoring marks
# failed a run whose process died (a killed `ccgi run` too), so it does not hold the queue's one slot.
run_launcher:
  module: ccgi_assets.runs
  class: PidCheckingRunLauncher
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  poll_interval_seconds: 15
  max_resume_run_attempts: 0
telemetry:
  enabled: false
"""
#: what ccgi wrote before, rewritten without keeping a copy
_EARLIER_DAGSTER_YAMLS = ("""\
# Written by `ccgi run` when absent. The embedded DuckDB warehouse has one writer at a time, so queued runs
# (sensor-driven ones included) go one after another.
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
""",)


def _home() -> Path:
    from resources.settings import ccgi_home

    return ccgi_home()


def ensure_dagster_home() -> Path:
    """``$DAGSTER_HOME`` (default ``./.dagster_home``) with ccgi's ``dagster.yaml``: written when absent, rewritten
    when ccgi wrote it (its first line says so) and its settings changed (a copy edited under that line is kept as
    ``dagster.yaml.old``), left alone with a warning when it is the user's own and lacks run monitoring."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text(DAGSTER_YAML)
        return home
    text = cfg.read_text()
    if text == DAGSTER_YAML:
        return home
    if text.startswith(DAGSTER_YAML_MARK):
        if text not in _EARLIER_DAGSTER_YAMLS:
            (home / "dagster.yaml.old").write_text(text)
            kept = f" (the previous one, edited, is in {home / 'dagster.yaml.old'})"
        else:
            kept = ""
        cfg.write_text(DAGSTER_YAML)
        print(f"updated {cfg}: run monitoring on, runs whose process died are marked failed{kept}", file=sys.stderr)
    elif "run_monitoring" not in text or "PidCheckingRunLauncher" not in text:
        print(f"warning: {cfg} is your own (no ccgi first line), so it is left as it is; without run_monitoring and "
              "the ccgi_assets.runs.PidCheckingRunLauncher run launcher a run whose process dies stays STARTED and "
              "holds the run queue until `ccgi run` marks it failed (README: Runs and the writer lock)",
              file=sys.stderr)
    return home


def has_inputs(home: Path) -> bool:
    share = home / "share"
    return share.exists() and any(p.is_file() for p in share.rglob("*"))


def cmd_generate(args) -> int:
    from ccgi_assets.generate import generate

    out = Path(args.out).resolve() if args.out else _home()
    t0 = time.perf_counter()
    summary = generate(out, students=args.students, leas=args.leas, seed=args.seed)
    print(f"generated {args.students:,} students in {len(summary.leas)} LEAs under {out} "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


def participating_leas(home: Path) -> list[str]:
    """LEAs in the participation file, plus LEAs that have dropped a list in the landing zone."""
    from resources import LandingZone, ParticipationConfig

    leas = set(ParticipationConfig(path=str(home / "config" / "lea_participation.csv")).read())
    leas |= set(LandingZone(root=str(home / "landing" / "optin")).lea_folders())
    return sorted(leas)


#: the student-level assets, one partition per LEA, in the order a flow makes them
LEA_ASSETS = ["optin_students", "registration_roster", "student_courses", "verified_accounts",
              "statewide_submissions", "lea_reports"]
CATALOG_ASSETS = ["crse_courses", "cmp_match_results", "course_match_reports"]


def cmd_run(args) -> int:
    """Every asset for every LEA in one Dagster run (a single-run backfill over the LEA partitions), holding the
    warehouse's writer lock; runs left STARTED by a dead process are marked failed first."""
    home = _home()
    os.environ["CCGI_HOME"] = str(home)
    dagster_home = ensure_dagster_home()

    from dagster import DagsterInstance
    from dagster._core.utils import make_new_run_id

    from ccgi_assets import runs

    run_id = make_new_run_id()
    lock = runs.WriterLock(home, home / "warehouse.duckdb") if runs.writes_local_warehouse() else None
    if lock is not None:
        try:
            lock.acquire(run_id, "ccgi run", wait=not getattr(args, "no_wait", False),
                         on_wait=lambda line: print(line, flush=True))
        except runs.WarehouseBusy as busy:
            print(f"ccgi run: not started: {busy} (--no-wait; exit {runs.EXIT_BUSY})", file=sys.stderr)
            return runs.EXIT_BUSY
    try:
        # the instance is opened under the lock: two first runs on a new Dagster home do not race to create it
        instance = DagsterInstance.get()
        for line in runs.recover_dead_runs(instance):
            print(f"recovered: {line}", flush=True)
        return _run_all(home, dagster_home, instance, run_id, lock)
    finally:
        if lock is not None:
            lock.release()


def _run_all(home: Path, dagster_home: Path, instance, run_id: str, lock) -> int:
    if not has_inputs(home):
        print(f"{home} holds no inputs: generating the sample data set ({SAMPLE['students']:,} students)")
        from ccgi_assets.generate import generate

        generate(home, **SAMPLE)

    from dagster import AssetKey
    from dagster._core.utils import make_new_run_id

    from ccgi_assets import runs
    from ccgi_assets.assets.automation import observe_sources
    from ccgi_assets.definitions import defs
    from ccgi_assets.partitions import lea_partitions

    leas = participating_leas(home)
    known = set(instance.get_dynamic_partitions(lea_partitions.name))
    new = [lea for lea in leas if lea not in known]
    if new:
        instance.add_dynamic_partitions(lea_partitions.name, new)
    # one range over the LEA partitions, unless a registered LEA no longer takes part (then one run per range)
    ranges = runs.contiguous_ranges(leas, instance.get_dynamic_partitions(lea_partitions.name)) or [None]
    job = defs.resolve_implicit_global_asset_job_def()

    t0 = time.perf_counter()
    how = "one run" if len(ranges) == 1 else f"{len(ranges)} runs"
    print(f"materializing every asset for {len(leas)} LEAs in {how} (Dagster home: {dagster_home})", flush=True)
    # every source's version is recorded first (issue 10): the daemon's automation then redoes nothing
    observe_sources(instance, run_config=QUIET)
    outcomes: dict[str, tuple[str | None, str]] = {}  # label -> (reason it failed or None, run id)
    for i, rng in enumerate(ranges):
        names = (CATALOG_ASSETS if i == 0 else []) + (LEA_ASSETS if rng else []) \
            + (["cde_extract"] if i == len(ranges) - 1 else [])
        tags = {"ccgi/trigger": "ccgi_run", runs.WORKER_TAG: runs.worker_id()}
        if rng:
            tags.update({"dagster/asset_partition_range_start": rng[0], "dagster/asset_partition_range_end": rng[-1]})
        rid = run_id if i == 0 else make_new_run_id()
        if lock is not None:
            lock.name_holder(rid, "ccgi run")
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET, run_id=rid,
                                        asset_selection=[AssetKey(n) for n in names], tags=tags)
        events = result.all_events
        made = {e.asset_key.to_user_string() for e in events if e.is_step_materialization}
        if i == 0:
            ok = all(n in made for n in CATALOG_ASSETS)
            outcomes["course catalog share"] = (None if ok else "stopped (see the run's log)", rid)
        if rng:
            for lea, why in runs.lea_outcomes(events, rng, LEA_ASSETS).items():
                outcomes[f"LEA {lea} student flow"] = (why, rid)
        if i == len(ranges) - 1:
            outcomes["CDE extract"] = (None if "cde_extract" in made else "stopped (see the run's log)", rid)
        if not result.success and all(why is None for why, r in outcomes.values() if r == rid):
            outcomes[f"run {rid[:8]}"] = ("failed (see the run's log)", rid)
    failed = [label for label, (why, _) in outcomes.items() if why]
    for label, (why, rid) in outcomes.items():
        print(f"  {label:<28} {'FAILED' if why else 'ok'}  (run {rid[:8]}){': ' + why if why else ''}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    print(f"  tables:   {home / 'warehouse.duckdb'} (schema ccgi, one table per asset)")
    print(f"  exports:  {home / 'exports'}  (cde/, UC/, CSU/, CCC/)")
    print(f"  reports:  {home / 'reports'}/<lea>/index.html")
    print("  UI:       make ui  (the run above is in its Runs tab)")
    if "course catalog share" in failed:
        print("the course catalog share failed; the student flows need it", file=sys.stderr)
    if failed:
        print(f"{len(failed)} failed: {', '.join(failed)}; the others completed", file=sys.stderr)
        return 1
    return 0


def cmd_dictionary(args) -> int:
    from ccgi_assets.contracts import data_dictionary_markdown

    text = data_dictionary_markdown()
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


# --------------------------------------------------------------------------- share-ddl, lineage (issue 13)
def cmd_share_ddl(args) -> int:
    from ccgi_assets.share_ddl import ShareSettings, render, write

    try:
        settings = ShareSettings(**{k: v for k, v in vars(args).items() if k in ShareSettings.__dataclass_fields__ and v})
    except ValueError as exc:
        print(f"ccgi share-ddl: {exc}", file=sys.stderr)
        return 2
    if args.out:
        for p in write(Path(args.out), settings):
            print(p)
    else:
        print("\n".join(render(settings).values()))
    return 0


def cmd_lineage(args) -> int:
    from ccgi_assets.lineage import write

    r = write(Path(args.out), namespace=args.namespace)
    print(f"{r['html']}\n{r['events']} OpenLineage events in {Path(args.out) / 'openlineage'}\n"
          f"column lineage: {r['columns_with_source']} of {r['columns']} columns have a source "
          f"({100 * r['columns_with_source'] / r['columns']:.0f}%)")
    for problem in r["problems"]:
        print(f"  {problem}", file=sys.stderr)
    return 1 if r["problems"] else 0


def _add_share_commands(sub) -> None:
    from ccgi_assets.share_ddl import ShareSettings

    s = sub.add_parser("share-ddl", help="print (or write to --out) the Snowflake share SQL derived from the contracts")
    s.add_argument("--out", help="folder for the four .sql scripts (default: print)")
    for name, f in ShareSettings.__dataclass_fields__.items():
        s.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"default {f.default}")
    s.set_defaults(func=cmd_share_ddl)
    lin = sub.add_parser("lineage", help="write the column lineage page (HTML, offline) and OpenLineage events")
    lin.add_argument("--out", default="lineage", help="folder (default ./lineage)")
    lin.add_argument("--namespace", default="ccgi", help="OpenLineage namespace of jobs and datasets (default ccgi)")
    lin.set_defaults(func=cmd_lineage)


def main(argv: list[str] | None = None) -> int:
    import warnings

    from dagster import BetaWarning, PreviewWarning

    # BackfillPolicy is "beta" in Dagster 1.13: said once here, not once per asset
    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)
    parser = argparse.ArgumentParser(prog="ccgi", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write a synthetic, deterministic CALPADS/CMP/opt-in/platform data set")
    g.add_argument("--students", type=int, default=SAMPLE["students"])
    g.add_argument("--leas", type=int, default=SAMPLE["leas"])
    g.add_argument("--seed", type=int, default=SAMPLE["seed"])
    g.add_argument("--out", help="target folder (default $CCGI_HOME)")
    g.set_defaults(func=cmd_generate)
    r = sub.add_parser("run", help="materialize every asset for every LEA on the configured target, in one run")
    r.add_argument("--no-wait", action="store_true",
                   help="when another run holds the warehouse, exit at once (exit code 75) instead of waiting")
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("dictionary", help="print the data dictionary generated from the contracts")
    d.add_argument("--out")
    d.set_defaults(func=cmd_dictionary)
    _add_share_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
