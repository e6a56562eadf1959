"""CRSE <-> UC A-G Course Management Portal matcher (seed Diagram 1, step 3; the LEA report of step 4).

Every CALPADS CRSE course flagged UC/CSU approved is compared with its school's CMP list and gets one
result row: the CMP course it is (``cmp_course_id``), a status, a 0-100 score, the evidence used
(``method``) and a ``reason`` code a person at the LEA can act on.

How a course is matched
-----------------------
1. **Blocking.** A course is only ever compared with the CMP courses of the same school (the CMP
   ``cds_code[7:]``) and the same year (CMP ``list_year`` = CRSE ``academic_year``). Local course codes are
   compared within the block too, so another school's ``1001`` never counts.
2. **Local course code.** When the school's CMP course lists the CRSE ``local_course_id`` in
   ``local_course_codes`` and the names are not plainly different courses (name score >= ``CODE_NAME_FLOOR``),
   that is the match (``method = local_course_code``, score 100). A code that sits on a course with a
   different name while another CMP course carries the name (score >= ``ACCEPT``) is treated as a stale code
   left on the CMP after a renumbering: the name wins (``reason = stale_local_code``).
3. **Names.** Otherwise the course name is scored against every CMP title and transcript abbreviation of
   the block with :func:`rapidfuzz.process.cdist` (one call per block, threads via ``workers``), after
   :func:`normalize_course_names`. The best CMP course at or above ``ACCEPT`` is the match unless another
   is within ``TIE_MARGIN``: then the candidate whose subject area fits the state course code, then the one
   closer to the state course code's own name, wins; if nothing separates them the course is ``ambiguous``.
4. **Subject area.** A match whose CMP subject area does not fit the content area of the CRSE state course
   code (:data:`CONTENT_AREA_SUBJECTS`) is ``matched_subject_mismatch``.

Name score
----------
Names are normalized (:func:`normalize_course_names`) into three parts: sorted content words, a marker set
(Honors, AP, IB) and a key set (numbers, roman numerals as numbers, ``AB``/``BC``, ``SL``/``HL``, single
letters such as ``Physics C``). The score is the mean of rapidfuzz ``ratio`` on the sorted words
(= ``token_sort_ratio``) and ``token_set_ratio`` (a short name inside a longer title), minus
``MARKER_PENALTY`` per marker on one side only and ``KEY_PENALTY`` when both sides carry different keys
(``KEY_HALF_PENALTY`` when only one side has any). So ``ENG 9 H`` scores 100 against ``English 9 Honors``
and 70 against ``English 9``; ``SPAN 4`` scores 70 against ``Spanish 3``.

The CRSE side takes markers also from the state course code (an "Advanced Placement (AP) ..." or
"International Baccalaureate (IB) ..." code marks the course AP / IB); the CMP side from ``honors_type``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from ccgi_assets.matching_vocab import MATCH_METHODS, MATCH_STATUSES

__all__ = [
    "MATCH_STATUSES", "MATCH_METHODS", "REASONS", "CONTENT_AREA_SUBJECTS", "RESULT_COLUMNS",
    "UNMATCHED_COLUMNS", "match_courses", "unmatched_cmp_courses", "normalize_course_names",
]

# ------------------------------------------------------------------------------------------ vocabulary
#: reason codes by status; each names what the LEA (or CCGI) can do about it
REASONS: dict[str, dict[str, str]] = {
    "matched": {
        "exact_local_code": "the CMP course lists this local course ID and its name agrees",
        "name_match": "matched on the CMP title or a transcript abbreviation",
        "stale_local_code": "matched on name; this local course ID is listed on a different CMP course "
                            "(update the local course codes on the CMP)",
    },
    "matched_subject_mismatch": {
        "subject_area_disagrees": "the CMP a-g subject area does not fit the content area of the CRSE state "
                                  "course code (check the state course code or the CMP subject area)",
    },
    "ambiguous": {
        "tie_between_cmp_courses": "two or more CMP courses fit equally well (add the local course ID to the "
                                   "right CMP course)",
        "local_code_on_several_cmp_courses": "the local course ID is listed on several CMP courses and the "
                                             "names do not tell them apart",
    },
    "not_on_cmp": {
        "no_cmp_course_at_school": "the school has no CMP list (submit the school's courses to the CMP)",
        "no_cmp_list_for_year": "the school's CMP list is for another year",
        "best_score_below_threshold": "no CMP course of the school is close to this course",
        "honors_ap_ib_differs": "the closest CMP course is the same course at another level (Honors / AP / IB)",
        "course_number_differs": "the closest CMP course has another number or level (e.g. Spanish 3 for 4)",
        "local_code_names_different_course": "the local course ID is on a CMP course with a different name "
                                             "and no CMP course has this name",
    },
}
REASON_CODES: list[str] = [r for by in REASONS.values() for r in by]

#: CALPADS content area of a state course code -> a-g letters a CMP course may legitimately carry.
#: Every area may be a "g" college-prep elective. Computer science may be approved in "c" or "d" as well;
#: CTE, interdisciplinary and agriculture courses are approved in whichever area they integrate (e.g.
#: Agricultural Biology in "d", Graphic Design in "f"), so any letter fits. Areas UC does not count
#: (physical education, health, ...) fit "g" only.
CONTENT_AREA_SUBJECTS: dict[str, str] = {
    "History-Social Science": "ag",
    "English": "bg",
    "Mathematics": "cg",
    "Science": "dg",
    "World Languages": "eg",
    "Art": "fg", "Music": "fg", "Dance": "fg", "Drama/Theatre": "fg", "Media Arts": "fg",
    "Computer Education": "cdg",
    "Career Technical Education": "abcdefg",
    "Interdisciplinary Content": "abcdefg",
    "Agriculture": "abcdefg",
}
OTHER_AREA_SUBJECTS = "g"

# ------------------------------------------------------------------------------------------ thresholds
ACCEPT = 85.0            # name score needed to call a course matched
TIE_MARGIN = 2.0         # candidates this close to the best are tied
CODE_NAME_FLOOR = 50.0   # a local-code hit whose name scores below this names a different course
MARKER_PENALTY = 30.0    # per Honors / AP / IB marker present on one side only
KEY_PENALTY = 30.0       # numbers / levels on both sides that differ (Spanish 3 vs Spanish 4)
KEY_HALF_PENALTY = 12.0  # numbers / levels on one side only (World History vs World History 1-2)
STATE_NAME_MARGIN = 5.0  # a tie is broken by the state course code name only by this much
TOP_K = 4                # candidates kept per course for tie-breaking

RESULT_COLUMNS = [
    "reporting_lea", "school_code", "academic_year", "local_course_id", "course_name", "state_course_code",
    "content_area", "cmp_course_id", "cmp_course_title", "cmp_subject_area", "match_status", "score",
    "method", "reason", "name_score", "runner_up_cmp_course_id", "runner_up_score",
]
UNMATCHED_COLUMNS = ["reporting_lea", "cds_code", "school_code", "list_year", "cmp_course_id", "course_title",
                     "subject_area", "reason"]

_CRSE_REQUIRED = ["school_code", "academic_year", "local_course_id", "course_name", "state_course_code",
                  "uc_csu_approved"]
_CMP_REQUIRED = ["cmp_course_id", "cds_code", "course_title", "transcript_abbreviations", "local_course_codes",
                 "subject_area"]

# ------------------------------------------------------------------------------------------ normalization
_MARKER_BITS = {"honors": 1, "ap": 2, "ib": 4}
_KEY_WORDS = {"ab", "bc", "sl", "hl"}
_STOP = {"and", "the", "of", "in", "for", "with", "to", "an", "on"}

#: single-token abbreviations as schools write them (after lower-casing and splitting letters from digits)
ABBREVIATIONS: dict[str, str] = {
    # English
    "eng": "english", "engl": "english", "lit": "literature", "litr": "literature", "comp": "composition",
    "lang": "language", "brit": "british", "wrtg": "writing", "writ": "writing", "wrt": "writing",
    "creat": "creative", "jour": "journalism", "journ": "journalism", "yrbk": "yearbook",
    "erwc": "expository reading writing", "read": "reading",
    # mathematics
    "alg": "algebra", "algeb": "algebra", "algbr": "algebra", "geom": "geometry", "geo": "geometry",
    "trig": "trigonometry", "calc": "calculus", "stat": "statistics", "stats": "statistics",
    "math": "mathematics", "maths": "mathematics", "mth": "mathematics", "im": "integrated mathematics",
    "imath": "integrated mathematics", "precalc": "precalculus", "anlys": "analysis", "prob": "probability",
    # science
    "chem": "chemistry", "bio": "biology", "biol": "biology", "phys": "physics", "phy": "physics",
    "physio": "physiology", "physiol": "physiology", "anat": "anatomy", "sci": "science", "scie": "science",
    "env": "environmental", "enviro": "environmental", "environ": "environmental", "envir": "environmental",
    "envr": "environmental", "univ": "universe", "sys": "system", "mech": "mechanics", "elec": "electricity",
    "mag": "magnetism", "engr": "engineering", "engin": "engineering",
    # history / social science
    "hist": "history", "hst": "history", "us": "united states", "usa": "united states", "amer": "american",
    "am": "american", "wrld": "world", "wld": "world", "wrd": "world", "govt": "government",
    "gov": "government", "gvt": "government", "econ": "economics", "psych": "psychology",
    "psy": "psychology", "soc": "sociology", "geog": "geography", "euro": "european", "cult": "culture",
    "democ": "democracy", "dem": "democracy", "stds": "studies", "stud": "studies", "std": "studies",
    "macro": "macroeconomics", "micro": "microeconomics", "tok": "theory knowledge",
    # world languages
    "span": "spanish", "spn": "spanish", "spa": "spanish", "fr": "french", "fren": "french", "frn": "french",
    "ger": "german", "germ": "german", "chin": "chinese", "chn": "chinese", "jpn": "japanese",
    "japn": "japanese", "lat": "latin", "kor": "korean", "viet": "vietnamese", "mand": "mandarin",
    "asl": "american sign language", "spkrs": "speakers", "spkr": "speakers", "spk": "speakers",
    "nat": "native", "sns": "spanish spanish speakers", "sss": "spanish spanish speakers",
    # arts, other
    "photo": "photography", "photog": "photography", "digi": "digital", "dig": "digital",
    "ceram": "ceramics", "cer": "ceramics", "sculpt": "sculpture", "draw": "drawing", "paint": "painting",
    "ptg": "painting", "vis": "visual", "perf": "performing", "thtr": "theatre", "thea": "theatre",
    "theater": "theatre", "drama": "theatre", "orch": "orchestra", "instr": "instrumental", "mus": "music", "prod": "production",
    "dsgn": "design", "adv": "advanced", "beg": "beginning", "intro": "introduction", "fund": "fundamentals",
    "prin": "principles", "princ": "principles", "cs": "computer science",
    "csp": "computer science principles", "csa": "computer science", "prog": "programming",
    "ag": "agricultural", "agri": "agricultural", "pe": "physical education",
    # markers and noise
    "h": "honors", "hon": "honors", "hons": "honors", "hnrs": "honors", "hnr": "honors", "honor": "honors",
    "p": "", "cp": "", "prep": "",
    # numbers
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    # glued AP names students and teachers use
    "apush": "ap united states history", "apes": "ap environmental science", "apwh": "ap world history",
    "apeuro": "ap european history", "apcsp": "ap computer science principles", "apcsa": "ap computer science",
}

#: multi-word forms, applied (in order) to the lower-cased, punctuation-free name before token mapping
PHRASES: list[tuple[str, str]] = [
    (r"\bnon advanced placement\b", " "),
    (r"\badvanced placement\b", "ap"),
    (r"\binternational baccalaureate\b", "ib"),
    (r"\bmiddle years program(me)?\b", "myp"),
    (r"\bcollege prep(aratory)?\b", " "),
    (r"\bint(eg|egr|egrated|gr)? math(ematics|s)?\b", "integrated mathematics"),
    (r"\bint sci(ence)?\b", "integrated science"),
    (r"\bcomp(uter)? sci(ence)?\b", "computer science"),
    (r"\bcomp(ar|arative)? gov(t|ernment)?\b", "comparative government"),
    (r"\bphys(ical)? sci(ence)?\b", "physical science"),
    (r"\bphys(ical)? ed(ucation)?\b", "physical education"),
    (r"\banat(omy)? (and )?phys(iology|iol|io)?\b", "anatomy physiology"),
    (r"\be and m\b", "electricity magnetism"),
    (r"\belec(tricity)? (and )?mag(netism)?\b", "electricity magnetism"),
    (r"\bpre ?calc(ulus)?\b", "precalculus"),
    (r"\bpre ?alg(ebra)?\b", "prealgebra"),
    (r"\bpre ap\b", "preap"),
    (r"\bsports med(icine)?\b", "sports medicine"),
    (r"\bmacro ?econ(omics)?\b", "macroeconomics"),
    (r"\bmicro ?econ(omics)?\b", "microeconomics"),
    (r"\b(world|human|wrld|wld) geo\b", "$1 geography"),
    (r"\bag bio(logy)?\b", "agricultural biology"),
    (r"\bmath anal(ysis)?\b", "mathematics analysis"),
]

#: trailing semester / term markers (``A/B``, ``A``, ``B``, ``S1/S2``, ``SEM 1``, ``1 OF 2``, ...)
_SEMESTER = (r" ((sem(ester)?|s) ?[12]( (sem(ester)?|s)? ?[12])?|[12] of 2|a b|[ab]|yr|year|"
             r"(first|second|1|2) semester|fall|spring)$")


def _replace(arr: pa.Array, pattern: str, repl: str) -> pa.Array:
    return pc.replace_substring_regex(arr, pattern=pattern, replacement=repl)


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Words the glued-abbreviation splitter may produce: the expansions and the state course code names."""
    words = set(_MARKER_BITS) | _KEY_WORDS
    for k, v in ABBREVIATIONS.items():
        words.add(k)
        words.update(v.split())
    for name in _state_codes()["name"]:
        words.update(w for w in re.split(r"[^a-z]+", name.lower()) if len(w) >= 3)
    return frozenset(w for w in words if w)


