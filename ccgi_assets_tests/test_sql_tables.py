"""Asset tables written where the data lives (Warehouse.replace_partitions): the requested LEAs' partitions are
replaced in one transaction, checked against the contract in SQL, and left as they were when anything fails."""

from __future__ import annotations

import duckdb
import pytest

from ccgi_assets import contracts as c
from resources import DuckDBWarehouse, LocalCalpadsShare

A, B = "0100001", "0200002"

#: optin_students rows from literal values (no share needed)
ROWS = "SELECT * FROM (VALUES {values}) v(reporting_lea, ssid, participation_model) WHERE reporting_lea IN ({{leas}})"


def _sql(*rows):
    return ROWS.format(values=", ".join(f"('{lea}', '{ssid}', 'opt_in')" for lea, ssid in rows))


@pytest.fixture
def wh(tmp_path):
    return DuckDBWarehouse(database=str(tmp_path / "warehouse.duckdb")), LocalCalpadsShare(home=str(tmp_path))


def _table(wh):
    con = duckdb.connect(wh.database)
    try:
        return sorted(con.execute("SELECT reporting_lea, ssid FROM ccgi.optin_students").fetchall())
    finally:
        con.close()


def test_partitions_are_replaced_and_other_leas_kept(wh):
    w, share = wh
    first = w.replace_partitions("optin_students", _sql((A, "1000000001"), (A, "1000000002"), (B, "2000000001")),
                                 [A, B], share, figures={"students": "count(DISTINCT ssid)"}, count_by="reporting_lea")
    assert (first.rows, first.keys_removed, first.figures, first.by) == (3, 0, {"students": 3}, {A: 2, B: 1})
    # A's newer list drops a student; B is not requested and keeps its rows
    removed = []
    second = w.replace_partitions("optin_students", _sql((A, "1000000001"), (B, "2000000009")), [A], share,
                                  before_commit=lambda df: removed.append(sorted(map(tuple, df.to_numpy()))))
    assert (second.rows, second.keys_removed) == (1, 1)
    assert removed == [[(A, "1000000002")]]
    assert _table(w) == [(A, "1000000001"), (B, "2000000001")]


def test_a_contract_violation_writes_nothing_and_names_no_value(wh):
    w, share = wh
    w.replace_partitions("optin_students", _sql((A, "1000000001")), [A], share)
    with pytest.raises(c.ContractViolation) as err:
        w.replace_partitions("optin_students", _sql((A, "98765")), [A], share)  # not a 10-digit SSID
    assert "ssid" in str(err.value) and "(1 rows)" in str(err.value) and "98765" not in str(err.value)
    assert _table(w) == [(A, "1000000001")]  # the previous partition stands


def test_a_failed_withdrawal_leaves_the_previous_partition(wh):
    """The roster commits only after its departures are withdrawn: a withdrawal that fails keeps the old roster,
    so the next run sees the same departures and withdraws them then."""
    w, share = wh
    w.replace_partitions("optin_students", _sql((A, "1000000001"), (A, "1000000002")), [A], share)

    def fail(removed):
        raise RuntimeError("export store unavailable")

    with pytest.raises(RuntimeError):
        w.replace_partitions("optin_students", _sql((A, "1000000001")), [A], share, before_commit=fail)
    assert _table(w) == [(A, "1000000001"), (A, "1000000002")]
    again = w.replace_partitions("optin_students", _sql((A, "1000000001")), [A], share)
    assert again.keys_removed == 1


def test_a_fresh_warehouse_reads_as_empty_and_odd_keys_are_refused(wh):
    w, share = wh
    sql = "SELECT reporting_lea, ssid, participation_model FROM {optin_students} WHERE reporting_lea IN ({leas})"
    assert w.replace_partitions("optin_students", sql, [A], share).rows == 0
    assert w.replace_partitions("optin_students", sql, [], share).rows == 0
    with pytest.raises(ValueError, match="not plain codes"):
        w.replace_partitions("optin_students", sql, ["0100001' OR '1'='1"], share)
