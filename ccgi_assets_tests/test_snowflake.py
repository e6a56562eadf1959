"""The production target, against fakesnow: the CALPADS share queried where it lives, asset tables through
dagster-snowflake-pandas, extracts as tables. Same SQL and asset code as the embedded default."""

from __future__ import annotations

import warnings

import fakesnow
import pandas as pd
import pytest
import snowflake.connector
from dagster import materialize

from ccgi_assets import contracts as c
from ccgi_assets import students as st
from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.calpads import read_calpads
from resources import SnowflakeCalpadsShare, SnowflakeExportStore, build_resources
from resources.calpads_share import SHARE_COLUMNS

CREDS = dict(account="ccgi", user="pipeline", password="secret")


@pytest.fixture
def sf(monkeypatch):
    warnings.filterwarnings("ignore", category=UserWarning)
    import fakesnow.cursor as fc

    original = fc.FakeSnowflakeCursor.execute

    def execute(self, *args, **kwargs):
        # fakesnow reports a missing table as errno 2003 with DuckDB's wording; Snowflake says
        # "does not exist or not authorized", which is what dagster-snowflake looks for.
        try:
            return original(self, *args, **kwargs)
        except snowflake.connector.errors.ProgrammingError as exc:
            if exc.errno == 2003:
                raise snowflake.connector.errors.ProgrammingError(
                    msg=f"{exc.msg} Object does not exist or not authorized.", errno=2003) from None
            raise

    monkeypatch.setattr(fc.FakeSnowflakeCursor, "execute", execute)
    with fakesnow.patch(extra_targets=["dagster_snowflake_pandas.snowflake_pandas_type_handler.write_pandas"]):
        conn = snowflake.connector.connect()
        cur = conn.cursor()
        cur.conn_for_tests = conn
        for db in ("CALPADS_SHARE", "CCGI"):
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        cur.execute("CREATE SCHEMA IF NOT EXISTS CALPADS_SHARE.CALPADS")
        yield cur


def load_share(cur, home, record_type):
    """Stand in for CDE's share: the generated files as Snowflake tables with the share's columns."""
    frames = [read_calpads(p, columns=SHARE_COLUMNS[record_type], on_error="skip")
              for p in sorted((home / "share" / record_type).glob("*.txt"))]
    df = pd.concat(frames, ignore_index=True)
    from snowflake.connector.pandas_tools import write_pandas

    df.columns = [c.upper() for c in df.columns]
    write_pandas(cur.conn_for_tests, df, record_type, database="CALPADS_SHARE", schema="CALPADS", auto_create_table=True,
                 use_logical_type=True)


def test_share_lookups_run_in_snowflake_with_the_same_sql(sf, small_home):
    load_share(sf, small_home, "SENR")
    share = SnowflakeCalpadsShare(database="CALPADS_SHARE", scratch_database="CCGI", **CREDS)
    lea = share.leas()[0]
    enrolled = share.query(st.ENROLLED_IN_LEA_SQL, lea=lea)
    assert len(enrolled) > 0
    recent = share.query(st.MOST_RECENT_SENR_SQL, frames={"ids": enrolled[["ssid"]]})
    assert set(recent["reporting_lea"]) == {lea}
    assert recent["ssid"].is_unique


def test_course_catalog_assets_write_snowflake_tables_and_the_cde_extract(sf, small_home, monkeypatch):
    # the production wiring, settings from the environment (CCGI_TARGET=snowflake)
    for k, v in {"SNOWFLAKE_ACCOUNT": "ccgi", "SNOWFLAKE_USER": "pipeline", "SNOWFLAKE_PASSWORD": "secret",
                 "SNOWFLAKE_WAREHOUSE": "WH", "SNOWFLAKE_ROLE": "CCGI_PIPELINE", "SNOWFLAKE_DATABASE": "CCGI",
                 "CCGI_CALPADS_SHARE_DATABASE": "CALPADS_SHARE", "CCGI_CMP_URL": str(small_home / "cmp")}.items():
        monkeypatch.setenv(k, v)
    load_share(sf, small_home, "CRSE")
    resources = build_resources("snowflake", home=small_home)
    result = materialize([*SOURCES, *ASSETS], selection=["crse_courses", "cmp_match_results"], resources=resources)
    assert result.success
    sf.execute("SELECT count(*) FROM CCGI.CCGI.CRSE_COURSES")
    n_courses = sf.fetchone()[0]
    sf.execute("SELECT match_status, count(*) FROM CCGI.EXPORTS_CDE.CMP_MATCH_RESULTS GROUP BY 1")
    statuses = dict(sf.fetchall())
    assert n_courses > 0 and statuses.get("matched", 0) > 0
    sf.execute("SELECT * FROM CCGI.CCGI.CRSE_COURSES LIMIT 1")
    cols = {d[0].lower() for d in sf.description}
    assert "seid" not in cols and "ssid" not in cols


def test_extracts_for_an_lea_get_a_valid_table_name(sf):
    store = SnowflakeExportStore(database="CCGI", **CREDS)
    where = store.write("UC", "0100001", pd.DataFrame({"ssid": ["1000000001"], "local_course_id": ["0042"]}))
    assert where == "CCGI.EXPORTS_UC.LEA_0100001"
    sf.execute(f"SELECT * FROM {where}")
    assert sf.fetchall() == [("1000000001", "0042")]
    store.remove("UC", "0100001")
    with pytest.raises(snowflake.connector.errors.ProgrammingError):
        sf.execute(f"SELECT * FROM {where}")


