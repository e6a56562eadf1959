"""The plain-SQL floor for ``ccgi run``: one DuckDB script that reads the same CALPADS files and builds the same
registration rosters and student course records (identical row counts), with none of the pipeline around it.

    .venv/bin/python bench/floor.py HOME [--db PATH] [--lea LEA] [--json]

HOME is a generated state (``ccgi generate``). What it does, all in DuckDB:

1. ``read_csv`` of every CALPADS file under ``share/<TYPE>/`` as whole lines, ``string_split`` on ``^``; a row is
   kept when it has its layout's field count and every date field is empty or a date (the generator's
   malformed rows are exactly such rows); only the columns the rosters and course records use, dates typed.
2. the LEAs: ``config/lea_participation.csv`` plus the LEA folders of ``landing/optin/`` (those are opt-in);
   each opt-in LEA's newest list (mtime, then name), SSIDs trimmed, 10 digits, first occurrence.
3. most recent enrollment per student, current student information per student (the pipeline's rules), the
   roster per LEA (opt-in: listed students whose most recent enrollment is in the LEA; statewide: open
   enrollments in grades 6-12), and the roster students' course records joined to the course catalog
   (one row per school, year and local course ID).

``--db`` keeps the tables (default: a temporary file); ``--lea`` with an existing ``--db`` rebuilds one LEA's
roster and course records from the tables already there (the floor of a one-LEA update). Prints the figures;
``--json`` prints them as JSON. Needs nothing from ccgi_assets but the layout table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLUMNS = {
    "SENR": ["transaction_type_code", "reporting_lea", "school_of_attendance", "ssid", "local_student_id",
             "grade_level_code", "enrollment_start_date", "enrollment_exit_date", "enrollment_status_code"],
    "SINF": ["transaction_type_code", "ssid", "student_legal_first_name", "student_legal_last_name",
             "student_birth_date", "student_gender_code", "hispanic_ethnicity_indicator", "race_1_code",
             "race_2_code", "race_3_code", "race_4_code", "race_5_code", "effective_start_date",
             "effective_end_date"],
    "SCSC": ["transaction_type_code", "ssid", "school_of_course_delivery", "academic_year_id", "academic_term_code",
             "local_course_id", "student_credits_earned", "student_course_final_grade",
             "uc_csu_admission_requirement_code"],
    "CRSE": ["transaction_type_code", "school_of_course_delivery", "academic_year_id", "local_course_id",
             "course_name", "state_course_code"],
}
LINES = ("delim=chr(1), quote='', escape='', header=false, auto_detect=false, strict_mode=false, "
         "new_line='\\r\\n', columns={'line': 'VARCHAR'}")


def read_sql(home: Path, rt: str) -> str:
    from ccgi_assets.calpads import layout  # field positions only (imported here: a one-LEA rebuild needs none)

    fields = layout(rt)
    pos = {f.name: i for i, f in enumerate(fields, start=1)}
    dates = [i for i, f in enumerate(fields, start=1) if f.type == "DT"]
    cols = []
    for name in COLUMNS[rt]:
        f = fields[pos[name] - 1]
        v = f"nullif(p[{pos[name]}], '')"
        if f.type == "DT":
            v = f"CAST(strptime({v}, '%Y%m%d') AS DATE)"
        elif f.type == "NU":
            v = f"CAST({v} AS DOUBLE)"
        cols.append(f"{v} AS {name}")
    ok = " AND ".join([f"len(p) = {len(fields)}", f"p[1] = '{rt}'"]
                      + [f"(p[{i}] = '' OR try_strptime(p[{i}], '%Y%m%d') IS NOT NULL)" for i in dates])
    return (f"SELECT {', '.join(cols)} FROM (SELECT string_split(line, '^') AS p "
            f"FROM read_csv('{home}/share/{rt}/*.txt', {LINES}) WHERE line IS NOT NULL) WHERE {ok}")


def newest_lists(home: Path) -> dict[str, str]:
    out = {}
    root = home / "landing" / "optin"
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".txt")
                 and not p.name.startswith((".", "~"))]
        if files:
            out[folder.name] = str(max(files, key=lambda p: (p.stat().st_mtime_ns, p.name)))
    return out


ROSTER_SQL = """
CREATE OR REPLACE TABLE recent AS
SELECT ssid, reporting_lea, school_of_attendance AS school_code, grade_level_code, local_student_id,
       enrollment_exit_date
