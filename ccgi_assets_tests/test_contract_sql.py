"""Contract checks as SQL (contract_sql.check_sql) report what pandera reports (contracts.validate) for the same
rows: same columns, rules and counts, for every contract and every rule of it, and never a value."""

from __future__ import annotations

import re
import warnings

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from ccgi_assets import contract_sql as cs
from ccgi_assets import contracts as c

try:
    from re import _parser as sre_parse  # Python >= 3.11
except ImportError:  # pragma: no cover
    import sre_parse

SECRET = "Zq9secret"  # what every broken string value starts with: must never reach a message
SECRET_NUMBER = 987654


# --------------------------------------------------------------------------- frames built from the contract
def _from_regex(pattern: str, i: int) -> str:
    """A string matching ``pattern`` (literals, \\d, classes, groups, alternation, repeats), varied by ``i``."""
    digits = iter(f"{i:030d}"[::-1])

    def gen(tokens) -> str:
        out = []
        for op, arg in tokens:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "IN":
                kinds = dict((str(o), a) for o, a in arg)
                if kinds.get("CATEGORY") is not None and str(kinds["CATEGORY"]) == "CATEGORY_DIGIT":
                    out.append(next(digits))
                elif "LITERAL" in kinds:
                    out.append(chr(kinds["LITERAL"]))
                elif "RANGE" in kinds:
                    out.append(chr(kinds["RANGE"][0]))
                else:
                    raise NotImplementedError(f"regex class {arg}")
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                lo, _hi, sub = arg
                out.extend(gen(sub) for _ in range(lo))
            elif name == "SUBPATTERN":
                out.append(gen(arg[-1]))
            elif name == "BRANCH":
                out.append(gen(arg[1][0]))
            elif name == "AT":
                pass
            else:
                raise NotImplementedError(f"regex element {name}: add it to the test's generator")
        return "".join(out)

    return gen(sre_parse.parse(pattern))


def _passes(col, value) -> bool:
    s = pd.Series([value])
    return all(bool(chk(s).check_passed) for chk in col.checks)


def _kind(model, name: str) -> str:
    return c.sql_type(model, name)


def _valid_value(model, name: str, col, i: int):
    kind = _kind(model, name)
    if kind == "VARCHAR":
        cands = [f"v{i}-{name}"]
        for chk in col.checks:
            st = chk.statistics or {}
            if chk.name == "str_matches":
                cands.insert(0, _from_regex(st["pattern"], i))
            elif chk.name == "isin":
                cands.insert(0, st["allowed_values"][0])
    elif kind == "TIMESTAMP":
        cands = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=i)]
    elif kind == "BOOLEAN":
        cands = [True]
    else:
        stats = [v for chk in col.checks for k, v in (chk.statistics or {}).items() if k in ("min_value", "max_value")]
        cands = [*stats, *(v + 1 for v in stats), 1, 0]
        if kind == "DOUBLE":
            cands = [float(v) for v in cands]
    for v in cands:
        if _passes(col, v):
            return v
    raise AssertionError(f"no valid value for {model.__name__}.{name}: teach the test this rule")


def _bad_value(model, name: str, col, check):
    """A value that breaks ``check`` and passes the column's other checks."""
    if _kind(model, name) == "VARCHAR":
        cands = [SECRET, f"{SECRET}-{name}", f"{_valid_value(model, name, col, 0)}{SECRET}"]
    else:
        st = check.statistics or {}
        bounds = [v for k, v in st.items() if k in ("min_value", "max_value", "value")]
        cands = [*(b - 1 for b in bounds), *(b + 1 for b in bounds), *bounds, -SECRET_NUMBER, SECRET_NUMBER]
        if _kind(model, name) == "DOUBLE":
            cands = [float(v) for v in cands]
    others = [k for k in col.checks if k is not check]
    for v in cands:
        s = pd.Series([v])
        if not bool(check(s).check_passed) and all(bool(k(s).check_passed) for k in others):
            return v
    raise AssertionError(f"no value breaking {check.error} on {model.__name__}.{name}: teach the test this rule")


def valid_frame(model, rows: int = 4) -> pd.DataFrame:
    schema = model.to_schema()
    data = {name: [_valid_value(model, name, col, i) for i in range(rows)] for name, col in schema.columns.items()}
    return c.empty(model).pipe(lambda e: pd.concat([e, pd.DataFrame(data)], ignore_index=True))


def rules(model) -> list[str]:
    """Every rule of a contract, as an id a broken frame is built for."""
    schema = model.to_schema()
    out = []
    for name, col in schema.columns.items():
        if not col.nullable:
            out.append(f"{name}|not_nullable")
        out += [f"{name}|check{k}" for k in range(len(col.checks))]
        if col.unique:
            out.append(f"{name}|field_uniqueness")
    if schema.unique:
        out.append("|unique")
    if schema.strict:
        out.append("|strict")
    return out


