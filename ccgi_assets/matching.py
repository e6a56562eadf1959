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
   the block with :func:`rapidfuzz.process.cdist` (one call per block; blocks run on ``workers`` threads), after
   :func:`normalize_course_names`. The best CMP course at or above ``ACCEPT`` is the match unless another
   is within ``TIE_MARGIN``: then the candidate whose subject area fits the state course code, then the one
   closer to the state course code's own name, wins; if nothing separates them the course is ``ambiguous``.
   A long name (>= ``TRUNCATED_MIN_LEN`` characters) that is the start of exactly one CMP title of the school
   was cut off by an SIS field limit and scores ``TRUNCATED_SCORE`` against it.
4. **Subject area.** A match whose CMP subject area does not fit the content area of the CRSE state course
   code (:data:`CONTENT_AREA_SUBJECTS`) is ``matched_subject_mismatch``.

Name score
----------
Names are normalized (:func:`normalize_course_names`) into three parts: sorted distinct content words, a
marker set (Honors, AP, IB) and a key set (numbers, roman numerals as numbers, and short level / code tokens:
``AB``/``BC``, ``SL``/``HL``, ``AA``/``AI``, ``Physics C``). The content similarity is the mean of rapidfuzz
``ratio`` on the sorted words (= ``token_sort_ratio``, one ``process.cdist`` per block) and a set score, the
larger of that ratio and a word *containment* (letters of the shared words / letters of the shorter name;
``World History`` inside ``World History, Culture and Geography`` is 100). Containment plays the part of
``token_set_ratio``, which has no SIMD path in rapidfuzz and was 80x slower in cdist; it is computed for the
whole block with an inverted-index join on word ids. The score then loses ``MARKER_PENALTY`` per marker on
one side only and ``KEY_PENALTY`` when both sides carry different keys (``KEY_HALF_PENALTY`` when only one
side has any). So ``ENG 9 H`` scores 100 against ``English 9 Honors`` and 70 against ``English 9``;
``SPAN 4`` scores 70 against ``Spanish 3``.

The CRSE side takes markers also from the state course code (an "Advanced Placement (AP) ..." or
"International Baccalaureate (IB) ..." code marks the course AP / IB); the CMP side from ``honors_type``.

Local codes are verified, not trusted blindly: a code listed on a CMP course of another Honors / AP / IB
level or another number (``Spanish 3`` for a ``SPANISH 4`` course) does not name the course.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from ccgi_assets.refdata import state_course_codes
from ccgi_assets.matching_vocab import MATCH_METHODS, MATCH_STATUSES

