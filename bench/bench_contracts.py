"""Benchmark: checking the ``student_courses`` contract where the rows are (SQL) against pandera.

    .venv/bin/python bench/bench_contracts.py [--students 200000] [--runs 3] [--warehouse PATH]

The warehouse is a ``ccgi run`` of the generated state (seed 3, the LEAs of bench_run.py): with ``--warehouse``
an existing one (opened read-only), else the state's inputs are copied to a temporary CCGI home and ``ccgi run``
builds it there (the shared state folder is never written). Each run is a fresh child process; runs interleaved
(median, min-max, peak RSS of the process):

* baseline, (a) pandera pandas: the contract's columns fetched from DuckDB (Arrow, text as pyarrow strings, as
  the pipeline reads) then ``contracts.validate``; the fetch and the validation are also reported apart;
* (b) ``contract_sql.check_sql`` run in DuckDB on the table (one query; only the counts come back);
* (c) pandera's Ibis backend (``pandera.ibis``) on an Ibis DuckDB table, the contract converted to an Ibis
  schema (same checks, nullability, ``unique``, ``strict``); "not installed" when ``ibis-framework`` is absent
  (it is not a project dependency). A small broken table also records which of our rules it reports, whether
  its report gives counts, and whether the failing values appear in it;
* (b') the same SQL with every check on every row (``_check_sql(by_value=False)``), to show what checking each
  distinct value once saves.

Every method runs on the valid table and on a copy of it where 3 rows in ``--break-every`` break a rule each
(an SSID's pattern, an a-g code, a null school code): failures cost pandera (failure cases are rows of values).
* reference: the process opening the warehouse and counting the rows (imports and connection: the floor of
  every peak RSS above).

Results: bench/results/contracts.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from bench_run import OUTPUTS, state  # noqa: E402

ROOT = benchlib.ROOT
TABLE = "ccgi.student_courses"

FLOOR = """
import duckdb, json, sys, time
t = time.perf_counter()
con = duckdb.connect(sys.argv[1], read_only=True)
n = con.execute("SELECT count(*) FROM ccgi.student_courses").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "rows": n}))
"""
PANDAS = """
import duckdb, json, sys, time
import pandas as pd, pyarrow as pa
from ccgi_assets import contracts as c
model = c.StudentCourse
con = duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
table = con.execute(f"SELECT {', '.join(c.columns(model))} FROM ccgi.student_courses").to_arrow_table()
strings = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
df = table.to_pandas(types_mapper=strings.get, date_as_object=False)
del table
fetch = time.perf_counter() - t
t = time.perf_counter()
try:
    c.validate(df, model)
    failures = []
except c.ContractViolation as err:
    failures = err.failures
validate = time.perf_counter() - t
print(json.dumps({"seconds": fetch + validate, "fetch_s": fetch, "validate_s": validate, "rows": len(df),
                  "failures": len(failures), "found": sorted([f.column, f.rule, f.count] for f in failures)}))
"""
SQL = """
import duckdb, json, sys, time
from ccgi_assets import contracts as c, contract_sql as cs
con = duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
sql = cs._check_sql(c.StudentCourse, "ccgi.student_courses", "duckdb", by_value=sys.argv[2] == "by_value")
rows = con.execute(sql).fetchall()
seconds = time.perf_counter() - t
found = cs.violations(rows)
print(json.dumps({"seconds": seconds, "failures": len(found), "broken_rows": sum(f.count for f in found),
                  "found": sorted([f.column, f.rule, f.count] for f in found)}))
"""
IBIS = """
import json, sys, time
try:
    import ibis
    import pandera.ibis as pi
except ImportError:
    print(json.dumps({"installed": False}))
    raise SystemExit(0)
import pandera.errors as pe
from ccgi_assets import contracts as c