def test_previous_partition_rows_are_read_back_for_removal_counts(sf):
    from resources import SnowflakeWarehouse

    wh = SnowflakeWarehouse(database="CCGI", **CREDS)
    assert len(wh.previous_keys_by_lea("optin_students", ["0100001"])) == 0  # nothing materialized yet
    sf.execute("CREATE SCHEMA IF NOT EXISTS CCGI.CCGI")
    sf.execute("CREATE TABLE CCGI.CCGI.OPTIN_STUDENTS (REPORTING_LEA VARCHAR, SSID VARCHAR)")
    sf.execute("INSERT INTO CCGI.CCGI.OPTIN_STUDENTS VALUES ('0100001', '1000000001'), ('0200002', '1000000002')")
    prev = wh.previous_keys_by_lea("optin_students", ["0100001"])
    assert list(zip(prev["reporting_lea"], prev["ssid"])) == [("0100001", "1000000001")]


def test_the_share_fingerprint_comes_from_snowflakes_table_metadata(sf, small_home):
    share = SnowflakeCalpadsShare(database="CALPADS_SHARE", **CREDS)
    assert share.fingerprint("CRSE") == ""  # not shared yet
    load_share(sf, small_home, "CRSE")
    assert share.fingerprint("CRSE") != ""


def test_student_courses_are_built_in_snowflake_with_the_same_sql_as_duckdb(sf, small_home, monkeypatch):
    """The statewide course records never come to Python: the same statement builds them in Snowflake (the share
    in CDE's database, the asset tables in CCGI's) as in the embedded warehouse, with the same rows."""
    import duckdb

    from resources import DuckDBWarehouse, LocalCalpadsShare, SnowflakeWarehouse

    for k, v in {"SNOWFLAKE_ACCOUNT": "ccgi", "SNOWFLAKE_USER": "pipeline", "SNOWFLAKE_PASSWORD": "secret",
                 "SNOWFLAKE_WAREHOUSE": "WH", "SNOWFLAKE_ROLE": "CCGI_PIPELINE", "SNOWFLAKE_DATABASE": "CCGI",
                 "CCGI_CALPADS_SHARE_DATABASE": "CALPADS_SHARE", "CCGI_CMP_URL": str(small_home / "cmp"),
                 "CCGI_LANDING_URL": str(small_home / "landing" / "optin")}.items():
        monkeypatch.setenv(k, v)
    for rt in ("CRSE", "SENR", "SINF", "SCSC"):
        load_share(sf, small_home, rt)
    leas = SnowflakeCalpadsShare(database="CALPADS_SHARE", scratch_database="CCGI", **CREDS).leas()[:2]
    from dagster import DagsterInstance

    from ccgi_assets.partitions import lea_partitions

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(lea_partitions.name, leas)
    resources = build_resources("snowflake", home=small_home)
    ok = materialize([*SOURCES, *ASSETS], selection=["crse_courses"], resources=resources, instance=instance)
    assert ok.success
    for lea in leas:
        result = materialize([*SOURCES, *ASSETS], selection=["optin_students", "registration_roster", "student_courses"],
                             resources=resources, instance=instance, partition_key=lea)
        assert result.success
    sf.execute("SELECT count(*), count(DISTINCT SSID), count(DISTINCT REPORTING_LEA) FROM CCGI.CCGI.STUDENT_COURSES")
    rows, students, n_leas = sf.fetchone()
    assert rows > students > 0 and n_leas == 2

    # the embedded warehouse, from the same files, builds the same rows with the same statement
    local = LocalCalpadsShare(home=str(small_home))
    local.prepare(["CRSE", "SENR", "SINF", "SCSC"])
    for table in ("registration_roster", "crse_courses"):
        model = c.CONTRACTS[table]
        sf.execute(f"SELECT {', '.join(c.columns(model))} FROM CCGI.CCGI.{table.upper()}")
        frame = pd.DataFrame(sf.fetchall(), columns=c.columns(model))  # noqa: F841 - read by DuckDB by name
        con = duckdb.connect(str(local.database))
        con.execute("CREATE SCHEMA IF NOT EXISTS ccgi")
        con.execute(f"CREATE OR REPLACE TABLE ccgi.{table} AS SELECT * FROM frame")
        con.close()
    w = DuckDBWarehouse(database=str(local.database)).replace_partitions(
        "student_courses", st.STUDENT_COURSES_TABLE_SQL, leas, local)
    assert w.rows == rows
    cols = ["reporting_lea", "ssid", "school_code", "academic_year", "local_course_id", "course_name"]
    con = duckdb.connect(str(local.database))
    here = sorted(con.execute(f"SELECT {', '.join(cols)} FROM ccgi.student_courses").fetchall(), key=str)
    con.close()
    sf.execute(f"SELECT {', '.join(cols)} FROM CCGI.CCGI.STUDENT_COURSES")
    assert sorted(sf.fetchall(), key=str) == here
    wh = SnowflakeWarehouse(database="CCGI", **CREDS)
    assert wh.rows_for("student_courses", leas, [here[0][1]])["ssid"].nunique() == 1
    # who else has a departing student (the withdrawal's look-up), in bound batches; a table not made yet holds nobody
    assert wh.students_in("registration_roster", [here[0][1]]).values.tolist() == [[here[0][0], here[0][1]]]
    assert len(wh.students_in("verified_accounts", [here[0][1]])) == 0
