"""Contract checks where the data is: a pandera contract as one SQL query (DuckDB or Snowflake).

:func:`check_sql` turns a contract (:mod:`ccgi_assets.contracts`) into ONE query over a relation that returns a
row ``(column_name, rule, n)`` per broken rule, ``n > 0`` only, with the column and rule named exactly as
:func:`contracts.validate` names them for the same breakage, and ``n`` the same count. :func:`violations` turns
the rows into :class:`contracts.Failure` and :func:`raise_if_violated` raises :class:`contracts.ContractViolation`
from them: columns, rules and counts, never a value (the query returns no value of the data).

The relation is either a table name (``table``, ``schema.table`` or ``database.schema.table``, unquoted
identifiers) or a parenthesised subquery without an alias, ``(SELECT ... FROM ...)``: the query adds its own
alias. Only the contract's columns are read (an allowlist, never ``SELECT *``).

What the query checks, from the contract:

* ``not_nullable``: NULLs in a non-nullable column (and NaN in a DOUBLE column: pandas reads NaN as null);
* every field check, NULLs (and NaN) excluded as pandera excludes them: ``str_matches`` (DuckDB
  ``regexp_full_match`` / Snowflake ``REGEXP_LIKE``, both whole-string, when the pattern is anchored ``^...$``;
  pandera's start-anchored match otherwise), ``isin``, ``notin``, ``str_length``, ``str_startswith``,
  ``str_endswith``, ``str_contains``, ``equal_to``, ``not_equal_to``, ``greater_than(_or_equal_to)``,
  ``less_than(_or_equal_to)``, ``in_range``; a check of another kind raises ``NotImplementedError`` (fail closed:
  a new rule in a contract cannot be silently skipped);
* ``Config.unique`` (``multiple_fields_uniqueness``, reported for each key column, counting as pandera does with
  ``report_duplicates="all"`` the rows of a duplicated key whose value in that column is not null; another
  ``report_duplicates`` raises ``NotImplementedError``) and ``Field(unique=True)``
  (``field_uniqueness``, NULLs excluded). NULLs in a key are equal to each other (SQL ``GROUP BY``, like pandas);
* the column set, for a table name only: a column of the table that the contract does not list is
  ``column_in_schema`` (count 1, as pandera), or ``column_not_in_non_pii_contract`` for a non-PII contract
  (count: the table's rows, at least 1 so that an empty table still fails; ``contracts.validate`` stops at that
  failure, the query reports the other broken rules beside it). A column the contract lists but the
  relation lacks makes the database reject the query (its error names the column, not a value): SQL cannot read
  a column that is not there (pandera's ``column_in_dataframe`` has no row here). For a subquery the column set is the subquery's own ``SELECT`` list: not checked.

A column's checks run once per distinct value: the query groups the column by value and sums the counts of the
values that fail (LEA, school, year and a-g codes repeat over millions of rows, an SSID once per course), about
8x faster than testing every row on ``student_courses`` (bench/bench_contracts.py); NULL and NOT NULL counts are
one pass over the rows.

Not checked: ``dtype`` and ``coerce_dtype``. The tables are created from :func:`contracts.sql_type`, so the
database enforces the types on write; a value that does not fit its type never reaches the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandera.pandas as pa

from ccgi_assets import contracts as c

DIALECTS = ("duckdb", "snowflake")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def _str(text: str, dialect: str) -> str:
    """A SQL string literal. Snowflake reads backslash escapes in single-quoted strings; DuckDB does not."""
    text = str(text)
    if dialect == "snowflake":
        text = text.replace("\\", "\\\\")
    return "'" + text.replace("'", "''") + "'"


def _lit(value, dialect: str) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return _str(value, dialect)


def _anchored(pattern: str) -> bool:
    return pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")


def _regex(col: str, pattern: str, dialect: str) -> str:
    """pandera's ``str_matches``: ``re.match`` (anchored at the start only)."""
    if dialect == "duckdb":
        if _anchored(pattern):
            return f"regexp_full_match({col}, {_str(pattern, dialect)})"
        return f"regexp_matches({col}, {_str('^(?:' + pattern + ')', dialect)})"
    if _anchored(pattern):  # REGEXP_LIKE matches the whole string
        return f"REGEXP_LIKE({col}, {_str(pattern, dialect)})"
    return f"REGEXP_LIKE({col}, {_str('(' + pattern + ').*', dialect)}, 's')"


def _contains(col: str, pattern: str, dialect: str) -> str:
    if dialect == "duckdb":
        return f"regexp_matches({col}, {_str(pattern, dialect)})"
    return f"REGEXP_LIKE({col}, {_str('.*(' + pattern + ').*', dialect)}, 's')"


