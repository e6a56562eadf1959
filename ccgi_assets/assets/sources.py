"""External sources (nothing here computes them; resources read them)."""

from dagster import AssetSpec

GROUP = "sources"

calpads_crse = AssetSpec("calpads_crse", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Course Section Enrollment/Completion (CRSE/CRSC) in CDE's share.")
calpads_senr = AssetSpec("calpads_senr", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS SSID Enrollment (SENR) in CDE's share: transactional, latest start wins.")
calpads_sinf = AssetSpec("calpads_sinf", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Student Information (SINF) in CDE's share: effective-dated.")
calpads_scsc = AssetSpec("calpads_scsc", group_name=GROUP, kinds={"calpads"},
                         description="CALPADS Student Course Section Completion (SCSC) in CDE's share.")
uc_cmp_list = AssetSpec("uc_cmp_list", group_name=GROUP, kinds={"csv"},
                        description="UC A-G Course Management Portal export of approved courses per school.")
optin_landing = AssetSpec("optin_landing", group_name=GROUP, kinds={"csv"},
                          description="LEA landing zone: newest list of SSIDs that have not opted out, per LEA.")
lea_participation = AssetSpec("lea_participation", group_name=GROUP, kinds={"csv"},
                              description="Which LEAs take part, and by which model (opt_in or statewide).")
platform_activity = AssetSpec("platform_activity", group_name=GROUP, kinds={"csv"},
                              description="CaliforniaColleges.edu accounts, applications, consents, planning, activities.")

SOURCES = [calpads_crse, calpads_senr, calpads_sinf, calpads_scsc, uc_cmp_list, optin_landing, lea_participation,
           platform_activity]
