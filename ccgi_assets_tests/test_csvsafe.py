"""CSV that leaves CCGI cannot run as a spreadsheet formula; numbers written as text stay as they are."""

from __future__ import annotations

import io

import pandas as pd

from ccgi_assets.csvsafe import defuse, to_csv


def test_formula_like_cells_get_an_apostrophe_and_numbers_stay():
    cells = ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "-3", "1.5", "-0.25",
             "plain", "", None, "-", "=", "-１２", "a=b"]
    df = pd.DataFrame({"name": pd.Series(cells, dtype=object), "n": range(len(cells))})
    out = defuse(df)
    assert out["name"].tolist()[:6] == ["'=HYPERLINK(\"http://x\",\"click\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR"]
    assert out["name"].tolist()[6:10] == ["-3", "1.5", "-0.25", "plain"]
    assert out["name"].tolist()[10] == "" and pd.isna(out["name"].tolist()[11])
    assert out["name"].tolist()[12:] == ["'-", "'=", "'-１２", "a=b"]  # non-ASCII digits are not taken for a number
    assert out["n"].tolist() == list(range(len(cells)))
    assert df["name"].tolist()[0].startswith("=")  # the caller's frame is left as it was


def test_a_frame_without_risky_cells_is_written_as_it_is():
    df = pd.DataFrame({"a": ["x", "-3", None], "b": pd.Series(["y", "z", "w"], dtype="string[pyarrow]"), "c": [1.0, 2.5, None]})
    assert defuse(df) is df
    text = to_csv(df)
    assert text == df.to_csv(index=False, lineterminator="\n")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert back["a"].tolist() == ["x", "-3", ""]


def test_pyarrow_backed_text_columns_are_defused_too():
    df = pd.DataFrame({"course_name": pd.Series(["Algebra", "=cmd|' /C calc'!A0"], dtype="string[pyarrow]")})
    assert to_csv(df).splitlines()[2].startswith("'=cmd|")