FROM senr WHERE coalesce(transaction_type_code, '') <> 'D'
QUALIFY row_number() OVER (PARTITION BY ssid ORDER BY enrollment_start_date DESC,
        (enrollment_exit_date IS NULL) DESC, enrollment_status_code ASC, reporting_lea, school_of_attendance) = 1;
CREATE OR REPLACE TABLE current_sinf AS
SELECT ssid, student_legal_first_name AS legal_first_name, student_legal_last_name AS legal_last_name,
       student_birth_date AS birth_date, student_gender_code AS gender_code, hispanic_ethnicity_indicator,
       race_1_code, race_2_code, race_3_code, race_4_code, race_5_code
FROM sinf WHERE coalesce(transaction_type_code, '') <> 'D'
QUALIFY row_number() OVER (PARTITION BY ssid
        ORDER BY (effective_end_date IS NULL) DESC, effective_start_date DESC, effective_end_date DESC) = 1;
CREATE OR REPLACE TABLE catalog AS
SELECT trim(coalesce(school_of_course_delivery, '')) AS school_code, trim(coalesce(academic_year_id, '')) AS academic_year,
       trim(coalesce(local_course_id, '')) AS local_course_id, mode(course_name) AS course_name,
       mode(state_course_code) AS state_course_code
FROM crse WHERE coalesce(transaction_type_code, '') <> 'D' GROUP BY ALL;
"""

BUILD_SQL = """
CREATE OR REPLACE TEMP TABLE shared AS
SELECT DISTINCT l.lea, l.ssid FROM listed l JOIN recent r ON r.ssid = l.ssid AND r.reporting_lea = l.lea
WHERE l.lea IN (SELECT lea FROM leas WHERE model = 'opt_in' {lea_filter})
UNION ALL
SELECT r.reporting_lea, r.ssid FROM recent r
WHERE r.reporting_lea IN (SELECT lea FROM leas WHERE model = 'statewide' {lea_filter})
  AND r.enrollment_exit_date IS NULL AND r.grade_level_code IN ('06', '07', '08', '09', '10', '11', '12');
DELETE FROM roster WHERE true {lea_filter_roster};
INSERT INTO roster
SELECT r.ssid, r.reporting_lea, r.local_student_id, r.school_code, r.grade_level_code, s.legal_first_name,
       s.legal_last_name, s.birth_date, s.gender_code, s.hispanic_ethnicity_indicator, s.race_1_code, s.race_2_code,
       s.race_3_code, s.race_4_code, s.race_5_code
FROM shared x JOIN recent r ON r.ssid = x.ssid AND r.reporting_lea = x.lea LEFT JOIN current_sinf s ON s.ssid = x.ssid;
DELETE FROM student_courses WHERE true {lea_filter_roster};
INSERT INTO student_courses
SELECT r.reporting_lea, c.ssid, c.school_of_course_delivery, c.academic_year_id, c.academic_term_code,
       c.local_course_id, k.course_name, k.state_course_code, nullif(trim(c.uc_csu_admission_requirement_code), ''),
       c.student_credits_earned, c.student_course_final_grade
FROM scsc c JOIN roster r ON r.ssid = c.ssid {lea_filter_join}
LEFT JOIN catalog k ON k.school_code = c.school_of_course_delivery AND k.academic_year = c.academic_year_id
     AND k.local_course_id = c.local_course_id
