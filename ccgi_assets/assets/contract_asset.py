"""One helper for what every asset declares from its contract (issue 9 point 8)."""

from __future__ import annotations

import warnings

from dagster import BackfillPolicy, BetaWarning

from ccgi_assets import contracts as c
from ccgi_assets.partitions import lea_partitions

# a single-run backfill is what the per-LEA assets are designed for (one run for a statewide backfill); Dagster marks
# the parameter beta and says so once per asset in every process that loads the code (15 lines in `make ui`)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy` of function `asset`", category=BetaWarning)


def contract_asset(model, group: str, partitioned: bool = True, kind: str = "pandas",
                   automation_condition=None) -> dict:
    """``@asset(**contract_asset(Model, GROUP), deps=...)``: the contract's column schema, column lineage and
    name, its data class as a tag (``non_pii``, ``aggregate``, ``student_pii``), the group and, per LEA, the
    partitions, the column a partition is replaced by and one run for a backfill of many LEAs; and when it is
    kept current by declarative automation, its condition (:mod:`ccgi_assets.assets.automation`)."""
    args = dict(group_name=group, kinds={kind}, metadata=c.asset_metadata(model, partitioned),
                tags={"data_class": c.data_class(model)}, automation_condition=automation_condition)
    if partitioned:
        args.update(partitions_def=lea_partitions, backfill_policy=BackfillPolicy.single_run())
    return args
