"""What the warehouse already reflects: lets a sensor with an empty cursor (a first `make ui` after
`ccgi run`, or a reset) skip work that a run has already done since the input last changed."""

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance


def materialized_since(instance: DagsterInstance, asset: str, mtime: float, partition: str | None = None) -> bool:
    """True when ``asset`` (that partition) was materialized after ``mtime`` (seconds since the epoch)."""
    flt = AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition] if partition else None,
                             after_timestamp=float(mtime))
    return bool(instance.fetch_materializations(flt, limit=1).records)