def _length(col: str, dialect: str) -> str:
    return f"length({col})" if dialect == "duckdb" else f"LENGTH({col})"


def _passes(check: pa.Check, col: str, dialect: str) -> str:
    """A SQL condition true when a non-null value passes ``check``."""
    s = check.statistics or {}
    name = check.name
    if name == "str_matches":
        return _regex(col, s["pattern"], dialect)
    if name == "str_contains":
        return _contains(col, s["pattern"], dialect)
    if name == "isin":
        return f"{col} IN ({', '.join(_lit(v, dialect) for v in s['allowed_values'])})"
    if name == "notin":
        return f"{col} NOT IN ({', '.join(_lit(v, dialect) for v in s['forbidden_values'])})"
    if name == "str_startswith":
        return f"starts_with({col}, {_lit(s['string'], dialect)})" if dialect == "duckdb" else \
            f"STARTSWITH({col}, {_lit(s['string'], dialect)})"
    if name == "str_endswith":
        return f"suffix({col}, {_lit(s['string'], dialect)})" if dialect == "duckdb" else \
            f"ENDSWITH({col}, {_lit(s['string'], dialect)})"
    if name == "str_length":
        n = _length(col, dialect)
        if s.get("exact_value") is not None:
            return f"{n} = {int(s['exact_value'])}"
        conds = []
        if s.get("min_value") is not None:
            conds.append(f"{n} >= {int(s['min_value'])}")
        if s.get("max_value") is not None:
            conds.append(f"{n} <= {int(s['max_value'])}")
        return " AND ".join(conds) or "TRUE"
    ops = {"greater_than": (">", "min_value"), "greater_than_or_equal_to": (">=", "min_value"),
           "less_than": ("<", "max_value"), "less_than_or_equal_to": ("<=", "max_value"),
           "equal_to": ("=", "value"), "not_equal_to": ("<>", "value")}
    if name in ops:
        op, key = ops[name]
        return f"{col} {op} {_lit(s[key], dialect)}"
    if name == "in_range":
        lo = ">=" if s.get("include_min", True) else ">"
        hi = "<=" if s.get("include_max", True) else "<"
        return f"{col} {lo} {_lit(s['min_value'], dialect)} AND {col} {hi} {_lit(s['max_value'], dialect)}"
    raise NotImplementedError(f"no SQL for the pandera check {check.error or name!r} (column {col})")


def _is_null(col: str, double: bool, dialect: str) -> str:
    if not double:
        return f"{col} IS NULL"
    return f"({col} IS NULL OR isnan({col}))" if dialect == "duckdb" else f"({col} IS NULL OR {col} = 'NaN'::FLOAT)"


def _table_parts(relation: str) -> list[str] | None:
    """``[database, schema, table]`` (missing parts None) of a table name; None for a subquery."""
    rel = relation.strip()
    if rel.startswith("("):
        if not rel.endswith(")"):
            raise ValueError("a subquery relation is parenthesised: (SELECT ...)")
        return None
    parts = [_ident(p) for p in rel.split(".")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"not a table name: {relation!r}")
    return [None] * (3 - len(parts)) + parts


def _extra_columns(parts: list[str | None], allowed: list[str], dialect: str) -> str:
    """The table's columns that the contract does not list, from the information schema."""
    db, schema, table = parts
    info = f"{db}.information_schema.columns" if (db and dialect == "snowflake") else "information_schema.columns"
    where = [f"upper(table_name) = upper({_str(table, dialect)})",
             f"upper(table_schema) = upper({_str(schema, dialect)})" if schema else "table_schema = current_schema()",
             f"upper(table_catalog) = upper({_str(db, dialect)})" if db else "table_catalog = current_database()",
             f"lower(column_name) NOT IN ({', '.join(_str(a, dialect) for a in allowed)})"]
    return f"SELECT lower(column_name) AS column_name FROM {info} WHERE " + " AND ".join(where)


def check_sql(model: type[pa.DataFrameModel], relation: str, dialect: str = "duckdb") -> str:
    """ONE query over ``relation`` (a table name or a parenthesised subquery, no alias) returning
    ``(column_name, rule, n)`` per rule of ``model`` that rows break, ``n > 0`` only. See the module docstring."""
    return _check_sql(model, relation, dialect, by_value=True)


