"""Column lineage: complete, pointing at columns that exist, justified where data leaves CCGI, and published as
OpenLineage events and an offline page that say the same."""

import json

import pandas as pd
import pytest
import sqlglot
from bs4 import BeautifulSoup
from pandera.typing import Series
from sqlglot import exp

from ccgi_assets import contracts as c
from ccgi_assets import courses, students
from ccgi_assets import lineage as lin
from resources.calpads_share import SHARE_COLUMNS


# --------------------------------------------------------------------------- completeness
def test_every_column_of_every_asset_has_a_source_that_exists():
    assert lin.problems() == []
    with_source, total = lin.coverage()
    assert with_source == total == sum(len(c.columns(m)) for m in c.CONTRACTS.values())


def test_a_column_without_a_source_or_naming_a_missing_column_is_reported():
    class Broken(c._Base):
        ssid: Series[str] = c._pii("SSID")  # no source
        school_code: Series[str] = c._f("school", source="calpads_senr.school_of_attendance_typo")
        grade: Series[str] = c._f("grade", source="calpads_nowhere.grade_level_code")
        name: Series[str] = c._f("course", source="crse_courses.course_name")

        class Config:
            metadata = {"uses": c._uses(FILTER="calpads_sinf.no_such_column: a filter")}

    found = lin.problems({"broken": Broken})
    assert any(p.startswith("broken.ssid: no source") for p in found)
    assert any("calpads_senr.school_of_attendance_typo, which does not exist" in p for p in found)
    assert any("unknown dataset calpads_nowhere" in p for p in found)
    assert any("calpads_sinf.no_such_column" in p for p in found)
    assert not any(p.startswith("broken.name") for p in found)


def test_reporting_lea_has_a_source_on_every_asset_that_carries_it():
    for asset, model in c.CONTRACTS.items():
        if "reporting_lea" in c.columns(model):
            assert c.lineage(model).get("reporting_lea"), asset


def test_derived_columns_name_their_reference_table():
    assert ("reference/state_course_codes", "content_area") in c.lineage(c.CrseCourse)["content_area"]
    assert ("reference/state_course_codes", "content_area") in c.lineage(c.CmpMatchResult)["match_status"]


# --------------------------------------------------------------------------- why (issue 8 point 6)
@pytest.mark.parametrize("asset", c.JUSTIFIED)
def test_every_shared_column_says_why(asset):
    model = c.CONTRACTS[asset]
    missing = [col for col in c.columns(model) if not (c.field_meta(model, col, "why") or "").strip()]
    assert missing == []


def test_the_data_dictionary_shows_why_and_escapes_pipes():
    doc = c.data_dictionary_markdown()
    assert "| why |" in doc
    assert c.field_meta(c.StatewideSubmission, "ssid", "why") in doc
    for line in doc.splitlines():
        if line.startswith("| `match_status`"):
            # 8 unescaped pipes: the 7 cells of the row, whatever the description holds
            assert line.replace("\\|", "").count("|") == 8


def test_credits_attempted_is_no_longer_shared():
    assert "credits_attempted" not in c.columns(c.StudentCourse)
    assert "student_credits_attempted" not in SHARE_COLUMNS["SCSC"]


# --------------------------------------------------------------------------- the CALPADS allowlist
def _sql_columns(sql: str) -> dict[str, set[str]]:
    """The CALPADS columns a query references, per record type (columns of a SELECT whose FROM is a share table)."""
    tree = sqlglot.parse_one(sql.format(SENR="SENR", SINF="SINF", CRSE="CRSE", SCSC="SCSC").replace("$lea", "'x'"),
                             dialect="snowflake")
    out: dict[str, set[str]] = {}
    for select in tree.find_all(exp.Select):
        source = select.args.get("from") or select.args.get("from_")
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or table.name not in c.CALPADS_ASSETS:
            continue
        for col in select.find_all(exp.Column):
            if col.find_ancestor(exp.Select) is select:
                out.setdefault(table.name, set()).add(col.name)
    return out


SHARE_SQL = [students.MOST_RECENT_SENR_SQL, students.ENROLLED_IN_LEA_SQL, students.ENROLLED_IN_LEAS_SQL,
             students.CURRENT_SINF_SQL,
             students.STUDENT_SCSC_SQL, courses.CRSE_SECTIONS_SQL]


