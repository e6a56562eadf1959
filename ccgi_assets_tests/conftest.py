"""Shared fixtures: CALPADS rows written field by field from the layout table, and small generated states."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest

from ccgi_assets.generate import generate

SMALL = dict(students=1500, leas=4, seed=11)


def _layout(record_type: str) -> list[str]:
    with (resources.files("ccgi_assets") / "reference" / "calpads_layouts.csv").open() as f:
        return [r["column"] for r in csv.DictReader(f) if r["record_type"] == record_type]


def calpads_line(record_type: str, **fields: str) -> str:
    """One CALPADS row (submission form) with the given fields in their layout positions."""
    cols = _layout(record_type)
    unknown = set(fields) - set(cols)
    assert not unknown, unknown
    values = {"record_type_code": record_type, **fields}
    return "^".join(str(values.get(c, "")) for c in cols)


def write_calpads(home: Path, record_type: str, lea: str, rows: list[dict]) -> Path:
    p = home / "share" / record_type / f"{lea}.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(calpads_line(record_type, **r) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def small_state_template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("state") / "home"
    generate(out, **SMALL)
    return out


@pytest.fixture
def small_home(small_state_template, tmp_path) -> Path:
    """A fresh copy of a small generated state, for a test that changes it."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(small_state_template, home)
    return home