def broken_frame(model, rule: str, bad_rows: int = 2) -> pd.DataFrame:
    """A valid frame with ``bad_rows`` rows breaking ``rule`` (and only it)."""
    schema = model.to_schema()
    df = valid_frame(model, 4 + bad_rows)
    name, _, what = rule.partition("|")
    bad = df.index[-bad_rows:]
    if what == "not_nullable":
        df.loc[bad, name] = None
    elif what.startswith("check"):
        col = schema.columns[name]
        df.loc[bad, name] = _bad_value(model, name, col, col.checks[int(what[5:])])
    elif what in ("unique", "field_uniqueness"):
        df = pd.concat([df.iloc[:-bad_rows], df.iloc[[0] * bad_rows]], ignore_index=True)
    elif what == "strict":
        df[f"{SECRET.lower()}_extra"] = [f"{SECRET}-extra-{i}" for i in range(len(df))]
    else:
        raise AssertionError(rule)
    return df


CASES = [pytest.param(asset, rule, id=f"{asset}:{rule}") for asset, model in c.CONTRACTS.items() for rule in rules(model)]


# --------------------------------------------------------------------------- running both
def pandera_failures(df: pd.DataFrame, model) -> set[tuple[str, str, int]]:
    try:
        c.validate(df, model)
    except c.ContractViolation as err:
        return {(f.column, f.rule, f.count) for f in err.failures}
    return set()


def _load(con, df: pd.DataFrame, model, table: str) -> None:
    """The table as the pipeline creates it (types from the contract) holding ``df``'s rows."""
    extra = [col for col in df.columns if col not in c.columns(model)]
    cols = [f"{n} {c.sql_type(model, n)}" for n in c.columns(model)] + [f"{n} VARCHAR" for n in extra]
    con.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(cols)})")
    frame = df  # noqa: F841  (read by DuckDB's replacement scan)
    con.execute(f"INSERT INTO {table} SELECT {', '.join(df.columns)} FROM frame")


def sql_failures(df: pd.DataFrame, model, relation: str | None = None, by_value: bool = True) -> set[tuple[str, str, int]]:
    con = duckdb.connect()
    _load(con, df, model, "checked")
    sql = cs.check_sql(model, relation or "checked") if by_value else \
        cs._check_sql(model, relation or "checked", "duckdb", by_value=False)  # the row-wise form bench measures
    rows = con.execute(sql).fetchall()
    return {(f.column, f.rule, f.count) for f in cs.violations(rows)}


# --------------------------------------------------------------------------- tests
def test_the_cases_cover_every_kind_of_rule_the_contracts_use():
    kinds = {chk.name for m in c.CONTRACTS.values() for col in m.to_schema().columns.values() for chk in col.checks}
    assert kinds >= {"str_matches", "isin", "greater_than_or_equal_to", "less_than_or_equal_to"}
    ids = {rule.split("|")[1] for _, rule in (p.values for p in CASES)}
    assert {"not_nullable", "unique", "strict", "check0", "check1"} <= ids


@pytest.mark.parametrize("asset", list(c.CONTRACTS))
def test_a_valid_table_gives_no_row(asset):
    model = c.CONTRACTS[asset]
    df = valid_frame(model)
    assert pandera_failures(df, model) == set()
    assert sql_failures(df, model) == set()


@pytest.mark.parametrize("asset,rule", CASES)
def test_sql_reports_what_pandera_reports_for_each_broken_rule(asset, rule):
    model = c.CONTRACTS[asset]
    df = broken_frame(model, rule)
    expected = pandera_failures(df, model)
    assert expected, f"the broken frame for {rule} broke nothing"
    assert sql_failures(df, model) == expected


@pytest.mark.parametrize("asset", list(c.CONTRACTS))
def test_all_rules_broken_at_once_give_the_same_counts(asset):
    model = c.CONTRACTS[asset]
    df = valid_frame(model, 10)
    schema = model.to_schema()
    n = 0
    for name, col in schema.columns.items():  # a different pair of rows breaks each rule
        for k, chk in enumerate(col.checks):
            df.loc[[n % 10, (n + 3) % 10], name] = _bad_value(model, name, col, chk)
            n += 1
        if not col.nullable:
            df.loc[[n % 10], name] = None
            n += 1
    if schema.unique:
        df = pd.concat([df, df.iloc[[4, 4, 5]]], ignore_index=True)
    expected = pandera_failures(df, model)
    assert len(expected) >= len(schema.columns) // 2
    assert sql_failures(df, model) == expected
    assert sql_failures(df, model, by_value=False) == expected


def test_a_subquery_relation_is_checked_without_the_column_set():
    model = c.OptinStudent
    df = broken_frame(model, "ssid|check0")
    expected = pandera_failures(df, model)
    assert sql_failures(df, model, "(SELECT reporting_lea, ssid, participation_model FROM checked)") == expected
    strict = broken_frame(model, "|strict")
    assert sql_failures(strict, model, "(SELECT * FROM checked)") == set()  # documented: table names only


