"""Student-level assets are partitioned by LEA: dynamic partitions keyed by the 7-digit reporting LEA code."""

from dagster import DynamicPartitionsDefinition

LEA_PARTITIONS_NAME = "reporting_lea"
lea_partitions = DynamicPartitionsDefinition(name=LEA_PARTITIONS_NAME)