def _split_glued(token: str, known: frozenset[str]) -> str | None:
    """``apenglit`` -> ``ap eng lit``: the split into known pieces (>= 2 letters, fewest pieces, at least one
    abbreviation or marker), or None. Runs over the distinct unknown tokens of a batch (a vocabulary), not rows."""
    n = len(token)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 2, n + 1):
            piece = token[i:j]
            if piece in known and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = best[i] + [piece]
    pieces = best[n]
    if not pieces or len(pieces) < 2:
        return None
    if not any(p in ABBREVIATIONS or p in _MARKER_BITS for p in pieces):
        return None
    return " ".join(pieces)


@lru_cache(maxsize=1)
def _sorted_words() -> tuple[str, ...]:
    return tuple(sorted(w for w in _known_words() if len(w) >= 5))


def _complete_truncated(token: str) -> str | None:
    """``manufact`` -> ``manufacturing``: a name cut off by the CALPADS field length, when exactly one known
    word (longer than the token) starts with it."""
    import bisect
    words = _sorted_words()
    i = bisect.bisect_left(words, token)
    found = []
    while i < len(words) and words[i].startswith(token) and len(found) < 2:
        if len(words[i]) > len(token):
            found.append(words[i])
        i += 1
    return found[0] if len(found) == 1 else None


