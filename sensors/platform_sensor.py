"""Keeps what LEAs and the statewide systems receive fresh as students act (seed 2a step 8).

New platform activity in ``platform/<lea>/`` requests that LEA's ``statewide_submissions`` and
``lea_reports`` (and one run of the statewide ``cde_extract``), and nothing for the other LEAs.
"""


import json

from dagster import (AssetKey, AssetSelection, DefaultSensorStatus, RunRequest, SensorEvaluationContext,
                     SensorResult, sensor)

from ccgi_assets.partitions import lea_partitions
from sensors._state import materialized_since
from resources import PlatformSource

PER_LEA = [AssetKey("verified_accounts"), AssetKey("statewide_submissions"), AssetKey("lea_reports")]
STATEWIDE = [AssetKey("cde_extract")]


@sensor(
    name="platform_activity_sensor",
    target=AssetSelection.assets(*PER_LEA, *STATEWIDE),
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="New CaliforniaColleges.edu activity for an LEA: refresh that LEA's submissions and report.",
)
def platform_activity_sensor(context: SensorEvaluationContext, platform: PlatformSource) -> SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    partitions = set(context.instance.get_dynamic_partitions(lea_partitions.name))
    requests, changed = [], []
    for lea in platform.lea_folders():
        fp = platform.fingerprint(lea)
        if cursor.get(lea) == fp:
            continue
        if lea not in partitions:
            continue  # not yet a shared LEA: its student flow will pick the activity up when it starts
        if lea not in cursor and materialized_since(context.instance, "lea_reports", platform.last_modified(lea), lea):
            cursor[lea] = fp  # the LEA's report already reflects these files (e.g. `ccgi run` before `make ui`)
            continue
        cursor[lea] = fp
        changed.append(lea)
        requests.append(RunRequest(run_key=f"platform:{lea}:{fp}", partition_key=lea, asset_selection=PER_LEA,
                                   tags={"ccgi/trigger": "platform_activity"}))
    if changed:
        requests.append(RunRequest(run_key="platform:cde:" + ";".join(f"{l}={cursor[l]}" for l in changed),
                                   asset_selection=STATEWIDE, tags={"ccgi/trigger": "platform_activity"}))
    return SensorResult(run_requests=requests, cursor=json.dumps(dict(sorted(cursor.items()))),
                        skip_reason=None if requests else "no new platform activity")
