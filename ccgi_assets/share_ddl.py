"""The Snowflake SQL a Snowflake administrator runs for the seed's data shares (``ccgi share-ddl``).

Everything is derived from the contracts (:mod:`ccgi_assets.contracts`); no column is listed here.

``cde_provider.sql`` (run by CDE)
    One secure view per CALPADS record type exposing exactly the columns the contracts' lineage needs
    (:func:`contracts.calpads_share_columns`), ``CREATE SHARE``, ``GRANT USAGE`` / ``GRANT SELECT ... TO SHARE``
    and ``ALTER SHARE ... ADD ACCOUNTS`` for CCGI's account. The course view (CRSE) holds no student, staff or class
    column.
``ccgi_consumer.sql`` (run by CCGI)
    The database CCGI creates from CDE's share, and the pipeline role's access to it.
``ccgi_masking.sql`` (run by CCGI once the pipeline has written its tables)
    A ``PII`` tag on every PII column of the student tables (and on the ``EXPORTS_<receiver>`` schemas of the
    per-LEA extracts) and tag-based masking policies: values show only to the pipeline's role, and through the
    outbound shares (whose views carry only their contract's columns).
``ccgi_outbound.sql`` (run by CCGI)
    One share per receiver: UC, CSU and CCC each a secure view of only their own rows of
    ``statewide_submissions`` (a view filter on ``receiving_system``); CDE a view of ``cde_extract`` and of
    ``cmp_match_results`` (seed Diagram 1 step 3: match results are returned to CDE).

Accounts and object names are parameters (:class:`ShareSettings`); each is checked to be a plain Snowflake
identifier (``ORG.ACCOUNT`` for accounts), so nothing can be injected into the SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

from ccgi_assets import contracts as c

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$")
#: the pipeline's asset tables that hold student data (masked for every role but the pipeline's)
STUDENT_TABLES = [a for a, m in c.CONTRACTS.items() if not c.is_non_pii(m)]
#: each outbound receiver: the assets its share carries and the row filter of each view
OUTBOUND = {
    "UC": [("statewide_submissions", "receiving_system = 'UC'")],
    "CSU": [("statewide_submissions", "receiving_system = 'CSU'")],
    "CCC": [("statewide_submissions", "receiving_system = 'CCC'")],
    "CDE": [("cde_extract", None), ("cmp_match_results", None)],
}
_SF_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMP_NTZ", "boolean": "BOOLEAN", "integer": "NUMBER(38,0)",
             "double": "FLOAT"}
#: what a masked value reads as, per Snowflake type
_MASKED = {"VARCHAR": "'***MASKED***'", "TIMESTAMP_NTZ": "NULL"}


@dataclass
class ShareSettings:
    """Names and accounts the SQL uses (defaults are placeholders to replace)."""

    ccgi_account: str = "CCGI_ORG.CCGI_PROD"
    uc_account: str = "UC_ORG.UC_PROD"
    csu_account: str = "CSU_ORG.CSU_PROD"
    ccc_account: str = "CCC_ORG.CCC_PROD"
    cde_account: str = "CDE_ORG.CDE_PROD"
    #: CDE's database.schema holding the CALPADS tables SENR, SINF, CRSE, SCSC
    cde_source: str = "CALPADS.ODS"
    #: CDE's database for the share's secure views (schema CALPADS, views named like the record types)
    cde_share_database: str = "CALPADS_CCGI_SHARE"
    cde_share: str = "CALPADS_TO_CCGI"
    #: the database CCGI creates from CDE's share ($CCGI_CALPADS_SHARE_DATABASE of the pipeline)
    ccgi_calpads_database: str = "CALPADS_SHARE"
    #: CCGI's database.schema of asset tables ($SNOWFLAKE_DATABASE, schema of the IO manager)
    ccgi_tables: str = "CCGI.CCGI"
    ccgi_share_database: str = "CCGI_OUTBOUND"
    governance_schema: str = "CCGI.GOVERNANCE"
    pipeline_role: str = "CCGI_PIPELINE"

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, str) and not _IDENT.match(v):
                raise ValueError(f"{f.name} is not a plain Snowflake identifier (letters, digits, _ and $, dot-separated)")
        for name in ("ccgi_account", "uc_account", "csu_account", "ccc_account", "cde_account"):
            if getattr(self, name).count(".") != 1:
                raise ValueError(f"{name} must be ORGNAME.ACCOUNT_NAME")

    def account(self, receiver: str) -> str:
        return getattr(self, f"{receiver.lower()}_account")

    @staticmethod
    def outbound_share(receiver: str) -> str:
        return f"CCGI_TO_{receiver}"


def _view(name: str, cols: list[str], source: str, where: str | None, comment: str) -> str:
    body = ",\n    ".join(cols)
    comment = comment.replace("'", "''")
    sql = f"CREATE OR REPLACE SECURE VIEW {name}\n  COMMENT = '{comment}'\nAS SELECT\n    {body}\nFROM {source}"
    return sql + (f"\nWHERE {where}" if where else "")


def _grants(share: str, database: str, schema: str, views: list[str], source_database: str,
            accounts: list[str]) -> list[str]:
    out = [f"GRANT USAGE ON DATABASE {database} TO SHARE {share}",
           f"GRANT USAGE ON SCHEMA {database}.{schema} TO SHARE {share}",
           # the secure views read another database: the share needs REFERENCE_USAGE on it
           f"GRANT REFERENCE_USAGE ON DATABASE {source_database} TO SHARE {share}"]
    out += [f"GRANT SELECT ON VIEW {v} TO SHARE {share}" for v in views]
    out += [f"ALTER SHARE {share} ADD ACCOUNTS = {', '.join(accounts)}"]
    return out


def cde_provider(s: ShareSettings) -> list[str]:
    db, schema = s.cde_share_database, "CALPADS"
    stmts = [f"CREATE DATABASE IF NOT EXISTS {db}", f"CREATE SCHEMA IF NOT EXISTS {db}.{schema}"]
    views = []
    for rt, cols in c.calpads_share_columns().items():
        view = f"{db}.{schema}.{rt}"
        views.append(view)
        stmts.append(_view(view, cols, f"{s.cde_source}.{rt}", None,
                           f"CALPADS {rt} for CCGI: only the columns the contracts lineage needs"))
    stmts.append(f"CREATE SHARE IF NOT EXISTS {s.cde_share} COMMENT = 'CALPADS course and student share for CCGI'")
    stmts += _grants(s.cde_share, db, schema, views, s.cde_source.split(".")[0], [s.ccgi_account])
    return stmts


def ccgi_consumer(s: ShareSettings, cde_account: str | None = None) -> list[str]:
    return [f"CREATE DATABASE IF NOT EXISTS {s.ccgi_calpads_database} FROM SHARE {cde_account or s.cde_account}.{s.cde_share}",
            f"GRANT IMPORTED PRIVILEGES ON DATABASE {s.ccgi_calpads_database} TO ROLE {s.pipeline_role}"]


def ccgi_outbound(s: ShareSettings) -> list[str]:
    db = s.ccgi_share_database
    stmts = [f"CREATE DATABASE IF NOT EXISTS {db}"]
    for receiver, views in OUTBOUND.items():
        share = s.outbound_share(receiver)
        stmts.append(f"CREATE SCHEMA IF NOT EXISTS {db}.{receiver}")
        names = []
        for asset, where in views:
            name = f"{db}.{receiver}.{asset.upper()}"
            names.append(name)
            stmts.append(_view(name, c.columns(c.CONTRACTS[asset]), f"{s.ccgi_tables}.{asset.upper()}", where,
                               f"{asset} for {receiver}" + (" (its rows only)" if where else "")))
        stmts.append(f"CREATE SHARE IF NOT EXISTS {share} COMMENT = 'CCGI data for {receiver}'")
        stmts += _grants(share, db, receiver, names, s.ccgi_tables.split(".")[0], [s.account(receiver)])
    return stmts


def pii_columns_by_table() -> dict[str, list[tuple[str, str]]]:
    """PII columns of the student tables with their Snowflake types: ``{asset: [(column, type), ...]}``."""
    out = {}
    for asset in STUDENT_TABLES:
        model = c.CONTRACTS[asset]
        out[asset] = [(col, _SF_TYPES[c._type_name(c._schema(model).columns[col])]) for col in c.pii_columns(model)]
    return out


def ccgi_masking(s: ShareSettings) -> list[str]:
    g = s.governance_schema
    tag = f"{g}.PII"
    shares = ", ".join(f"'{s.outbound_share(r)}'" for r in OUTBOUND)
    types = sorted({t for cols in pii_columns_by_table().values() for _, t in cols})
    stmts = [f"CREATE SCHEMA IF NOT EXISTS {g}",
             f"CREATE TAG IF NOT EXISTS {tag} COMMENT = 'student data (contracts: pii)'"]
    policies = []
    for t in types:
        policy = f"{g}.PII_{t.split('(')[0]}"
        policies.append(policy)
        # the pipeline's role reads values; a consumer reads them only through an outbound share's secure view,
        # which selects only its contract's columns; every other role sees the masked value
        stmts.append(f"CREATE MASKING POLICY IF NOT EXISTS {policy} AS (val {t}) RETURNS {t} ->\n"
                     f"  CASE WHEN CURRENT_ROLE() IN ('{s.pipeline_role}') OR INVOKER_SHARE() IN ({shares}) "
                     f"THEN val ELSE {_MASKED[t]} END")
    stmts.append(f"ALTER TAG {tag} SET " + ", ".join(f"MASKING POLICY {p}" for p in policies))
    for asset, cols in pii_columns_by_table().items():
        for col, _ in cols:
            stmts.append(f"ALTER TABLE {s.ccgi_tables}.{asset.upper()} MODIFY COLUMN {col} SET TAG {tag} = 'student'")
    # the per-LEA extract tables (resources.exports.SnowflakeExportStore) copy shared rows: a tag on their schema
    # masks every text and time column of every table in it, present and future, for every role but the pipeline's
    database = s.ccgi_tables.split(".")[0]
    for receiver in OUTBOUND:
        stmts += [f"CREATE SCHEMA IF NOT EXISTS {database}.EXPORTS_{receiver}",
                  f"ALTER SCHEMA {database}.EXPORTS_{receiver} SET TAG {tag} = 'student'"]
    return stmts


SCRIPTS = {
    "1_cde_provider.sql": ("CDE, in CDE's account (a role that owns the CALPADS tables and may create shares)",
                           cde_provider),
    "2_ccgi_consumer.sql": ("CCGI, in CCGI's account, after CDE ran 1_cde_provider.sql", ccgi_consumer),
    "3_ccgi_masking.sql": ("CCGI, after the first `ccgi run` on Snowflake created the asset tables", ccgi_masking),
    "4_ccgi_outbound.sql": ("CCGI, after 3_ccgi_masking.sql; then each receiver runs "
                            "CREATE DATABASE ... FROM SHARE <CCGI account>.CCGI_TO_<receiver>", ccgi_outbound),
}


def scripts(s: ShareSettings | None = None) -> dict[str, list[str]]:
    """Every script's statements (no terminators), in the order they are applied."""
    s = s or ShareSettings()
    return {name: fn(s) for name, (_, fn) in SCRIPTS.items()}


def render(s: ShareSettings | None = None) -> dict[str, str]:
    """Every script as text: a header saying who runs it, then the statements, each ended by ``;``."""
    s = s or ShareSettings()
    out = {}
    for name, stmts in scripts(s).items():
        who = SCRIPTS[name][0]
        head = (f"-- {name}: generated by `ccgi share-ddl` from ccgi_assets/contracts.py; do not edit by hand.\n"
                f"-- Run by {who}.\n")
        out[name] = head + "\n" + "".join(f"{st};\n\n" for st in stmts)
    return out


def write(folder: Path, s: ShareSettings | None = None) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render(s).items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths
