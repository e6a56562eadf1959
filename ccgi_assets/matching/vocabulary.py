"""The matcher's vocabulary: reason codes, thresholds, the hand tables (abbreviations, synonyms, phrases) and
the state course code reference.

The hand tables are what a person wrote down: ``ABBREVIATIONS`` (shortened words as schools write them),
``SYNONYMS`` (another common name for the same word) and ``PHRASES`` (multi-word forms). ``STRUCTURE`` is not
vocabulary but grammar (Honors marks, roman numerals, number words, college-prep noise) and is always used.
The leave-vocabulary-out evaluation drops each of the three hand tables in turn (see :mod:`.normalize`,
:class:`Lexicon`). Words learned from the data are in :mod:`.learn`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ccgi_assets.content_areas import CONTENT_AREA_SUBJECTS, OTHER_AREA_SUBJECTS

#: reason codes by status; each names what the LEA (or CCGI) can do about it
REASONS: dict[str, dict[str, str]] = {
    "matched": {
        "exact_local_code": "the CMP course lists this local course ID and its name agrees",
        "name_match": "matched on the CMP title or a transcript abbreviation",
        "stale_local_code": "matched on name; this local course ID is listed on a different CMP course "
                            "(update the local course codes on the CMP)",
        "only_course_left_in_area": "the only CMP course of this a-g subject area left at the school after the "
                                    "other courses matched, and its name is close (check the name)",
        "state_code_level_differs": "matched on name and the school's CMP list, but the CALPADS state course code "
                                    "is for another level (AP / IB or not): fix the state course code in CALPADS",
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

PLAUSIBLE = 55.0         # a left-over pair that is the clear best of both sides needs this name (or state name) score
LEFT_MARGIN = 15.0       # ... and this much over any other pairing of either side
PLAUSIBLE_ONLY = 45.0    # a left-over pair with no other eligible partner on either side needs this much

_CRSE_REQUIRED = ["school_code", "academic_year", "local_course_id", "course_name", "state_course_code",
                  "uc_csu_approved"]
_CMP_REQUIRED = ["cmp_course_id", "cds_code", "course_title", "transcript_abbreviations", "local_course_codes",
                 "subject_area"]

# ------------------------------------------------------------------------------------------ hand tables
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
    "orch": "orchestra", "instr": "instrumental", "mus": "music", "prod": "production",
    "dsgn": "design", "adv": "advanced", "beg": "beginning", "intro": "introduction", "fund": "fundamentals",
    "prin": "principles", "princ": "principles", "cs": "computer science",
    "csp": "computer science principles", "csa": "computer science", "prog": "programming",
    "ag": "agricultural", "agri": "agricultural", "pe": "physical education",
    # glued AP names students and teachers use
    "apush": "ap united states history", "apes": "ap environmental science", "apwh": "ap world history",
    "apeuro": "ap european history", "apcsp": "ap computer science principles", "apcsa": "ap computer science",
}

#: another common name for the same word (both sides are mapped, so the direction does not matter)
SYNONYMS: dict[str, str] = {
    "theater": "theatre", "drama": "theatre",
}

#: grammar, not vocabulary: Honors marks, college-prep noise, roman numerals and number words (always used)
STRUCTURE: dict[str, str] = {
    "h": "honors", "hon": "honors", "hons": "honors", "hnrs": "honors", "hnr": "honors", "honor": "honors",
    "p": "", "cp": "", "prep": "",
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
}

#: the hand tables a leave-vocabulary-out evaluation may drop
HAND_TABLES = ("abbreviations", "synonyms", "phrases")

#: multi-word forms, applied (in order) to the lower-cased, punctuation-free name before token mapping
STRUCTURE_PHRASES: list[tuple[str, str]] = [       # grammar: always applied, before PHRASES
    (r"\bnon advanced placement\b", " "),
    (r"\badvanced placement\b", "ap"),
    (r"\binternational baccalaureate\b", "ib"),
    (r"\bmiddle years program(me)?\b", "myp"),
    (r"\bcollege prep(aratory)?\b", " "),
    (r"\bpre ap\b", "preap"),
    (r"\b(alg[a-z]*|math[a-z]*|mth) i([ab])\b", "\\1 1 \\2"),   # Algebra IA / IB: parts of Algebra I, not IB
]
PHRASES: list[tuple[str, str]] = [
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


# ------------------------------------------------------------------------------------------ reference
@lru_cache(maxsize=1)
def _state_codes() -> pd.DataFrame:
    """State course codes (package copy): code, name, content_area and the AP / IB markers of the code."""
    from ccgi_assets.refdata import state_course_codes

    df = state_course_codes().copy()
    name = df["name"].str.lower()
    df["markers"] = (np.where(name.str.startswith("advanced placement"), 2, 0)
                     | np.where(name.str.startswith("international baccalaureate (ib)"), 4, 0)).astype(np.int8)
    df["subjects"] = df["content_area"].map(CONTENT_AREA_SUBJECTS).fillna(OTHER_AREA_SUBJECTS)
    return df