def test_a_missing_column_is_refused_by_the_database():
    model = c.OptinStudent
    con = duckdb.connect()
    con.execute("CREATE TABLE checked (reporting_lea VARCHAR, ssid VARCHAR)")
    with pytest.raises(duckdb.BinderException, match="participation_model"):
        con.execute(cs.check_sql(model, "checked"))


class _Odd(pa.DataFrameModel):
    x: Series[str] = pa.Field(str_matches=r"^\d$")

    @pa.check("x")
    def custom(cls, s):
        return s != "7"


def test_an_unknown_check_fails_closed():
    with pytest.raises(NotImplementedError, match="custom"):
        cs.check_sql(_Odd, "t")


def _contract_text(model) -> str:
    schema = model.to_schema()
    return " ".join([model.__name__, *schema.columns,
                     *(chk.error or chk.name for col in schema.columns.values() for chk in col.checks)])


@pytest.mark.parametrize("asset", list(c.CONTRACTS))
def test_failure_messages_carry_no_value(asset):
    model = c.CONTRACTS[asset]
    frames = [broken_frame(model, rule) for rule in rules(model)]
    con = duckdb.connect()
    text = _contract_text(model)
    for df in frames:
        _load(con, df, model, "checked")
        with pytest.raises(c.ContractViolation) as err:
            cs.raise_if_violated(model, con.execute(cs.check_sql(model, "checked")).fetchall())
        message = str(err.value)
        assert SECRET.lower() not in message.lower().replace(f"{SECRET.lower()}_extra", "")
        assert str(SECRET_NUMBER) not in message
        for value in {str(v) for v in df.astype(str).to_numpy().ravel() if len(str(v)) >= 5}:
            if value not in text and not value.startswith(f"{SECRET.lower()}_extra"):
                assert value not in message, f"a value of {asset} reached the message"


def test_raise_if_violated_is_quiet_without_rows():
    cs.raise_if_violated(c.StudentCourse, [])
    assert cs.violations([("ssid", "not_nullable", 2)]) == [c.Failure("ssid", "not_nullable", 2)]


def test_snowflake_dialect_runs_on_fakesnow_and_agrees_with_pandera():
    import fakesnow
    import snowflake.connector

    warnings.filterwarnings("ignore", category=UserWarning)
    checked = {}
    with fakesnow.patch():
        conn = snowflake.connector.connect()
        cur = conn.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS CCGI")
        cur.execute("CREATE SCHEMA IF NOT EXISTS CCGI.CCGI")
        for asset, rule in (("optin_students", "|unique"), ("optin_students", "|strict"),
                            ("student_courses", "ssid|check0"), ("student_courses", "ag_subject_area|check0"),
                            ("crse_courses", "section_count|check0"), ("cmp_match_results", "score|check1"),
                            ("cmp_match_results", "match_status|not_nullable"), ("lea_reports", "|strict")):
            model = c.CONTRACTS[asset]
            df = broken_frame(model, rule)
            extra = [col for col in df.columns if col not in c.columns(model)]
            table = f"CCGI.CCGI.{asset.upper()}"
            cols = [f"{n} {c.sql_type(model, n)}" for n in c.columns(model)] + [f"{n} VARCHAR" for n in extra]
            cur.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(cols)})")
            values = ", ".join("(" + ", ".join(_sf_literal(v) for v in row) + ")"
                               for row in df.astype(object).itertuples(index=False))
            cur.execute(f"INSERT INTO {table} ({', '.join(df.columns)}) VALUES {values}")
            cur.execute(cs.check_sql(model, table, "snowflake"))
            got = {(f.column, f.rule, f.count) for f in cs.violations(cur.fetchall())}
            checked[(asset, rule)] = (got, pandera_failures(df, model))
    for key, (got, expected) in checked.items():
        assert expected and got == expected, key


def _sf_literal(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v is pd.NaT:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, pd.Timestamp):
        return f"'{v.isoformat()}'::TIMESTAMP"
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


def test_rule_names_are_the_contracts_own():
    """Every rule name in the SQL is a contract check's text (what pandera reports), not something new."""
    for model in c.CONTRACTS.values():
        sql = cs.check_sql(model, "t")
        for col in model.to_schema().columns.values():
            for chk in col.checks:
                assert cs._str(chk.error, "duckdb") in sql
        assert not re.search(r"SELECT \*", sql)


def test_nan_in_a_double_column_counts_as_null_as_it_does_once_fetched_into_pandas():
    model = c.CmpMatchResult  # score: DOUBLE, not nullable, 0-100; name_score: nullable, 0-100
    con = duckdb.connect()
    _load(con, valid_frame(model), model, "checked")
    con.execute("UPDATE checked SET score = 'nan'::DOUBLE, name_score = 'nan'::DOUBLE WHERE rowid < 2")
    fetched = con.execute(f"SELECT {', '.join(c.columns(model))} FROM checked").df()
    expected = pandera_failures(fetched, model)
    assert expected == {("score", "not_nullable", 2)}
    rows = con.execute(cs.check_sql(model, "checked")).fetchall()
    assert {(f.column, f.rule, f.count) for f in cs.violations(rows)} == expected
