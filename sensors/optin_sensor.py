"""Reacts to new opt-in lists (seed 2a step 2) and to LEAs that join under the statewide model (2b).

A new or changed list file in ``landing/optin/<lea>/`` registers the LEA as a dynamic partition and requests
one run of the student flow for that LEA alone. The cursor records each file version (size and modification
time) already acted on, so the sensor is exactly-once per file version: a restart neither skips a file nor
runs it twice, and an unchanged file never triggers again. Files that are not lists (hidden, temporary,
partial uploads) are left alone, and so is a file modified in the last ``settle_seconds`` (still being
written): the next tick takes it.

This is the one place where a sensor is needed: registering dynamic partitions. Everything else that changes
(CALPADS, the CMP list, platform activity, participation of an LEA already running) is a new data version of
an observable source, acted on by declarative automation; each run requested here observes its sources for its
LEA first, so the automation never repeats it.
"""


import json
import os
import time

from dagster import (AssetKey, AssetRecordsFilter, AssetSelection, DagsterInstance, DefaultSensorStatus, RunRequest,
                     SensorEvaluationContext, SensorResult, SkipReason, sensor)

from ccgi_assets.assets.sources import SOURCE_KEYS
from ccgi_assets.partitions import lea_partitions
from resources import LandingZone, ParticipationConfig
from resources.sources import file_version

#: an LEA's student flow, and the statewide CDE extract in the same run: a roster change reaches CDE at once
STUDENT_KEYS = [AssetKey(k) for k in ("optin_students", "registration_roster", "student_courses",
                                       "verified_accounts", "statewide_submissions", "lea_reports", "cde_extract")]
STUDENT_FLOW = AssetSelection.assets(*STUDENT_KEYS)
#: the student flow reads the course catalog: on a fresh warehouse it is built first, in a run of its own
COURSE_CATALOG = [AssetKey("crse_courses"), AssetKey("cmp_match_results"), AssetKey("course_match_reports")]
#: each run observes its sources first (for its LEA; the catalog run for every LEA): the versions it read are
#: recorded by the run that read them, so declarative automation does not take them for news and run again
SOURCES = SOURCE_KEYS


def materialized_since(instance: DagsterInstance, asset: str, mtime: float, partition: str | None = None) -> bool:
    """True when ``asset`` (that partition) was materialized after ``mtime`` (seconds since the epoch): a run
    (e.g. ``ccgi run`` before ``make ui``) already took in a file the sensor has not seen."""
    flt = AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition] if partition else None,
                             after_timestamp=float(mtime))
    return bool(instance.fetch_materializations(flt, limit=1).records)


def settle_seconds() -> float:
    return float(os.environ.get("CCGI_OPTIN_SETTLE_SECONDS", "10"))


@sensor(
    name="optin_list_sensor",
    target=STUDENT_FLOW | AssetSelection.assets(*COURSE_CATALOG, *SOURCES),
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="New or changed LEA opt-in list, or a new statewide-model LEA: run that LEA's student flow.",
)
def optin_list_sensor(context: SensorEvaluationContext, landing: LandingZone,
                      participation: ParticipationConfig) -> SensorResult | SkipReason:
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen: dict[str, str] = dict(cursor.get("files", {}))
    statewide_seen: set[str] = set(cursor.get("statewide", []))
    now = time.time()
    settle = settle_seconds()

    requests: list[RunRequest] = []
    new_leas: list[str] = []
    existing = set(context.instance.get_dynamic_partitions(lea_partitions.name))

    for lea in landing.lea_folders():
        changed = []
        for path in landing.list_files(lea):
            key = f"{lea}/{path.name}"
            version = file_version(path)
            if seen.get(key) == version:
                continue
            mtime = path.stat().st_mtime
            if now - mtime < settle:
                continue  # still being written: take it on a later tick
            if key not in seen and lea in existing and materialized_since(context.instance, "optin_students", mtime, lea):
                seen[key] = version  # a run already took this version in (e.g. `ccgi run` before `make ui`)
                continue
            changed.append((key, version))
        if not changed:
            continue
        for key, version in changed:
            seen[key] = version
        if lea not in existing:
            new_leas.append(lea)
            existing.add(lea)
        run_key = "optin:" + ";".join(f"{k}@{v}" for k, v in sorted(changed))
        requests.append(RunRequest(run_key=run_key, partition_key=lea, asset_selection=[*SOURCES, *STUDENT_KEYS],
                                   tags={"ccgi/trigger": "optin_list"}))

    for lea, model in participation.read().items():
        if model != "statewide" or lea in statewide_seen:
            continue
        statewide_seen.add(lea)
        if lea in existing and materialized_since(context.instance, "optin_students", 0, lea):
            continue  # already shared (e.g. by `ccgi run`)
        if lea not in existing:
            new_leas.append(lea)
            existing.add(lea)
        requests.append(RunRequest(run_key=f"statewide:{lea}", partition_key=lea,
                                   asset_selection=[*SOURCES, *STUDENT_KEYS],
                                   tags={"ccgi/trigger": "statewide_participation"}))

    if requests and any(context.instance.get_latest_materialization_event(k) is None for k in COURSE_CATALOG[:2]):
        # queued runs start in submission order: the catalog run goes ahead of the LEA runs
        requests.insert(0, RunRequest(run_key="course_catalog:first", asset_selection=[*SOURCES, *COURSE_CATALOG],
                                      tags={"ccgi/trigger": "course_catalog_missing"}))
    new_cursor = json.dumps({"files": dict(sorted(seen.items())), "statewide": sorted(statewide_seen)})
    if not requests:
        return SensorResult(skip_reason=SkipReason("no new or changed opt-in list"), cursor=new_cursor)
    context.log.info(f"{len(requests)} LEA run(s) requested, {len(new_leas)} new LEA partition(s)")
    return SensorResult(
        run_requests=requests,
        cursor=new_cursor,
        dynamic_partitions_requests=[lea_partitions.build_add_request(new_leas)] if new_leas else [],
    )