def test_the_share_allowlist_holds_every_column_the_pipeline_sql_reads():
    read: dict[str, set[str]] = {}
    for sql in SHARE_SQL:
        for rt, cols in _sql_columns(sql).items():
            read.setdefault(rt, set()).update(cols)
    assert set(read) == {"SENR", "SINF", "CRSE", "SCSC"}
    assert read["SINF"] >= {"student_birth_date", "effective_end_date"}  # the parser really found columns
    for rt, cols in read.items():
        assert cols <= set(SHARE_COLUMNS[rt]), (rt, sorted(cols - set(SHARE_COLUMNS[rt])))


def test_the_share_allowlist_is_derived_from_the_contracts():
    assert SHARE_COLUMNS == c.calpads_share_columns()
    assert list(SHARE_COLUMNS) == ["SENR", "SINF", "CRSE", "SCSC"]


def test_no_pii_column_is_shared_that_no_contract_column_comes_from():
    layouts = c.calpads_layouts()
    kind = {(r.record_type, r.column): r.kind for r in layouts.itertuples()}
    copied = {d for m in c.CONTRACTS.values() for deps in c.lineage(m).values() for d in deps}
    for rt, cols in SHARE_COLUMNS.items():
        for col in cols:
            if kind[(rt, col)] in ("pii", "staff_pii"):
                assert (c.CALPADS_ASSETS[rt], col) in copied, (rt, col)
    assert "student_birth_city" not in SHARE_COLUMNS["SINF"] and "address_line_1" not in SHARE_COLUMNS["SINF"]


def test_the_course_share_exposes_no_student_staff_or_class_column():
    layouts = c.calpads_layouts()
    kinds = dict(zip(layouts.loc[layouts.record_type == "CRSE", "column"], layouts.loc[layouts.record_type == "CRSE", "kind"]))
    assert {kinds[col] for col in SHARE_COLUMNS["CRSE"]} <= {"meta", "key", "course"}
    assert not {"seid", "class_id", "ssid", "multiple_teacher_code"} & set(SHARE_COLUMNS["CRSE"])


# --------------------------------------------------------------------------- OpenLineage events
@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("lineage")
    report = lin.write(out, event_time=pd.Timestamp("2026-01-05T08:00:00Z").to_pydatetime())
    return out, report


def _rebuild(event: dict):
    """Structure an event's JSON into openlineage-python's classes (unknown or missing keys raise)."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import column_lineage_dataset as cl
    from openlineage.client.facet_v2 import job_type_job, schema_dataset, tags_dataset

    def plain(d: dict) -> dict:
        return {k: v for k, v in d.items() if not k.startswith("_")}

    def dataset_facets(facets: dict) -> dict:
        out = {}
        for name, f in facets.items():
            f = plain(f)
            if name == "schema":
                out[name] = schema_dataset.SchemaDatasetFacet(fields=[
                    schema_dataset.SchemaDatasetFacetFields(**{k: v for k, v in x.items() if k != "fields"})
                    for x in f["fields"]])
            elif name == "columnLineage":
                def field(x):
                    return cl.InputField(**{**x, "transformations": [cl.Transformation(**t) for t in x["transformations"]]})
                out[name] = cl.ColumnLineageDatasetFacet(
                    fields={k: cl.Fields(**{**v, "inputFields": [field(x) for x in v["inputFields"]]})
                            for k, v in f["fields"].items()},
                    dataset=[field(x) for x in f["dataset"]])
            elif name == "tags":
                out[name] = tags_dataset.TagsDatasetFacet(tags=[tags_dataset.TagsDatasetFacetFields(**t) for t in f["tags"]])
            else:
                raise AssertionError(f"unexpected facet {name}")
        return out

    return RunEvent(
        eventType=RunState(event["eventType"]), eventTime=event["eventTime"], producer=event["producer"],
        run=Run(runId=event["run"]["runId"]),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"],
                facets={"jobType": job_type_job.JobTypeJobFacet(**plain(event["job"]["facets"]["jobType"]))}),
        inputs=[InputDataset(namespace=i["namespace"], name=i["name"], facets=dataset_facets(i["facets"]))
                for i in event["inputs"]],
        outputs=[OutputDataset(namespace=o["namespace"], name=o["name"], facets=dataset_facets(o["facets"]))
                 for o in event["outputs"]])


def test_one_valid_openlineage_event_per_asset(written):
    from openlineage.client.serde import Serde

    out, report = written
    files = sorted(p.stem for p in (out / "openlineage").glob("*.json"))
    assert files == sorted(c.CONTRACTS)
    assert report["problems"] == [] and report["columns_with_source"] == report["columns"]
    for asset in c.CONTRACTS:
        event = json.loads((out / "openlineage" / f"{asset}.json").read_text())
        rebuilt = _rebuild(event)
        assert Serde.to_dict(rebuilt) == event  # nothing in the file the classes do not define
        (output,) = event["outputs"]
        assert [f["name"] for f in output["facets"]["schema"]["fields"]] == c.columns(c.CONTRACTS[asset])
        assert set(output["facets"]["columnLineage"]["fields"]) <= set(c.columns(c.CONTRACTS[asset]))
        assert {t["field"] for t in output["facets"].get("tags", {}).get("tags", [])} == set(c.pii_columns(c.CONTRACTS[asset]))
    lines = (out / "openlineage" / "events.ndjson").read_text().splitlines()
    assert len(lines) == len(c.CONTRACTS)


def _terminals(events: dict, dataset: str, field: str) -> set[tuple[str, str]]:
    """Follow the events' columnLineage facets back to fields of datasets no event produces."""
    if dataset not in events:
        return {(dataset, field)}
    f = events[dataset]["outputs"][0]["facets"]["columnLineage"]["fields"].get(field)
    if not f or not f["inputFields"]:
        return {(dataset, field)}
    return set().union(*(_terminals(events, x["name"], x["field"]) for x in f["inputFields"]))


