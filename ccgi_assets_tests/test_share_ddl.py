"""`ccgi share-ddl`: the Snowflake SQL of the seed's shares, derived from the contracts, parsed with sqlglot and
the view statements run against fakesnow."""

import re
import warnings

import pytest
import sqlglot
from sqlglot import exp

from ccgi_assets import contracts as c
from ccgi_assets import share_ddl as sd
from ccgi_assets.cli import main

SCRIPTS = sd.scripts()
ALL = [st for stmts in SCRIPTS.values() for st in stmts]
#: what sqlglot cannot parse into a tree (it falls back to a Command): the statement must have this shape
COMMANDS = {
    "CREATE SHARE": r"CREATE SHARE IF NOT EXISTS \w+ COMMENT = '[^']*'",
    "GRANT": r"GRANT (USAGE|REFERENCE_USAGE) ON (DATABASE|SCHEMA) [\w.]+ TO SHARE \w+"
             r"|GRANT SELECT ON VIEW [\w.]+ TO SHARE \w+|GRANT IMPORTED PRIVILEGES ON DATABASE \w+ TO ROLE \w+",
    "ALTER SHARE": r"ALTER SHARE \w+ ADD ACCOUNTS = \w+\.\w+",
    "CREATE MASKING POLICY": r"CREATE MASKING POLICY IF NOT EXISTS [\w.]+ AS \(val (\w+)\) RETURNS \1 ->\s+(?P<body>CASE .* END)",
    "ALTER TAG": r"ALTER TAG [\w.]+ SET MASKING POLICY [\w.]+(, MASKING POLICY [\w.]+)*",
    "ALTER TABLE": r"ALTER TABLE [\w.]+ MODIFY COLUMN \w+ SET TAG [\w.]+ = 'student'",
    "ALTER SCHEMA": r"ALTER SCHEMA \w+\.EXPORTS_\w+ SET TAG [\w.]+ = 'student'",
    "CREATE DATABASE": r"CREATE DATABASE IF NOT EXISTS \w+ FROM SHARE \w+\.\w+\.\w+",
}