def _list_join(values: np.ndarray, parent: np.ndarray, n: int) -> np.ndarray:
    """Join ``values`` (sorted by parent) into one space-separated string per parent 0..n-1."""
    counts = np.bincount(parent, minlength=n) if len(parent) else np.zeros(n, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=pa.string()))
    return pc.binary_join(lists, " ").to_numpy(zero_copy_only=False)


def normalize_course_names(names) -> pd.DataFrame:
    """Normalize course names / titles / abbreviations, vectorized (pyarrow regex + token table look-ups).

    Returns one row per input (same order) with ``content`` (sorted distinct content words, e.g.
    ``"english"``), ``markers`` (bit set: 1 Honors, 2 AP, 4 IB) and ``keys`` (sorted numbers / level tokens,
    e.g. ``"9"``, ``"1 2"``, ``"ab"``). ``ENG 9 H``, ``Eng9H``, ``English 9 (H)`` and ``Honors English 9``
    all give ``("english", 1, "9")``; ``Spanish II`` and ``SPAN 2`` give ``("spanish", 0, "2")``.
    """
    s = pd.Series(names, dtype=object).where(pd.notna(names), "").astype(str)
    codes, uniq = pd.factorize(s)
    n = len(uniq)
    if n == 0:
        return pd.DataFrame({"content": pd.Series([], dtype=object), "markers": np.array([], dtype=np.int8),
                             "keys": pd.Series([], dtype=object)})
    a = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    a = pc.utf8_normalize(a, form="NFKD")
    a = _replace(a, r"\p{Mn}", "")
    a = pc.utf8_lower(a)
    a = _replace(a, r"[.'\x{2019}`]", "")               # U.S. -> us, Gov't -> govt
    # "ENG 9-1" / "AP ENG LANG-2": a trailing -1 / -2 is the semester, but "1-2" (3-4 ...) is a year-long pair
    a = _replace(a, r"([a-z]|\b[02-9]|\d\d)\s*-\s*[12]\s*$", "\\1")
    a = _replace(a, r"&", " and ")
    a = _replace(a, r"\bw/", " with ")
    a = _replace(a, r"(\d+)(st|nd|rd|th)\b", "\\1")     # 9th -> 9
    a = _replace(a, r"([a-z])(\d)", "\\1 \\2")          # eng9h -> eng 9 h
    a = _replace(a, r"(\d)([a-z])", "\\1 \\2")
    a = _replace(a, r"[^a-z0-9]+", " ")
    a = pc.utf8_trim_whitespace(a)
    for _ in range(2):                                   # "ENG 9 H A" / "BIO S1/S2": strip term suffixes
        a = _replace(a, _SEMESTER, "")
    for pattern, repl in PHRASES:
        a = _replace(a, pattern, repl.replace("$1", "\\1"))

    # token table: abbreviations, glued abbreviations (split over the distinct unknown tokens only)
    lists = pc.split_pattern(a, pattern=" ")
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    tok_codes, vocab = pd.factorize(flat)
    vocab = np.asarray(vocab, dtype=object)
    mapped_vocab = pd.Series(vocab).map(ABBREVIATIONS)
    unknown = mapped_vocab.isna().to_numpy()
    if unknown.any():
        known = _known_words()
        cand = vocab[unknown]
        glued = [(_split_glued(t, known) or _complete_truncated(t)
                  if 4 <= len(t) <= 16 and t.isalpha() and t not in known else None) for t in cand]
        split = pd.Series(glued, dtype=object)
        # map each piece of a split token through the table too
        split = split.map(lambda v: None if v is None else " ".join(ABBREVIATIONS.get(p, p) for p in v.split()))
        mapped_vocab[unknown] = split.where(split.notna(), pd.Series(cand, dtype=object)).to_numpy()
    mapped = mapped_vocab.to_numpy(dtype=object)[tok_codes] if len(flat) else np.array([], dtype=object)
    a = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, pa.array(mapped, type=pa.string())), " ")

    # classify tokens: markers, keys, stop words, content
    lists = pc.split_pattern(a, pattern=" ")
    parent = pc.list_parent_indices(lists).to_numpy()
    tok = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(object)
    keep = tok != ""
    tok, parent = tok[keep], parent[keep]
    tser = pd.Series(tok, dtype=object)
    bits = tser.map(_MARKER_BITS).fillna(0).to_numpy(dtype=np.int64)
    markers = np.zeros(n, dtype=np.int64)
    for b in (1, 2, 4):
        markers |= np.where(np.bincount(parent[bits == b], minlength=n) > 0, b, 0)
    is_digit = tser.str.isdigit().to_numpy(dtype=bool)
    tok = np.where(is_digit, tser.str.lstrip("0").replace("", "0").to_numpy(dtype=object), tok)
    is_stop = tser.isin(_STOP).to_numpy()
    # keys: numbers, and short tokens (levels and codes such as AB, BC, SL, HL, AA, AI, C) where fuzzy
    # similarity means nothing
    is_key = (is_digit | (tser.str.len().to_numpy() <= 2) | tser.isin(_KEY_WORDS).to_numpy()) & (bits == 0) & ~is_stop
    is_content = (bits == 0) & ~is_key & ~is_stop

    out = {}
    for name, sel in (("content", is_content), ("keys", is_key)):
        t, p = tok[sel], parent[sel]
        if len(t):
            rank, _ = pd.factorize(t, sort=True)
            order = np.lexsort((rank, p))
            t, p, rank = t[order], p[order], rank[order]
            first = np.ones(len(t), dtype=bool)
            first[1:] = (p[1:] != p[:-1]) | (rank[1:] != rank[:-1])   # distinct words per name
            t, p = t[first], p[first]
        out[name] = _list_join(t, p, n)
    return pd.DataFrame({"content": out["content"][codes], "markers": markers[codes].astype(np.int8),
                         "keys": out["keys"][codes]})


