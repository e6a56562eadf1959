"""Column lineage for people and tools, from the asset definitions and the contracts (``ccgi lineage``).

The contracts (:mod:`ccgi_assets.contracts`) say where every column comes from (``source``) and which columns
select a contract's rows without being copied (``uses``). From them:

* :func:`problems` checks the lineage is complete: every column of every asset has a source, and every source or
  selecting column exists (CALPADS columns in ``reference/calpads_layouts.csv``, CMP columns in
  :mod:`ccgi_assets.cmp`, platform columns in the platform contracts, reference-table columns in their headers).
* :func:`trace` follows a column back to the external fields it comes from (a CALPADS field, a CMP column, ...).
* :func:`openlineage_events` builds one OpenLineage ``RunEvent`` per asset with the ``schema``, ``tags`` (PII) and
  ``columnLineage`` dataset facets, with ``openlineage-python``'s classes: Marquez, DataHub and OpenMetadata load
  them.
* :func:`html_page` is a self-contained page (no network) drawing the asset graph and, for every column of every
  asset, its path back to CALPADS.

Nothing here reads data: names of datasets and columns only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ccgi_assets import contracts as c

NAMESPACE = "ccgi"
PRODUCER = "https://github.com/ccgi/ccgi-assets/tree/main/ccgi_assets/lineage.py"
#: the external datasets and what each is (the HTML page's labels)
EXTERNAL = {
    "calpads_senr": "CALPADS SENR (CDE's share)", "calpads_sinf": "CALPADS SINF (CDE's share)",
    "calpads_crse": "CALPADS CRSE (CDE's share)", "calpads_scsc": "CALPADS SCSC (CDE's share)",
    "uc_cmp_list": "UC A-G CMP list", "optin_landing": "LEA opt-in lists", "lea_participation": "LEA participation",
    "platform_activity": "CaliforniaColleges.edu platform files",
}


# --------------------------------------------------------------------------- what exists
@lru_cache(maxsize=1)
def dataset_columns() -> dict[str, tuple[str, ...]]:
    """Every dataset a contract may name, with its columns (in order)."""
    from ccgi_assets.cmp import CMP_COLUMNS, DERIVED_COLUMNS

    out: dict[str, tuple[str, ...]] = {name: tuple(c.columns(m)) for name, m in c.CONTRACTS.items()}
    layouts = c.calpads_layouts()
    for rt, asset in c.CALPADS_ASSETS.items():
        out[asset] = tuple(layouts.loc[layouts["record_type"] == rt, "column"])
    out["uc_cmp_list"] = (*CMP_COLUMNS, *DERIVED_COLUMNS)
    out["optin_landing"] = ("SSID",)  # optin.read_optin_list: the list's SSID column
    out["lea_participation"] = ("reporting_lea", "model")  # resources.ParticipationConfig
    out["platform_activity"] = tuple(f"{kind}.{col}" for kind, m in c.PLATFORM_CONTRACTS.items() for col in c.columns(m))
    for f in sorted((resources.files("ccgi_assets") / "reference").iterdir(), key=lambda p: p.name):
        if f.name.endswith(".tsv"):
            header = f.read_text(encoding="utf-8").split("\n", 1)[0]
            out[f"{c.REFERENCE}{f.name[:-4]}"] = tuple(h.strip() for h in header.split("\t"))
    return out


def problems(contracts: dict | None = None) -> list[str]:
    """What is wrong with the lineage of ``contracts`` (default: every asset's): a column without a source, a
    source or selecting column that does not exist. Empty when complete."""
    known = dataset_columns()
    out = []
    for asset, model in (contracts or c.CONTRACTS).items():
        declared = c.lineage(model)
        for col in c.columns(model):
            spec = c.field_meta(model, col, "source")
            if col not in declared:
                out.append(f"{asset}.{col}: no source")
            elif not declared[col] and spec != c.CONSTANT:
                out.append(f"{asset}.{col}: empty source")
        refs = [(col, d, "source") for col, deps in declared.items() for d in deps]
        refs += [(None, d, "uses") for d in c.uses(model)]
        for col, (dataset, name), kind in refs:
            where = f"{asset}.{col}" if col else f"{asset} ({kind})"
            if dataset not in known:
                out.append(f"{where}: {kind} names unknown dataset {dataset}")
            elif name not in known[dataset]:
                out.append(f"{where}: {kind} names {dataset}.{name}, which does not exist")
    return out


def coverage() -> tuple[int, int]:
    """(columns with a declared source, all columns) over every asset's contract."""
    total = sum(len(c.columns(m)) for m in c.CONTRACTS.values())
    with_source = sum(len(c.lineage(m)) for m in c.CONTRACTS.values())
    return with_source, total


def trace(asset: str, column: str) -> list[list[tuple[str, str]]]:
    """Every path from ``asset.column`` back to an external field (or a constant): lists of (dataset, column),
    starting at the column itself."""
    if asset not in c.CONTRACTS:
        return [[(asset, column)]]
    deps = c.lineage(c.CONTRACTS[asset]).get(column, [])
    if not deps:
        return [[(asset, column)]]
    return [[(asset, column), *rest] for d in deps for rest in trace(*d)]


# --------------------------------------------------------------------------- the asset graph
def asset_graph() -> dict[str, dict]:
    """``{asset: {"group": ..., "deps": [...], "kind": "asset"|"source"|"reference"}}`` from the definitions."""
    from ccgi_assets.assets import ASSETS, SOURCES

    nodes: dict[str, dict] = {}
    for source in SOURCES:  # observable sources: one definition may observe several source specs
        for spec in getattr(source, "specs", None) or [source]:
            nodes[spec.key.to_user_string()] = {"group": spec.group_name or "sources", "deps": [], "kind": "source"}
    for a in ASSETS:
        key = a.key.to_user_string()
        nodes[key] = {"group": a.group_names_by_key.get(a.key, "default"), "kind": "asset",
                      "deps": sorted(k.to_user_string() for k in a.dependency_keys)}
    for asset, model in c.CONTRACTS.items():  # reference tables the contracts name
        for deps in c.lineage(model).values():
            for dataset, _ in deps:
                if dataset.startswith(c.REFERENCE):
                    nodes.setdefault(dataset, {"group": "reference", "deps": [], "kind": "reference"})
                    if asset in nodes and dataset not in nodes[asset]["deps"]:
                        nodes[asset]["deps"].append(dataset)
    return nodes


# --------------------------------------------------------------------------- OpenLineage
def _ol_type(model, col: str) -> str:
    return c._type_name(c._schema(model).columns[col]).upper()


def _input_schema(dataset: str):
    from openlineage.client.facet_v2 import schema_dataset

    if dataset in c.CONTRACTS:
        return None  # described by its own event
    cols = dataset_columns()[dataset]
    if dataset in c.CALPADS_ASSETS.values():  # CDE shares only the allowlist
        rt = next(k for k, v in c.CALPADS_ASSETS.items() if v == dataset)
        cols = tuple(c.calpads_share_columns()[rt])
    return schema_dataset.SchemaDatasetFacet(fields=[
        schema_dataset.SchemaDatasetFacetFields(name=col, ordinal_position=i) for i, col in enumerate(cols, 1)])


def openlineage_events(namespace: str = NAMESPACE, event_time: dt.datetime | None = None) -> dict[str, object]:
    """One OpenLineage ``RunEvent`` (COMPLETE) per asset with a contract: inputs are the datasets its columns and
    row selection come from; the output carries the ``schema``, ``tags`` (PII columns) and ``columnLineage``
    facets. Run IDs are stable for a given ``event_time``."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import column_lineage_dataset as cl
    from openlineage.client.facet_v2 import job_type_job, schema_dataset, tags_dataset

    when = (event_time or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    events = {}
    for asset, model in c.CONTRACTS.items():
        declared = c.lineage(model)
        fields = {}
        inputs: list[str] = []
        for col in c.columns(model):
            deps = declared.get(col, [])
            how = c.field_meta(model, col, "how")
            subtype = (how or ("identity" if len(deps) == 1 else "transformation")).upper()
            fields[col] = cl.Fields(
                inputFields=[cl.InputField(namespace=namespace, name=d, field=f, transformations=[
                    cl.Transformation(type="DIRECT", subtype=subtype, masking=False)]) for d, f in deps],
                transformationDescription=c._schema(model).columns[col].description,
                transformationType="IDENTITY" if subtype == "IDENTITY" else None)
            inputs += [d for d, _ in deps]
        selecting = [cl.InputField(namespace=namespace, name=d, field=f, transformations=[
            cl.Transformation(type="INDIRECT", subtype=sub, description=what)])
            for (d, f), (sub, what) in c.uses(model).items()]
        inputs += [f.name for f in selecting]
        schema = schema_dataset.SchemaDatasetFacet(fields=[
            schema_dataset.SchemaDatasetFacetFields(name=col, type=_ol_type(model, col),
                                                    description=c._schema(model).columns[col].description,
                                                    ordinal_position=i)
            for i, col in enumerate(c.columns(model), 1)])
        tags = tags_dataset.TagsDatasetFacet(tags=[
            tags_dataset.TagsDatasetFacetFields(key="pii", value="true", source="CONTRACT", field=col)
            for col in c.pii_columns(model)])
        out_facets = {"schema": schema, "columnLineage": cl.ColumnLineageDatasetFacet(fields=fields, dataset=selecting)}
        if tags.tags:
            out_facets["tags"] = tags
        ins = []
        for name in dict.fromkeys(inputs):
            facet = _input_schema(name)
            ins.append(InputDataset(namespace=namespace, name=name, facets={"schema": facet} if facet else {}))
        run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{asset}/{when.isoformat()}"))
        events[asset] = RunEvent(
            eventType=RunState.COMPLETE, eventTime=when.isoformat(), producer=PRODUCER,
            run=Run(runId=run_id),
            job=Job(namespace=namespace, name=asset, facets={"jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="DAGSTER", jobType="ASSET")}),
            inputs=ins, outputs=[OutputDataset(namespace=namespace, name=asset, facets=out_facets)])
    return events


# --------------------------------------------------------------------------- the HTML page
def _layout(nodes: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """Layered layout: an asset one column right of its deepest input; within a column, ordered by the mean row
    of its inputs (sources by the mean row of their readers), which keeps crossings few."""
    depth: dict[str, int] = {}

    def d(n: str) -> int:
        if n not in depth:
            depth[n] = 1 + max((d(p) for p in nodes[n]["deps"] if p in nodes), default=-1)
        return depth[n]

    layers: dict[int, list[str]] = {}
    for n in sorted(nodes, key=lambda k: (nodes[k]["group"], k)):
        layers.setdefault(d(n), []).append(n)
    children = {n: [m for m in nodes if n in nodes[m]["deps"]] for n in nodes}
    row = {n: i for names in layers.values() for i, n in enumerate(names)}
    for _ in range(3):
        for x in sorted(layers)[1:]:
            layers[x].sort(key=lambda n: sum(row[p] for p in nodes[n]["deps"]) / max(len(nodes[n]["deps"]), 1))
            row.update({n: i for i, n in enumerate(layers[x])})
        layers[0].sort(key=lambda n: sum(row[m] for m in children[n]) / max(len(children[n]), 1))
        row.update({n: i for i, n in enumerate(layers[0])})
    return {n: (20 + x * 270, 20 + y * 56) for x, names in layers.items() for y, n in enumerate(names)}


def _calpads_label(dataset: str, column: str) -> str:
    if dataset in c.CALPADS_ASSETS.values():
        rt = next(k for k, v in c.CALPADS_ASSETS.items() if v == dataset)
        lay = c.calpads_layouts()
        row = lay[(lay["record_type"] == rt) & (lay["column"] == column)]
        if len(row):
            return f"CALPADS {rt} field {row.iloc[0]['field_number']} {column}"
    return f"{EXTERNAL.get(dataset, dataset)}: {column}"


def html_page() -> str:
    """The lineage page: the asset graph (SVG) and every column's path back to its external fields."""
    nodes = asset_graph()
    pos = _layout(nodes)
    w = max(x for x, _ in pos.values()) + 250
    h = max(y for _, y in pos.values()) + 60
    svg = [f'<svg id="graph" viewBox="0 0 {w} {h}" role="img" '
           'aria-label="asset graph">']
    for n, info in nodes.items():
        for p in info["deps"]:
            if p in pos:
                (x1, y1), (x2, y2) = pos[p], pos[n]
                svg.append(f'<path class="edge" data-from="{html.escape(p)}" data-to="{html.escape(n)}" '
                           f'd="M{x1 + 230},{y1 + 18} C{x1 + 255},{y1 + 18} {x2 - 25},{y2 + 18} {x2},{y2 + 18}"/>')
    for n, (x, y) in pos.items():
        kind = nodes[n]["kind"]
        pii = "" if n not in c.CONTRACTS or c.is_non_pii(c.CONTRACTS[n]) else " pii"
        svg.append(f'<g class="node {kind}{pii}" data-name="{html.escape(n)}"><rect x="{x}" y="{y}" width="230" '
                   f'height="36" rx="6"/><text x="{x + 8}" y="{y + 22}">{html.escape(n)}</text></g>')
    svg.append("</svg>")

    sections = []
    for asset, model in c.CONTRACTS.items():
        rows = []
        for col in c.columns(model):
            paths = trace(asset, col)
            datasets = sorted({d for p in paths for d, _ in p})
            edges = sorted({f"{p[i + 1][0]}>{p[i][0]}" for p in paths for i in range(len(p) - 1)})
            items = []
            for p in paths:
                end = p[-1]
                chain = " &larr; ".join(f"<code>{html.escape(d)}.{html.escape(f)}</code>" for d, f in p)
                label = ("constant (set by the pipeline)" if end[0] in c.CONTRACTS
                         else html.escape(_calpads_label(*end)))
                items.append(f'<li>{chain} <span class="origin">{label}</span></li>')
            why = c.field_meta(model, col, "why")
            pii = ' <span class="tag">PII</span>' if col in c.pii_columns(model) else ""
            rows.append(f'<details class="col" id="{asset}.{col}" data-path="{html.escape(" ".join(datasets))}" '
                        f'data-edges="{html.escape(" ".join(edges))}">'
                        f"<summary><code>{col}</code>{pii} {html.escape(c._schema(model).columns[col].description or '')}"
                        f"</summary><ul>{''.join(items)}</ul>"
                        + (f'<p class="why">why: {html.escape(why)}</p>' if why else "") + "</details>")
        grouped: dict[tuple[str, str], list[str]] = {}
        for (d, f), how in c.uses(model).items():
            grouped.setdefault(how, []).append(f"<code>{html.escape(d)}.{html.escape(f)}</code>")
        selected = "".join(f"<li>{', '.join(cols)} ({sub.lower()}: {html.escape(what)})</li>"
                           for (sub, what), cols in grouped.items())
        sections.append(f'<section id="{asset}"><h2>{asset} <small>{"non-PII" if c.is_non_pii(model) else "student data"}'
                        f"</small></h2><p>{html.escape((model.__doc__ or '').strip())}</p>{''.join(rows)}"
                        + (f"<h3>Rows selected by</h3><ul>{selected}</ul>" if selected else "") + "</section>")
    with_source, total = coverage()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ccgi-assets column lineage</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }}
