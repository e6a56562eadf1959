"""The contracts: what each share may carry, derived from one place."""

import pandas as pd
import pytest

from ccgi_assets import contracts as c


def course_row(**extra):
    row = dict(reporting_lea="0100001", school_code="0100011", academic_year="2025-2026", local_course_id="0042",
               course_name="ENG 9 H", state_course_code="9105", content_area="English", uc_csu_approved=True,
               instructional_level_code="14", ap_ib_cross_reference=None, section_count=3, conflicting_fields=0)
    row.update(extra)
    return pd.DataFrame([row])


def test_course_share_contract_accepts_a_course_and_keeps_leading_zeros():
    out = c.validate(course_row(), c.CrseCourse)
    assert out.loc[0, "local_course_id"] == "0042"


@pytest.mark.parametrize("column,value", [("seid", "1234567890"), ("ssid", "0012345678"),
                                          ("student_birth_date", "20090101")])
def test_non_pii_course_contract_rejects_a_frame_carrying_student_or_staff_identifiers(column, value):
    with pytest.raises(c.ContractViolation) as exc:
        c.validate(course_row(**{column: value}), c.CrseCourse)
    assert column in str(exc.value)
    assert value not in str(exc.value)


@pytest.mark.parametrize("model", sorted(c.NON_PII, key=lambda m: m.__name__))
def test_non_pii_contracts_hold_no_pii_column(model):
    assert c.pii_columns(model) == []


def test_roster_contract_is_the_seed_allowlist():
    # seed 2a step 3: name, local ID, DOB, gender, ethnicity (+ SSID, and school/grade to register)
    assert set(c.pii_columns(c.RegistrationRoster)) == {
        "ssid", "local_student_id", "legal_first_name", "legal_last_name", "birth_date", "gender_code",
        "hispanic_ethnicity_indicator", "race_1_code", "race_2_code", "race_3_code", "race_4_code", "race_5_code"}
    for forbidden in ("address_line_1", "guardian_1_first_name", "student_birth_city", "student_legal_middle_name"):
        assert forbidden not in c.columns(c.RegistrationRoster)


def test_violation_message_counts_failures_without_values():
    df = pd.DataFrame({"reporting_lea": ["0100001"] * 3, "ssid": ["12345", "98765432109", "1234567890"],
                       "participation_model": ["opt_in"] * 3})
    with pytest.raises(c.ContractViolation) as exc:
        c.validate(df, c.OptinStudent)
    msg = str(exc.value)
    assert "ssid" in msg and "2 rows" in msg
    assert "12345" not in msg.replace("str_matches", "") and "98765432109" not in msg
    assert exc.value.failures[0].count == 2


def test_select_allowed_drops_what_the_contract_does_not_list():
    df = course_row().assign(seid="1234567890")
    assert "seid" not in c.select_allowed(df, c.CrseCourse).columns


def test_column_schema_secure_view_and_dictionary_derive_from_the_contract():
    schema = c.table_schema(c.RegistrationRoster)
    assert [col.name for col in schema.columns] == c.columns(c.RegistrationRoster)
    assert {col.name for col in schema.columns if col.tags.get("pii") == "true"} == set(c.pii_columns(c.RegistrationRoster))
    ddl = c.secure_view_ddl(c.CrseCourse, "CALPADS.CRSE_COURSES", "SHARE.CRSE_COURSES")
    assert ddl.startswith("CREATE OR REPLACE SECURE VIEW SHARE.CRSE_COURSES")
    assert "*" not in ddl and all(col in ddl for col in c.columns(c.CrseCourse))
    doc = c.data_dictionary_markdown()
    for asset, model in c.CONTRACTS.items():
        assert f"`{asset}`" in doc
        assert all(f"`{col}`" in doc for col in c.columns(model))


def test_the_published_data_dictionary_is_current():
    from pathlib import Path

    published = (Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert published.strip() == c.data_dictionary_markdown().strip(), "run `make dictionary`"
