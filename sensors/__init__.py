"""Sensors: course share and CMP changes, opt-in lists arriving in the landing zone, new platform activity."""

from sensors.course_catalog_sensor import course_catalog_sensor
from sensors.optin_sensor import optin_list_sensor
from sensors.platform_sensor import platform_activity_sensor

__all__ = ["course_catalog_sensor", "optin_list_sensor", "platform_activity_sensor"]