#graphbox {{ position: sticky; top: 0; background: #fff; z-index: 1; border-bottom: 1px solid #ddd; }}
#graph {{ height: 38vh; max-width: 100%; display: block; }}
#graph .edge {{ fill: none; stroke: #aab; stroke-width: 1.5; }}
#graph .edge.on {{ stroke: #d33; stroke-width: 3; }}
#graph .node rect {{ fill: #eef3fb; stroke: #58a; }}
#graph .node.source rect {{ fill: #f4f4f4; stroke: #888; }}
#graph .node.reference rect {{ fill: #fbf7e8; stroke: #a93; }}
#graph .node.pii rect {{ stroke: #c60; stroke-width: 2; }}
#graph .node.on rect {{ fill: #fde2e2; stroke: #d33; stroke-width: 3; }}
#graph text {{ font: 12px monospace; pointer-events: none; }}
details.col {{ margin: .2em 0 .2em 1em; }} summary {{ cursor: pointer; }}
.origin {{ color: #555; font-style: italic; }} .why {{ color: #263; margin: .2em 0 .4em 1.5em; }}
.tag {{ background: #c60; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 11px; }}
section {{ border-top: 1px solid #ddd; margin-top: 1em; }}
</style></head>
<body>
<h1>Column lineage</h1>
<p>Generated by <code>ccgi lineage</code> from the asset definitions and <code>ccgi_assets/contracts.py</code>.
{with_source} of {total} columns ({100 * with_source / total:.0f}%) have a declared source. Open a column to see
its path back to the CALPADS field (or other source) it comes from; the graph highlights the assets on the way.
Orange frames: assets holding student data.</p>
<div id="graphbox">{''.join(svg)}</div>
{''.join(sections)}
<script>
document.querySelectorAll("details.col").forEach(function (d) {{
  d.addEventListener("toggle", function () {{
    if (!d.open) return;
    document.querySelectorAll("details.col[open]").forEach(function (o) {{ if (o !== d) o.open = false; }});
    var on = new Set(d.dataset.path.split(" ")), edges = new Set(d.dataset.edges.split(" "));
    document.querySelectorAll("#graph .node").forEach(function (n) {{ n.classList.toggle("on", on.has(n.dataset.name)); }});
    document.querySelectorAll("#graph .edge").forEach(function (e) {{
      e.classList.toggle("on", edges.has(e.dataset.from + ">" + e.dataset.to)); }});
  }});
}});
</script>
</body></html>
"""


def write(out: Path, namespace: str = NAMESPACE, event_time: dt.datetime | None = None) -> dict[str, object]:
    """Write ``lineage.html`` and ``openlineage/<asset>.json`` (plus ``openlineage/events.ndjson``) under ``out``."""
    from openlineage.client.serde import Serde

    out = Path(out)
    (out / "openlineage").mkdir(parents=True, exist_ok=True)
    (out / "lineage.html").write_text(html_page(), encoding="utf-8")
    events = openlineage_events(namespace, event_time)
    lines = []
    for asset, event in events.items():
        data = Serde.to_dict(event)
        (out / "openlineage" / f"{asset}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        lines.append(json.dumps(data, separators=(",", ":")))
    (out / "openlineage" / "events.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_source, total = coverage()
    return {"html": str(out / "lineage.html"), "events": len(events), "columns": total,
            "columns_with_source": with_source, "problems": problems()}