# ------------------------------------------------------------------------------------------ reference
@lru_cache(maxsize=1)
def _state_codes() -> pd.DataFrame:
    """State course codes (package copy): code, name, content_area and the AP / IB markers of the code."""
    with (resources.files("ccgi_assets") / "reference" / "state_course_codes.tsv").open("r", encoding="utf-8") as f:
        df = pd.read_csv(f, sep="\t", dtype=str, keep_default_na=False)
    df = df[df["code"].str.strip() != ""].copy()
    for col in ("code", "name", "content_area", "AP", "IB"):
        df[col] = df[col].str.strip()
    df = df.drop_duplicates("code", keep="last").reset_index(drop=True)
    name = df["name"].str.lower()
    df["markers"] = (np.where(name.str.startswith("advanced placement"), 2, 0)
                     | np.where(name.str.startswith("international baccalaureate (ib)"), 4, 0)).astype(np.int8)
    df["subjects"] = df["content_area"].map(CONTENT_AREA_SUBJECTS).fillna(OTHER_AREA_SUBJECTS)
    return df


# ------------------------------------------------------------------------------------------ scoring
def _content_similarity(q: np.ndarray, c: np.ndarray, workers: int) -> np.ndarray:
    """(len(q), len(c)) float32: mean of ratio on sorted distinct words (= token_sort) and token_set_ratio."""
    sort = process.cdist(q, c, scorer=fuzz.ratio, dtype=np.float32, workers=workers)
    tset = process.cdist(q, c, scorer=fuzz.token_set_ratio, dtype=np.float32, workers=workers)
    sort += tset
    sort *= 0.5
    return sort


