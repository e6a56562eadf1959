"""Keeps Diagram 1 current: when CDE's CRSE share or UC's CMP list changes, rebuild the course catalog and
its match results (and so the CDE export)."""

import json

from dagster import AssetKey, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from resources import CalpadsShare, CmpSource
from sensors._state import materialized_since

COURSE_CATALOG = [AssetKey("crse_courses"), AssetKey("cmp_match_results")]


@sensor(
    name="course_catalog_sensor",
    target=COURSE_CATALOG,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="CRSE share or CMP list changed: rebuild crse_courses and cmp_match_results.",
)
def course_catalog_sensor(context: SensorEvaluationContext, calpads: CalpadsShare, cmp: CmpSource) -> SensorResult:
    seen = json.loads(context.cursor) if context.cursor else {}
    now = {"crse": calpads.fingerprint("CRSE"), "cmp": cmp.fingerprint()}
    if now == seen or not now["crse"]:
        return SensorResult(skip_reason="course share and CMP list unchanged", cursor=json.dumps(now))
    changed_at = max(calpads.last_modified("CRSE"), cmp.last_modified())
    if not seen and changed_at > 0 and materialized_since(context.instance, "cmp_match_results", changed_at):
        return SensorResult(skip_reason="the course catalog already reflects the share and CMP list",
                            cursor=json.dumps(now))
    changed = sorted(k for k in now if now[k] != seen.get(k))
    context.log.info(f"changed: {', '.join(changed)}")
    return SensorResult(
        run_requests=[RunRequest(run_key=f"catalog:{now['crse']}:{now['cmp']}", asset_selection=COURSE_CATALOG,
                                 tags={"ccgi/trigger": "course_catalog_changed"})],
        cursor=json.dumps(now),
    )