WHERE coalesce(c.transaction_type_code, '') <> 'D';
"""

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS roster (ssid VARCHAR, reporting_lea VARCHAR, local_student_id VARCHAR, school_code VARCHAR,
    grade_level_code VARCHAR, legal_first_name VARCHAR, legal_last_name VARCHAR, birth_date DATE, gender_code VARCHAR,
    hispanic_ethnicity_indicator VARCHAR, race_1_code VARCHAR, race_2_code VARCHAR, race_3_code VARCHAR,
    race_4_code VARCHAR, race_5_code VARCHAR);
CREATE TABLE IF NOT EXISTS student_courses (reporting_lea VARCHAR, ssid VARCHAR, school_code VARCHAR,
    academic_year VARCHAR, academic_term_code VARCHAR, local_course_id VARCHAR, course_name VARCHAR,
    state_course_code VARCHAR, ag_subject_area VARCHAR, credits_earned DOUBLE, final_grade VARCHAR);
"""


def leas_and_lists(con, home: Path, only: str | None) -> None:
    part = home / "config" / "lea_participation.csv"
    con.execute(f"CREATE OR REPLACE TEMP TABLE leas AS SELECT reporting_lea AS lea, model FROM read_csv('{part}', "
                "header=true, all_varchar=true)")
    lists = newest_lists(home)
    known = {r[0] for r in con.execute("SELECT lea FROM leas").fetchall()}
    for lea in sorted(set(lists) - known):  # a list with no participation row: opt_in
        con.execute("INSERT INTO leas VALUES (?, 'opt_in')", [lea])
    if only:
        lists = {only: lists[only]} if only in lists else {}
    con.execute("CREATE OR REPLACE TEMP TABLE listed (lea VARCHAR, ssid VARCHAR)")
    for lea, path in lists.items():
        con.execute(f"INSERT INTO listed SELECT DISTINCT '{lea}', s FROM (SELECT trim(ssid) AS s FROM "
                    f"read_csv('{path}', header=true, all_varchar=true, normalize_names=true)) "
                    "WHERE regexp_full_match(s, '[0-9]{10}')")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("home", type=Path)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--lea", default=None, help="rebuild one LEA from the tables already in --db")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    home = args.home.resolve()
    tmp = None
    if args.db is None:
        if args.lea:
            raise SystemExit("--lea needs the --db of a full run")
        tmp = tempfile.TemporaryDirectory()
        args.db = Path(tmp.name) / "floor.duckdb"
    elif not args.lea:
        args.db.unlink(missing_ok=True)
    con = duckdb.connect(str(args.db))
    con.execute("SET preserve_insertion_order = false")
    fig: dict = {"students_dir": str(home)}
    t0 = time.perf_counter()
    if not args.lea:
        rows = 0
        for rt in COLUMNS:
            con.execute(f"CREATE OR REPLACE TABLE {rt.lower()} AS {read_sql(home, rt)}")
            rows += con.execute(f"SELECT count(*) FROM {rt.lower()}").fetchone()[0]
        fig["calpads_rows"] = rows
        con.execute(ROSTER_SQL)
        con.execute(TABLES_SQL)
        fig["read_s"] = time.perf_counter() - t0
    leas_and_lists(con, home, args.lea)
    f = f"AND lea = '{args.lea}'" if args.lea else ""
    con.execute(BUILD_SQL.format(
        lea_filter=f, lea_filter_roster=f"AND reporting_lea = '{args.lea}'" if args.lea else "",
        lea_filter_join=f"AND r.reporting_lea = '{args.lea}'" if args.lea else ""))
    fig["wall_s"] = time.perf_counter() - t0
    where = f" WHERE reporting_lea = '{args.lea}'" if args.lea else ""
    fig["rows"] = {t: con.execute(f"SELECT count(*) FROM {t}{where}").fetchone()[0]
                   for t in ("roster", "student_courses")}
    con.close()
    if tmp is not None:
        tmp.cleanup()
    if args.json:
        print(json.dumps(fig))
    else:
        print(f"floor: {fig['wall_s']:.1f} s, rows {fig['rows']}" + (f" (read {fig['read_s']:.1f} s)" if 'read_s' in fig else ""))


if __name__ == "__main__":
    main()
