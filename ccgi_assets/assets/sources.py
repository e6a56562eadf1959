"""External sources, observed: each is an observable source asset whose data version, per LEA partition, is a
fingerprint of its content, so Dagster knows what changed and declarative automation re-runs only what a
change affects (see :mod:`ccgi_assets.assets.automation`).

An observation records, for every LEA (registered partitions and LEAs found in the data), the version of what
that LEA's assets read from the source, and adds an observation event only for an LEA whose version differs
from the last one recorded: an unchanged source adds nothing per LEA, so an LEA re-runs exactly when its data
changed. One summary observation per source (no partition) says when it was last looked at and what was seen.
In a run for some LEAs (the opt-in sensor's), only those LEAs are recorded: other LEAs' changes are left to the
next scheduled observation, so the automation sees them as changes those LEAs have not run on.

The CALPADS observation is where the share is loaded (``calpads_share_load``): its step log carries the
load's warnings (malformed rows by file, line and rule; files not used; held uploads) once, and its summary
metadata the load figures; LEA runs then read the loaded tables without repeating them.
"""


import warnings
from collections.abc import Iterable

import pandas as pd
from dagster import (AssetExecutionContext, AssetKey, AssetObservation, AssetSpec, BetaWarning, DagsterEventType,
                     MetadataValue, Output, multi_observable_source_asset)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.definitions.source_asset import SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION

from ccgi_assets.partitions import lea_partitions
from resources import CalpadsShare, CmpSource, LandingZone, ParticipationConfig, PlatformSource
from resources.sources import content_digest

GROUP = "sources"

calpads_crse = AssetSpec("calpads_crse", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Course Section Enrollment/Completion (CRSE/CRSC) in CDE's share. "
                                     "Version per LEA: the course sections it reported.")
calpads_senr = AssetSpec("calpads_senr", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS SSID Enrollment (SENR) in CDE's share: transactional, latest start wins. "
                                     "Version per LEA: the most recent enrollment of each student enrolled there "
                                     "(a student who moves changes both LEAs).")
calpads_sinf = AssetSpec("calpads_sinf", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Student Information (SINF) in CDE's share: effective-dated. Version per "
                                     "LEA: the current SINF of the students whose most recent enrollment is there.")
calpads_scsc = AssetSpec("calpads_scsc", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Student Course Section Completion (SCSC) in CDE's share. Version per "
                                     "LEA: the course records of the students whose most recent enrollment is there.")
uc_cmp_list = AssetSpec("uc_cmp_list", group_name=GROUP, kinds={"csv"},
                        description="UC A-G Course Management Portal export of approved courses per school. "
                                    "Version per LEA: its schools' approved courses.")
optin_landing = AssetSpec("optin_landing", group_name=GROUP, kinds={"csv"},
                          description="LEA landing zone: newest list of SSIDs that have not opted out, per LEA. "
                                      "Version per LEA: the newest list's content (runs come from optin_list_sensor).")
lea_participation = AssetSpec("lea_participation", group_name=GROUP, kinds={"csv"},
                              description="Which LEAs take part, and by which model (opt_in or statewide). "
                                          "Version per LEA: its model.")
platform_activity = AssetSpec("platform_activity", group_name=GROUP, kinds={"csv"},
                              description="CaliforniaColleges.edu accounts, applications, consents, planning, "
                                          "activities. Version per LEA: the content of its files.")

#: the CALPADS assets, by record type
CALPADS = {"SENR": calpads_senr, "SINF": calpads_sinf, "CRSE": calpads_crse, "SCSC": calpads_scsc}
#: a version for an LEA a source holds nothing for
NOTHING = "none"


# --------------------------------------------------------------------------------------------- recording
def observes(*specs: AssetSpec, name: str, description: str | None = None):
    """``@multi_observable_source_asset`` over LEA partitions (beta in Dagster 1.13: said here, not at each import).

    The function records its observations itself (:func:`record`: per LEA, only what changed) and ends with
    :func:`done`.
    """
    def decorate(fn):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BetaWarning)
            return multi_observable_source_asset(specs=list(specs), partitions_def=lea_partitions, name=name,
                                                 description=description)(fn)
    return decorate


def observed_leas(context: AssetExecutionContext, in_data: Iterable[str]) -> list[str]:
    """The LEAs an observation records: the run's partitions in a run for some LEAs, else every registered
    LEA partition and every LEA found in the data (an LEA's first version is then recorded before it joins)."""
    if context.has_partition_key or context.has_partition_key_range:
        return sorted(context.partition_keys)
    registered = context.instance.get_dynamic_partitions(lea_partitions.name)
    return sorted(set(registered) | {str(lea) for lea in in_data})


