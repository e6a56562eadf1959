"""The one hand-written sensor: opt-in lists arriving in the landing zone (and statewide-model LEAs joining)
register LEA partitions and start those LEAs' runs. Every other change (CALPADS, CMP, platform activity,
participation) is a new data version of an observable source, acted on by declarative automation
(:mod:`ccgi_assets.assets.automation`)."""

from sensors.optin_sensor import optin_list_sensor

__all__ = ["optin_list_sensor"]
