"""The whole system in a screen.

Flows (asset groups): ``course_catalog_share`` (seed Diagram 1), ``student_share`` (Diagrams 2a/2b steps
2-5) and ``platform_sharing`` (2a steps 6-9, 2b steps 5-8), over observable ``sources``. Resources come from
``$CCGI_TARGET``: the embedded DuckDB warehouse under ``$CCGI_HOME`` (default) or Snowflake.

Keeping it current: ``observe_sources_schedule`` records each source's data version per LEA (the CALPADS share
is loaded there), ``ccgi_automation_sensor`` re-materializes what a new version affects (conditions on the
assets, :mod:`ccgi_assets.assets.automation`), and ``optin_list_sensor`` registers LEAs and runs each new list.
"""

from dagster import AssetSelection, Definitions, define_asset_job

from ccgi_assets.assets import ASSETS, SOURCES
from ccgi_assets.assets.automation import automation_sensor, observe_sources_job, observe_sources_schedule
from ccgi_assets.partitions import lea_partitions
from ccgi_assets.runs import one_writer_executor
from resources import build_resources
from sensors import optin_list_sensor

#: Diagram 1: the course catalog share, its match against the CMP list, and the course-match reports of LEAs
#: outside the student share (not partitioned).
course_catalog_job = define_asset_job("course_catalog_job", AssetSelection.groups("course_catalog_share"))
#: Diagrams 2a/2b for one LEA partition: list -> roster -> courses -> verified accounts -> submissions -> report,
#: and the statewide CDE extract rebuilt in the same run (a roster change reaches CDE at once).
lea_student_flow_job = define_asset_job(
    "lea_student_flow_job",
    AssetSelection.assets("optin_students", "registration_roster", "student_courses", "verified_accounts",
                          "statewide_submissions", "lea_reports", "cde_extract"),
    partitions_def=lea_partitions,
)
#: The statewide extract for CDE, over every LEA's roster.
cde_extract_job = define_asset_job("cde_extract_job", AssetSelection.assets("cde_extract"))

defs = Definitions(
    assets=[*SOURCES, *ASSETS],
    jobs=[observe_sources_job, course_catalog_job, lea_student_flow_job, cde_extract_job],
    schedules=[observe_sources_schedule],
    sensors=[optin_list_sensor, automation_sensor],
    resources=build_resources(),
    # The embedded DuckDB warehouse is one file with one writer: steps run in one process, one after another,
    # holding the warehouse's writer lock (ccgi_assets/runs.py), which `ccgi run` takes too.
    executor=one_writer_executor,
)