def _check_sql(model: type[pa.DataFrameModel], relation: str, dialect: str, by_value: bool) -> str:
    """``by_value``: a column's checks run once per distinct value (``GROUP BY`` the column, then sum the counts
    of the values that fail): a few hundred regex tests instead of millions where values repeat (LEA, school,
    year, a-g code; an SSID repeats once per course). Otherwise every check runs on every row."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}")
    schema = model.to_schema()
    cols = [_ident(n) for n in schema.columns]
    parts = _table_parts(relation)
    counts: list[str] = ["count(*) AS n_rows"]  # one scan computes every row-level count
    outputs: list[tuple[str, str, str]] = []  # (column, rule, count expression over the aggregates)
    per_value: list[str] = []  # CTEs: one column's checks over its distinct values
    for name, col in schema.columns.items():
        double = c.sql_type(model, name) == "DOUBLE"
        null = _is_null(name, double, dialect)
        if not col.nullable:
            counts.append(f"count_if({null}) AS c{len(counts)}")
            outputs.append((name, "not_nullable", f"(SELECT c{len(counts) - 1} FROM a)"))
        if by_value and col.checks:
            j = len(per_value)
            sums = ", ".join(
                f"coalesce(sum(CASE WHEN NOT {null} AND NOT ({_passes(chk, name, dialect)}) THEN n END), 0) AS k{k}"
                for k, chk in enumerate(col.checks))
            per_value.append(f"v{j} AS (SELECT {sums} FROM (SELECT {name}, count(*) AS n FROM t GROUP BY {name}) g)")
            outputs += [(name, chk.error or chk.name, f"(SELECT k{k} FROM v{j})") for k, chk in enumerate(col.checks)]
            continue
        for check in col.checks:
            counts.append(f"count_if(NOT {null} AND NOT ({_passes(check, name, dialect)})) AS c{len(counts)}")
            outputs.append((name, check.error or check.name, f"(SELECT c{len(counts) - 1} FROM a)"))
    ctes = [f"t AS (SELECT {', '.join(cols)} FROM {relation.strip()} AS checked_relation)",
            f"a AS (SELECT {', '.join(counts)} FROM t)", *per_value]
    keys: list[tuple[list[str], str, str | None]] = []
    unique = schema.unique
    if unique:
        keys.append(([unique] if isinstance(unique, str) else list(unique), "multiple_fields_uniqueness", None))
    for name, col in schema.columns.items():
        if col.unique:
            keys.append(([name], "field_uniqueness", f"{_is_null(name, c.sql_type(model, name) == 'DOUBLE', dialect)}"))
    report = getattr(schema, "report_duplicates", "all") or "all"
    if keys and report != "all":
        raise NotImplementedError(f"report_duplicates={report!r}: only 'all' (pandera's default) has SQL here")
    for i, (key, rule, null) in enumerate(keys):
        k = ", ".join(_ident(x) for x in key)
        where = f" WHERE NOT {null}" if null else ""
        # pandera counts, per key column, the rows of a duplicated key whose value in that column is not null
        nn = ", ".join(f"count_if(NOT {_is_null(x, c.sql_type(model, x) == 'DOUBLE', dialect)}) AS n{j}"
                       for j, x in enumerate(key))
        sums = ", ".join(f"coalesce(sum(n{j}), 0) AS n{j}" for j in range(len(key)))
        ctes.append(f"d{i} AS (SELECT {sums} FROM "
                    f"(SELECT {nn} FROM t{where} GROUP BY {k} HAVING count(*) > 1) g)")
        outputs += [(x, rule, f"(SELECT n{j} FROM d{i})") for j, x in enumerate(key)]
    selects = [f"SELECT {_str(col, dialect)} AS column_name, {_str(rule, dialect)} AS rule, {expr} AS n FROM a"
               for col, rule, expr in outputs]
    if parts is not None:
        ctes.append(f"x AS ({_extra_columns(parts, cols, dialect)})")
        if c.is_non_pii(model):
            selects.append("SELECT x.column_name, 'column_not_in_non_pii_contract' AS rule, "
                           "greatest(a.n_rows, 1) AS n FROM x CROSS JOIN a")
        else:
            selects.append("SELECT x.column_name, 'column_in_schema' AS rule, 1 AS n FROM x")
    body = "\n    UNION ALL ".join(selects)
    with_ = ",\n".join(ctes)
    return (f"WITH {with_}\nSELECT column_name, rule, n FROM (\n    {body}\n) r "
            "WHERE n > 0 ORDER BY column_name, rule")


def violations(rows: Iterable) -> list[c.Failure]:
    """The :func:`check_sql` result rows as failures (column, rule, count), sorted like ``contracts.validate``."""
    return sorted((c.Failure(str(col), str(rule), int(n)) for col, rule, n in rows if int(n) > 0),
                  key=lambda f: (f.column, f.rule))


def raise_if_violated(model: type[pa.DataFrameModel], rows: Iterable) -> None:
    """Raise :class:`contracts.ContractViolation` (columns, rules, counts; never a value) when any row broke a rule."""
    failures = violations(rows)
    if failures:
        raise c.ContractViolation(model.__name__, failures)