__all__ = [
    "MATCH_STATUSES", "MATCH_METHODS", "REASONS", "CONTENT_AREA_SUBJECTS", "RESULT_COLUMNS",
    "UNMATCHED_COLUMNS", "UNMATCHED_REASONS", "REASON_CODES", "match_courses", "unmatched_cmp_courses",
    "normalize_course_names",
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
TRUNCATED_MIN_LEN = 20   # a CRSE name this long that is the start of exactly one CMP title at the school ...
TRUNCATED_SCORE = 95.0   # ... was cut off by an SIS field limit: it scores this against that title
TOP_K = 4                # candidates kept per course for tie-breaking

RESULT_COLUMNS = [
    "reporting_lea", "school_code", "academic_year", "local_course_id", "course_name", "state_course_code",
    "content_area", "cmp_course_id", "candidate_cmp_course_id", "cmp_course_title", "cmp_subject_area",
    "match_status", "score", "method", "reason", "name_score", "runner_up_cmp_course_id", "runner_up_score",
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


@lru_cache(maxsize=200_000)
def _expand_unknown(token: str) -> str:
    """A word outside the abbreviation table: glued abbreviations split and expanded (``apenglit`` ->
    ``ap english literature``), a truncated word completed, else the word itself."""
    if not (4 <= len(token) <= 16 and token.isalpha()) or token in _known_words():
        return token
    split = _split_glued(token, _known_words())
    if split is None and token.endswith("h") and token[:-1] in ABBREVIATIONS:
        split = token[:-1] + " h"                                 # BIOH, CHEMH: a glued Honors mark
    if split is not None:
        return " ".join(ABBREVIATIONS.get(p, p) for p in split.split())
    return _complete_truncated(token) or token


def _list_join(values: pa.Array, parent: np.ndarray, n: int) -> np.ndarray:
    """Join ``values`` (an Arrow string array sorted by parent) into one space-separated string per parent."""
    counts = np.bincount(parent, minlength=n) if len(parent) else np.zeros(n, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    return pc.binary_join(lists, " ").to_numpy(zero_copy_only=False)


class _Norm(NamedTuple):
    """Normalized names. Per input row: ``uid`` (index into the per-distinct-name arrays). Per distinct name:
    ``content`` (sorted distinct content words joined by spaces), ``markers``, ``keys``, and the content
    words as vocabulary ids ``tok_id[tok_ptr[u]:tok_ptr[u + 1]]``; ``tok_len`` is each vocabulary word's length;
    ``seq`` the expanded words in their original order, an Arrow array (for the truncated-name check)."""
    uid: np.ndarray
    content: np.ndarray
    markers: np.ndarray
    keys: np.ndarray
    tok_ptr: np.ndarray
    tok_id: np.ndarray
    tok_len: np.ndarray
    seq: pa.Array


def normalize_course_names(names) -> pd.DataFrame:
    """Normalize course names / titles / abbreviations, vectorized (pyarrow regex + token table look-ups).

    Returns one row per input (same order) with ``content`` (sorted distinct content words, e.g.
    ``"english"``), ``markers`` (bit set: 1 Honors, 2 AP, 4 IB) and ``keys`` (sorted numbers / level tokens,
    e.g. ``"9"``, ``"1 2"``, ``"ab"``). ``ENG 9 H``, ``Eng9H``, ``English 9 (H)`` and ``Honors English 9``
    all give ``("english", 1, "9")``; ``Spanish II`` and ``SPAN 2`` give ``("spanish", 0, "2")``.
    """
    n = _normalize(names)
    return pd.DataFrame({"content": n.content[n.uid], "markers": n.markers[n.uid], "keys": n.keys[n.uid]})


def _normalize(names) -> _Norm:
    s = pd.Series(names, dtype=object).where(pd.notna(names), "").astype(str)
    codes, uniq = pd.factorize(s)
    n = len(uniq)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return _Norm(z, np.array([], dtype=object), z.astype(np.int8), np.array([], dtype=object),
                     np.zeros(1, dtype=np.int64), z.astype(np.int32), z.astype(np.int32), pa.array([], pa.string()))
    a = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    a = pc.utf8_normalize(a, form="NFKD")
    a = _replace(a, r"\p{Mn}", "")
    a = pc.utf8_lower(a)
    a = _replace(a, r"[.'\x{2019}`]", "")               # U.S. -> us, Gov't -> govt
    # "ENG 9-1" / "AP ENG LANG-2": a trailing -1 / -2 is the semester, but "1-2" (3-4 ...) is a year-long pair
    a = _replace(a, r"([a-z)\]]|\b[02-9]|\d\d)\s*-\s*[12]\s*$", "\\1")
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

    # token table: abbreviations, glued abbreviations. Tokens stay in Arrow, dictionary-encoded: only the
    # distinct words (the vocabulary) ever become Python strings.
    lists = pc.split_pattern(a, pattern=" ")
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    vocab = enc.dictionary.to_numpy(zero_copy_only=False).astype(object)
    mapped_vocab = pd.Series(vocab, dtype=object).map(ABBREVIATIONS)
    unknown = mapped_vocab.isna().to_numpy()
    mapped_vocab[unknown] = [_expand_unknown(t) for t in vocab[unknown]]     # distinct words, not rows
    mapped = pc.take(pa.array(mapped_vocab.to_numpy(object), type=pa.string()), enc.indices)
    a = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, mapped), " ")
    seq = pc.utf8_trim_whitespace(_replace(a, r" +", " "))

    # classify the distinct tokens (markers, keys, stop words, content), then the token occurrences by id
    lists = pc.split_pattern(seq, pattern=" ")
    parent = pc.list_parent_indices(lists).to_numpy()
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    tid = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    words = pd.Series(enc.dictionary.to_numpy(zero_copy_only=False).astype(object), dtype=object)
    is_digit = words.str.isdigit().to_numpy(dtype=bool)
    canon = words.where(~is_digit, words.str.lstrip("0").replace("", "0"))         # "09" is "9"
    w_bits = words.map(_MARKER_BITS).fillna(0).to_numpy(dtype=np.int64)
    w_stop = words.isin(_STOP).to_numpy() | (words == "").to_numpy()
    # keys: numbers, and short tokens (levels and codes such as AB, BC, SL, HL, AA, AI, C) where fuzzy
    # similarity means nothing
    w_key = (is_digit | (words.str.len().to_numpy() <= 2) | words.isin(_KEY_WORDS).to_numpy()) & (w_bits == 0) & ~w_stop
    w_content = (w_bits == 0) & ~w_key & ~w_stop
    rank_of, canon_sorted = pd.factorize(canon, sort=True)                         # word id = sorted position
    canon_sorted = pa.array(np.asarray(canon_sorted, dtype=object), type=pa.string())

    bits = w_bits[tid]
    markers = np.zeros(n, dtype=np.int64)
    for b in (1, 2, 4):
        markers |= np.where(np.bincount(parent[bits == b], minlength=n) > 0, b, 0)
    out, ids = {}, {}
    for name, w_sel in (("content", w_content), ("keys", w_key)):
        sel = w_sel[tid]
        p, rank = parent[sel], rank_of[tid[sel]]
        order = np.lexsort((rank, p))
        p, rank = p[order], rank[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = (p[1:] != p[:-1]) | (rank[1:] != rank[:-1])                   # distinct words per name
        p, rank = p[first], rank[first]
        out[name] = _list_join(pc.take(canon_sorted, pa.array(rank)), p, n)
        ids[name] = (p, rank)
    p, rank = ids["content"]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(p, minlength=n), out=ptr[1:])
    tok_len = pc.utf8_length(canon_sorted).to_numpy(zero_copy_only=False).astype(np.int32)
    return _Norm(codes.astype(np.int64), out["content"], markers.astype(np.int8), out["keys"], ptr,
                 rank.astype(np.int32), tok_len, seq)


# ------------------------------------------------------------------------------------------ reference
@lru_cache(maxsize=1)
def _state_codes() -> pd.DataFrame:
    """State course codes (package copy): code, name, content_area and the AP / IB markers of the code."""
    df = state_course_codes()
    name = df["name"].str.lower()
    df["markers"] = (np.where(name.str.startswith("advanced placement"), 2, 0)
                     | np.where(name.str.startswith("international baccalaureate (ib)"), 4, 0)).astype(np.int8)
    df["subjects"] = df["content_area"].map(CONTENT_AREA_SUBJECTS).fillna(OTHER_AREA_SUBJECTS)
    return df


# ------------------------------------------------------------------------------------------ scoring
class _Names(NamedTuple):
    """Normalized names of some rows: content string, marker bits, key id (0 = none), distinct-name id."""
    content: np.ndarray
    markers: np.ndarray
    key_id: np.ndarray
    uid: np.ndarray

    def take(self, idx) -> "_Names":
        return _Names(self.content[idx], self.markers[idx], self.key_id[idx], self.uid[idx])


def _gather_tokens(norm: _Norm, uids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, word id) for the content words of each name in ``uids`` (owner = position in ``uids``)."""
    starts = norm.tok_ptr[uids]
    lens = norm.tok_ptr[uids + 1] - starts
    owner = np.repeat(np.arange(len(uids)), lens)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return owner, norm.tok_id[np.arange(int(lens.sum())) + offsets]


def _containment(norm: _Norm, q_uid: np.ndarray, c_uid: np.ndarray) -> np.ndarray:
    """100 x (letters of the words both names share) / (letters of the shorter name), every q vs every c.

    A short name inside a long title ("World History" in "World History, Culture and Geography") scores 100.
    Computed as an inverted-index join on word ids (sort + searchsorted + one bincount), no Python loop."""
    nq, nc = len(q_uid), len(c_uid)
    qo, qt = _gather_tokens(norm, q_uid)
    co, ct = _gather_tokens(norm, c_uid)
    order = np.argsort(ct, kind="stable")
    ct, co = ct[order], co[order]
    lo, hi = np.searchsorted(ct, qt, "left"), np.searchsorted(ct, qt, "right")
    cnt = hi - lo
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - lo, cnt)
    shared = np.bincount(np.repeat(qo, cnt) * nc + co[pos], weights=np.repeat(norm.tok_len[qt], cnt),
                         minlength=nq * nc).reshape(nq, nc).astype(np.float32)
    denom = np.minimum(np.bincount(qo, weights=norm.tok_len[qt], minlength=nq)[:, None],
                       np.bincount(co, weights=norm.tok_len[ct], minlength=nc)[None, :]).astype(np.float32)
    return np.divide(shared * np.float32(100), denom, out=np.zeros_like(shared), where=denom > 0)


def _paired_containment(norm: _Norm, q_uid: np.ndarray, c_uid: np.ndarray) -> np.ndarray:
    """:func:`_containment` of pair i = (q_uid[i], c_uid[i]), element-wise."""
    n, v = len(q_uid), max(len(norm.tok_len), 1)
    qo, qt = _gather_tokens(norm, q_uid)
    co, ct = _gather_tokens(norm, c_uid)
    common = np.intersect1d(qo * v + qt, co * v + ct, assume_unique=True)
    shared = np.bincount(common // v, weights=norm.tok_len[common % v], minlength=n)
    denom = np.minimum(np.bincount(qo, weights=norm.tok_len[qt], minlength=n),
                       np.bincount(co, weights=norm.tok_len[ct], minlength=n))
    return np.divide(shared * 100.0, denom, out=np.zeros(n), where=denom > 0).astype(np.float32)


_POPCOUNT = np.array([0, 1, 1, 2, 1, 2, 2, 3], dtype=np.float32)
#: marker penalty by (q markers, c markers), markers being 3-bit sets
_MARKER_TABLE = (_POPCOUNT[np.bitwise_xor.outer(np.arange(8), np.arange(8))] * np.float32(MARKER_PENALTY))


def _penalty(qm: np.ndarray, qk: np.ndarray, cm: np.ndarray, ck: np.ndarray) -> np.ndarray:
    """Marker / key penalties, element-wise with numpy broadcasting (key id 0 = no keys)."""
    pen = _MARKER_TABLE[qm & 7, cm & 7]
    qhas, chas = qk > 0, ck > 0
    pen += np.where(qk != ck, np.where(qhas & chas, np.float32(KEY_PENALTY), np.float32(KEY_HALF_PENALTY)),
                    np.float32(0))
    return pen


def _combine(sort: np.ndarray, contained: np.ndarray) -> np.ndarray:
    """Content similarity: mean of the sorted-word ratio and a set score (the better of it and containment)."""
    return (sort + np.maximum(sort, contained)) * np.float32(0.5)


def _pair_scores(norm: _Norm, q: _Names, c: _Names, workers: int = 1) -> np.ndarray:
    """Name score matrix (len(q), len(c)): one rapidfuzz cdist (``ratio`` on sorted distinct words =
    ``token_sort_ratio``), the containment matmul, minus marker / key penalties; clipped to 0-100."""
    sort = process.cdist(q.content.tolist(), c.content.tolist(), scorer=fuzz.ratio, dtype=np.float32,
                         workers=workers)
    sim = _combine(sort, _containment(norm, q.uid, c.uid))
    # penalties via a small table over the block's distinct (key, markers) combinations, then one gather
    combo = np.concatenate([q.key_id.astype(np.int64) * 8 + q.markers, c.key_id.astype(np.int64) * 8 + c.markers])
    uniq, inv = np.unique(combo, return_inverse=True)
    table = _penalty((uniq & 7)[:, None].astype(np.int8), (uniq >> 3)[:, None],
                     (uniq & 7)[None, :].astype(np.int8), (uniq >> 3)[None, :])
    sim -= np.take(table[inv[:len(q.key_id)]], inv[len(q.key_id):], axis=1)
    np.clip(sim, 0, 100, out=sim)
    return sim


def _top_k(S: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k best scores of each row (k argmax passes; k is small)."""
    X = S.copy()
    rows = np.arange(S.shape[0])
    out = np.empty((S.shape[0], k), dtype=np.int64)
    for i in range(k):
        out[:, i] = best = X.argmax(axis=1)
        X[rows, best] = -1
    return out


def _paired_scores(norm: _Norm, q: _Names, c: _Names) -> np.ndarray:
    """Name score of q[i] vs c[i] (the same scoring as :func:`_pair_scores`, element-wise)."""
    if len(q.content) == 0:
        return np.zeros(0, dtype=np.float32)
    sort = process.cpdist(q.content.tolist(), c.content.tolist(), scorer=fuzz.ratio, dtype=np.float32)
    sim = _combine(sort, _paired_containment(norm, q.uid, c.uid))
    sim -= _penalty(q.markers, q.key_id, c.markers, c.key_id)
    return np.clip(sim, 0, 100)


# ------------------------------------------------------------------------------------------ inputs
def _check_columns(df: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [col for col in required if col not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing required column(s): {', '.join(missing)}")


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string[pyarrow]").str.strip()


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


def _split_list(col: pd.Series, upper: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``|``-separated lists -> (non-empty trimmed items, row position of each item), via pyarrow."""
    arr = pa.array(col.fillna("").to_numpy(object), type=pa.string())
    if upper:
        arr = pc.utf8_upper(arr)
    lists = pc.split_pattern(arr, pattern="|")
    items = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    owner = pc.list_parent_indices(lists).to_numpy()
    keep = pc.not_equal(items, "").to_numpy(zero_copy_only=False)
    return items.to_numpy(zero_copy_only=False)[keep].astype(object), owner[keep].astype(np.int64)


# ------------------------------------------------------------------------------------------ matcher
def match_courses(crse: pd.DataFrame, cmp: pd.DataFrame, *, workers: int = 1) -> pd.DataFrame:
    """Match each UC/CSU-approved CRSE course with its school's CMP list (pure function; see module doc).

    ``crse``: one row per course or per section (sections of a course collapse to one row); rows with
    ``uc_csu_approved`` false are ignored. ``cmp``: the CMP reader's columns (``school_code`` /
    ``reporting_lea`` are derived from ``cds_code`` when absent). Returns one row per approved course with
    :data:`RESULT_COLUMNS`. ``workers``: 1 scores the blocks one after another (the default: fastest measured
    on the shared 2-core machine, where block threads contend for the GIL and the other core); N > 1 (or -1,
    all cores) scores blocks on that many threads.
    """
    q = _prepare_crse(crse)
    c = _prepare_cmp(cmp)
    nq, nc = len(q), len(c)

    # blocks: (school, year). A school whose CMP rows carry no list_year is matched against them for any year.
    year_known = (c["list_year"].fillna("") != "").to_numpy()
    c_block = c["school_code"].fillna("") + "|" + c["list_year"].where(year_known, "*").fillna("*")
    q_block = q["school_code"].fillna("") + "|" + q["academic_year"].fillna("")
    if not year_known.all():
        undated = q["school_code"].isin(set(c.loc[~year_known, "school_code"])).to_numpy()
        q_block = q_block.where(~undated, q["school_code"].fillna("") + "|*")
    # the reporting LEA of a course: CRSE's own, else the LEA part of its school's CDS code on the CMP
    lea_of_school = c.drop_duplicates("school_code").set_index("school_code")["reporting_lea"]
    q["reporting_lea"] = q["reporting_lea"].fillna(q["school_code"].map(lea_of_school))
    block_codes, blocks = pd.factorize(pd.concat([q_block, c_block], ignore_index=True))
    qb, cb = block_codes[:nq], block_codes[nq:]

    # normalize every string once: CRSE names, CMP titles, CMP abbreviations, state code names
    abbr, abbr_course = _split_list(c["transcript_abbreviations"])
    na = len(abbr)
    texts = np.concatenate([q["course_name"].fillna("").to_numpy(object), c["course_title"].fillna("").to_numpy(object),
                            abbr, q["state_name"].to_numpy(object)])
    norm = _normalize(texts)
    key_codes, _ = pd.factorize(norm.keys)
    key_id = np.where(norm.keys == "", 0, key_codes + 1).astype(np.int32)
    uid = norm.uid
    rows = _Names(norm.content[uid], norm.markers[uid].copy(), key_id[uid], uid)
    qn = rows.take(slice(0, nq))
    qn.markers[:] |= q["code_markers"].to_numpy(np.int8)
    cmp_marker = c["honors_type"].fillna("").str.lower().map(
        {"uc honors": 1, "honors": 1, "ap": 2, "ib": 4}).fillna(0).astype(np.int8).to_numpy()
    tn = rows.take(slice(nq, nq + nc))
    tn.markers[:] |= cmp_marker
    an = rows.take(slice(nq + nc, nq + nc + na))
    an.markers[:] |= cmp_marker[abbr_course]
    sn = rows.take(slice(nq + nc + na, None))

    # targets: each CMP course's title, then its abbreviations, ordered by (block, course)
    t_course = np.concatenate([np.arange(nc), abbr_course])
    t_title = np.r_[np.ones(nc, dtype=bool), np.zeros(na, dtype=bool)]
    t_block = cb[t_course]
    order = np.lexsort((~t_title, t_course, t_block))
    t_course, t_block = t_course[order], t_block[order]
    targets = _Names(*(np.concatenate([x, y])[order] for x, y in zip(tn, an)))
    first_col = np.r_[True, t_course[1:] != t_course[:-1]]
    t_layer = np.arange(len(t_course)) - np.maximum.accumulate(np.where(first_col, np.arange(len(t_course)), 0))

    # local-code hits: the CRSE local course ID among the block's CMP local course codes
    codes, code_course = _split_list(c["local_course_codes"], upper=True)
    hits = pd.DataFrame({"block": cb[code_course], "code": codes, "course": code_course}).drop_duplicates()
    hits = hits.merge(pd.DataFrame({"block": qb, "code": q["local_course_id"].fillna("").str.upper().to_numpy(object),
                                    "q": np.arange(nq)}), on=["block", "code"])[["q", "course"]]
    hits["block"] = qb[hits["q"].to_numpy()]
    hits = hits.sort_values(["block", "q"], kind="stable").reset_index(drop=True)

    boost = _truncated_pairs(q["course_name"], qn, qb, targets, t_block, t_course, norm)
    boost = boost[np.lexsort((boost[:, 0], qb[boost[:, 0]]))] if len(boost) else boost
    b_starts = np.searchsorted(qb[boost[:, 0]], np.arange(len(blocks) + 1)) if len(boost) else \
        np.zeros(len(blocks) + 1, dtype=np.int64)

    # one rapidfuzz cdist (+ one containment join) per (school, year) block, over arrays sliced by offsets
    q_order = np.argsort(qb, kind="stable")
    q_starts = np.searchsorted(qb[q_order], np.arange(len(blocks) + 1))
    t_starts = np.searchsorted(t_block, np.arange(len(blocks) + 1))
    h_starts = np.searchsorted(hits["block"].to_numpy(), np.arange(len(blocks) + 1))
    h_q, h_course = hits["q"].to_numpy(), hits["course"].to_numpy()
    q_pos = np.empty(nq, dtype=np.int64)                       # position of each CRSE course in its block
    q_pos[q_order] = np.arange(nq) - q_starts[qb[q_order]]

    # top-K name candidates per CRSE course, padded (course -1 / score -1): each block fills its own rows
    cand_course = np.full((nq, TOP_K), -1, dtype=np.int64)
    cand_score = np.full((nq, TOP_K), -1, dtype=np.float32)
    cand_abbr = np.zeros((nq, TOP_K), dtype=bool)

    def score_block(b: int, cdist_workers: int):
        """Fill the block's candidate rows; return the name score of its local-code hits."""
        qi = q_order[q_starts[b]:q_starts[b + 1]]
        t0, t1 = t_starts[b], t_starts[b + 1]
        S = _pair_scores(norm, qn.take(qi), targets.take(slice(t0, t1)), workers=cdist_workers)
        if b_starts[b + 1] > b_starts[b]:                                 # names cut off by a field limit
            bq, bt = boost[b_starts[b]:b_starts[b + 1]].T
            S[q_pos[bq], bt - t0] = np.maximum(S[q_pos[bq], bt - t0], np.float32(TRUNCATED_SCORE))
        layer = t_layer[t0:t1]
        title_cols = np.flatnonzero(layer == 0)                           # each course's title comes first
        course_ids = t_course[t0:t1][title_cols]                          # ascending
        S_title = S[:, title_cols]
        Sc = S_title.copy()                                               # best title/abbreviation per course
        for lay in range(1, int(layer.max()) + 1):
            cols = np.flatnonzero(layer == lay)
            at = np.searchsorted(title_cols, cols) - 1                    # the course each column belongs to
            Sc[:, at] = np.maximum(Sc[:, at], S[:, cols])
        by_abbr = Sc > S_title
        k = min(TOP_K, len(course_ids))
        top = _top_k(Sc, k)                                               # descending score, ties: lower course
        r = np.arange(len(qi))[:, None]
        cand_course[qi, :k] = course_ids[top]
        cand_score[qi, :k] = Sc[r, top]
        cand_abbr[qi, :k] = by_abbr[r, top]
        h0, h1 = h_starts[b], h_starts[b + 1]
        lq, lc = q_pos[h_q[h0:h1]], np.searchsorted(course_ids, h_course[h0:h1])
        return Sc[lq, lc], by_abbr[lq, lc]

    todo = np.flatnonzero((np.diff(q_starts) > 0) & (np.diff(t_starts) > 0))
    threads = (os.cpu_count() or 1) if workers < 1 else workers
    if threads > 1 and len(todo) >= 2 * threads:
        # many blocks: one block per thread at a time (rapidfuzz and numpy release the GIL)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(lambda b: score_block(b, 1), todo))
    else:
        parts = [score_block(b, workers) for b in todo]
    hit_score = np.zeros(len(hits), dtype=np.float32)
    hit_abbr = np.zeros(len(hits), dtype=bool)
    for b, (sc, ab) in zip(todo, parts):
        hit_score[h_starts[b]:h_starts[b + 1]], hit_abbr[h_starts[b]:h_starts[b + 1]] = sc, ab
    hitc = pd.DataFrame({"q": h_q, "course": h_course, "score": hit_score, "by_abbr": hit_abbr})
    return _decide(q, c, norm, qn, tn, sn, cand_course, cand_score, cand_abbr, hitc)


def _truncated_pairs(names: pd.Series, qn: _Names, qb: np.ndarray, targets: _Names, t_block: np.ndarray,
                     t_course: np.ndarray, norm: _Norm) -> np.ndarray:
    """(CRSE row, target index) pairs where a long CRSE name is a strict prefix of the normalized title (or
    abbreviation) of exactly one CMP course of its block, the cut-off part carrying no Honors / AP / IB mark:
    ``MODIFIED OR SPECIALLY DESIGNED PHYSICAL`` for "Modified or Specially Designed Physical Education
    Grades 7-12". Prefix search on the sorted block-prefixed strings (searchsorted), no pair loop."""
    long_q = np.flatnonzero(names.fillna("").str.strip().str.len().to_numpy() >= TRUNCATED_MIN_LEN)
    if len(long_q) == 0 or len(t_block) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    def keys(block: np.ndarray, uids: np.ndarray) -> np.ndarray:       # b"<block>|<words>", fixed-width bytes
        k = pc.binary_join_element_wise(pa.array(block.astype(str)), pc.take(norm.seq, pa.array(uids)), "|")
        return np.asarray(pc.cast(k, pa.binary()).to_numpy(zero_copy_only=False), dtype=bytes)

    t_key = keys(t_block, targets.uid)
    order = np.argsort(t_key, kind="stable")
    sorted_keys = t_key[order]
    q_key = keys(qb[long_q], qn.uid[long_q])
    lo = np.searchsorted(sorted_keys, q_key, side="right")              # strictly longer strings only
    hi = np.searchsorted(sorted_keys, np.char.add(q_key, b"\xff"), side="left")
    cnt = np.maximum(hi - lo, 0)
    if cnt.sum() == 0:
        return np.zeros((0, 2), dtype=np.int64)
    qq = np.repeat(long_q, cnt)
    tt = order[np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - lo, cnt)]
    # the prefix's own markers are a subset of the title's: different marker bits = a marker in the cut-off part
    same_marks = norm.markers[targets.uid[tt]] == norm.markers[qn.uid[qq]]
    pairs = pd.DataFrame({"q": qq, "t": tt, "course": t_course[tt]})[same_marks]
    one_course = pairs.groupby("q")["course"].transform("nunique") == 1
    return pairs.loc[one_course, ["q", "t"]].to_numpy(np.int64)


_LETTER_BITS = {ch: 1 << i for i, ch in enumerate("abcdefg")}
STALE_MARGIN = 15.0      # a name match beats a local-code hit on a differently named course by this much


def _letters_mask(values: pd.Series) -> np.ndarray:
    """a-g letter strings -> bit masks (0 = unknown), over the distinct values."""
    codes, uniq = pd.factorize(values.fillna("").astype(str))
    masks = np.array([sum(_LETTER_BITS.get(ch, 0) for ch in set(u)) for u in uniq] or [0], dtype=np.int16)
    return masks[codes] if len(codes) else np.zeros(0, dtype=np.int16)


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["q", "score", "course"], ascending=[True, False, True], kind="stable")


def _decide(q, c, norm: _Norm, qn: _Names, tn: _Names, sn: _Names, cc: np.ndarray, cs: np.ndarray,
            ca: np.ndarray, hitc: pd.DataFrame) -> pd.DataFrame:
    """Turn the candidates into one result row per CRSE course.

    ``cc`` / ``cs`` / ``ca``: (n, TOP_K) candidate CMP courses (-1 = none), name scores and "won by an
    abbreviation", each row in descending score order; ``hitc``: local-code hits (q, course, score, by_abbr)."""
    nq, nc = len(q), len(c)
    rows = np.arange(nq)
    hitc = _ordered(hitc)
    hq, hc = hitc["q"].to_numpy(), hitc["course"].to_numpy()
    hit_keys = hq * (nc + 1) + hc
    q_allowed = _letters_mask(q["subjects"])
    c_bit = np.append(_letters_mask(c["subject_area"]), 0)      # index -1 (no course): subject unknown

    def fits(qq: np.ndarray, courses: np.ndarray) -> np.ndarray:
        a, b = q_allowed[qq], c_bit[courses]
        return (a == 0) | (b == 0) | ((a & b) != 0)

    def is_hit(qq: np.ndarray, courses: np.ndarray) -> np.ndarray:
        return np.isin(qq * (nc + 1) + courses, hit_keys)

    def lookup(qq: np.ndarray, courses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(name score, won by abbreviation) of the pairs, from the candidates or else the code hits."""
        m = cc[qq] == courses[:, None]
        found, j = m.any(axis=1), m.argmax(axis=1)
        score, abbr = np.where(found, cs[qq, j], np.nan), ca[qq, j] & found
        if (~found).any() and len(hitc):
            pos = pd.Index(hit_keys).get_indexer(qq[~found] * (nc + 1) + courses[~found])
            score[~found] = np.where(pos >= 0, hitc["score"].to_numpy()[pos], np.nan)
            abbr[~found] = np.where(pos >= 0, hitc["by_abbr"].to_numpy()[pos], False)
        return score, abbr

    def pick(tied: pd.DataFrame) -> pd.Series:
        """Per q of the (q, course) candidates: the one course left after the tie-breakers, or -1."""
        t = tied.assign(fit=fits(tied["q"].to_numpy(), tied["course"].to_numpy()))
        n_fit = t.groupby("q")["fit"].transform("sum")
        t = t[(n_fit == 0) | t["fit"]]
        size = t.groupby("q")["q"].transform("size")
        multi = t[size > 1]
        if len(multi):
            sname = _paired_scores(norm, sn.take(multi["q"].to_numpy()), tn.take(multi["course"].to_numpy()))
            multi = multi.assign(sname=sname)
            top = multi.groupby("q")["sname"].transform("max")
            multi = multi[multi["sname"] >= top - STATE_NAME_MARGIN]
            t = pd.concat([t[size == 1], multi.drop(columns="sname")])
        size = t.groupby("q")["q"].transform("size")
        chosen = t.drop_duplicates("q").set_index("q")["course"]
        return chosen.where(size.groupby(t["q"]).first() == 1, -1)

    # name evidence: the best candidate, unless others are within TIE_MARGIN (then the tie-breakers)
    best_course, best_score = cc[:, 0], cs[:, 0].astype(np.float64)
    has_cand = best_course >= 0
    score = np.where(has_cand, best_score, 0.0)
    name_ok = score >= ACCEPT
    tied_mask = (cc >= 0) & (cs >= (best_score - TIE_MARGIN)[:, None])
    name_pick = best_course.copy()
    multi = np.flatnonzero(tied_mask.sum(axis=1) > 1)
    if len(multi):
        i, j = np.nonzero(tied_mask[multi])
        name_pick[multi] = pick(pd.DataFrame({"q": multi[i], "course": cc[multi[i], j]})).reindex(multi).to_numpy()

    # local-code evidence: a code names the course unless the names plainly differ, or the course carries
    # another Honors / AP / IB marker or another number than the CMP course the code is listed on
    conflict = (qn.markers[hq] != tn.markers[hc]) | ((qn.key_id[hq] > 0) & (tn.key_id[hc] > 0)
                                                     & (qn.key_id[hq] != tn.key_id[hc]))
    good = hitc[(hitc["score"].to_numpy() >= CODE_NAME_FLOOR) & ~conflict]
    hit_q = np.zeros(nq, dtype=bool)
    hit_q[hq] = True
    code_pick = np.full(nq, -2, dtype=np.int64)                  # -2: codes not used, -1: still tied
    if len(good):
        hs = good.drop_duplicates("q").set_index("q")["score"]
        gq = hs.index.to_numpy()
        ns, nb = score[gq], best_course[gq]
        stale = (ns >= ACCEPT) & ~is_hit(gq, nb) & (ns - hs.to_numpy() >= STALE_MARGIN) & (hs.to_numpy() < ACCEPT)
        use = good[good["q"].isin(gq[~stale])]
        use = use[use["score"].to_numpy() >= use["q"].map(hs).to_numpy() - TIE_MARGIN]
        picked = pick(use[["q", "course"]])
        code_pick[picked.index.to_numpy()] = picked.to_numpy()
    code_used = code_pick != -2
    chosen = np.where(code_used, code_pick, name_pick)
    first_hit = hitc.drop_duplicates("q").set_index("q")["course"]

    status = np.full(nq, "not_on_cmp", dtype=object)
    reason = np.full(nq, "best_score_below_threshold", dtype=object)
    method = np.full(nq, None, dtype=object)
    out_course = np.full(nq, -1, dtype=np.int64)       # the CMP course shown (match or nearest candidate)

    # not on the CMP: why
    school_has_cmp = q["school_code"].isin(c["school_code"].dropna().unique()).to_numpy()
    reason[~has_cand] = np.where(school_has_cmp[~has_cand], "no_cmp_list_for_year", "no_cmp_course_at_school")
    near = has_cand & ~name_ok
    qi, ci = rows[near], best_course[near]
    marker_pen = _MARKER_TABLE[qn.markers[qi] & 7, tn.markers[ci] & 7]
    key_pen = _penalty(np.zeros(len(qi), np.int8), qn.key_id[qi], np.zeros(len(qi), np.int8), tn.key_id[ci])
    reason[qi] = np.where((marker_pen > 0) & (score[qi] + marker_pen >= ACCEPT), "honors_ap_ib_differs",
                          np.where((key_pen > 0) & (score[qi] + key_pen >= ACCEPT), "course_number_differs",
                                   "best_score_below_threshold"))
    out_course[qi] = ci
    code_miss = hit_q & ~code_used & ~name_ok
    code_miss[hitc.loc[hitc["score"] >= CODE_NAME_FLOOR, "q"].to_numpy()] = False   # level differs: said above
    reason[code_miss] = "local_code_names_different_course"
    out_course[code_miss] = first_hit.reindex(rows[code_miss]).to_numpy()

    # ambiguous
    amb_name = ~code_used & name_ok & (chosen == -1)
    amb_code = code_used & (chosen == -1)
    status[amb_name | amb_code] = "ambiguous"
    reason[amb_name] = "tie_between_cmp_courses"
    reason[amb_code] = "local_code_on_several_cmp_courses"
    out_course[amb_name] = best_course[amb_name]
    out_course[amb_code] = first_hit.reindex(rows[amb_code]).to_numpy()
    method[amb_code] = "local_course_code"

    # matched
    matched = (chosen >= 0) & (code_used | name_ok)
    out_course[matched] = chosen[matched]
    status[matched] = "matched"
    reason[matched & code_used] = "exact_local_code"
    method[matched & code_used] = "local_course_code"
    mq = rows[matched & ~code_used]
    reason[mq] = np.where(hit_q[mq] & ~is_hit(mq, chosen[mq]), "stale_local_code", "name_match")
    by_name = rows[(matched & ~code_used) | amb_name]
    method[by_name] = np.where(lookup(by_name, out_course[by_name])[1], "transcript_abbreviation", "title")

    # scores: 100 for a local-code match, else the name score of the course shown
    shown = out_course >= 0
    name_score = np.zeros(nq)
    name_score[shown] = np.nan_to_num(lookup(rows[shown], out_course[shown])[0])
    final_score = np.where(matched & code_used, 100.0, np.where(shown, name_score, score))
    mismatch = matched & ~fits(rows, out_course)
    status[mismatch] = "matched_subject_mismatch"
    reason[mismatch] = "subject_area_disagrees"

    # runner-up: the best other name candidate
    other = (cc >= 0) & (cc != out_course[:, None])
    has_other, j = other.any(axis=1), other.argmax(axis=1)
    runner = np.where(has_other, cc[rows, j], -1)
    runner_score = np.where(has_other, cs[rows, j], np.nan)

    arrow_str = pd.StringDtype("pyarrow")

    def cmp_col(col: str, idx: np.ndarray, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """CMP column values at ``idx`` (null where not ``keep`` or no course), taken in Arrow."""
        return c[col].astype(arrow_str).array.take(np.where(keep & (idx >= 0), idx, -1), allow_fill=True)

    def crse_col(col: str) -> pd.api.extensions.ExtensionArray:
        return q[col].astype(arrow_str).array

    everywhere = np.ones(nq, dtype=bool)
    result = pd.DataFrame({
        **{col: crse_col(col) for col in ["reporting_lea", "school_code", "academic_year", "local_course_id",
                                          "course_name", "state_course_code", "content_area"]},
        "cmp_course_id": cmp_col("cmp_course_id", out_course, matched),
        "candidate_cmp_course_id": cmp_col("cmp_course_id", out_course, everywhere),
        "cmp_course_title": cmp_col("course_title", out_course, everywhere),
        "cmp_subject_area": cmp_col("subject_area", out_course, everywhere),
        "match_status": pd.array(status, dtype=arrow_str),
        "score": np.round(final_score, 1),
        "method": pd.array(method, dtype=arrow_str),
        "reason": pd.array(reason, dtype=arrow_str),
        "name_score": np.round(name_score, 1),
        "runner_up_cmp_course_id": cmp_col("cmp_course_id", runner, everywhere),
        "runner_up_score": np.round(runner_score.astype(np.float64), 1),
    })
    return result[RESULT_COLUMNS]


#: why a CMP course is listed as unmatched
UNMATCHED_REASONS: dict[str, str] = {
    "no_calpads_course_matched": "no UC/CSU-approved CALPADS course of the school matched this CMP course "
                                 "(not reported in CRSE, reported without the UC/CSU flag, or under another name)",
    "tied_in_ambiguous_match": "a CALPADS course fits this and another CMP course equally well",
    "school_has_no_approved_crse_courses": "the school reported no UC/CSU-approved course in CRSE for the list year",
}


def unmatched_cmp_courses(crse: pd.DataFrame, cmp: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """The CMP courses of each school that no CALPADS course matched (for the LEA report, seed Diagram 1 step 4).

    ``results`` is :func:`match_courses` output for the same inputs. One row per unmatched CMP course with
    :data:`UNMATCHED_COLUMNS`; ``reason`` is one of :data:`UNMATCHED_REASONS`. A CMP list without
    ``list_year`` counts for every year.
    """
    _check_columns(results, ["school_code", "academic_year", "cmp_course_id", "match_status",
                             "candidate_cmp_course_id", "runner_up_cmp_course_id"], "match results")
    c = _prepare_cmp(cmp)
    q = _prepare_crse(crse)
    r_school, r_year = _str(results["school_code"]).fillna(""), _str(results["academic_year"]).fillna("")
    status = results["match_status"]

    def ids(mask: pd.Series, col: str) -> pd.DataFrame:
        sel = mask & results[col].notna()
        return pd.DataFrame({"school_code": r_school[sel], "year": r_year[sel], "cmp_course_id": _str(results.loc[sel, col])})

    matched = ids(status.isin(["matched", "matched_subject_mismatch"]), "cmp_course_id")
    tied = pd.concat([ids(status == "ambiguous", "candidate_cmp_course_id"),
                      ids(status == "ambiguous", "runner_up_cmp_course_id")])
    reported = q[["school_code", "academic_year"]].rename(columns={"academic_year": "year"}).drop_duplicates()

    def hit(pairs: pd.DataFrame, on: list[str]) -> np.ndarray:
        """Per CMP row: whether (school, year[, id]) is in pairs; an undated CMP row matches any year."""
        left = c.assign(year=c["list_year"].fillna(""))
        dated = pd.MultiIndex.from_frame(left[on]).isin(pd.MultiIndex.from_frame(pairs[on].astype(str)))
        on_school = [k for k in on if k != "year"]
        undated = pd.MultiIndex.from_frame(left[on_school]).isin(pd.MultiIndex.from_frame(pairs[on_school].astype(str)))
        return np.where(left["year"].to_numpy() == "", undated, dated)

    is_matched = hit(matched, ["school_code", "year", "cmp_course_id"])
    in_tie = hit(tied, ["school_code", "year", "cmp_course_id"])
    has_crse = hit(reported, ["school_code", "year"])
    out = c.loc[~is_matched].copy()
    out["reason"] = np.where(~has_crse[~is_matched], "school_has_no_approved_crse_courses",
                             np.where(in_tie[~is_matched], "tied_in_ambiguous_match", "no_calpads_course_matched"))
    out = out[UNMATCHED_COLUMNS].astype(pd.StringDtype("pyarrow"))
    return out.sort_values(["school_code", "list_year", "course_title", "cmp_course_id"], kind="stable").reset_index(drop=True)