_POPCOUNT = np.array([0, 1, 1, 2, 1, 2, 2, 3], dtype=np.float32)


def _penalty(qm: np.ndarray, qk: np.ndarray, cm: np.ndarray, ck: np.ndarray) -> np.ndarray:
    """Marker / key penalties, element-wise with numpy broadcasting (key id 0 = no keys)."""
    pen = _POPCOUNT[np.bitwise_xor(qm, cm) & 7] * np.float32(MARKER_PENALTY)
    qhas, chas = qk > 0, ck > 0
    pen += np.where(qhas & chas & (qk != ck), np.float32(KEY_PENALTY),
                    np.where(qhas != chas, np.float32(KEY_HALF_PENALTY), np.float32(0)))
    return pen


def _pair_scores(q: pd.DataFrame, c: pd.DataFrame, workers: int) -> np.ndarray:
    """Name score matrix of q rows vs c rows (frames from :func:`normalize_course_names` plus ``key_id``)."""
    sim = _content_similarity(q["content"].to_numpy(object), c["content"].to_numpy(object), workers)
    sim -= _penalty(q["markers"].to_numpy(np.int8)[:, None], q["key_id"].to_numpy(np.int32)[:, None],
                    c["markers"].to_numpy(np.int8)[None, :], c["key_id"].to_numpy(np.int32)[None, :])
    np.clip(sim, 0, 100, out=sim)
    return sim


def _paired_scores(q: pd.DataFrame, c: pd.DataFrame, workers: int = 1) -> np.ndarray:
    """Name score of q row i vs c row i (same scoring as :func:`_pair_scores`, element-wise)."""
    if len(q) == 0:
        return np.zeros(0, dtype=np.float32)
    qc, cc = q["content"].to_numpy(object), c["content"].to_numpy(object)
    sim = process.cpdist(qc, cc, scorer=fuzz.ratio, dtype=np.float32, workers=workers)
    sim = (sim + process.cpdist(qc, cc, scorer=fuzz.token_set_ratio, dtype=np.float32, workers=workers)) * 0.5
    sim -= _penalty(q["markers"].to_numpy(np.int8), q["key_id"].to_numpy(np.int32),
                    c["markers"].to_numpy(np.int8), c["key_id"].to_numpy(np.int32))
    return np.clip(sim, 0, 100)


