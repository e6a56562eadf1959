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
   left on the CMP after a renumbering: the name wins (``reason = stale_local_code``). A code whose names
   differ (``LANGUAGE ARTS 9`` on "English 9") still counts when the state course code's own name scores
   >= ``ACCEPT`` against the CMP title and its content area has the CMP a-g letter as its own.
3. **Names.** Otherwise the course name is scored against every CMP title and transcript abbreviation of
   the block with :func:`rapidfuzz.process.cdist` (one call per block; blocks run on ``workers`` threads), after
   :func:`normalize_course_names`. The best CMP course at or above ``ACCEPT`` is the match unless another
   is within ``TIE_MARGIN``: then the candidate whose subject area fits the state course code, then the one
   closer to the state course code's own name, wins; if nothing separates them the course is ``ambiguous``.
   A long name (>= ``TRUNCATED_MIN_LEN`` characters) that is the start of exactly one CMP title of the school
   was cut off by an SIS field limit and scores ``TRUNCATED_SCORE`` against it.
4. **Left-over courses.** Within each (school, year) block, after the per-course decisions, the CRSE courses
   left ``not_on_cmp`` (no CMP course close enough) and the CMP courses nothing matched or tied are assigned as
   a whole (:func:`.decide._assign_left_over`): a pair is eligible when the CMP letter is the content area's own,
   the Honors / AP / IB marks are equal and the numbers do not differ, and the CMP title is neither the name with
   a qualifier in front (Marine Biology for BIOLOGY) nor plainly another state course code's course. Its
   evidence is the better of the name score and the state course code name's score. It is taken when neither
   side has another eligible partner and the evidence is >= ``PLAUSIBLE_ONLY``, or when it is the best of both
   sides by ``LEFT_MARGIN`` with evidence >= ``PLAUSIBLE`` (``reason = only_course_left_in_area``). Semester
   parts with one normalized name move together to one CMP course.
5. **Level from the code.** A course whose state course code is AP / IB (or not) while its name and the
   school's CMP list agree on a course of another level is matched and flagged
   ``state_code_level_differs`` (the LEA fixes its CALPADS coding); the code does not veto the name.
6. **Subject area.** A match whose CMP subject area does not fit the content area of the CRSE state course
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

Vocabulary
----------
Words are read with the hand tables of :mod:`.vocabulary` (abbreviations, synonyms, phrases) and with words
*learned from the data* (:mod:`.learn`): every CMP transcript abbreviation with its title, and every CRSE course
whose local course ID is on a CMP course of its school, is a confirmed pair; their differing words are aligned
and an equivalence seen at several schools is used like a table entry. The learned table is an output
(:func:`learn_vocabulary`; ``cmp_match_results`` writes it as the ``learned_course_vocabulary`` extract).
Which hand tables are used is a :func:`lexicon`; the leave-vocabulary-out evaluation drops one at a time
(``match_courses(..., without=("synonyms",))``).

Package layout: :mod:`.vocabulary` (reasons, thresholds, hand tables, state codes), :mod:`.normalize`,
:mod:`.scoring`, :mod:`.learn`, :mod:`.match` (blocking and candidates), :mod:`.decide` (decisions and the
per-block assignment of left-over courses), :mod:`.unmatched` (CMP courses nothing matched).

Local codes are verified, not trusted blindly: a code listed on a CMP course of another Honors / AP / IB
level or another number (``Spanish 3`` for a ``SPANISH 4`` course) does not name the course.
"""

from __future__ import annotations

from ccgi_assets.content_areas import CONTENT_AREA_SUBJECTS
from ccgi_assets.matching.learn import LEARNED_COLUMNS
from ccgi_assets.matching.match import learn_vocabulary, match_courses
from ccgi_assets.matching.normalize import Lexicon, lexicon, normalize_course_names
from ccgi_assets.matching.unmatched import UNMATCHED_REASONS, unmatched_cmp_courses
from ccgi_assets.matching.vocabulary import (ABBREVIATIONS, HAND_TABLES, PHRASES, REASON_CODES, REASONS,
                                             RESULT_COLUMNS, SYNONYMS, UNMATCHED_COLUMNS)
from ccgi_assets.matching_vocab import MATCH_METHODS, MATCH_STATUSES

__all__ = [
    "MATCH_STATUSES", "MATCH_METHODS", "REASONS", "CONTENT_AREA_SUBJECTS", "RESULT_COLUMNS",
    "UNMATCHED_COLUMNS", "UNMATCHED_REASONS", "REASON_CODES", "match_courses", "unmatched_cmp_courses",
    "normalize_course_names", "learn_vocabulary", "LEARNED_COLUMNS", "lexicon", "Lexicon", "HAND_TABLES",
    "ABBREVIATIONS", "SYNONYMS", "PHRASES",
]