def done(*specs: AssetSpec):
    """The observation's outputs: in a run that also materializes assets, the steps downstream of a source wait
    for them. Marked as Dagster marks a source observation, so no second, version-less observation is logged."""
    for spec in specs:
        yield Output(None, output_name=spec.key.to_python_identifier(),
                     metadata={SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION: True})


def record(context: AssetExecutionContext, key: AssetKey, leas: list[str], versions: dict[str, str],
           details: dict[str, dict] | None = None, summary: dict | None = None) -> list[str]:
    """Record ``versions`` (LEA -> version, :data:`NOTHING` for an LEA missing from it) for ``leas``: one
    observation per LEA whose version differs from the last recorded one, then a summary observation of the
    source. Returns the LEAs whose version changed. Metadata carries counts, file names and LEA codes only."""
    recorded = context.instance.event_log_storage.get_latest_tags_by_partition(
        key, DagsterEventType.ASSET_OBSERVATION, [DATA_VERSION_TAG], asset_partitions=leas)
    changed = []
    for lea in leas:
        version = versions.get(lea, NOTHING)
        if recorded.get(lea, {}).get(DATA_VERSION_TAG) == version:
            continue
        changed.append(lea)
        context.log_event(AssetObservation(asset_key=key, partition=lea, tags={DATA_VERSION_TAG: version},
                                           metadata=(details or {}).get(lea, {})))
    context.log_event(AssetObservation(asset_key=key, metadata={
        "leas_observed": len(leas), "leas_changed": len(changed),
        "leas_with_a_new_version": MetadataValue.json(changed), **(summary or {})}))
    if changed:
        context.log.info(f"{key.to_user_string()}: new version for {len(changed)} LEA(s): {', '.join(changed)}")
    return changed


# --------------------------------------------------------------------------------------------- CALPADS
def _load_summary(fig: dict) -> dict:
    """One record type's load figures as metadata: counts, file names, rules and LEA codes, never a value."""
    if not fig.get("reloaded"):
        return {"share_reloaded": False, "rows_loaded": int(fig.get("rows_loaded", 0)),
                "files_loaded": int(fig.get("files", 0))}
    first = fig.get("first_rejected")
    return {
        "share_reloaded": True,
        "rows_loaded": int(fig.get("rows_loaded", 0)),
        "files_loaded": int(fig.get("files", 0)),
        "rows_rejected_malformed": int(fig.get("rows_rejected", 0)),
        "rejected_by_rule": MetadataValue.json(fig.get("rejected_by_rule", {})),
        "rejected_by_file": MetadataValue.json(fig.get("rejected_by_file", {})),
        "first_rejected_row": (f"{first['file']} line {first['line']} ({first['rule']})" if first else "none"),
        "files_used": MetadataValue.json(fig.get("files_used", [])),
        "files_not_used": MetadataValue.json(fig.get("files_not_used", [])),
        "held_uploads": MetadataValue.json(fig.get("held", [])),
        "leas_removed": MetadataValue.json(fig.get("leas_removed", [])),
    }


@observes(*CALPADS.values(), name="calpads_share_load",
          description="Loads CDE's CALPADS share (only record types whose files changed) and records each LEA's "
                      "version of SENR, SINF, CRSE and SCSC.")
def calpads_share_load(context: AssetExecutionContext, calpads: CalpadsShare):
    """The CALPADS share load, as its own step (issue 14): warnings name file, line and rule, once per load."""
    figures = calpads.prepare(list(CALPADS))
    for rt, spec in CALPADS.items():
        state = calpads.state(rt)
        if state and state == _last_summary(context, spec.key).get("share_state") and not _unrecorded(context, spec.key):
            # the share has not changed since the last observation (on Snowflake: the tables' last-altered time
            # and row count): no per-LEA versions to compute, nothing new to record
            leas, versions, details = [], {}, {}
        else:
            versions = {lea: v for lea, (v, _) in calpads.lea_versions(rt).items()}
            leas = observed_leas(context, versions)
            details = {lea: {"rows": int(v.split(":", 1)[0])} for lea, v in versions.items()}
        # a run for some LEAs records only theirs: the next full observation must still look at the others
        full = not (context.has_partition_key or context.has_partition_key_range)
        record(context, spec.key, leas, versions, details,
               {**_load_summary(figures.get(rt, {})), "share_state": state if full else "partial"})
    yield from done(*CALPADS.values())