TYPES = {"VARCHAR": "string", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp"}

def ibis_schema(model):
    s = model.to_schema()
    cols = {n: pi.Column(ibis.dtype(TYPES[c.sql_type(model, n)]), checks=list(col.checks), nullable=col.nullable,
                         unique=col.unique) for n, col in s.columns.items()}
    return pi.DataFrameSchema(cols, unique=s.unique, strict=s.strict, name=model.__name__)

con = ibis.duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
table = con.table("student_courses", database="ccgi")
found = []
try:
    ibis_schema(c.StudentCourse).validate(table, lazy=True)
    failures = 0
except pe.SchemaErrors as err:
    failures = len(err.failure_cases)
    found = sorted([str(chk), int(n)] for chk, n in err.failure_cases.groupby("check").size().items())
seconds = time.perf_counter() - t
out = {"installed": True, "version": ibis.__version__, "seconds": seconds, "failures": failures, "found": found}
if len(sys.argv) > 2:  # the probe: which of our rules it reports, with counts or not, values or not
    import pandas as pd
    secret = "Zq9secret"
    df = pd.DataFrame({"reporting_lea": ["0100001", "0100001", secret + "1", "0100001"],
                       "ssid": ["1000000001", "1000000001", None, "1000000002"],
                       "participation_model": ["opt_in", "opt_in", "opt_in", secret + "2"]})
    mem = ibis.duckdb.connect()
    mem.con.register("frame", df)  # ibis 12's create_table from pandas fails with sqlglot 30 (DROP VIEW IF EXISTS)
    mem.con.execute("CREATE TABLE optin AS SELECT * FROM frame")
    reported, message, expected = {}, "", []
    try:
        ibis_schema(c.OptinStudent).validate(mem.table("optin"), lazy=True)
    except pe.SchemaErrors as err:
        fc = err.failure_cases
        reported = {str(chk): int(n) for chk, n in fc.groupby("check").size().items()}
        message = str(err) + fc.to_string()
    try:
        c.validate(df, c.OptinStudent)
    except c.ContractViolation as err:
        expected = sorted({f.rule: f.count for f in err.failures}.items())
    out["probe"] = {"rules_reported": sorted(reported.items()), "pandera_pandas_counts": expected,
                    "values_in_report": secret in message}
print(json.dumps(out))
"""


BREAK = """
import duckdb, sys
from ccgi_assets import contracts as c
cols = c.columns(c.StudentCourse)
con = duckdb.connect(sys.argv[2])
con.execute(f"ATTACH '{sys.argv[1]}' AS src (READ_ONLY)")
con.execute("CREATE SCHEMA ccgi")
every = int(sys.argv[3])
# one row in `every` breaks str_matches (ssid), one other isin (ag_subject_area), one other not_nullable (school_code)
sel = {col: col for col in cols}
sel["ssid"] = f"CASE WHEN hash(rowid) % {every} = 0 THEN 'X' || ssid ELSE ssid END"
sel["ag_subject_area"] = f"CASE WHEN hash(rowid) % {every} = 1 THEN 'Z' ELSE ag_subject_area END"
sel["school_code"] = f"CASE WHEN hash(rowid) % {every} = 2 THEN NULL ELSE school_code END"
con.execute(f"CREATE TABLE ccgi.student_courses AS SELECT {', '.join(f'{v} AS {k}' for k, v in sel.items())} "
            "FROM src.ccgi.student_courses")
"""


def warehouse(args, tmp: Path) -> Path:
    if args.warehouse:
        return args.warehouse
    src = state(args.states, args.students)
    home = tmp / "home"
    shutil.copytree(src, home, ignore=shutil.ignore_patterns(*OUTPUTS))  # never write into the shared state
    env = {"CCGI_HOME": str(home), "DAGSTER_HOME": str(tmp / "dagster_home")}
    print(f"ccgi run in {home} ...", flush=True)
    benchlib.check(benchlib.measure([str(ROOT / ".venv" / "bin" / "ccgi"), "run"], env=env), "ccgi run")
    return home / "warehouse.duckdb"


def _conclusion(f: dict, ibis_info: dict) -> str:
    """The choice, from the figures just measured."""
    a, b, b_rows = f["contracts.pandas"], f["contracts.sql"], f["contracts.sql_rows"]
    text = (f"`contract_sql.check_sql`: on the valid table {b['median']:.2f} s and {b['peak_rss_mib']:,.0f} MiB "
            f"peak, against {a['median']:.2f} s ({b['x_baseline']:.2f}x) and {a['peak_rss_mib']:,.0f} MiB for pandera "
            f"pandas (fetch {f['contracts.fetch']['median']:.2f} s + validate {f['contracts.validate']['median']:.2f} s); "
            f"checking each distinct value once is what makes it fast (every row: {b_rows['median']:.2f} s). "
            "It is one query that runs where the table is, DuckDB or Snowflake (same generator, the dialect "
            "tested on fakesnow), needs no new dependency, and returns only column, rule and count: no value "
            "leaves the warehouse.")
    i = f.get("contracts.ibis")
    if i:
        p = ibis_info.get("probe", {})
        text += (f" pandera's Ibis backend does express our rules (str_matches, isin, nullable, unique, strict) and "
                 f"keeps memory low ({i['peak_rss_mib']:,.0f} MiB), but took {i['median']:.2f} s on the valid table "
                 f"({i['median'] / b['median']:.1f}x `check_sql`: a query per check) and "
                 f"{f['contracts.ibis_broken']['median']:.2f} s on the broken one, where it pulls every failing "
                 f"row into pandas ({f['contracts.ibis_broken']['failure_case_rows']:,} failure-case rows); "
                 + ("its report prints the failing values; " if p.get("values_in_report") else "")
                 + "for not_nullable and unique it reports one row holding an Ibis expression, not a count; and it "
                 "adds ibis-framework (and, for Snowflake, its Snowflake backend) to the dependencies (ibis 12's "
                 "`create_table` from pandas fails here against the locked sqlglot 30).")
    else:
        text += " pandera's Ibis backend was not installed for this run (see the note)."
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--states", type=Path, default=Path("/tmp/ccgi_bench"))
    ap.add_argument("--warehouse", type=Path, help="an existing warehouse.duckdb of a `ccgi run` (read only)")
    ap.add_argument("--break-every", type=int, default=3000, help="the broken copy breaks 3 rules, each in 1 row in N")
    args = ap.parse_args()
    started = time.perf_counter()
    kinds = [("floor", FLOOR, []), ("pandas", PANDAS, []), ("sql", SQL, ["by_value"]), ("sql_rows", SQL, ["rows"]),
             ("ibis", IBIS, [])]
    runs: dict[str, list[dict]] = {f"{k}{b}": [] for k, _, _ in kinds for b in ("", "_broken")}
    ibis_info: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = warehouse(args, Path(tmp))
        broken = Path(tmp) / "broken.duckdb"
        benchlib.check(benchlib.python(BREAK, str(db), str(broken), str(args.break_every)), "broken copy")
        for i in range(args.runs):
            for suffix, path in (("", db), ("_broken", broken)):
                for kind, code, argv in kinds:
                    name = kind + suffix
                    extra = ["probe"] if (name == "ibis" and i == 0) else []
                    r = benchlib.check(benchlib.python(code, str(path), *argv, *extra), name)
                    if kind == "ibis" and not r["result"]["installed"]:
                        ibis_info = {"installed": False}
                        continue
                    if name == "ibis":
                        ibis_info = {**ibis_info, **{k: v for k, v in r["result"].items() if k != "seconds"}}
                    r["process_s"], r["wall_s"] = r["wall_s"], r["result"]["seconds"]
                    runs[name].append(r)
                    print(f"  run {i + 1} {name:15s} {r['wall_s']:6.2f} s  {r['peak_rss_mib']:6.0f} MiB  "
                          f"{ {k: v for k, v in r['result'].items() if k != 'probe'} }", flush=True)
    rows = runs["floor"][0]["result"]["rows"]
    figures = []
    for suffix, what in (("", "valid table"), ("_broken", f"3 rows in {args.break_every:,} broken")):
        pandas = runs["pandas" + suffix]
        fetch = [{"wall_s": r["result"]["fetch_s"], "load_average": r["load_average"]} for r in pandas]
        validate = [{"wall_s": r["result"]["validate_s"], "load_average": r["load_average"]} for r in pandas]
        base = f"contracts.pandas{suffix}"
        sql = runs["sql" + suffix][0]["result"]
        figures += [
            benchlib.figure(base, f"{what}: (a) pandera pandas: fetch from DuckDB + `contracts.validate`", pandas,
                            rows=rows, failures=pandas[0]["result"]["failures"]),
            benchlib.figure(f"contracts.fetch{suffix}", f"{what}: (a) of which the fetch (DuckDB -> Arrow -> pandas)",
                            fetch, rows=rows, baseline=base, note="peak RSS: the process's, as (a)"),
            benchlib.figure(f"contracts.validate{suffix}", f"{what}: (a) of which `contracts.validate`", validate,
                            rows=rows, baseline=base, note="peak RSS: the process's, as (a)"),
            benchlib.figure(f"contracts.sql{suffix}", f"{what}: (b) `check_sql` in DuckDB (checks per distinct value)",
                            runs["sql" + suffix], rows=rows, baseline=base, failures=sql["failures"],
                            broken_rows=sql["broken_rows"]),
            benchlib.figure(f"contracts.sql_rows{suffix}", f"{what}: (b') the same query, checks on every row",
                            runs["sql_rows" + suffix], rows=rows, baseline=base),
        ]
        for f in figures[-4:-2]:
            f["peak_rss_mib"] = figures[-5]["peak_rss_mib"]
        if runs["ibis" + suffix]:
            figures.append(benchlib.figure(
                f"contracts.ibis{suffix}", f"{what}: (c) pandera Ibis backend on an Ibis DuckDB table",
                runs["ibis" + suffix], rows=rows, baseline=base,
                failure_case_rows=runs["ibis" + suffix][0]["result"]["failures"]))
    figures.append(benchlib.figure("contracts.floor", "(ref) open the warehouse and count the rows (imports, connection)",
                                   runs["floor"], rows=rows))
    found = {name: [tuple(x) for x in runs[name][0]["result"]["found"]]
             for name in ("pandas_broken", "sql_broken", "sql_rows_broken")}
    same = found["pandas_broken"] if len(set(map(tuple, found.values()))) == 1 else None
    benchlib.ratios(figures)
    for f in figures:
        print(f"{f['label']:90s} {f['median']:6.2f} s  {f['peak_rss_mib']:6.0f} MiB  x{f.get('x_baseline', 1)}")
    notes = ["Times are the operation alone, in a new process per run (imports excluded); peak RSS is the whole "
             "process's (the reference row is the floor: imports and the connection).",
             f"The broken table is a copy of `student_courses` where one row in {args.break_every:,} has an SSID "
             "that breaks `str_matches`, another an a-g code outside `isin`, another a null school code: "
             + ("`check_sql` (both forms) reports the same columns, rules and counts as `contracts.validate` "
                f"({', '.join(f'{col} {rule}: {n:,}' for col, rule, n in same)})." if same else
                "**`check_sql` and `contracts.validate` disagree on it**: see the JSON's runs.")]
    if not ibis_info.get("installed"):
        notes.append("(c) pandera's Ibis backend: not installed (`ibis-framework[duckdb]` is not a project dependency).")
    else:
        p = ibis_info.get("probe", {})
        notes.append(f"(c) pandera.ibis {ibis_info.get('version')}: on a small broken `optin_students` table it "
                     f"reported {p.get('rules_reported')} (rule: failure-case rows) where pandera pandas counts "
                     f"{p.get('pandera_pandas_counts')}; the failing values appear in its report: "
                     f"{p.get('values_in_report')}.")
    conclusion = _conclusion({f["id"]: f for f in figures}, ibis_info)
    print(conclusion)
    benchlib.write("contracts", f"Contract checks on `student_courses` ({args.students:,}-student state, "
                   f"{rows:,} rows): pandera pandas vs SQL vs pandera Ibis", figures, started=started,
                   params={"students": args.students, "runs": args.runs, "table": TABLE, "break_every": args.break_every}, notes=notes,
                   extra={"ibis": ibis_info, "conclusion": conclusion})


if __name__ == "__main__":
    main()
