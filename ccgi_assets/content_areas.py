"""One table of CALPADS content areas and the UC a-g subject areas they imply, shared by the matcher
(:mod:`ccgi_assets.matching`) and the generator (:mod:`ccgi_assets.generate`).

Per content area of a state course code: its *primary* a-g letter (the one a CMP course of that area is
normally approved in; ``""`` when the area has none of its own) and the letters a CMP course may legitimately
carry. Every area may be a ``g`` college-prep elective. Computer science may be approved in ``c`` or ``d`` as
well; CTE, interdisciplinary and agriculture courses are approved in whichever area they integrate (e.g.
Agricultural Biology in ``d``, Graphic Design in ``f``), so any letter fits. Areas UC does not count (physical
education, health, ...) fit ``g`` only.
"""

from __future__ import annotations

#: content area -> (primary letter, letters allowed on the CMP)
CONTENT_AREAS: dict[str, tuple[str, str]] = {
    "History-Social Science": ("a", "ag"),
    "English": ("b", "bg"),
    "Mathematics": ("c", "cg"),
    "Science": ("d", "dg"),
    "World Languages": ("e", "eg"),
    "Art": ("f", "fg"), "Music": ("f", "fg"), "Dance": ("f", "fg"), "Drama/Theatre": ("f", "fg"),
    "Media Arts": ("f", "fg"),
    "Computer Education": ("g", "cdg"),
    "Career Technical Education": ("g", "abcdefg"),
    "Interdisciplinary Content": ("g", "abcdefg"),
    "Agriculture": ("g", "abcdefg"),
}
#: letters allowed for a content area not in the table
OTHER_AREA_SUBJECTS = "g"

#: content area -> a-g letters a CMP course of that area may carry (the matcher's subject check)
CONTENT_AREA_SUBJECTS: dict[str, str] = {area: allowed for area, (_, allowed) in CONTENT_AREAS.items()}
#: content area -> its own a-g letter, for the areas that have one (a-f)
PRIMARY_SUBJECT: dict[str, str] = {area: p for area, (p, _) in CONTENT_AREAS.items() if p in "abcdef"}


def allowed_subjects(area: str | None) -> str:
    """The a-g letters a CMP course may carry for a state course code of content area ``area``."""
    return CONTENT_AREA_SUBJECTS.get(area or "", OTHER_AREA_SUBJECTS)
