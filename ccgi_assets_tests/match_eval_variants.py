"""A second labelled set for the course matcher: names the hand tables do not know, built from the state course
code list, and the leave-vocabulary-out evaluation.

Be clear about what this is. It is **not** independent of the matcher: it was written by the same hand that wrote
the matcher's rules and tables (issue 12), after reading them. What it does differently from ``match_eval.py`` is
to draw the courses from the state course code list (``ccgi_assets/reference/state_course_codes.tsv``) and to
write a share of the CALPADS names in ways *no hand table covers* (checked by
``test_variant_words_are_not_in_the_hand_tables``):

* ``other_name``  another common name for a course family or language (``CASTELLANO 2`` for Spanish 2,
  ``LIFE SCIENCE`` for Biology, ``CHORUS`` for Choir, ``GLOBAL STUDIES`` for World History);
* ``acronym``     the initials of a multi-word title (``AP CGP`` for AP Comparative Government and Politics);
* ``short``       a short name for a long title (its last two content words);
* ``skeleton``    a word written without its vowels (``CHMSTRY``, ``GMTRY``);
* ``prefix``      a prefix the school uses for its own program (``ACAD``, ``STEM``, ``LNKD`` ...);
* ``miscoded``    a regular course reported with an AP / IB state course code of its content area;

beside plain names, hand-table style abbreviations (``ENG``, ``ALG``), semester splits (``A`` / ``B``), casing
and the odd dropped letter. Each school's CMP list has titles (from the state course code names), transcript
abbreviations on ~40% of courses, local course codes on ~50% (~8% stale), ~4% of the school's courses missing
and ~3% extra. The answer for every CALPADS course is known by construction.

Run ``python ccgi_assets_tests/match_eval_variants.py`` for the figures (both sets, with the hand tables, with
each left out, and per kind of name).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

YEAR = "2025-2026"
REF = Path(__file__).resolve().parents[1] / "ccgi_assets" / "reference" / "state_course_codes.tsv"

#: another common name for a word of a title (none of these is in a hand table)
OTHER_NAMES: dict[str, list[str]] = {
    "spanish": ["castellano", "espanol"], "french": ["francais"], "german": ["deutsch"],
    "japanese": ["nihongo"], "chinese": ["mandarin"], "choir": ["chorus"], "orchestra": ["strings"],
    "biology": ["life science"], "english": ["language arts"], "psychology": ["human behavior"],
    "journalism": ["newspaper"], "dance": ["movement"],
}
#: whole-title other names
OTHER_TITLES: dict[str, list[str]] = {
    "World History": ["Global Studies"], "United States History": ["American History"],
    "Ethnic Studies": ["Multicultural Studies"], "Earth Science": ["Geoscience"],
    "Computer Science": ["Coding"],
}
#: program prefixes schools put in front of their own courses
PREFIXES = ["ACAD", "STEM", "LNKD", "ECHS", "IHS", "PLTW", "CAPA", "MEDA"]
#: hand-table style abbreviations (these ARE in the tables: the with-tables figure covers them)
TABLE_STYLE = [(r"\bENGLISH\b", "ENG"), (r"\bALGEBRA\b", "ALG"), (r"\bGEOMETRY\b", "GEOM"),
               (r"\bCHEMISTRY\b", "CHEM"), (r"\bBIOLOGY\b", "BIO"), (r"\bHISTORY\b", "HIST"),
               (r"\bSPANISH\b", "SPAN"), (r"\bHONORS\b", "H"), (r"\bMATHEMATICS\b", "MATH"),
               (r"\bGOVERNMENT\b", "GOVT"), (r"\bECONOMICS\b", "ECON"), (r"\bCALCULUS\b", "CALC"),
               (r"\bSTATISTICS\b", "STATS"), (r"\bLITERATURE\b", "LIT"), (r"\bCOMPOSITION\b", "COMP"),
               (r"\bLANGUAGE\b", "LANG"), (r"\bUNITED STATES\b", "US"), (r"\bPSYCHOLOGY\b", "PSYCH")]
LANGS = ["Spanish", "French", "German", "Japanese", "Chinese", "Korean", "Vietnamese", "Latin"]
_STOPWORDS = {"and", "the", "of", "in", "for", "with", "to", "an", "on", "a"}
_AREA = {"History-Social Science": "a", "English": "b", "Mathematics": "c", "Science": "d", "World Languages": "e",
         "Art": "f", "Music": "f", "Dance": "f", "Drama/Theatre": "f", "Media Arts": "f"}
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5"}


def catalog() -> pd.DataFrame:
    """Course templates: title (as a CMP would carry it), state course code, content area, a-g letter, honors."""
    ref = pd.read_csv(REF, sep="\t", dtype=str, keep_default_na=False)
    ref = ref[(ref["code"].str.strip() != "") & ref["meets_uc_csu"].isin(["Y", "U"])]
    rows = []
    skip = r"Departmentalized|Middle Years|College Credit|Elective|Support|Development|Grades|Self-Contained|" \
           r"Physical Education|Health|Special|World Languages|Exploratory|Other|Work Experience|Business"
    for code, name, area in ref[["code", "name", "content_area"]].itertuples(index=False):
        area = area.strip()
        if re.search(skip, name) or area not in _AREA and area != "Computer Education":
            continue
        t = re.sub(r"Advanced Placement \(AP\)\s*", "AP ", name)
        t = re.sub(r"International Baccalaureate \(IB\)\s*", "IB ", t)
        t = re.sub(r"\s*\((Non-Advanced Placement|non-English|Non-CTE)\)", "", t)
        t = t.replace("&", "and").replace("/", " ")
        t = re.sub(r"\s+", " ", t).strip()
        t = re.sub(r"\b(I|II|III|IV|V)$", lambda m: _ROMAN[m.group(1)], t)
        letter = _AREA.get(area, "g")
        rows.append((t, code.strip(), area, letter, ""))
        if area in ("English", "Mathematics", "Science") and not t.startswith(("AP ", "IB ")) and len(t) < 22:
            rows.append((t + " Honors", code.strip(), area, letter, "UC Honors"))
    for lang in LANGS:
        for lvl in range(1, 5):
            rows.append((f"{lang} {lvl}", str(9129 + lvl), "World Languages", "e", ""))
    cat = pd.DataFrame(rows, columns=["title", "code", "area", "letter", "honors"]).drop_duplicates("title")
    extra = pd.DataFrame([("Choir", "9293", "Music", "f", ""), ("Orchestra", "9291", "Music", "f", ""),
                          ("Computer Science", "9062", "Computer Education", "g", ""),
                          ("Earth Science", "9321", "Science", "d", ""), ("Dance 1", "9080", "Dance", "f", "")],
                         columns=cat.columns)
    cat = pd.concat([cat, extra[~extra["title"].isin(cat["title"])]], ignore_index=True)
    return cat.reset_index(drop=True)


def _content_words(title: str) -> list[str]:
    title = re.sub(r"\([^)]*\)|\b\d-D\b", " ", title)
    return [w for w in re.split(r"[^A-Za-z]+", title) if w and w.lower() not in _STOPWORDS
            and w not in ("AP", "IB", "Honors", "SL", "HL") and not w.isdigit()]


def _skeleton(word: str) -> str:
    return word[0] + re.sub(r"[AEIOU]", "", word[1:])


def variant(title: str, kind: str, rng: np.random.Generator, prefix: str) -> tuple[str, str]:
    """(CALPADS name, the kind actually used) for a CMP title: falls back to ``plain`` where a kind does not
    apply to the title."""
    up = title.upper()
    words = _content_words(title)
    lvl = re.search(r"\b(\d)$", title)
    marks = [m for m in ("AP", "IB") if title.startswith(m + " ")] + (["H"] if title.endswith(" Honors") else [])
    if kind == "other_name":
        for t, alts in OTHER_TITLES.items():
            if title.startswith(t):
                return up.replace(t.upper(), alts[int(rng.integers(len(alts)))].upper()), kind
        for w, alts in OTHER_NAMES.items():
            if re.search(rf"\b{w}\b", title.lower()):
                return re.sub(rf"\b{w.upper()}\b", alts[int(rng.integers(len(alts)))].upper(), up), kind
    if kind == "acronym" and len(words) >= 3:
        ac = "".join(w[0] for w in words).upper()
        return " ".join(m for m in marks if m != "H") + (" " if marks else "") + ac + (f" {lvl.group(1)}" if lvl else ""), kind
    if kind == "short" and len(words) >= 3:
        core = " ".join(words[-2:]).upper()
        pre = " ".join(m for m in marks if m != "H")
        return (pre + " " if pre else "") + core + (f" {lvl.group(1)}" if lvl else "") + (" H" if "H" in marks else ""), kind
    if kind == "skeleton":
        long = [w for w in up.split() if len(w) >= 7 and w.isalpha()]
        if long:
            w = long[0]
            return up.replace(w, _skeleton(w), 1), kind
    if kind == "prefix":
        return f"{prefix} {up}", kind
    if kind == "table_abbr":
        ab = up
        for pat, rep in TABLE_STYLE:
            ab = re.sub(pat, rep, ab)
        return ab, kind
    return (title if rng.random() < 0.5 else up), "plain"


KINDS = ["plain", "table_abbr", "other_name", "acronym", "short", "skeleton", "prefix"]
KIND_P = [0.36, 0.2, 0.12, 0.08, 0.08, 0.08, 0.08]


def build(schools: int = 80, per_school: int = 52, seed: int = 12) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(crse, cmp, expected) in the format of ``match_eval.load_eval``; ``expected`` also has ``kind``."""
    rng = np.random.default_rng(seed)
    cat = catalog()
    ap_codes = cat[cat["title"].str.startswith(("AP ", "IB "))].groupby("area")["code"].apply(list).to_dict()
    crse_rows, cmp_rows, exp_rows = [], [], []
    for s in range(schools):
        lea, school = f"{1900000 + s // 3:07d}", f"{6100000 + s:07d}"
        cds = lea + school
        prefix = PREFIXES[s % len(PREFIXES)] if s % 4 == 0 else ""
        offer = rng.choice(len(cat), size=min(per_school, len(cat)), replace=False)
        extra = rng.choice(np.setdiff1d(np.arange(len(cat)), offer), size=max(1, per_school * 3 // 100), replace=False)
        missing = rng.random(len(offer)) < 0.04
        split_school = s % 5 == 1
        for j, t in enumerate(offer):
            r = cat.iloc[t]
            local = f"{'C' if s % 2 else ''}{1000 + int(t) * 3}"
            cid = f"{700000 + s * 1000 + int(t)}"
            kind = KINDS[int(rng.choice(len(KINDS), p=KIND_P))]
            if kind == "prefix" and not prefix:
                kind = "plain"
            name, kind = variant(r["title"], kind, rng, prefix)
            if rng.random() < 0.04 and len(name) > 6:                   # the odd dropped letter
                k = int(rng.integers(1, len(name) - 1))
                name = name[:k] + name[k + 1:]
                kind = kind + "+typo"
            code = r["code"]
            if not r["title"].startswith(("AP ", "IB ")) and r["area"] in ap_codes and rng.random() < 0.05:
                code = str(rng.choice(ap_codes[r["area"]]))               # a regular course with an AP / IB code
                kind = "miscoded"
            parts = [("", name)]
            if split_school and rng.random() < 0.5:
                parts = [("A", name + " A"), ("B", name + " B")]
            for suffix, n in parts:
                crse_rows.append({"reporting_lea": lea, "school_code": school, "academic_year": YEAR,
                                  "local_course_id": local + suffix, "course_name": n, "state_course_code": code,
                                  "uc_csu_approved": True})
                exp_rows.append({"school_code": school, "local_course_id": local + suffix,
                                 "expected_status": "not_on_cmp" if missing[j] else "matched",
                                 "expected_cmp_course_id": None if missing[j] else cid, "tied_cmp_course_ids": "",
                                 "kind": kind})
            if missing[j]:
                continue
            u = rng.random()
            codes = (local if not parts[0][0] else f"{local}A|{local}B") if u < 0.5 else \
                (f"X{int(rng.integers(10000, 99999))}" if u < 0.58 else "")
            abbr = variant(r["title"], "table_abbr", rng, "")[0] if rng.random() < 0.4 else ""
            cmp_rows.append(_cmp_row(cid, cds, r, abbr, codes))
        for t in extra:
            cmp_rows.append(_cmp_row(f"{700000 + s * 1000 + int(t)}", cds, cat.iloc[t], "", ""))
    cmp = pd.DataFrame(cmp_rows)
    return pd.DataFrame(crse_rows), cmp, pd.DataFrame(exp_rows)


def _cmp_row(cid: str, cds: str, r: pd.Series, abbr: str, codes: str) -> dict:
    return {"cmp_course_id": cid, "cds_code": cds, "atp_code": "050000", "school_name": "School",
            "course_title": r["title"], "transcript_abbreviations": abbr, "local_course_codes": codes,
            "subject_area": r["letter"], "honors_type": r["honors"], "learning_environment": "Classroom Based",
            "list_year": YEAR}


def evaluate(crse, cmp, expected, **kw) -> dict[str, float]:
    """``match_eval.precision_recall`` of :func:`match_courses` with ``kw``, plus ``name_recall``: the recall on
    the courses whose local course ID is *not* on their CMP course (matched by name or not at all: the part of the
    figure the vocabulary decides)."""
    from match_eval import precision_recall

    from ccgi_assets.matching import match_courses
    res = match_courses(crse, cmp, **kw)
    pr = precision_recall(res, expected)
    codes = cmp.assign(school_code=cmp["cds_code"].str[7:]).set_index(["school_code", "cmp_course_id"])["local_course_codes"]
    e = expected[expected["expected_cmp_course_id"].notna()]
    listed = [str(lid) in str(codes.get((sc, cid), "")).split("|")
              for sc, cid, lid in zip(e["school_code"], e["expected_cmp_course_id"], e["local_course_id"])]
    e = e[~np.array(listed, dtype=bool)].merge(res, on=["school_code", "local_course_id"])
    ok = e["match_status"].isin(["matched", "matched_subject_mismatch"]) & \
        (e["cmp_course_id"].astype(object) == e["expected_cmp_course_id"])
    pr["name_recall"] = float(ok.mean()) if len(e) else float("nan")
    pr["name_courses"] = len(e)
    return pr


def figures(sets: dict | None = None) -> pd.DataFrame:
    """P / R of each set with the hand tables (learned words on and off) and with each hand table left out."""
    from match_eval import load_eval

    from ccgi_assets.matching import HAND_TABLES
    if sets is None:
        crse, cmp, exp = build()
        sets = {"match_eval (hand-written)": load_eval(), "variants (state-code built)": (crse, cmp, exp),
                # no local codes anywhere: every course by name, learning only from transcript abbreviations
                "variants, no local codes on the CMP": (crse, cmp.assign(local_course_codes=""), exp)}
    rows = []
    for name, (crse, cmp, exp) in sets.items():
        exp = exp.drop(columns=[c for c in ("kind",) if c in exp])
        configs = [("hand tables + learned", {}), ("hand tables, nothing learned", {"learn": False})]
        configs += [(f"without {t} (+ learned)", {"without": (t,)}) for t in HAND_TABLES]
        configs += [(f"without {t}, nothing learned", {"without": (t,), "learn": False}) for t in HAND_TABLES]
        configs += [("without all three (+ learned)", {"without": HAND_TABLES})]
        for label, kw in configs:
            pr = evaluate(crse, cmp, exp, **kw)
            rows.append({"set": name, "vocabulary": label, "precision": round(pr["precision"], 4),
                         "recall": round(pr["recall"], 4), "matches_expected": pr["matches_expected"],
                         "recall_by_name": round(pr["name_recall"], 4), "by_name_courses": pr["name_courses"]})
    return pd.DataFrame(rows)


def by_kind(no_codes: bool = False, **kw) -> pd.DataFrame:
    """Recall per kind of name on the variants set (``no_codes``: with every local code taken off the CMP)."""
    from ccgi_assets.matching import match_courses
    crse, cmp, exp = build()
    if no_codes:
        cmp = cmp.assign(local_course_codes="")
    res = match_courses(crse, cmp, **kw)
    m = exp.merge(res, on=["school_code", "local_course_id"])
    should = m["expected_cmp_course_id"].notna()
    ok = should & (m["cmp_course_id"].astype(object) == m["expected_cmp_course_id"])
    return pd.DataFrame({"courses": should.groupby(m["kind"]).sum(), "recall": (ok[should].groupby(m.loc[should, "kind"]).mean()).round(3)})


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    pd.set_option("display.width", 160)
    print(figures().to_string(index=False))
    print("\nvariants set, recall by kind of name (hand tables + learned):")
    kinds = by_kind()
    print(kinds.join(by_kind(no_codes=True)["recall"].rename("recall_no_local_codes")).to_string())
