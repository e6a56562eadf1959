"""``ccgi``: generate sample data, run the whole pipeline through Dagster, print the data dictionary.

    ccgi generate [--students N] [--leas M] [--seed S] [--out DIR]
    ccgi run                 # materialize every asset for every LEA (runs recorded in $DAGSTER_HOME)
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

DAGSTER_YAML = """\
# Written by `ccgi run` when absent. The embedded DuckDB warehouse has one writer at a time, so queued runs
# (sensor-driven ones included) go one after another.
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def _home() -> Path:
    from resources.settings import ccgi_home

    return ccgi_home()


def ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text(DAGSTER_YAML)
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


def cmd_run(args) -> int:
    home = _home()
    os.environ["CCGI_HOME"] = str(home)
    if not has_inputs(home):
        print(f"{home} holds no inputs: generating the sample data set ({SAMPLE['students']:,} students)")
        from ccgi_assets.generate import generate

        generate(home, **SAMPLE)
    dagster_home = ensure_dagster_home()

    from dagster import DagsterInstance

    from ccgi_assets.assets.automation import observe_sources
    from ccgi_assets.definitions import defs
    from ccgi_assets.partitions import lea_partitions

    instance = DagsterInstance.get()
    leas = participating_leas(home)
    known = set(instance.get_dynamic_partitions(lea_partitions.name))
    new = [lea for lea in leas if lea not in known]
    if new:
        instance.add_dynamic_partitions(lea_partitions.name, new)

    t0 = time.perf_counter()
    failed: list[str] = []

    def run(job_name: str, label: str, **kw) -> bool:
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, **kw)
        status = "ok" if result.success else "FAILED"
        print(f"  {label:<28} {status}  (run {result.run_id[:8]})")
        if not result.success:
            failed.append(label)
        return result.success

    print(f"materializing every asset for {len(leas)} LEAs (Dagster home: {dagster_home})")
    observe_sources(instance, run_config=QUIET)  # record every source's version first (issue 10): `make ui` redoes nothing
    if not run("course_catalog_job", "course catalog share"):
        print("the course catalog share failed; the student flows need it", file=sys.stderr)
        return 1
    for lea in leas:
        run("lea_student_flow_job", f"LEA {lea} student flow", partition_key=lea)
    run("cde_extract_job", "CDE extract")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    print(f"  tables:   {home / 'warehouse.duckdb'} (schema ccgi, one table per asset)")
    print(f"  exports:  {home / 'exports'}  (cde/, UC/, CSU/, CCC/)")
    print(f"  reports:  {home / 'reports'}/<lea>/index.html")
    print("  UI:       make ui  (the runs above are in its Runs tab)")
    if failed:
        print(f"{len(failed)} run(s) failed: {', '.join(failed)}; the others completed", file=sys.stderr)
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
    r = sub.add_parser("run", help="materialize every asset for every LEA on the configured target")
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("dictionary", help="print the data dictionary generated from the contracts")
    d.add_argument("--out")
    d.set_defaults(func=cmd_dictionary)
    _add_share_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