def _last_summary(context: AssetExecutionContext, key: AssetKey) -> dict:
    """Metadata of the source's latest observation when it is a summary (logged last by every observation)."""
    from dagster import AssetRecordsFilter

    records = context.instance.fetch_observations(AssetRecordsFilter(asset_key=key), limit=1).records
    if not records or records[0].asset_observation.partition is not None:
        return {}
    return {k: getattr(v, "value", v) for k, v in records[0].asset_observation.metadata.items()}


def _unrecorded(context: AssetExecutionContext, key: AssetKey) -> bool:
    """Whether an LEA this observation covers has no version recorded yet (e.g. a partition just registered)."""
    leas = observed_leas(context, [])
    recorded = context.instance.event_log_storage.get_latest_tags_by_partition(
        key, DagsterEventType.ASSET_OBSERVATION, [DATA_VERSION_TAG], asset_partitions=leas)
    return any(lea not in recorded for lea in leas)


# --------------------------------------------------------------------------------------------- files
@observes(platform_activity, name="observe_platform_activity")
def observe_platform_activity(context: AssetExecutionContext, platform: PlatformSource):
    """Each LEA's platform files (``platform/<lea>/<kind>.csv``) by content."""
    leas = observed_leas(context, platform.lea_folders())
    versions, details = {}, {}
    for lea in leas:
        files = platform.files(lea)
        if files:
            versions[lea] = content_digest(files)
            details[lea] = {"files": MetadataValue.json({p.name: p.stat().st_size for p in files})}
    record(context, platform_activity.key, leas, versions, details,
           {"leas_with_files": len(versions)})
    yield from done(platform_activity)


@observes(uc_cmp_list, name="observe_uc_cmp_list")
def observe_uc_cmp_list(context: AssetExecutionContext, cmp: CmpSource):
    """UC's CMP list, by each LEA's approved courses (an unreadable export fails here, naming file, line, rule)."""
    from ccgi_assets.cmp import CMP_COLUMNS

    df = cmp.read()
    by_lea = dict(tuple(df.groupby("reporting_lea", sort=True))) if len(df) else {}
    leas = observed_leas(context, by_lea)
    versions, details = {}, {}
    for lea, rows in by_lea.items():
        cols = rows.loc[:, list(CMP_COLUMNS)].astype(object).where(rows.loc[:, list(CMP_COLUMNS)].notna(), "")
        digest = int(pd.util.hash_pandas_object(cols.astype(str), index=False).sum()) & (2 ** 64 - 1)
        versions[str(lea)] = f"{len(rows)}:{digest:016x}"
        details[str(lea)] = {"courses": len(rows), "schools": int(rows["school_code"].nunique())}
    record(context, uc_cmp_list.key, leas, versions, details,
           {"courses_listed": len(df), "files": MetadataValue.json(sorted(p.name for p in cmp.files()))})
    yield from done(uc_cmp_list)


@observes(optin_landing, name="observe_optin_landing")
def observe_optin_landing(context: AssetExecutionContext, landing: LandingZone):
    """Each LEA's newest opt-in list, by content (for lineage and the UI: optin_list_sensor starts the runs)."""
    leas = observed_leas(context, landing.lea_folders())
    versions, details = {}, {}
    for lea in leas:
        newest = landing.newest(lea)
        if newest is not None:
            versions[lea] = content_digest([newest])
            details[lea] = {"list_file": newest.name}
    record(context, optin_landing.key, leas, versions, details, {"leas_with_a_list": len(versions)})
    yield from done(optin_landing)


@observes(lea_participation, name="observe_lea_participation")
def observe_lea_participation(context: AssetExecutionContext, participation: ParticipationConfig):
    """Each LEA's participation model (an LEA with no row takes part as ``opt_in``, as ``optin_students`` does)."""
    models = participation.read()
    leas = observed_leas(context, models)
    versions = {lea: models.get(lea, "opt_in") for lea in leas}
    counts = pd.Series(list(models.values()), dtype=object).value_counts()
    record(context, lea_participation.key, leas, versions, None,
           {f"leas_{m}": int(counts.get(m, 0)) for m in ("opt_in", "statewide")})
    yield from done(lea_participation)


SOURCES = [calpads_share_load, observe_uc_cmp_list, observe_optin_landing, observe_lea_participation,
           observe_platform_activity]
#: every source asset key (what an observation run selects)
SOURCE_KEYS = [*(s.key for s in CALPADS.values()), uc_cmp_list.key, optin_landing.key, lea_participation.key,
               platform_activity.key]