# ------------------------------------------------------------------------------------------ inputs
def _check_columns(df: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [col for col in required if col not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing required column(s): {', '.join(missing)}")


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def _approved(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).astype(bool)
    return _str(s).str.upper().isin(["Y", "TRUE", "1", "T", "YES"]).fillna(False).astype(bool)


def _prepare_crse(crse: pd.DataFrame) -> pd.DataFrame:
    _check_columns(crse, _CRSE_REQUIRED, "CRSE courses")
    q = crse.loc[_approved(crse["uc_csu_approved"]).to_numpy()]
    cols = {c: _str(q[c]) for c in _CRSE_REQUIRED if c != "uc_csu_approved"}
    cols["reporting_lea"] = _str(q["reporting_lea"]) if "reporting_lea" in q else pd.Series(pd.NA, index=q.index,
                                                                                            dtype="string")
    q = pd.DataFrame(cols)
    # one row per course: CRSE rows are sections, the course-level fields are the same for every section
    q = q.drop_duplicates(["school_code", "academic_year", "local_course_id"], keep="first").reset_index(drop=True)
    sc = _state_codes().set_index("code")
    code = q["state_course_code"].fillna("")
    q["content_area"] = code.map(sc["content_area"]).astype("string")
    q["subjects"] = code.map(sc["subjects"]).fillna("").astype(str)      # "" = unknown code, not checked
    q["code_markers"] = code.map(sc["markers"]).fillna(0).astype(np.int8).to_numpy()
    q["state_name"] = code.map(sc["name"]).fillna("").astype(str)
    return q


def _prepare_cmp(cmp: pd.DataFrame) -> pd.DataFrame:
    _check_columns(cmp, _CMP_REQUIRED, "CMP list")
    c = pd.DataFrame({col: _str(cmp[col]) for col in _CMP_REQUIRED})
    c["honors_type"] = _str(cmp["honors_type"]) if "honors_type" in cmp else pd.Series("", index=cmp.index)
    c["list_year"] = _str(cmp["list_year"]) if "list_year" in cmp else pd.Series(pd.NA, index=cmp.index,
                                                                                 dtype="string")
    c["school_code"] = _str(cmp["school_code"]) if "school_code" in cmp else c["cds_code"].str[7:]
    c["reporting_lea"] = _str(cmp["reporting_lea"]) if "reporting_lea" in cmp else c["cds_code"].str[:7]
    c["subject_area"] = c["subject_area"].str.lower()
    c = c.drop_duplicates(["cmp_course_id", "school_code", "list_year"]).reset_index(drop=True)
    return c


# ------------------------------------------------------------------------------------------ matcher
def match_courses(crse: pd.DataFrame, cmp: pd.DataFrame, *, workers: int = -1) -> pd.DataFrame:
    """Match each UC/CSU-approved CRSE course with its school's CMP list (pure function; see module doc).

    ``crse``: one row per course or per section (sections of a course collapse to one row); rows with
    ``uc_csu_approved`` false are ignored. ``cmp``: the CMP reader's columns (``school_code`` /
    ``reporting_lea`` are derived from ``cds_code`` when absent). Returns one row per approved course with
    :data:`RESULT_COLUMNS`. ``workers`` is passed to rapidfuzz (-1: all cores).
    """
    q = _prepare_crse(crse)
    c = _prepare_cmp(cmp)
    nq, nc = len(q), len(c)

    # blocks: (school, year); a CMP list without list_year is taken for every year
    year_known = c["list_year"].notna() & (c["list_year"] != "")
    c_block = c["school_code"].fillna("") + "|" + c["list_year"].fillna("*")
    q_block = q["school_code"].fillna("") + "|" + q["academic_year"].fillna("")
    if (~year_known).any():
        undated = set(c.loc[~year_known, "school_code"])
        q_block = q_block.where(~q["school_code"].isin(undated), q["school_code"].fillna("") + "|*")
    block_codes, blocks = pd.factorize(pd.concat([q_block, c_block], ignore_index=True))
    qb, cb = block_codes[:nq], block_codes[nq:]

    # normalize every string once: CRSE names, CMP titles, CMP abbreviations, state code names
    abbr = c["transcript_abbreviations"].fillna("").str.split("|").explode()
    abbr = abbr.str.strip()
    abbr = abbr[abbr.notna() & (abbr != "")]
    texts = pd.concat([q["course_name"].fillna(""), c["course_title"].fillna(""), abbr, q["state_name"]],
                      ignore_index=True)
    norm = normalize_course_names(texts.to_numpy(object))
    key_id, _ = pd.factorize(norm["keys"])
    norm["key_id"] = np.where(norm["keys"].to_numpy(object) == "", 0, key_id + 1).astype(np.int32)
    na = len(abbr)
    qn = norm.iloc[:nq].reset_index(drop=True)
    qn["markers"] = qn["markers"].to_numpy() | q["code_markers"].to_numpy()
    tn = norm.iloc[nq:nq + nc].reset_index(drop=True)
    an = norm.iloc[nq + nc:nq + nc + na].reset_index(drop=True)
    sn = norm.iloc[nq + nc + na:].reset_index(drop=True)
    cmp_marker = c["honors_type"].fillna("").str.lower().map(
        {"uc honors": 1, "honors": 1, "ap": 2, "ib": 4}).fillna(0).astype(np.int8).to_numpy()
    tn["markers"] = tn["markers"].to_numpy() | cmp_marker
    an["markers"] = an["markers"].to_numpy() | cmp_marker[abbr.index.to_numpy()]

    # targets: one title per CMP course + each abbreviation, ordered by (block, course)
    targets = pd.concat([
        tn.assign(course=np.arange(nc), is_title=True),
        an.assign(course=abbr.index.to_numpy(), is_title=False),
    ], ignore_index=True)
    targets["block"] = cb[targets["course"].to_numpy()]
    targets = targets.sort_values(["block", "course", "is_title"], ascending=[True, True, False],
                                  kind="stable").reset_index(drop=True)

    # local code hits inside the block
    codes = c["local_course_codes"].fillna("").str.split("|").explode().str.strip().str.upper()
    codes = codes[codes.notna() & (codes != "")]
    hits = pd.DataFrame({"key": cb[codes.index.to_numpy()].astype(str) + "|" + codes.to_numpy(str),
                         "course": codes.index.to_numpy()}).drop_duplicates()
    qkey = pd.Series(qb.astype(str), dtype=object) + "|" + q["local_course_id"].fillna("").str.upper().astype(object)
    hits = hits.merge(pd.DataFrame({"key": qkey, "q": np.arange(nq)}), on="key")[["q", "course"]]

    cand_parts, hit_parts = [], []
    q_order = np.argsort(qb, kind="stable")
    q_starts = np.searchsorted(qb[q_order], np.arange(len(blocks) + 1))
    t_block = targets["block"].to_numpy()
    t_starts = np.searchsorted(t_block, np.arange(len(blocks) + 1))
    t_course = targets["course"].to_numpy()
    hits_by_q = hits.set_index("q")["course"] if len(hits) else None
    for b in range(len(blocks)):
        qi = q_order[q_starts[b]:q_starts[b + 1]]
        t0, t1 = t_starts[b], t_starts[b + 1]
        if len(qi) == 0 or t0 == t1:
            continue
        tb = targets.iloc[t0:t1]
        S = _pair_scores(qn.iloc[qi], tb, workers)                       # (nq_b, nt_b)
        courses_b = t_course[t0:t1]
        starts = np.flatnonzero(np.r_[True, courses_b[1:] != courses_b[:-1]])
        course_ids = courses_b[starts]
        Sc = np.maximum.reduceat(S, starts, axis=1)                       # best target per course
        St = S[:, starts]                                                 # title column comes first
        by_abbr = Sc > St
        k = min(TOP_K, len(course_ids))
        top = np.argpartition(-Sc, k - 1, axis=1)[:, :k] if len(course_ids) > k else \
            np.broadcast_to(np.arange(len(course_ids)), (len(qi), len(course_ids)))
        rows = np.repeat(np.arange(len(qi)), k)
        cols = top.reshape(-1)
        cand_parts.append(pd.DataFrame({
            "q": qi[rows], "course": course_ids[cols], "score": Sc[rows, cols],
            "by_abbr": by_abbr[rows, cols]}))
        if hits_by_q is not None:
            hq = hits[hits["q"].isin(qi)]
            if len(hq):
                local_q = pd.Series(np.arange(len(qi)), index=qi)[hq["q"].to_numpy()].to_numpy()
                local_c = pd.Series(np.arange(len(course_ids)), index=course_ids)[hq["course"].to_numpy()].to_numpy()
                hit_parts.append(pd.DataFrame({"q": hq["q"].to_numpy(), "course": hq["course"].to_numpy(),
                                               "score": Sc[local_q, local_c], "by_abbr": by_abbr[local_q, local_c]}))
    return _decide(q, c, qn, tn, sn, qb, cb, blocks, cand_parts, hit_parts)


_LETTER_BITS = {ch: 1 << i for i, ch in enumerate("abcdefg")}
STALE_MARGIN = 15.0      # a name match beats a local-code hit on a differently named course by this much


def _letters_mask(values: pd.Series) -> np.ndarray:
    """a-g letter strings -> bit masks (0 = unknown), over the distinct values."""
    codes, uniq = pd.factorize(values.fillna("").astype(str))
    masks = np.array([sum(_LETTER_BITS.get(ch, 0) for ch in set(u)) for u in uniq] or [0], dtype=np.int16)
    return masks[codes] if len(codes) else np.zeros(0, dtype=np.int16)


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["q", "score", "course"], ascending=[True, False, True], kind="stable")


def _decide(q, c, qn, tn, sn, qb, cb, blocks, cand_parts, hit_parts) -> pd.DataFrame:
    """Turn per-course candidates (top-K name scores, local-code hits) into one result row per course."""
    nq = len(q)
    empty = pd.DataFrame({"q": pd.Series([], dtype=np.int64), "course": pd.Series([], dtype=np.int64),
                          "score": pd.Series([], dtype=np.float32), "by_abbr": pd.Series([], dtype=bool)})
    cand = _ordered(pd.concat(cand_parts, ignore_index=True) if cand_parts else empty)
    hitc = _ordered(pd.concat(hit_parts, ignore_index=True) if hit_parts else empty)
    q_allowed = _letters_mask(q["subjects"])
    c_bit = _letters_mask(c["subject_area"])

    def fits(qq: np.ndarray, cc: np.ndarray) -> np.ndarray:
        a, b = q_allowed[qq], c_bit[cc]
        return (a == 0) | (b == 0) | ((a & b) != 0)

    def pick(tied: pd.DataFrame) -> pd.Series:
        """Per q: the one course left after the tie-breakers, or -1 when still tied."""
        t = tied.assign(fit=fits(tied["q"].to_numpy(), tied["course"].to_numpy()))
        n_fit = t.groupby("q")["fit"].transform("sum")
        t = t[(n_fit == 0) | t["fit"]]
        size = t.groupby("q")["q"].transform("size")
        multi = t[size > 1]
        if len(multi):
            sname = _paired_scores(sn.iloc[multi["q"].to_numpy()], tn.iloc[multi["course"].to_numpy()])
            multi = multi.assign(sname=sname)
            top = multi.groupby("q")["sname"].transform("max")
            multi = multi[multi["sname"] >= top - STATE_NAME_MARGIN]
            t = pd.concat([t[size == 1], multi.drop(columns="sname")])
        size = t.groupby("q")["q"].transform("size")
        chosen = t.drop_duplicates("q").set_index("q")["course"]
        return chosen.where(size.groupby(t["q"]).first() == 1, -1)

    # name evidence
    first = cand.drop_duplicates("q").set_index("q")
    best_score = first["score"].reindex(range(nq))
    best_course = first["course"].reindex(range(nq))
    tied = cand[cand["score"].to_numpy() >= best_score.to_numpy()[cand["q"].to_numpy()] - TIE_MARGIN]
    name_pick = pick(tied).reindex(range(nq))
    by_abbr = cand.set_index(["q", "course"])["by_abbr"]

    # local-code evidence
    good = hitc[hitc["score"] >= CODE_NAME_FLOOR]
    hit_q = np.zeros(nq, dtype=bool)
    hit_q[hitc["q"].to_numpy()] = True
    code_pick = pd.Series(np.nan, index=range(nq))
    if len(good):
        hs = good.drop_duplicates("q").set_index("q")["score"]
        ns, nb = best_score.reindex(hs.index), best_course.reindex(hs.index)
        nb_is_hit = pd.MultiIndex.from_arrays([hs.index, nb.fillna(-1).astype(np.int64)]).isin(
            pd.MultiIndex.from_frame(hitc[["q", "course"]]))
        stale = (ns >= ACCEPT) & ~nb_is_hit & (ns - hs >= STALE_MARGIN) & (hs < ACCEPT)
        use = good[good["q"].isin(hs.index[~stale.to_numpy()])]
        use = use[use["score"].to_numpy() >= use["q"].map(hs).to_numpy() - TIE_MARGIN]
        code_pick.loc[use["q"].unique()] = pick(use)

    # assemble
    code_used = code_pick.notna().to_numpy()
    chosen = np.where(code_used, code_pick.fillna(-1).to_numpy(), name_pick.fillna(-1).to_numpy()).astype(np.int64)
    score = best_score.fillna(0).to_numpy(np.float64)
    name_ok = score >= ACCEPT
    has_cand = best_course.notna().to_numpy()
    status = np.full(nq, "not_on_cmp", dtype=object)
    reason = np.full(nq, "best_score_below_threshold", dtype=object)
    method = np.full(nq, None, dtype=object)
    out_course = np.full(nq, -1, dtype=np.int64)       # the CMP course shown (match or nearest candidate)

    # not on the CMP: why
    school_has_cmp = q["school_code"].isin(set(c["school_code"].dropna())).to_numpy()
    reason[~has_cand] = np.where(school_has_cmp[~has_cand], "no_cmp_list_for_year", "no_cmp_course_at_school")
    near = has_cand & ~name_ok
    if near.any():
        qi, ci = np.flatnonzero(near), best_course.to_numpy()[near].astype(np.int64)
        qm, cm = qn["markers"].to_numpy(np.int8)[qi], tn["markers"].to_numpy(np.int8)[ci]
        qk, ck = qn["key_id"].to_numpy(np.int32)[qi], tn["key_id"].to_numpy(np.int32)[ci]
        marker_pen = _POPCOUNT[np.bitwise_xor(qm, cm) & 7] * MARKER_PENALTY
        key_pen = _penalty(np.zeros_like(qm), qk, np.zeros_like(cm), ck)
        r = np.where((marker_pen > 0) & (score[qi] + marker_pen >= ACCEPT), "honors_ap_ib_differs",
                     np.where((key_pen > 0) & (score[qi] + key_pen >= ACCEPT), "course_number_differs",
                              "best_score_below_threshold"))
        reason[qi] = r
        out_course[qi] = ci
    code_miss = hit_q & ~code_used & ~name_ok
    if code_miss.any():
        reason[code_miss] = "local_code_names_different_course"
        out_course[code_miss] = hitc.drop_duplicates("q").set_index("q")["course"].reindex(
            np.flatnonzero(code_miss)).to_numpy()

    # ambiguous
    amb_name = ~code_used & name_ok & (chosen == -1)
    amb_code = code_used & (chosen == -1)
    status[amb_name | amb_code] = "ambiguous"
    reason[amb_name] = "tie_between_cmp_courses"
    reason[amb_code] = "local_code_on_several_cmp_courses"
    out_course[amb_name] = best_course.to_numpy()[amb_name].astype(np.int64)
    out_course[amb_code] = hitc.drop_duplicates("q").set_index("q")["course"].reindex(
        np.flatnonzero(amb_code)).to_numpy()

    # matched
    matched = (chosen >= 0) & (code_used | name_ok)
    out_course[matched] = chosen[matched]
    status[matched] = "matched"
    reason[matched & code_used] = "exact_local_code"
    reason[matched & ~code_used] = np.where(hit_q[matched & ~code_used], "stale_local_code", "name_match")
    mq = np.flatnonzero(matched & ~code_used)
    abbr_flag = by_abbr.reindex(pd.MultiIndex.from_arrays([mq, chosen[mq]])).fillna(False).to_numpy(bool)
    method[mq] = np.where(abbr_flag, "transcript_abbreviation", "title")
    method[matched & code_used] = "local_course_code"
    amb_any = amb_name | amb_code
    method[amb_code] = "local_course_code"
    aq = np.flatnonzero(amb_name)
    method[aq] = np.where(by_abbr.reindex(pd.MultiIndex.from_arrays([aq, out_course[aq]])).fillna(False)
                          .to_numpy(bool), "transcript_abbreviation", "title")
    # name score of the shown course (the pair's own score, not the best of the block)
    name_score = np.zeros(nq)
    shown = out_course >= 0
    if shown.any():
        idx = pd.MultiIndex.from_arrays([np.flatnonzero(shown), out_course[shown]])
        pair = pd.concat([cand, hitc]).drop_duplicates(["q", "course"]).set_index(["q", "course"])["score"]
        name_score[shown] = pair.reindex(idx).fillna(0).to_numpy()
    final_score = np.where(matched & code_used, 100.0, np.where(shown, name_score, score))
    mismatch = matched & ~fits(np.arange(nq), np.maximum(out_course, 0))
    status[mismatch] = "matched_subject_mismatch"
    reason[mismatch] = "subject_area_disagrees"

    # runner-up: the best other name candidate
    other = cand[cand["course"].to_numpy() != out_course[cand["q"].to_numpy()]].drop_duplicates("q").set_index("q")
    runner = other["course"].reindex(range(nq))
    runner_score = other["score"].reindex(range(nq)).to_numpy(np.float64)

    def cmp_col(col: str, idx: np.ndarray, keep: np.ndarray) -> pd.Series:
        vals = c[col].to_numpy(object)
        out = np.full(nq, None, dtype=object)
        sel = keep & (idx >= 0)
        out[sel] = vals[idx[sel].astype(np.int64)]
        return pd.Series(out, dtype="string")

    is_match = matched
    result = pd.DataFrame({
        "reporting_lea": q["reporting_lea"].astype("string").to_numpy(),
        "school_code": q["school_code"].to_numpy(),
        "academic_year": q["academic_year"].to_numpy(),
        "local_course_id": q["local_course_id"].to_numpy(),
        "course_name": q["course_name"].to_numpy(),
        "state_course_code": q["state_course_code"].to_numpy(),
        "content_area": q["content_area"].to_numpy(),
        "cmp_course_id": cmp_col("cmp_course_id", out_course, is_match),
        "cmp_course_title": cmp_col("course_title", out_course, np.ones(nq, dtype=bool)),
        "cmp_subject_area": cmp_col("subject_area", out_course, np.ones(nq, dtype=bool)),
        "match_status": pd.Series(status, dtype="string"),
        "score": np.round(final_score.astype(np.float64), 1),
        "method": pd.Series(method, dtype="string"),
        "reason": pd.Series(reason, dtype="string"),
        "name_score": np.round(name_score, 1),
        "runner_up_cmp_course_id": cmp_col("cmp_course_id", runner.fillna(-1).to_numpy().astype(np.int64),
                                           np.ones(nq, dtype=bool)),
        "runner_up_score": np.round(runner_score, 1),
    })
    for col in ["reporting_lea", "school_code", "academic_year", "local_course_id", "course_name",
                "state_course_code", "content_area"]:
        result[col] = result[col].astype("string")
    del amb_any
    return result[RESULT_COLUMNS]
