"""Sensors: opt-in lists arriving in the landing zone, and new platform activity."""

from sensors.optin_sensor import optin_list_sensor
from sensors.platform_sensor import platform_activity_sensor

__all__ = ["optin_list_sensor", "platform_activity_sensor"]
