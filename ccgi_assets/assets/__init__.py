from ccgi_assets.assets.course_catalog import cmp_match_results, course_match_reports, crse_courses
from ccgi_assets.assets.platform_sharing import cde_extract, lea_reports, statewide_submissions, verified_accounts
from ccgi_assets.assets.sources import SOURCES
from ccgi_assets.assets.student_share import optin_students, registration_roster, student_courses

ASSETS = [crse_courses, cmp_match_results, course_match_reports, optin_students, registration_roster, student_courses,
          verified_accounts, statewide_submissions, cde_extract, lea_reports]

__all__ = ["ASSETS", "SOURCES"]