def parse(statement: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sqlglot.parse_one(statement, dialect="snowflake", error_level=sqlglot.ErrorLevel.RAISE)


def views() -> dict[str, tuple[list[str], exp.Create]]:
    out = {}
    for st in ALL:
        tree = parse(st)
        if isinstance(tree, exp.Create) and tree.kind == "VIEW":
            out[tree.this.sql(dialect="snowflake")] = ([p.alias_or_name for p in tree.expression.expressions], tree)
    return out


@pytest.mark.parametrize("statement", ALL, ids=lambda s: s.split("\n")[0][:70])
def test_every_statement_parses_as_snowflake_sql(statement):
    tree = parse(statement)
    if isinstance(tree, exp.Command):
        kind = next(k for k in COMMANDS if statement.startswith(k))
        m = re.fullmatch(COMMANDS[kind], statement, flags=re.S)
        assert m, statement
        if "body" in m.groupdict():  # the policy's condition is an expression sqlglot does parse
            body = parse(f"SELECT {m['body']}").expressions[0]
            assert isinstance(body, exp.Case)
            assert {f.sql().upper() for f in body.find_all(exp.Anonymous)} >= {"INVOKER_SHARE()"}
    else:
        assert tree.sql(dialect="snowflake")


def test_each_view_carries_exactly_its_contracts_columns_once():
    v = views()
    share = c.calpads_share_columns()
    for rt, cols in share.items():
        assert v[f"CALPADS_CCGI_SHARE.CALPADS.{rt}"][0] == cols
    for receiver, assets in sd.OUTBOUND.items():
        for asset, _ in assets:
            assert v[f"CCGI_OUTBOUND.{receiver}.{asset.upper()}"][0] == c.columns(c.CONTRACTS[asset])
    for cols, _ in v.values():
        assert len(cols) == len(set(cols))
        assert "*" not in cols


def test_no_course_share_view_names_a_pii_column():
    layouts = c.calpads_layouts()
    kinds = dict(zip(layouts.loc[layouts.record_type == "CRSE", "column"], layouts.loc[layouts.record_type == "CRSE", "kind"]))
    crse_cols, _ = views()["CALPADS_CCGI_SHARE.CALPADS.CRSE"]
    assert not {kinds[col] for col in crse_cols} & {"student_id", "pii", "staff_pii", "other"}
    cmp_cols, _ = views()["CCGI_OUTBOUND.CDE.CMP_MATCH_RESULTS"]
    assert not set(cmp_cols) & {col for m in c.CONTRACTS.values() for col in c.pii_columns(m)}


def test_each_statewide_system_share_holds_only_its_own_rows():
    for system in c.SYSTEMS:
        _, tree = views()[f"CCGI_OUTBOUND.{system}.STATEWIDE_SUBMISSIONS"]
        where = tree.expression.args["where"].this
        assert isinstance(where, exp.EQ) and where.this.name == "receiving_system" and where.expression.this == system
    grants = [st for st in SCRIPTS["4_ccgi_outbound.sql"] if st.startswith("GRANT SELECT")]
    for system in c.SYSTEMS:  # no system's share is granted another system's view
        mine = [g for g in grants if g.endswith(f"TO SHARE CCGI_TO_{system}")]
        assert mine == [f"GRANT SELECT ON VIEW CCGI_OUTBOUND.{system}.STATEWIDE_SUBMISSIONS TO SHARE CCGI_TO_{system}"]


def test_every_pii_column_of_the_student_tables_is_tagged_for_masking():
    tagged = set()
    for st in SCRIPTS["3_ccgi_masking.sql"]:
        m = re.fullmatch(r"ALTER TABLE CCGI\.CCGI\.(\w+) MODIFY COLUMN (\w+) SET TAG CCGI\.GOVERNANCE\.PII = 'student'", st)
        if m:
            tagged.add((m[1].lower(), m[2]))
    expected = {(a, col) for a, m in c.CONTRACTS.items() for col in c.pii_columns(m)}
    assert tagged == expected and ("registration_roster", "birth_date") in tagged
    schemas = {st.split()[2] for st in SCRIPTS["3_ccgi_masking.sql"] if st.startswith("ALTER SCHEMA")}
    assert schemas == {"CCGI.EXPORTS_UC", "CCGI.EXPORTS_CSU", "CCGI.EXPORTS_CCC", "CCGI.EXPORTS_CDE"}
    policies = [st for st in SCRIPTS["3_ccgi_masking.sql"] if st.startswith("CREATE MASKING POLICY")]
    assert {re.search(r"\(val (\w+)\)", p)[1] for p in policies} == {"VARCHAR", "TIMESTAMP_NTZ"}
    assert all("CURRENT_ROLE() IN ('CCGI_PIPELINE')" in p for p in policies)


def test_accounts_are_parameters_and_names_cannot_inject_sql():
    s = sd.ShareSettings(ccgi_account="ACME.CCGI_TEST", uc_account="UCOP.ADMISSIONS")
    text = "\n".join(sd.render(s).values())
    assert "ALTER SHARE CALPADS_TO_CCGI ADD ACCOUNTS = ACME.CCGI_TEST" in text
    assert "ALTER SHARE CCGI_TO_UC ADD ACCOUNTS = UCOP.ADMISSIONS" in text
    with pytest.raises(ValueError, match="uc_account"):
        sd.ShareSettings(uc_account="UC.X; DROP DATABASE CCGI")
    with pytest.raises(ValueError, match="ORGNAME.ACCOUNT_NAME"):
        sd.ShareSettings(cde_account="JUSTONE")


def test_the_cli_writes_the_four_scripts_and_the_lineage(tmp_path, capsys):
    assert main(["share-ddl", "--out", str(tmp_path / "sql"), "--cde-account", "CDE.PROD"]) == 0
    names = sorted(p.name for p in (tmp_path / "sql").glob("*.sql"))
    assert names == sorted(SCRIPTS)
    assert "FROM SHARE CDE.PROD.CALPADS_TO_CCGI" in (tmp_path / "sql" / "2_ccgi_consumer.sql").read_text()
    assert main(["lineage", "--out", str(tmp_path / "lineage")]) == 0
    total = sum(len(c.columns(m)) for m in c.CONTRACTS.values())
    assert f"column lineage: {total} of {total} columns have a source (100%)" in capsys.readouterr().out


# --------------------------------------------------------------------------- fakesnow
def _create_sources(cur):
    """CDE's CALPADS tables (every layout column, SEIDs and addresses included) and CCGI's asset tables."""
    layouts = c.calpads_layouts()
    cur.execute("CREATE DATABASE IF NOT EXISTS CALPADS")
    cur.execute("CREATE SCHEMA IF NOT EXISTS CALPADS.ODS")
    for rt in c.CALPADS_ASSETS:
        cols = ", ".join(f"{col} VARCHAR" for col in layouts.loc[layouts.record_type == rt, "column"])
        cur.execute(f"CREATE TABLE CALPADS.ODS.{rt} ({cols})")
    cur.execute("CREATE DATABASE IF NOT EXISTS CCGI")
    cur.execute("CREATE SCHEMA IF NOT EXISTS CCGI.CCGI")
    for asset in ("statewide_submissions", "cde_extract", "cmp_match_results"):
        model = c.CONTRACTS[asset]
        cols = ", ".join(f"{col} {sd._SF_TYPES[c._type_name(c._schema(model).columns[col])]}" for col in c.columns(model))
        cur.execute(f"CREATE TABLE CCGI.CCGI.{asset.upper()} ({cols})")
    for i, system in enumerate(["UC", "CSU", "CCC", "UC"]):
        cur.execute("INSERT INTO CCGI.CCGI.STATEWIDE_SUBMISSIONS (reporting_lea, receiving_system, ssid, school_code, "
                    f"academic_year, local_course_id) VALUES ('0100001', '{system}', '100000000{i}', '0100011', "
                    "'2025-2026', '0042')")
    cur.execute("INSERT INTO CALPADS.ODS.CRSE (reporting_lea, seid, class_id, course_name) "
                "VALUES ('0100001', '1234567890', 'C1', 'ENG 9')")


def test_the_view_statements_run_on_fakesnow_and_select_only_the_allowed(monkeypatch):
    import fakesnow
    import snowflake.connector

    warnings.filterwarnings("ignore", category=UserWarning)
    with fakesnow.patch():
        conn = snowflake.connector.connect()
        cur = conn.cursor()
        _create_sources(cur)
        ran = 0
        for name in ("1_cde_provider.sql", "4_ccgi_outbound.sql"):
            for st in SCRIPTS[name]:
                tree = parse(st)
                if isinstance(tree, exp.Create) and tree.kind in ("DATABASE", "SCHEMA", "VIEW"):
                    cur.execute(st)  # fakesnow has no shares or grants: those stay parse-checked only
                    ran += 1
        assert ran == 2 + 4 + 1 + 4 * 1 + 5  # databases, schemas, views
        cur.execute("SELECT * FROM CALPADS_CCGI_SHARE.CALPADS.CRSE")
        assert [d[0].lower() for d in cur.description] == c.calpads_share_columns()["CRSE"]
        assert len(cur.fetchall()) == 1
        for system, n in {"UC": 2, "CSU": 1, "CCC": 1}.items():
            cur.execute(f"SELECT receiving_system, ssid FROM CCGI_OUTBOUND.{system}.STATEWIDE_SUBMISSIONS")
            rows = cur.fetchall()
            assert len(rows) == n and {r[0] for r in rows} == {system}
            cur.execute(f"SELECT * FROM CCGI_OUTBOUND.{system}.STATEWIDE_SUBMISSIONS")
            assert [d[0].lower() for d in cur.description] == c.columns(c.StatewideSubmission)
        cur.execute("SELECT * FROM CCGI_OUTBOUND.CDE.CDE_EXTRACT")
        assert [d[0].lower() for d in cur.description] == c.columns(c.CdeExtractRow)
