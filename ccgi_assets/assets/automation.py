"""What keeps the assets current without anyone asking (issue 10): sources are observed on a schedule, and
declarative automation re-materializes what a new source version affects.

* ``observe_sources_schedule`` runs ``observe_sources_job`` (every source's observation, the CALPADS share load
  among them) on ``$CCGI_OBSERVE_CRON`` (default every 5 minutes); a tick is skipped while an observation run
  is still queued or running.
* ``ccgi_automation_sensor`` (Dagster's automation condition sensor, on by default) evaluates the conditions
  below every ``$CCGI_AUTOMATION_SECONDS`` (default 30) and launches the runs; several LEAs at once go as one
  backfill (the student assets run all requested LEAs in one run).
* ``optin_list_sensor`` (sensors/) still starts an LEA's first run and the run for each new list: the
  conditions here never start a partition that was never materialized, and ignore the landing zone.

Latency from a change on disk to updated tables: up to one observation interval, plus up to one automation
interval, plus the runs (queued one at a time on the embedded warehouse; a backfill over several LEAs waits up
to the backfill daemon's interval, about 30 seconds, between its steps).
"""

from __future__ import annotations

import os

from dagster import (AssetSelection, AutomationCondition, AutomationConditionSensorDefinition, DagsterInstance,
                     DagsterRunStatus, DefaultScheduleStatus, DefaultSensorStatus, RunRequest, RunsFilter,
                     ScheduleEvaluationContext, SkipReason, define_asset_job, schedule)

from ccgi_assets.assets.sources import SOURCE_KEYS, optin_landing

AC = AutomationCondition

# ------------------------------------------------------------------------------------------ conditions
#: a dependency updated since the last tick (a source by a new data version; an asset by a run that did not
#: already include this asset), or will be requested on this tick
_DEP_UPDATED = AC.any_deps_updated()
#: ... by a finished update only (not one requested on this tick)
_DEP_UPDATE_DONE = AC.any_deps_match(AC.newly_updated() & ~AC.executed_with_root_target()).with_label(
    "any_deps_updated_and_done")
#: nothing it reads is being written, it is not running, and it exists (first runs are the sensor's or `ccgi run`'s)
_QUIET = ~AC.any_deps_in_progress() & ~AC.in_progress() & ~AC.missing()


def on_change(*through_upstream) -> AutomationCondition:
    """Re-materialize when what the asset reads changed: a source's data version (per LEA for partitioned
    assets), or an upstream asset updated by another run. Not for a partition never materialized (the opt-in
    sensor starts an LEA), nor while an input is being written. The landing zone is the sensor's; sources named
    in ``through_upstream`` reach the asset through an upstream asset that reads them too (it then runs once,
    after that asset, instead of once for the source and again for the asset)."""
    changed = _DEP_UPDATED.ignore(AssetSelection.assets(optin_landing.key, *(s.key for s in through_upstream)))
    return (changed.since_last_handled() & _QUIET).with_label("on a change of what it reads")


def after_upstream_runs() -> AutomationCondition:
    """For statewide tables over every LEA (``cde_extract``): once, after the runs that changed their inputs
    have finished (one LEA's change, or a backfill over many, is followed by a single rebuild). Sources count
    through the per-LEA assets that read them (a platform change reaches it once ``verified_accounts`` ran)."""
    done = _DEP_UPDATE_DONE.ignore(AssetSelection.assets(*SOURCE_KEYS))
    return (done.since_last_handled() & _QUIET).with_label("after the runs that changed its inputs")


def interval_seconds() -> int:
    return int(os.environ.get("CCGI_AUTOMATION_SECONDS", "30"))


def observe_cron() -> str:
    return os.environ.get("CCGI_OBSERVE_CRON", "*/5 * * * *")


automation_sensor = AutomationConditionSensorDefinition(
    "ccgi_automation_sensor",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=interval_seconds(),
    run_tags={"ccgi/trigger": "automation"},
    description="Re-materializes what a new source version (CALPADS, CMP, platform, participation) affects.",
)

# ------------------------------------------------------------------------------------------ observation
OBSERVE_JOB = "observe_sources_job"
observe_sources_job = define_asset_job(
    OBSERVE_JOB, AssetSelection.assets(*SOURCE_KEYS),
    description="Observe every source: load the CALPADS share, record each LEA's version of every source.")
_ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
           DagsterRunStatus.STARTED]


@schedule(job=observe_sources_job, cron_schedule=observe_cron(), default_status=DefaultScheduleStatus.RUNNING,
          name="observe_sources_schedule",
          description="Observe the sources (new data versions then drive ccgi_automation_sensor).")
def observe_sources_schedule(context: ScheduleEvaluationContext):
    if context.instance.get_runs_count(RunsFilter(job_name=OBSERVE_JOB, statuses=_ACTIVE)):
        return SkipReason("an observation run is still queued or running")
    return RunRequest(tags={"ccgi/trigger": "observe_schedule"})


def observe_sources(instance: DagsterInstance, run_config: dict | None = None) -> bool:
    """Observe every source now, in process (``ccgi run`` does this first: the daemon then finds every version
    already recorded, and a first ``make ui`` after ``make run`` queues nothing). True when it succeeded."""
    from ccgi_assets.definitions import defs

    result = defs.resolve_job_def(OBSERVE_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config, tags={"ccgi/trigger": "ccgi_run"})
    return result.success