def test_events_trace_the_roster_birth_date_to_sinf_and_no_course_column_to_a_student(written):
    out, _ = written
    events = {p.stem: json.loads(p.read_text()) for p in (out / "openlineage").glob("*.json")}
    assert _terminals(events, "registration_roster", "birth_date") == {("calpads_sinf", "student_birth_date")}
    layouts = c.calpads_layouts()
    kind = {(c.CALPADS_ASSETS[r.record_type], r.column): r.kind for r in layouts.itertuples()}
    for col in c.columns(c.CrseCourse):
        for dataset, field in _terminals(events, "crse_courses", col):
            assert dataset in ("calpads_crse", "reference/state_course_codes"), (col, dataset)
            assert kind.get((dataset, field), "course") not in ("student_id", "pii", "staff_pii"), (col, field)
    # rows chosen by the most recent enrollment: indirect (window) lineage on the roster
    selecting = events["registration_roster"]["outputs"][0]["facets"]["columnLineage"]["dataset"]
    assert {"name": "calpads_senr", "field": "enrollment_start_date"}.items() <= next(
        x for x in selecting if x["field"] == "enrollment_start_date").items()


# --------------------------------------------------------------------------- the HTML page
def test_the_lineage_page_is_self_contained_and_traces_share_columns_to_calpads(written):
    out, _ = written
    page = (out / "lineage.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.select("script[src], link[href], img[src], iframe")  # works offline
    assert "http://" not in page and "https://" not in page
    nodes = {g["data-name"] for g in soup.select("#graph g.node")}
    assert {"calpads_sinf", "registration_roster", "statewide_submissions", "reference/state_course_codes"} <= nodes
    birth = soup.find("details", id="registration_roster.birth_date")
    assert "CALPADS SINF field" in birth.get_text() and "student_birth_date" in birth.get_text()
    ssid = soup.find("details", id="statewide_submissions.ssid")
    assert "calpads_scsc" in ssid["data-path"].split() and "student_courses" in ssid["data-path"].split()
    for asset, model in c.CONTRACTS.items():
        for col in c.columns(model):
            assert soup.find("details", id=f"{asset}.{col}") is not None


def test_opening_a_column_in_a_browser_highlights_its_path_in_the_graph(written):
    import shutil
    from pathlib import Path

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Chromium not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    out, _ = written
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto((out / "lineage.html").as_uri())
        page.click('details[id="statewide_submissions.ssid"] summary')
        # the details "toggle" event is dispatched after the click returns: wait for the highlight it draws
        page.wait_for_selector('#graph .node.on[data-name="statewide_submissions"]', state="attached")
        edges = set(page.eval_on_selector_all("#graph .edge.on", "es => es.map(e => e.dataset.from + '>' + e.dataset.to)"))
        page.click('details[id="crse_courses.content_area"] summary')  # another column: the first one closes
        page.wait_for_selector('#graph .node.on[data-name="calpads_crse"]', state="attached")
        nodes = set(page.eval_on_selector_all("#graph .node.on", "es => es.map(e => e.dataset.name)"))
        browser.close()
    assert edges == {"calpads_scsc>student_courses", "student_courses>statewide_submissions",
                     "registration_roster>student_courses", "optin_students>registration_roster",
                     "calpads_senr>optin_students", "optin_landing>optin_students"}
    assert nodes == {"crse_courses", "calpads_crse", "reference/state_course_codes"}
