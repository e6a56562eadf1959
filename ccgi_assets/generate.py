"""Synthetic state data: every input of the pipeline, written into the ``$CCGI_HOME`` layout.

:func:`generate` writes a fake but realistic school year for a fake state: the CALPADS share
(``share/SENR|SINF|CRSE|SCSC/<lea>.txt``), the UC A-G Course Management Portal list
(``cmp/cmp_<year>.csv``), LEA opt-in lists (``landing/optin/<lea>/optin_<YYYYMMDD>.csv``), the
participation config (``config/lea_participation.csv``) and the platform's activity files
(``platform/<lea>/*.csv``). See ``docs/data_layout.md``.

Properties the flows and their tests rely on
--------------------------------------------
* **Deterministic**: one seed gives byte-identical files (all randomness comes from
  ``numpy.random.Generator(PCG64)`` streams derived from the seed; all timestamps derive from the
  academic year and the seed, never from the clock; iteration order is sorted).
* **CALPADS files** follow ``reference/calpads_layouts.csv``: fields are placed by column name,
  the field count per row is the number of layout rows of the record type, ``^``-joined, no header,
  UTF-8, reserved positions empty, every value within its maximum length.
* **Known traps** (the things a pipeline must get right), by design:

  - ~5% of students transferred between LEAs during the year: an earlier SENR row (exit date,
    exit code ``T160``) in the old LEA's file and a later open row in the current LEA's file; the
    old LEA's SINF row for the student stays open (its effective start is earlier).
  - ~1% of high-school students (in LEAs with two or more high schools) also have an open
    *secondary* enrollment (status ``20``) at another high school of the same LEA, starting the same
    day as the primary one (a tie on start date that the enrollment status must break).
  - ~3% of students have SINF history: an end-dated earlier record with another last name or
    gender code, and a current record (no end date, later effective start).
  - ~1% of local courses have one section whose course-level field (name, state course code or
    UC/CSU indicator) disagrees with the course's other sections.
  - CMP: ~3% of UC/CSU-approved CALPADS courses missing from the CMP list, ~3% of CMP rows for
    courses the school does not report, ~1% of CMP rows whose subject area contradicts the state
    course code's content area; lookalike titles at every high school (``English 9`` and
    ``English 9 Honors``); local course codes filled (~60%), empty (~30%) or stale (~10%).
  - Opt-in lists miss ~10% of the LEA's students (opted out); some lists carry dirty rows: a
    9-digit SSID (a listed student's SSID that lost its leading zero, in place of the right one), a
    blank, a duplicate, a student who transferred out of the LEA, an SSID unknown to CALPADS.
  - About one dirty CALPADS row per 200,000 rows (at least one per record type): a copy of a real
    row with a wrong field count or an invalid date, inserted next to it.
* **Shape**: students in grades 06-12 (15% middle school, 85% high school), LEA sizes lognormal
  (a few large LEAs, many small), ~1 high school per 1,300 high-school students and ~1 middle
  school per 650 middle-school students (at least one of each per LEA), ~70% of LEAs ``opt_in``.
  High schools offer 150-250 local courses (year-long courses sometimes split into S1/S2 local
  courses, ``BIO S1``/``BIO S2``), middle schools fewer; a high-school student takes 6-7 courses a
  term, a middle-school student 5-6, in both terms S1 and S2 of the year.
* **Simplifications**: a transferred student's course records (SCSC) are all reported by the
  current LEA's school; grades are final for both terms; one opt-in list per LEA.
* **Fast**: vectorized numpy/pyarrow; loops run per LEA and per school only. Files are written per
  LEA in chunks; lines are built with ``pyarrow.compute.binary_join_element_wise``.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.content_areas import PRIMARY_SUBJECT, allowed_subjects

__all__ = [
    "CMP_COLUMNS",
    "CONTENT_AREA_SUBJECTS",
    "PLATFORM_FILES",
    "RECORD_TYPES",
    "GenerateSummary",
    "GenerateTargets",
    "generate",
    "layout_columns",
]

RECORD_TYPES = ("SENR", "SINF", "CRSE", "SCSC")
PLATFORM_FILES = {
    "accounts": ["ssid", "local_student_id", "birth_date", "registered_at"],
    "applications": ["ssid", "system", "submitted_at"],
    "consents": ["ssid", "system", "granted", "recorded_at"],
    "planning": ["ssid", "item_type", "item", "recorded_at"],
    "activities": ["ssid", "activity", "completed_at"],
}
CMP_COLUMNS = [
    "cmp_course_id", "cds_code", "atp_code", "school_name", "course_title",
    "transcript_abbreviations", "local_course_codes", "subject_area", "honors_type",
    "learning_environment", "list_year",
]

#: The a-g subject area a state course code's content area implies, and the letters a CMP course of that area may
#: carry: one table with the matcher (:mod:`ccgi_assets.content_areas`). ``CONTENT_AREA_SUBJECTS`` here is the
#: primary letter of the areas that have one (a-f).
CONTENT_AREA_SUBJECTS = PRIMARY_SUBJECT


@dataclass(frozen=True)
class GenerateTargets:
    """Shares and rates of the generated data (the defaults are the documented ones)."""

    transfer_share: float = 0.05
    secondary_share: float = 0.01
    sinf_history_share: float = 0.03
    opt_in_share: float = 0.70
    listed_share: float = 0.90
    registered_share: float = 0.60
    #: registrations whose birth date or local ID has a typo (they fail verification)
    registration_typo_share: float = 0.03
    dirty_row_rate: float = 1 / 200_000
    course_conflict_share: float = 0.01
    cmp_missing_share: float = 0.03
    cmp_extra_share: float = 0.03
    cmp_subject_mismatch_share: float = 0.01
    hs_students_per_school: int = 1300
    ms_students_per_school: int = 650


@dataclass
class GenerateSummary:
    """What :func:`generate` wrote (counts only, never values of a student)."""

    out: Path
    seed: int
    academic_year: str
    students: int
    leas: list[str]
    opt_in_leas: list[str]
    statewide_leas: list[str]
    high_schools: int
    middle_schools: int
    #: rows written per file kind: SENR, SINF, CRSE, SCSC (incl. dirty rows), CMP, OPTIN (data
    #: rows incl. dirty ones), accounts, applications, consents, planning, activities, CONFIG
    rows: dict[str, int] = field(default_factory=dict)
    #: files written per kind (same keys)
    files: dict[str, int] = field(default_factory=dict)
    #: deliberately malformed CALPADS rows per record type
    dirty_rows: dict[str, int] = field(default_factory=dict)
    #: deliberately dirty opt-in rows per kind (nine_digit, blank, duplicate, transferred_out, unknown)
    dirty_optin_rows: dict[str, int] = field(default_factory=dict)
    #: deliberate course-data discrepancies: course_conflicts (CRSE sections disagreeing on a
    #: course-level field), cmp_missing (approved in CRSE, not on the CMP), cmp_extra (on the CMP,
    #: not in CRSE), cmp_subject_mismatch, cmp_stale_codes (local course code no longer used)
    discrepancies: dict[str, int] = field(default_factory=dict)
    transfers: int = 0
    secondary_enrollments: int = 0
    sinf_histories: int = 0


# --------------------------------------------------------------------------------------------
# reference tables

def _ref_text(name: str) -> str:
    return (importlib.resources.files("ccgi_assets") / "reference" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def _layouts() -> dict[str, list[tuple[str, str, int]]]:
    df = pd.read_csv(io.StringIO(_ref_text("calpads_layouts.csv")), dtype=str)
    out: dict[str, list[tuple[str, str, int]]] = {}
    for rt, grp in df.groupby("record_type", sort=True):
        grp = grp.assign(_n=grp["field_number"].str.split(".").str[1].astype(int)).sort_values("_n")
        out[rt] = list(zip(grp["column"], grp["type"], grp["max_length"].astype(int)))
    return out


def layout_columns(record_type: str) -> list[str]:
    """Column names of a CALPADS record type, in file order (from ``calpads_layouts.csv``)."""
    return [c for c, _, _ in _layouts()[record_type]]


@functools.lru_cache(maxsize=None)
def _state_codes() -> pd.DataFrame:
    from ccgi_assets.refdata import state_course_codes

    return state_course_codes().set_index("code")


@functools.lru_cache(maxsize=None)
def _race_codes() -> list[str]:
    df = pd.read_csv(io.StringIO(_ref_text("calpads_code_sets.tsv")), sep="\t", dtype=str)
    return sorted(df.loc[df["Code Set Name"] == "Race Category", "Coded Value"].tolist())


# --------------------------------------------------------------------------------------------
# vocabularies (index 0 of every string table is "" = none)

_FEMALE = (
    "Sofía Isabella Camila Valentina Emma Olivia Mia Ava Sophia Emily Abigail Madison Chloé Zoë "
    "Victoria Natalie Ximena Guadalupe Daniela Andrea Jasmine Leah Aaliyah Hannah Grace Lily Ella "
    "Samantha Alyssa Vanessa Karina Fatima Priya Ananya Mei Linh Thảo Ngọc Ji-woo Seo-yeon Aiko "
    "Maria Renée Genesis Nevaeh Kaitlyn Destiny Jocelyn Mariana Esmeralda Yesenia Brianna Aubrey "
    "Harper Evelyn Scarlett Mary-Kate Dolores Itzel Citlali Noemí Inés"
).split() + ["María José", "Ana Sofía"]
_MALE = (
    "José Jesús Luis Carlos Juan Miguel Ángel Diego Mateo Santiago Sebastián Alejandro Daniel David "
    "Anthony Christopher Jacob Michael Ethan Noah Liam Elijah James Benjamin Lucas Aiden Jayden "
    "Isaac Adrián Andrés Julián Joaquín Emiliano Gabriel Nathan Ryan Kevin Brandon Jonathan Tyler "
    "Minh Huy Khang Arjun Rohan Wei Hiroshi Min-jun Jean-Luc DeShawn Jamal Malik Omar Mohammed "
    "Hamid Darnell Tomás Iñaki Raúl Efraín Ismael"
).split() + ["Juan Carlos", "José Luis"]
_LAST = [
    "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez",
    "Ramírez", "Flores", "Nguyễn", "Smith", "Torres", "Rivera", "Gómez", "Díaz", "Johnson", "Reyes",
    "Cruz", "Morales", "Kim", "Williams", "Ortiz", "Gutiérrez", "Chávez", "Brown", "Ramos", "Ruiz",
    "Lee", "Álvarez", "Mendoza", "Castillo", "Patel", "Jiménez", "Vásquez", "Moreno", "Jones",
    "Romero", "Herrera", "Medina", "Aguilar", "Trần", "Vargas", "Castro", "Guzmán", "Miller",
    "Fernández", "Salazar", "Muñoz", "Peña", "Davis", "Wang", "Ibáñez", "Núñez", "Wilson", "Chen",
    "Anderson", "Lê", "Taylor", "Thomas", "Santos", "Moore", "Jackson", "Martin", "Singh",
    "Thompson", "White", "Phạm", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "Zhang", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter",
    "Bautista", "Mitchell", "Roberts", "Huỳnh", "Võ", "Nguyen", "Tran", "Park", "Choi", "Li",
    "Liu", "Huang", "Wong", "Shah", "Kumar", "De La Cruz", "Dela Cruz", "Villanueva", "Hovsepyan",
    "Petrosyan", "Sarkisian", "O'Brien", "O'Connor", "McDonald", "MacArthur", "Washington",
    "Jefferson", "St. John", "Van der Berg", "Yamamoto", "Tanaka", "Nakamura", "Ali", "Khan",
    "Hussein", "Abdi", "Okafor", "Mensah", "Johnson-Smith", "García-López", "Reyes-Ochoa",
]
_SUFFIX = ["JR", "II", "III"]
_STREETS = [
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Jefferson", "Mission",
    "El Camino Real", "Santa Rosa", "San Pablo", "Vista del Mar", "Sunset", "Broadway", "Park",
    "Lake", "Hill", "Valley View", "Foothill", "Grand", "Central", "Alameda", "Olive", "Palm",
    "Magnolia", "Sycamore", "Walnut", "Juniper", "Manzanita", "Sequoia", "Redwood", "Cypress",
    "Laurel", "Pacific", "Ocean", "Sierra", "Mariposa", "Arroyo", "Camino Alto", "Rancho",
    "Los Feliz", "Hacienda", "Avenida Española", "Peñasco", "César Chávez", "Dolores",
]
_STREET_SFX = ["St", "Ave", "Blvd", "Dr", "Way", "Ct", "Ln", "Rd", "Pl"]
# (city, 3-digit zip prefix)
_CITIES = [
    ("Los Angeles", 900), ("San Diego", 921), ("San Jose", 951), ("San Francisco", 941),
    ("Fresno", 937), ("Sacramento", 958), ("Long Beach", 908), ("Oakland", 946),
    ("Bakersfield", 933), ("Anaheim", 928), ("Santa Ana", 927), ("Riverside", 925),
    ("Stockton", 952), ("Irvine", 926), ("Chula Vista", 919), ("Fremont", 945),
    ("San Bernardino", 924), ("Modesto", 953), ("Fontana", 923), ("Oxnard", 930),
    ("Moreno Valley", 925), ("Huntington Beach", 926), ("Glendale", 912), ("Santa Clarita", 913),
    ("Oceanside", 920), ("Garden Grove", 928), ("Rancho Cucamonga", 917), ("Ontario", 917),
    ("Corona", 928), ("Lancaster", 935), ("Elk Grove", 957), ("Palmdale", 935), ("Salinas", 939),
    ("Pomona", 917), ("Hayward", 945), ("Escondido", 920), ("Torrance", 905), ("Sunnyvale", 940),
    ("Orange", 928), ("Fullerton", 928), ("Pasadena", 911), ("Visalia", 932), ("Santa Rosa", 954),
    ("Eureka", 955), ("Redding", 960), ("Chico", 959), ("El Centro", 922),
    ("San Luis Obispo", 934), ("Santa Barbara", 931), ("Merced", 953), ("Cañada Flintridge", 910),
]
# (city, state/province, country, weight)
_BIRTHPLACES = [
    ("Los Angeles", "CA", "US", 10), ("San Diego", "CA", "US", 4), ("San Jose", "CA", "US", 3),
    ("Fresno", "CA", "US", 2), ("Sacramento", "CA", "US", 2), ("Oakland", "CA", "US", 2),
    ("Bakersfield", "CA", "US", 1.5), ("Santa Ana", "CA", "US", 1.5), ("Riverside", "CA", "US", 1.5),
    ("Stockton", "CA", "US", 1), ("Long Beach", "CA", "US", 1.5), ("San Francisco", "CA", "US", 1.5),
    ("Anaheim", "CA", "US", 1), ("Modesto", "CA", "US", 1), ("Salinas", "CA", "US", 1),
    ("Phoenix", "AZ", "US", 0.5), ("Las Vegas", "NV", "US", 0.5), ("Houston", "TX", "US", 0.5),
    ("Portland", "OR", "US", 0.3), ("Seattle", "WA", "US", 0.3), ("Guadalajara", "JAL", "MX", 1),
    ("Ciudad de México", "CMX", "MX", 1), ("Tijuana", "BC", "MX", 1), ("Morelia", "MIC", "MX", 0.5),
    ("San Salvador", "", "SV", 0.5), ("Guatemala City", "", "GT", 0.4), ("Manila", "", "PH", 0.5),
    ("Ho Chi Minh City", "", "VN", 0.4), ("Guangzhou", "", "CN", 0.3), ("New Delhi", "", "IN", 0.3),
    ("Seoul", "", "KR", 0.2), ("Kabul", "", "AF", 0.1), ("Yerevan", "", "AM", 0.1),
]
_SCHOOL_STEMS = [
    "Lincoln", "Washington", "Roosevelt", "Kennedy", "Jefferson", "Sierra Vista", "Valley View",
    "Mission Bay", "Monte Vista", "Rancho", "El Camino", "Del Norte", "Golden West", "Pacific",
    "Sequoia", "Redwood", "Oak Grove", "Hillcrest", "Westview", "Eastlake", "Northridge",
    "Southwest", "Central", "Foothill", "Mountain View", "Riverside", "Lakeside", "Vista del Lago",
    "César Chávez", "Dolores Huerta", "Sally Ride", "Thurgood Marshall", "Martin Luther King Jr.",
    "Maya Angelou", "John Muir", "Ernesto Galarza", "Luther Burbank", "Fremont", "Hoover", "Wilson",
    "Madison", "Monroe", "Grant", "Cabrillo", "Serra", "Portolá", "Anza", "Alhambra", "Sunnyside",
    "Bella Vista", "Loma Linda", "Peña Adobe", "Canyon", "Desert Sands", "Harbor", "Bayside",
]
_CAREERS = [
    "Registered Nurse", "Software Developer", "Elementary School Teacher", "Electrician",
    "Physical Therapist", "Graphic Designer", "Police Officer", "Accountant", "Mechanical Engineer",
    "Dental Hygienist", "Firefighter", "Veterinarian",
]
_MAJORS = [
    "Biology", "Psychology", "Business Administration", "Computer Science", "Nursing",
    "Mechanical Engineering", "Sociology", "Chicana/o and Latina/o Studies", "Kinesiology", "Art",
    "Political Science", "Economics",
]
_COLLEGES = [
    "UC Davis", "UC Riverside", "UCLA", "UC San Diego", "Cal State Fullerton",
    "San José State University", "Cal Poly Pomona", "Sacramento State", "Fresno City College",
    "Santa Monica College", "De Anza College", "University of Southern California",
]
_ACTIVITIES = [
    "Career Interest Profiler", "Character Strengths", "Work Values Sorter", "Build a Résumé",
    "College Search", "A-G Course Review", "Financial Aid Overview", "CSU Application Workshop",
    "UC Personal Insight Questions", "Senior Plan",
]
_GRADES = ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"]
_GRADE_P = [0.03, 0.17, 0.10, 0.09, 0.12, 0.09, 0.08, 0.09, 0.06, 0.04, 0.04, 0.02, 0.07]

# --------------------------------------------------------------------------------------------
# course templates: key;state code;CMP title;a-g letter;SCSC a-g code;honors;level;grade lo;grade hi;
# category;weight;flags (c core, f filler-eligible, T traditional math pathway only, I integrated
# only, P part of a semester pair);abbreviations schools use (first ones most common)

_HS_TEMPLATES = """
ENG9;9105;English 9;b;B;;;9;9;ENG;3;c;ENG 9,ENGLISH 9,ENG9
ENG9H;9105;English 9 Honors;b;B;;15;9;9;ENG;1;c;ENG 9 H,ENG9H,ENG 9 HON,ENGLISH 9 HONORS
ENG10;9106;English 10;b;B;;;10;10;ENG;3;c;ENG 10,ENGLISH 10,ENG10
ENG10H;9106;English 10 Honors;b;B;;15;10;10;ENG;1;c;ENG 10 H,ENG10H,ENG 10 HON
ENG11;9107;English 11;b;B;;;11;11;ENG;3;c;ENG 11,ENGLISH 11,ENG11
AMLIT;9107;American Literature;b;B;;;11;11;ENG;1;;AM LIT,AMER LIT,AMERICAN LIT
APLANG;9119;AP English Language and Composition;b;B;AP;;11;12;ENG;1;c;AP ENG LANG,AP LANG,AP ENGLISH LANG
ENG12;9108;English 12;b;B;;;12;12;ENG;2;c;ENG 12,ENGLISH 12,ENG12
ERWC;9102;Expository Reading and Writing;b;B;;;12;12;ENG;2;c;ERWC,EXP READ WRIT,EXPOS READ/WRITE
APLIT;9118;AP English Literature and Composition;b;B;AP;;12;12;ENG;1;c;AP ENG LIT,AP LIT,AP ENGLISH LIT
IBLIT;9117;IB Language A: Literature HL;b;B;IB;;11;12;ENG;0.5;;IB LIT HL,IB ENG A LIT HL
ELD1;9104;English Language Development 1;;;;;9;12;ENG;0.3;;ELD 1,ELD I,ENG LANG DEV 1
ELD2;9104;English Language Development 2;;;;;9;12;ENG;0.3;;ELD 2,ELD II
ENGSUP;9103;English Support;;;;10;9;10;ELEC;0.5;f;ENG SUPPORT,ENG SUP,READ INTERV
JOURN;9109;Journalism;g;GB;;;10;12;ELEC;0.6;f;JOURN,JOURNALISM,JOURN 1
CREATW;9112;Creative Writing;g;GB;;;10;12;ELEC;0.6;f;CREAT WRIT,CREATIVE WRITING,CR WRITING
SPEECH;9110;Speech and Debate;g;GB;;;9;12;ELEC;0.5;f;SPEECH & DEBATE,SPEECH/DEBATE,DEBATE
ALG1;9249;Algebra I;c;C;;;9;10;MATH;3;cT;ALG 1,ALGEBRA 1,ALG I
GEOM;9255;Geometry;c;C;;;9;11;MATH;3;cT;GEOM,GEOMETRY,GEO
GEOMH;9255;Geometry Honors;c;C;;15;9;10;MATH;1;cT;GEOM H,GEOMETRY H,GEOM HON
ALG2;9252;Algebra II;c;C;;;10;12;MATH;3;cT;ALG 2,ALGEBRA 2,ALG II
ALG2H;9252;Algebra II Honors;c;C;;15;10;11;MATH;1;cT;ALG 2 H,ALG II H,ALGEBRA 2 HON
IM1;9241;Integrated Mathematics I;c;C;;;9;10;MATH;3;cI;INT MATH 1,INT MATH I,IM 1,INTEG MATH 1
IM2;9242;Integrated Mathematics II;c;C;;;9;11;MATH;3;cI;INT MATH 2,INT MATH II,IM 2
IM2H;9242;Integrated Mathematics II Honors;c;C;;15;9;10;MATH;1;cI;INT MATH 2 H,IM 2 H,INT MATH II HON
IM3;9243;Integrated Mathematics III;c;C;;;10;12;MATH;3;cI;INT MATH 3,INT MATH III,IM 3
PRECALC;9257;Pre-Calculus;c;C;;;11;12;MATH;2;c;PRECALC,PRE-CALC,PRE CALC
PRECALCH;9257;Pre-Calculus Honors;c;C;UC Honors;14;10;12;MATH;1;;PRECALC H,PRE-CALC HON,PRE CALC H
APCALCAB;9268;AP Calculus AB;c;C;AP;;11;12;MATH;1;c;AP CALC AB,AP CALCULUS AB,APCALC AB
APCALCBC;9267;AP Calculus BC;c;C;AP;;11;12;MATH;0.5;;AP CALC BC,AP CALCULUS BC
APSTAT;9266;AP Statistics;c;C;AP;;11;12;MATH;1;c;AP STATS,AP STAT,AP STATISTICS
STATS;9259;Statistics;c;C;;;11;12;MATH;1;;STATS,STATISTICS,PROB & STATS
CALC;9258;Calculus;c;C;;;12;12;MATH;0.5;;CALC,CALCULUS
FINALG;9254;Financial Algebra;c;C;;;11;12;MATH;0.7;;FIN ALG,FINANCIAL ALG,ALG FIN
MATHSUP;9245;Math Support;;;;10;9;10;ELEC;0.5;f;MATH SUPPORT,MATH SUP,MATH LAB
CONSMATH;9260;Consumer Math;;;;;11;12;MATH;0.3;;CONS MATH,CONSUMER MATH
BIO;9324;Biology;d;D;;;9;10;SCI;3;c;BIO,BIOLOGY,BIOL
BIOH;9324;Biology Honors;d;D;;15;9;10;SCI;1;c;BIO H,BIOLOGY H,BIO HON
LIVEARTH;9331;The Living Earth;d;D;;;9;10;SCI;1;;LIVING EARTH,BIO LIV EARTH,LIV EARTH
CHEM;9325;Chemistry;d;D;;;10;12;SCI;2.5;c;CHEM,CHEMISTRY,CHEM 1
CHEMH;9325;Chemistry Honors;d;D;UC Honors;14;10;12;SCI;1;c;CHEM H,CHEMISTRY H,CHEM HON
CHEMES;9332;Chemistry in the Earth System;d;D;;;10;11;SCI;1;;CHEM EARTH SYS,CHEM ES,CHEM IN EARTH
PHYS;9326;Physics;d;D;;;11;12;SCI;1.5;c;PHYSICS,PHYS,PHYSICS 1
PHYSU;9333;Physics of the Universe;d;D;;;11;12;SCI;1;;PHYS UNIVERSE,PHYS OF UNIV,PHYS UNIV
APBIO;9350;AP Biology;d;D;AP;;11;12;SCI;0.8;c;AP BIO,AP BIOLOGY
APCHEM;9349;AP Chemistry;d;D;AP;;11;12;SCI;0.6;;AP CHEM,AP CHEMISTRY
APPHYS1;9345;AP Physics 1: Algebra-Based;d;D;AP;;11;12;SCI;0.6;;AP PHYS 1,AP PHYSICS 1
APES;9346;AP Environmental Science;d;D;AP;;11;12;SCI;0.8;;APES,AP ENV SCI,AP ENVIRO SCI
ANAT;9335;Anatomy and Physiology;d;D;;;11;12;SCI;1;;ANAT & PHYS,ANATOMY/PHYS,ANAT PHYSIO
FORENSIC;9359;Forensic Science;g;GD;;;11;12;SCI;0.7;f;FORENSIC SCI,FORENSICS
EARTHSCI;9321;Earth and Space Science;d;D;;;9;10;SCI;0.8;;EARTH SCI,EARTH/SPACE SCI,EARTH & SPACE
MARINE;9341;Marine Biology;d;D;;;10;12;SCI;0.6;f;MARINE BIO,MARINE BIOLOGY,MAR BIO
PHYSSCI;9323;Physical Science;d;D;;;9;9;SCI;0.6;;PHYS SCI,PHYSICAL SCI
IBBIO;9357;IB Biology HL;d;D;IB;;11;12;SCI;0.3;;IB BIO HL,IB BIOLOGY HL
ETHNIC;9179;Ethnic Studies;a;A;;;9;9;SOC;2;c;ETHNIC STUDIES,ETHNIC STUD,ETH STUDIES
WGEOG;9171;World Geography;g;GA;;;9;9;SOC;1;;WORLD GEOG,WLD GEOGRAPHY,WORLD GEO
WHIST;9172;World History;a;A;;;10;10;SOC;3;c;WORLD HIST,WLD HIST,WORLD HISTORY
APWORLD;9191;AP World History: Modern;a;A;AP;;10;10;SOC;1;c;AP WORLD HIST,AP WORLD,AP WH
USHIST;9173;United States History;a;A;;;11;11;SOC;3;c;US HIST,U.S. HISTORY,USH,US HISTORY
APUSH;9194;AP United States History;a;A;AP;;11;11;SOC;1;c;APUSH,AP US HIST,AP U.S. HISTORY
GOVT;9174;American Government;a;A;;;12;12;SOC;3;cP;GOVT,AM GOVT,AMER GOV,GOVERNMENT
ECON;9175;Economics;g;GA;;;12;12;SOC;3;cP;ECON,ECONOMICS,ECON 12
APGOV;9196;AP United States Government and Politics;a;A;AP;;12;12;SOC;1;P;AP GOV,AP US GOVT,AP GOVT & POL
APMACRO;9199;AP Macroeconomics;g;GA;AP;;12;12;SOC;1;P;AP MACRO,AP MACROECON,AP MACRO ECON
PSYCH;9177;Psychology;g;GA;;;10;12;ELEC;1;f;PSYCH,PSYCHOLOGY
APPSYCH;9193;AP Psychology;g;GA;AP;;10;12;ELEC;0.8;f;AP PSYCH,AP PSYCHOLOGY
SOCIOL;9176;Sociology;g;GA;;;10;12;ELEC;0.5;f;SOCIOLOGY,SOCIOL
APHUG;9192;AP Human Geography;g;GA;AP;;9;12;ELEC;0.6;f;AP HUG,AP HUM GEO,AP HUMAN GEOG
SPAN1;9130;Spanish 1;e;E;;;9;12;LOTE;3;c;SPAN 1,SPANISH 1,SPAN I
SPAN2;9131;Spanish 2;e;E;;;9;12;LOTE;2.5;c;SPAN 2,SPANISH 2,SPAN II
SPAN3;9132;Spanish 3;e;E;;;10;12;LOTE;1.5;c;SPAN 3,SPANISH 3,SPAN III
SPAN3H;9132;Spanish 3 Honors;e;E;;15;10;12;LOTE;0.5;;SPAN 3 H,SPANISH 3 HON
APSPAN;9150;AP Spanish Language and Culture;e;E;AP;;11;12;LOTE;0.8;c;AP SPAN LANG,AP SPANISH,AP SPAN
SNS1;9134;Spanish for Native Speakers 1;e;E;;;9;12;LOTE;1;;SPAN NS 1,SNS 1,SPAN NATIVE SPKR 1
SNS2;9135;Spanish for Native Speakers 2;e;E;;;9;12;LOTE;0.7;;SPAN NS 2,SNS 2,SPAN NATIVE SPKR 2
FREN1;9130;French 1;e;E;;;9;12;LOTE;1;;FREN 1,FRENCH 1,FR 1
FREN2;9131;French 2;e;E;;;9;12;LOTE;0.8;;FREN 2,FRENCH 2,FR 2
FREN3;9132;French 3;e;E;;;10;12;LOTE;0.5;;FREN 3,FRENCH 3,FR 3
APFREN;9153;AP French Language and Culture;e;E;AP;;11;12;LOTE;0.3;;AP FRENCH,AP FREN LANG
CHIN1;9130;Mandarin Chinese 1;e;E;;;9;12;LOTE;0.5;;CHINESE 1,MANDARIN 1,CHIN 1
CHIN2;9131;Mandarin Chinese 2;e;E;;;9;12;LOTE;0.4;;CHINESE 2,MANDARIN 2,CHIN 2
ASL1;9130;American Sign Language 1;e;E;;;9;12;LOTE;0.7;;ASL 1,AM SIGN LANG 1,ASL I
ASL2;9131;American Sign Language 2;e;E;;;9;12;LOTE;0.5;;ASL 2,AM SIGN LANG 2,ASL II
VIET1;9130;Vietnamese 1;e;E;;;9;12;LOTE;0.3;;VIETNAMESE 1,VIET 1
ART1;9000;Art 1;f;F;;;9;12;VAPA;2;cf;ART 1,ART I,INTRO ART
DRAWPAINT;9000;Drawing and Painting;f;F;;;9;12;VAPA;1;f;DRAW & PAINT,DRAWING/PAINTING,DRAW PAINT 1
CERAMICS;9000;Ceramics 1;f;F;;;9;12;VAPA;1;f;CERAMICS 1,CERAMICS,CERAM 1
PHOTO;9000;Digital Photography;f;F;;;9;12;VAPA;1;f;DIG PHOTO,DIGITAL PHOTO,PHOTOGRAPHY
APDRAW;9004;AP Drawing;f;F;AP;;11;12;VAPA;0.4;f;AP DRAWING,AP ART DRAWING,AP STUDIO ART
APARTH;9005;AP Art History;f;F;AP;;10;12;VAPA;0.3;f;AP ART HIST,AP ART HISTORY
BAND;9291;Concert Band;f;F;;;9;12;VAPA;1.2;cf;CONCERT BAND,BAND,BAND 1
ORCH;9291;Orchestra;f;F;;;9;12;VAPA;0.6;f;ORCHESTRA,ORCH
MARCHBAND;9291;Marching Band;f;F;;;9;12;VAPA;0.6;f;MARCHING BAND,MARCH BAND
CHOIR;9293;Concert Choir;f;F;;;9;12;VAPA;1;f;CONCERT CHOIR,CHOIR,CHORUS
APMUSIC;9300;AP Music Theory;f;F;AP;;10;12;VAPA;0.3;f;AP MUSIC THRY,AP MUSIC THEORY
DRAMA1;9090;Theatre Arts 1;f;F;;;9;12;VAPA;1;f;DRAMA 1,THEATRE 1,THEATER ARTS 1
DANCE1;9080;Dance 1;f;F;;;9;12;VAPA;0.7;f;DANCE 1,DANCE I,BEG DANCE
VIDEO;9092;Video Production;f;F;;;10;12;VAPA;0.7;f;VIDEO PROD,VIDEO PRODUCTION,FILM/VIDEO
DIGMEDIA;9381;Digital Media Arts;f;F;;;9;12;VAPA;0.6;f;DIG MEDIA ARTS,DIGITAL MEDIA,MEDIA ARTS
GUITAR;9292;Guitar;f;F;;;9;12;VAPA;0.5;f;GUITAR,GUITAR 1,BEG GUITAR
PE9;9314;Physical Education 9;;;;;9;9;PE;3;c;PE 9,PHYS ED 9,PE I
PE10;9315;Physical Education 10-12;;;;;10;12;PE;3;c;PE 10,PHYS ED 10,PE II
WEIGHTS;9316;Weight Training;;;;;10;12;PE;1;f;WEIGHT TRNG,WEIGHT TRAINING,WEIGHTS
TEAMSPORT;9316;Team Sports;;;;;10;12;PE;1;f;TEAM SPORTS,TEAM SPT
JROTC;9373;JROTC 1;;;;;9;12;ELEC;0.3;f;JROTC 1,NJROTC 1,ROTC 1
AVID9;9211;AVID 9;;;;;9;9;ELEC;0.8;f;AVID 9,AVID I
AVID10;9211;AVID 10;;;;;10;10;ELEC;0.6;f;AVID 10,AVID II
AVID11;9211;AVID 11;;;;;11;11;ELEC;0.5;f;AVID 11,AVID III
AVID12;9211;AVID 12;;;;;12;12;ELEC;0.4;f;AVID 12,AVID IV
ASB;9219;Leadership;;;;;9;12;ELEC;0.6;f;LEADERSHIP,ASB,ASB LEADERSHIP
STUDYHALL;9217;Study Hall;;;;;9;12;ELEC;0.4;f;STUDY HALL,STUDY SKILLS
TA;9216;Teacher Assistant;;;;;11;12;ELEC;0.8;f;TA,TEACHER ASST,OFFICE AIDE
YEARBOOK;9224;Yearbook;g;GO;;;10;12;ELEC;0.5;f;YEARBOOK,YRBK
COMPSCI;9062;Computer Science;g;GC;;;9;12;ELEC;0.5;f;COMP SCI,COMPUTER SCIENCE,CS 1
ECS;9061;Exploring Computer Science;g;GC;;;9;12;ELEC;0.6;f;EXPL COMP SCI,ECS,EXPLORING CS
APCSP;9066;AP Computer Science Principles;g;GC;AP;;10;12;ELEC;0.5;f;AP CSP,AP COMP SCI PRIN,AP CS PRINCIPLES
APCSA;9067;AP Computer Science A;g;GC;AP;;10;12;ELEC;0.4;f;AP CS A,AP COMP SCI A,AP COMPSCI A
RSP;9231;Resource Specialist Support;;;;10;9;12;ELEC;0.4;f;RSP SUPPORT,LEARNING CTR,RSP
APSEM;9226;AP Seminar;g;GB;AP;;10;11;ELEC;0.3;f;AP SEMINAR,AP SEM
HEALTH;9160;Health;;;;;9;9;ELEC;1;f;HEALTH,HEALTH ED,HEALTH 9
DRIVERED;9372;Driver Education;;;;;10;10;ELEC;0.3;f;DRIVERS ED,DRIVER ED
COLLREADY;9218;College and Career Readiness;;;;;11;12;ELEC;0.5;f;COLL CAREER READY,COLLEGE READINESS,CCR
"""

_MS_TEMPLATES = """
MENG6;9100;English 6;;;;;6;6;MENG;3;c;ENG 6,ENGLISH 6,ELA 6
MENG7;9100;English 7;;;;;7;7;MENG;3;c;ENG 7,ENGLISH 7,ELA 7
MENG8;9100;English 8;;;;;8;8;MENG;3;c;ENG 8,ENGLISH 8,ELA 8
MENG8H;9100;English 8 Honors;;;;12;8;8;MENG;1;;ENG 8 H,ELA 8 GATE,ENGLISH 8 HON
MMATH6;9240;Math 6;;;;;6;6;MMATH;3;c;MATH 6,MATH GR 6
MMATH7;9240;Math 7;;;;;7;7;MMATH;3;c;MATH 7,MATH GR 7
MMATH7A;9277;Math 7 Accelerated;;;;12;7;7;MMATH;1;c;MATH 7 ACC,ACCEL MATH 7,COMP MATH 7
MMATH8;9240;Math 8;;;;;8;8;MMATH;3;c;MATH 8,MATH GR 8
MALG1;9249;Algebra I;c;C;;;8;8;MMATH;1;cT;ALG 1,ALGEBRA 1,ALG I
MIM1;9241;Integrated Mathematics I;c;C;;;8;8;MMATH;1;cI;INT MATH 1,IM 1,INT MATH I
MSCI6;9321;Science 6;;;;;6;6;MSCI;3;c;SCI 6,SCIENCE 6,EARTH SCI 6
MSCI7;9322;Science 7;;;;;7;7;MSCI;3;c;SCI 7,SCIENCE 7,LIFE SCI 7
MSCI8;9323;Science 8;;;;;8;8;MSCI;3;c;SCI 8,SCIENCE 8,PHYS SCI 8
MHIST6;9172;World History 6;;;;;6;6;MSOC;3;c;HIST 6,SOC STUD 6,ANCIENT CIV
MHIST7;9172;World History 7;;;;;7;7;MSOC;3;c;HIST 7,SOC STUD 7,MEDIEVAL HIST
MHIST8;9173;US History 8;;;;;8;8;MSOC;3;c;US HIST 8,HIST 8,SOC STUD 8
MPE;9311;Physical Education;;;;;6;8;MPE;3;c;PE,PE 6-8,PHYS ED
MBAND;9291;Band;;;;;6;8;MELEC;1;cf;BAND,BEG BAND,BAND 7
MCHOIR;9293;Choir;;;;;6;8;MELEC;0.7;f;CHOIR,CHORUS
MART;9000;Art;;;;;6;8;MELEC;1;f;ART,ART 7,EXPLOR ART
MWL;9155;World Language Exploration;;;;;6;8;MELEC;0.6;f;WORLD LANG,EXPLOR LANG
MSPAN1;9130;Spanish 1;e;E;;;7;8;MELEC;0.6;f;SPAN 1,SPANISH 1
MCOMP;9060;Computer Literacy;;;;;6;8;MELEC;0.8;f;COMPUTERS,COMP LIT,TECH
MAVID;9211;AVID;;;;;7;8;MELEC;0.6;f;AVID,AVID 7,AVID 8
MLEAD;9219;Leadership;;;;;7;8;MELEC;0.4;f;LEADERSHIP,ASB
MSTEM;9222;STEM;;;;;6;8;MELEC;0.6;f;STEM,STEM LAB,ROBOTICS
MREAD;9101;Reading Intervention;;;;10;6;8;MELEC;0.5;f;READING,READ 180,READ INTERV
MELD;9104;English Language Development;;;;;6;8;MELEC;0.4;f;ELD,ELD MS
MDRAMA;9090;Drama;;;;;6;8;MELEC;0.4;f;DRAMA,THEATRE
"""

#: semester pairs taught as one year-long slot: (fall template, spring template)
_PAIRS = [("GOVT", "ECON"), ("APGOV", "APMACRO")]
#: honors courses that some LEAs cross-reference to the AP course taught in the same room
_XREF = {"CHEMH": "9349", "BIOH": "9350", "PRECALCH": "9268"}

_CATEGORIES = ["ENG", "MATH", "SCI", "SOC", "LOTE", "VAPA", "PE", "ELEC", "CTE", "FILL",
               "MENG", "MMATH", "MSCI", "MSOC", "MPE", "MELEC", "MFILL"]
_CAT = {c: i for i, c in enumerate(_CATEGORIES)}
_NCAT = len(_CATEGORIES)

# slot plan: (category, probability by grade 6..12)
_SLOTS = [
    ("ENG", [0, 0, 0, 1, 1, 1, 1]),
    ("MATH", [0, 0, 0, 1, 1, 1, 0.7]),
    ("SCI", [0, 0, 0, 1, 1, 0.8, 0.5]),
    ("SOC", [0, 0, 0, 0.7, 1, 1, 1]),
    ("LOTE", [0, 0, 0, 0.6, 0.6, 0.5, 0.35]),
    ("VAPA", [0, 0, 0, 0.35, 0.35, 0.35, 0.35]),
    ("PE", [0, 0, 0, 1, 0.9, 0.25, 0.25]),
    ("MENG", [1, 1, 1, 0, 0, 0, 0]),
    ("MMATH", [1, 1, 1, 0, 0, 0, 0]),
    ("MSCI", [1, 1, 1, 0, 0, 0, 0]),
    ("MSOC", [1, 1, 1, 0, 0, 0, 0]),
    ("MPE", [1, 1, 1, 0, 0, 0, 0]),
]

_WORD_ABBR = {
    "introduction": "INTRO", "intermediate": "INTER", "advanced": "ADV", "agricultural": "AG",
    "agriculture": "AG", "and": "&", "business": "BUS", "mechanics": "MECH", "science": "SCI",
    "sciences": "SCI", "technology": "TECH", "management": "MGMT", "engineering": "ENGR",
    "design": "DSGN", "health": "HLTH", "medical": "MED", "development": "DEV", "education": "ED",
    "production": "PROD", "services": "SVCS", "systems": "SYS", "information": "INFO",
    "communication": "COMM", "communications": "COMM", "manufacturing": "MFG",
    "construction": "CONST", "environmental": "ENV", "natural": "NAT", "resources": "RES",
    "hospitality": "HOSP", "culinary": "CUL", "computer": "COMP", "programming": "PROG",
    "digital": "DIG", "graphic": "GRAPH", "architectural": "ARCH", "automotive": "AUTO",
    "transportation": "TRANS", "public": "PUB", "residential": "RES", "commercial": "COMM",
    "animal": "ANIM", "plant": "PLANT", "ornamental": "ORN", "horticulture": "HORT",
    "sustainable": "SUST", "forestry": "FOREST", "floral": "FLORAL", "financial": "FIN",
    "marketing": "MKTG", "entertainment": "ENT", "software": "SOFTW", "networking": "NETWK",
    "emergency": "EMERG", "patient": "PATIENT", "care": "CARE", "child": "CHILD",
    "fashion": "FASH", "interior": "INT", "energy": "ENRGY", "power": "PWR", "welding": "WELD",
}
_STOP = {"of", "the", "to", "for", "in", "a", "an", "on", "with"}


@dataclass(frozen=True)
class _Catalog:
    """Course templates and year-long units (NumPy arrays indexed by template / unit)."""

    key: list[str]
    code: list[str]
    title: list[str]
    ag: list[str]
    scsc: list[str]
    honors: list[str]
    level: list[str]
    cat: np.ndarray
    content_area: list[str]
    abbrevs: list[list[str]]
    is_cte: np.ndarray
    xref: list[str]
    t_hs: np.ndarray
    # units
    u_t1: np.ndarray
    u_t2: np.ndarray
    u_cat: np.ndarray
    u_glo: np.ndarray
    u_ghi: np.ndarray
    u_w: np.ndarray
    u_core: np.ndarray
    u_fill: np.ndarray
    u_path: np.ndarray  # 0 any, 1 traditional only, 2 integrated only
    u_hs: np.ndarray
    u_pair: np.ndarray


def _cte_abbrevs(title: str) -> list[str]:
    words = re.findall(r"[A-Za-z0-9'/-]+", title)
    lvl = {"introduction": ("INTRO", "1"), "intermediate": ("INTER", "2"), "advanced": ("ADV", "3")}
    lv = lvl.get(words[0].lower()) if words else None
    core = [_WORD_ABBR.get(w.lower(), w.upper()) for w in words
            if w.lower() not in _STOP and w.lower() not in lvl]
    v1 = " ".join(([lv[0]] if lv else []) + core)[:30].strip()
    v2 = (" ".join(core)[:24].strip() + (" " + lv[1] if lv else "")).strip()
    v3 = re.sub(r"\s+", " ", title.upper())[:24].strip()
    out: list[str] = []
    for v in (v2, v1, v3):
        if v and v not in out:
            out.append(v)
    return out


@functools.lru_cache(maxsize=None)
def _catalog() -> _Catalog:
    codes = _state_codes()
    rows: list[dict] = []
    for hs, text in ((True, _HS_TEMPLATES), (False, _MS_TEMPLATES)):
        for line in text.strip().splitlines():
            (key, code, title, ag, scsc, honors, level, glo, ghi, cat, w, flags, ab) = line.split(";")
            if code not in codes.index:
                raise ValueError(f"course template {key}: state course code {code} not in reference table")
            rows.append(dict(key=key, code=code, title=title, ag=ag, scsc=scsc, honors=honors,
                             level=level, glo=int(glo), ghi=int(ghi), cat=cat, w=float(w),
                             flags=flags, abbrevs=ab.split(","), hs=hs, cte=False))
    cte = codes[(codes["content_area"] == "Career Technical Education") & (codes["grade_low"] != "K")]
    if cte.empty:  # all CTE codes are K-AD in the 2020-21 table
        cte = codes[codes["content_area"] == "Career Technical Education"]
    for code, rec in cte.iterrows():
        if code in ("7000", "7001"):
            continue  # exploratory (middle-grade) codes
        title = re.sub(r"\s*\([^)]*\)", "", rec["name"]).strip()
        title = re.sub(r"\s+", " ", title)
        first = title.split(" ")[0].lower()
        glo = {"intermediate": 10, "advanced": 11}.get(first, 9)
        approved = (int(code) * 7919) % 10 < 4
        rows.append(dict(key=f"CTE{code}", code=code, title=title, ag="g" if approved else "",
                         scsc="GO" if approved else "", honors="", level="", glo=glo, ghi=12,
                         cat="CTE", w=0.25, flags="f", abbrevs=_cte_abbrevs(title), hs=True, cte=True))
    keys = [r["key"] for r in rows]
    kidx = {k: i for i, k in enumerate(keys)}
    paired = {a for a, _ in _PAIRS} | {b for _, b in _PAIRS}
    units: list[tuple[int, int, bool]] = []
    for i, r in enumerate(rows):
        if r["key"] in paired:
            continue
        units.append((i, i, False))
    for a, b in _PAIRS:
        units.append((kidx[a], kidx[b], True))
    t1 = np.array([u[0] for u in units])
    t2 = np.array([u[1] for u in units])

    def col(name, dtype=None):
        return np.array([rows[t][name] for t in t1], dtype=dtype)

    path = np.array([2 if "I" in rows[t]["flags"] else 1 if "T" in rows[t]["flags"] else 0 for t in t1])
    return _Catalog(
        key=keys,
        code=[r["code"] for r in rows],
        title=[r["title"] for r in rows],
        ag=[r["ag"] for r in rows],
        scsc=[r["scsc"] for r in rows],
        honors=[r["honors"] for r in rows],
        level=[r["level"] for r in rows],
        cat=np.array([_CAT[r["cat"]] for r in rows]),
        content_area=[codes.loc[r["code"], "content_area"] for r in rows],
        abbrevs=[r["abbrevs"] for r in rows],
        is_cte=np.array([r["cte"] for r in rows]),
        xref=[_XREF.get(r["key"], "") for r in rows],
        t_hs=np.array([r["hs"] for r in rows]),
        u_t1=t1, u_t2=t2,
        u_cat=np.array([_CAT[rows[t]["cat"]] for t in t1]),
        u_glo=col("glo", np.int64), u_ghi=col("ghi", np.int64), u_w=col("w", np.float64),
        u_core=np.array(["c" in rows[t]["flags"] for t in t1]),
        u_fill=np.array(["f" in rows[t]["flags"] for t in t1]),
        u_path=path,
        u_hs=col("hs", bool),
        u_pair=np.array([u[2] for u in units]),
    )


# --------------------------------------------------------------------------------------------
# small helpers

_EMPTY = ""


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, *stream])))


def _strings(values: list[str]) -> pa.Array:
    """A string table with "" at index 0 (index 0 = none)."""
    return pa.array([_EMPTY] + list(values), type=pa.string())


def _take(table: pa.Array, idx: np.ndarray) -> pa.Array:
    return table.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _num(values: np.ndarray, width: int = 0) -> pa.Array:
    s = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def _days(y: int, m: int, d: int) -> int:
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    mo = d.astype("datetime64[M]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = mo.astype(np.int64) % 12 + 1
    dd = (d - mo).astype(np.int64) + 1
    return y * 10000 + m * 100 + dd


def _date(days: np.ndarray) -> pa.Array:
    """Days since 1970 -> ``CCYYMMDD``; negative -> empty."""
    days = np.asarray(days, dtype=np.int64)
    s = _num(_yyyymmdd(np.maximum(days, 0)))
    missing = days < 0
    if missing.any():
        s = pc.if_else(pa.array(missing), _EMPTY, s)
    return s


def _iso(seconds: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"), unit="s")


class _Scrambler:
    """A keyed bijection of ``range(half**2)`` (a 4-round Feistel network): random-looking unique ids
    from a counter, vectorized, with no set of used ids to keep."""

    def __init__(self, rng: np.random.Generator, half: int):
        self.half = half
        self.f = [rng.integers(0, half, half) for _ in range(4)]

    def __call__(self, k: np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=np.int64)
        left, right = k // self.half, k % self.half
        for f in self.f:
            left, right = right, (left + f[right]) % self.half
        return left * self.half + right


def _pick(rng: np.random.Generator, weights: list[float] | np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _zipf_weights(n: int, s: float = 0.8) -> np.ndarray:
    return 1.0 / (np.arange(n) + 4.0) ** s


def _where(cond: np.ndarray, a: pa.Array | str, b: pa.Array | str) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(cond, dtype=bool)), a, b)


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into ``len(weights)`` integer parts proportional to weights, each >= minimum."""
    n = len(weights)
    minimum = min(minimum, total // n)
    rest = total - minimum * n
    share = weights / weights.sum() * rest
    base = np.floor(share).astype(np.int64)
    left = rest - int(base.sum())
    order = np.argsort(-(share - base), kind="stable")
    base[order[:left]] += 1
    return base + minimum


# --------------------------------------------------------------------------------------------
# the state: LEAs, schools, students

@dataclass
class _State:
    year: int
    academic_year: str
    seed: int
    targets: GenerateTargets
    # LEAs
    lea_code: list[str]
    lea_opt_in: np.ndarray
    lea_first_day: np.ndarray
    lea_id_style: np.ndarray
    lea_id_base: np.ndarray
    lea_city: np.ndarray
    lea_txn: np.ndarray
    lea_lo: np.ndarray  # student range of each LEA (students are sorted by LEA, then school)
    lea_hi: np.ndarray
    lea_school_lo: np.ndarray
    lea_school_hi: np.ndarray
    lea_integrated: np.ndarray
    # schools
    sch_lea: np.ndarray
    sch_hs: np.ndarray
    sch_code: list[str]
    sch_name: list[str]
    sch_atp: list[str]
    ssid_of: _Scrambler
    seid_of: _Scrambler
    cmp_id_of: _Scrambler
    # students (index = row)
    st: dict[str, np.ndarray]


_ID_STYLES = 5  # 0: 9 digits zero-padded, 1: plain digits, 2: "S" + 8 digits, 3: 12 zero-padded, 4: 16 chars


def _fmt_local(nums: np.ndarray, style: int) -> pa.Array:
    if style == 0:
        return _num(nums, 9)
    if style == 1:
        return _num(nums)
    if style == 2:
        return pc.binary_join_element_wise("S", _num(nums, 8), "")
    if style == 3:
        return _num(nums, 12)
    return pc.binary_join_element_wise("20", _num(nums, 14), "")


def _make_state(students: int, leas: int, seed: int, academic_year: str, t: GenerateTargets) -> _State:
    year = int(academic_year[:4])
    M, N = leas, students
    rng = _rng(seed, 1)
    # --- LEAs (sorted by code: iteration in code order)
    county = rng.integers(1, 59, M)
    district = rng.choice(np.arange(10000, 80000), M, replace=False)
    codes = county * 100000 + district
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    lea_code = [f"{c:07d}" for c in codes]
    n_opt = int(round(t.opt_in_share * M))
    if M >= 2:
        n_opt = min(max(n_opt, 1), M - 1)
    opt = np.zeros(M, dtype=bool)
    opt[rng.permutation(M)[:n_opt]] = True
    size_w = rng.lognormal(0.0, 1.3, M)
    counts = _allocate(N, size_w, 30)
    first_day = np.array([_days(year, 8, 10)] * M) + rng.integers(0, 11, M)
    id_style = rng.integers(0, _ID_STYLES, M)
    id_style[0] = 0  # at least one LEA pads local IDs with leading zeros
    id_base = rng.integers(1, 60000, M)
    id_base[id_style == 1] += 100000  # plain style: no leading zero to lose
    lea_city = rng.integers(0, len(_CITIES), M)
    txn = rng.random(M) < 0.5
    integrated = rng.random(M) < 0.3
    # --- students: LEA, grade, school
    lea = np.repeat(np.arange(M), counts)
    grade = rng.choice(np.arange(6, 13), size=N, p=[0.05, 0.05, 0.05, 0.2125, 0.2125, 0.2125, 0.2125])
    hs = grade >= 9
    hs_n = np.bincount(lea[hs], minlength=M)
    ms_n = np.bincount(lea[~hs], minlength=M)
    n_hs = np.maximum(1, np.round(hs_n / t.hs_students_per_school)).astype(np.int64)
    n_ms = np.maximum(1, np.round(ms_n / t.ms_students_per_school)).astype(np.int64)
    per_lea = n_hs + n_ms
    sch_lea = np.repeat(np.arange(M), per_lea)
    within = np.arange(len(sch_lea)) - np.repeat(np.cumsum(per_lea) - per_lea, per_lea)
    sch_hs = within < n_hs[sch_lea]
    school_lo = np.cumsum(per_lea) - per_lea
    S = len(sch_lea)
    u = rng.random(N)
    school = np.where(hs, school_lo[lea] + np.floor(u * n_hs[lea]).astype(np.int64),
                      school_lo[lea] + n_hs[lea] + np.floor(u * n_ms[lea]).astype(np.int64))
    o = np.lexsort((school, lea))
    lea, grade, school = lea[o], grade[o], school[o]
    hs = grade >= 9
    lo = np.cumsum(counts) - counts
    # --- schools
    sch_num = rng.choice(np.arange(10**5, 10**7), S, replace=False)
    sch_code = [f"{c:07d}" for c in sch_num]
    stems = rng.integers(0, len(_SCHOOL_STEMS), S)
    style = rng.integers(0, 2, S)
    sch_name = [
        f"{_SCHOOL_STEMS[s]} {('High' if h else 'Middle')}{' School' if st_ else ''}"
        for s, h, st_ in zip(stems, sch_hs, style)
    ]
    atp = rng.choice(np.arange(50000, 100000), S, replace=False) if S <= 50000 else 50000 + np.arange(S)
    sch_atp = [f"{a:06d}" for a in atp]

    st: dict[str, np.ndarray] = {"lea": lea, "school": school, "grade": grade}
    # --- identity
    ssid_of = _Scrambler(rng, 10**5)  # counters >= N give SSIDs no student has
    st["ssid"] = ssid_of(np.arange(N))
    gender = _pick(rng, [0.49, 0.49, 0.02], N)  # 0 F, 1 M, 2 X
    st["gender"] = gender
    nf, nm = len(_FEMALE), len(_MALE)
    fem = 1 + _pick(rng, _zipf_weights(nf), N)
    mal = 1 + nf + _pick(rng, _zipf_weights(nm), N)
    x_female = rng.random(N) < 0.5
    st["first"] = np.where((gender == 0) | ((gender == 2) & x_female), fem, mal)
    mid_f = 1 + _pick(rng, _zipf_weights(nf), N)
    mid_m = 1 + nf + _pick(rng, _zipf_weights(nm), N)
    st["middle"] = np.where(rng.random(N) < 0.55, np.where(st["first"] <= nf, mid_f, mid_m), 0)
    nl = len(_LAST)
    st["last"] = 1 + _pick(rng, _zipf_weights(nl, 0.7), N)
    st["last2"] = np.where(rng.random(N) < 0.04, 1 + rng.integers(0, nl, N), 0)
    st["suffix"] = np.where((gender == 1) & (rng.random(N) < 0.02), 1 + rng.integers(0, len(_SUFFIX), N), 0)
    st["alias"] = np.where(rng.random(N) < 0.02, np.where(st["first"] <= nf, mid_f, mid_m), 0)
    retained = rng.random(N) < 0.03
    born_lo = np.array([_days(year - g - 6, 9, 2) for g in range(13)])
    st["birth"] = born_lo[grade] - 365 * retained + rng.integers(0, 365, N)
    st["birthplace"] = 1 + _pick(rng, [b[3] for b in _BIRTHPLACES], N)
    st["hisp"] = rng.random(N) < 0.55
    races = _race_codes()
    rw = np.array([3 if r == "700" else 1.2 if r in ("600", "400", "201", "204") else 0.3 for r in races])
    st["race1"] = 1 + _pick(rng, rw, N)
    st["race2"] = np.where(rng.random(N) < 0.1, 1 + _pick(rng, rw, N), 0)
    st["house"] = rng.integers(1, 20000, N)
    st["street"] = 1 + rng.integers(0, len(_STREETS), N)
    st["street_sfx"] = 1 + rng.integers(0, len(_STREET_SFX), N)
    st["apt"] = np.where(rng.random(N) < 0.12, rng.integers(1, 400, N), 0)
    st["zip"] = np.array([c[1] for c in _CITIES])[lea_city[lea]] * 100 + rng.integers(1, 60, N)
    st["g1_first"] = np.where(rng.random(N) < 0.6, 1 + _pick(rng, _zipf_weights(nf), N),
                              1 + nf + _pick(rng, _zipf_weights(nm), N))
    st["g1_last"] = np.where(rng.random(N) < 0.8, st["last"], 1 + rng.integers(0, nl, N))
    st["g2_first"] = np.where(rng.random(N) < 0.55, 1 + nf + _pick(rng, _zipf_weights(nm), N), 0)
    st["g2_last"] = np.where(rng.random(N) < 0.85, st["last"], 1 + rng.integers(0, nl, N))
    st["parent_ed"] = rng.integers(10, 16, N)
    foreign = np.array([b[2] != "US" for b in _BIRTHPLACES])[st["birthplace"] - 1]
    init_us = np.where(foreign, _days(year, 8, 1) - rng.integers(30, 365 * 8, N), -1)
    st["init_us"] = np.maximum(init_us, np.where(init_us >= 0, st["birth"] + 365 * 5, -1))
    # --- enrollment
    late = rng.random(N) < 0.03
    st["start"] = first_day[lea] + np.where(late, rng.integers(5, 60, N), 0)
    st["sinf_start"] = np.minimum(
        st["start"], _days(year, 8, 1) - rng.integers(0, 365 * 6, N))
    st["sinf_start"] = np.maximum(st["sinf_start"], st["birth"] + 365 * 5)
    # transfers: earlier enrollment in another LEA, current (open) one starts at the move
    is_tr = (rng.random(N) < t.transfer_share) if M >= 2 else np.zeros(N, dtype=bool)
    old_lea = np.where(is_tr, (lea + 1 + rng.integers(0, max(M - 1, 1), N)) % M, -1)
    uo = rng.random(N)
    ol = np.maximum(old_lea, 0)
    old_school = np.where(hs, school_lo[ol] + np.floor(uo * n_hs[ol]).astype(np.int64),
                          school_lo[ol] + n_hs[ol] + np.floor(uo * n_ms[ol]).astype(np.int64))
    move = _days(year, 9, 15) + rng.integers(0, 165, N)
    st["is_tr"] = is_tr
    st["old_lea"] = old_lea
    st["old_school"] = np.where(is_tr, old_school, -1)
    st["old_start"] = first_day[ol]
    st["exit"] = move - rng.integers(1, 8, N)
    st["start"] = np.where(is_tr, move, st["start"])
    # secondary enrollment at another school of the same LEA (later start, status 20)
    sec = hs & ~is_tr & (n_hs[lea] >= 2) & (rng.random(N) < t.secondary_share)
    other = school_lo[lea] + (school - school_lo[lea] + 1 + rng.integers(0, np.maximum(n_hs[lea] - 1, 1))) % np.maximum(n_hs[lea], 1)
    st["sec"] = sec
    st["sec_school"] = np.where(sec, other, -1)
    # same first day as the primary one: "latest start date wins" then ties, and status 10 breaks them
    st["sec_start"] = st["start"].copy()
    # SINF history (non-transfer students): an end-dated earlier record with another last name or gender
    hist = ~is_tr & (rng.random(N) < t.sinf_history_share)
    kind = rng.integers(0, 10, N) < 6  # True: last name changed, False: gender code changed
    st["hist"] = hist
    st["hist_last"] = hist & kind
    st["old_last"] = np.where(hist & kind, 1 + (st["last"] - 1 + 1 + rng.integers(0, nl - 1, N)) % nl, st["last"])
    st["old_gender"] = np.where(hist & ~kind, (gender + 1 + rng.integers(0, 2, N)) % 3, gender)
    st["change"] = np.maximum(_days(year, 9, 1) + rng.integers(0, 180, N), st["start"] + 1)
    # --- local student IDs: unique within each LEA, also for the old LEA of a transfer
    mem_lea = np.concatenate([lea, old_lea[is_tr]])
    o = np.lexsort((rng.random(len(mem_lea)), mem_lea))
    grp_start = np.searchsorted(mem_lea[o], mem_lea[o], side="left")
    rank = np.empty(len(mem_lea), dtype=np.int64)
    rank[o] = np.arange(len(mem_lea)) - grp_start
    step = rng.integers(1, 4, M)
    nums = id_base[mem_lea] + rank * step[mem_lea] + rng.integers(0, 1 << 30, len(mem_lea)) % step[mem_lea]
    st["local"] = nums[:N]
    old_local = np.full(N, -1, dtype=np.int64)
    old_local[is_tr] = nums[N:]
    st["old_local"] = old_local
    return _State(
        year=year, academic_year=academic_year, seed=seed, targets=t,
        lea_code=lea_code, lea_opt_in=opt, lea_first_day=first_day, lea_id_style=id_style,
        lea_id_base=id_base, lea_city=lea_city, lea_txn=txn, lea_lo=lo, lea_hi=lo + counts,
        lea_school_lo=school_lo, lea_school_hi=school_lo + per_lea, lea_integrated=integrated,
        sch_lea=sch_lea, sch_hs=sch_hs, sch_code=sch_code, sch_name=sch_name, sch_atp=sch_atp, st=st,
        ssid_of=ssid_of, seid_of=_Scrambler(rng, 10**5), cmp_id_of=_Scrambler(rng, 3000),
    )


# --------------------------------------------------------------------------------------------
# writing CALPADS files

class _CalpadsWriter:
    """Writes one record type's rows for one LEA, in layout order, with the dirty-row inserts."""

    def __init__(self, path: Path, record_type: str):
        self.path = path
        self.rt = record_type
        self.layout = _layouts()[record_type]
        self.fh = open(path, "wb")
        self.rows = 0
        self.dirty = 0

    def write(self, cols: dict[str, pa.Array | str], n: int, dirty: int, rng: np.random.Generator) -> None:
        if n == 0:
            return
        names = {c for c, _, _ in self.layout}
        unknown = set(cols) - names
        if unknown:
            raise KeyError(f"{self.rt}: columns not in the layout: {sorted(unknown)}")
        parts = [cols.get(c, _EMPTY) for c, _, _ in self.layout]
        parts[0] = self.rt
        lines = pc.binary_join_element_wise(*parts, "^")
        if len(lines) != n:
            raise ValueError("row count mismatch")
        inserts: dict[int, list[str]] = {}
        if dirty:
            for i in sorted(rng.choice(n, size=min(dirty, n), replace=False).tolist()):
                inserts.setdefault(i, []).append(self._corrupt(lines[i].as_py(), rng))
        lines = pc.binary_join_element_wise(lines, "\n", "")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=lines.offset * 4)
        data = memoryview(lines.buffers()[2])
        pos = 0
        for i in sorted(inserts):
            self.fh.write(data[offsets[pos]:offsets[i + 1]])
            for bad in inserts[i]:
                self.fh.write((bad + "\n").encode("utf-8"))
            pos = i + 1
        self.fh.write(data[offsets[pos]:offsets[n]])
        n_bad = sum(len(v) for v in inserts.values())
        self.rows += n + n_bad
        self.dirty += n_bad

    def _corrupt(self, line: str, rng: np.random.Generator) -> str:
        fields = line.split("^")
        dates = [i for i, (_, typ, _) in enumerate(self.layout) if typ == "DT"]
        kind = int(rng.integers(0, 3 if dates else 2))
        if kind == 0:  # a field lost
            return "^".join(fields[:-1])
        if kind == 1:  # one field too many
            return line + "^"
        filled = [i for i in dates if fields[i]] or dates
        i = filled[int(rng.integers(0, len(filled)))]
        fields[i] = ["20251341", "2025-08-14", "00000000", "20260230"][int(rng.integers(0, 4))]
        return "^".join(fields)

    def close(self) -> None:
        self.fh.close()


# --------------------------------------------------------------------------------------------
# per-LEA generation

class _Tables:
    """String tables shared by all LEAs (index 0 = "")."""

    def __init__(self) -> None:
        self.first = _strings(_FEMALE + _MALE)
        self.last = _strings(_LAST)
        self.suffix = _strings(_SUFFIX)
        self.bp_city = _strings([b[0] for b in _BIRTHPLACES])
        self.bp_state = _strings([b[1] for b in _BIRTHPLACES])
        self.bp_country = _strings([b[2] for b in _BIRTHPLACES])
        self.race = _strings(_race_codes())
        self.street = _strings(_STREETS)
        self.street_sfx = _strings(_STREET_SFX)
        self.city = _strings([c[0] for c in _CITIES])
        self.gender = pa.array(["F", "M", "X"])
        self.yn = pa.array(["N", "Y"])


def _last_name(T: _Tables, last: np.ndarray, last2: np.ndarray) -> pa.Array:
    base = _take(T.last, last)
    if not (last2 > 0).any():
        return base
    joined = pc.binary_join_element_wise(base, _take(T.last, last2), "-")
    return _where(last2 > 0, joined, base)


def _person(T: _Tables, st: dict[str, np.ndarray], s: np.ndarray, *, full: bool) -> dict[str, pa.Array]:
    """Name, birth and gender columns of students ``s`` (current values)."""
    bp = st["birthplace"][s]
    cols = {
        "ssid": _num(st["ssid"][s], 10),
        "student_legal_first_name": _take(T.first, st["first"][s]),
        "student_legal_last_name": _last_name(T, st["last"][s], st["last2"][s]),
        "student_birth_date": _date(st["birth"][s]),
        "student_gender_code": _take(T.gender, st["gender"][s]),
    }
    if full:
        cols.update({
            "student_legal_middle_name": _take(T.first, st["middle"][s]),
            "student_legal_name_suffix": _take(T.suffix, st["suffix"][s]),
            "student_alias_first_name": _take(T.first, st["alias"][s]),
            "student_birth_city": _take(T.bp_city, bp),
            "student_birth_state_province_code": _take(T.bp_state, bp),
            "student_birth_country_code": _take(T.bp_country, bp),
        })
    return cols


def _local_ids(S: _State, lea: int, nums: np.ndarray) -> pa.Array:
    return _fmt_local(nums, int(S.lea_id_style[lea]))


def _senr(S: _State, T: _Tables, l: int, w: _CalpadsWriter, dirty: int, rng) -> dict[str, int]:
    st = S.st
    lo, hi = S.lea_lo[l], S.lea_hi[l]
    cur = np.arange(lo, hi)
    old = np.flatnonzero(st["old_lea"] == l)
    sec = cur[st["sec"][lo:hi]]
    s = np.concatenate([cur, old, sec])
    kind = np.concatenate([np.zeros(len(cur), np.int8), np.ones(len(old), np.int8), np.full(len(sec), 2, np.int8)])
    n = len(s)
    school = np.where(kind == 1, st["old_school"][s], np.where(kind == 2, st["sec_school"][s], st["school"][s]))
    local = np.where(kind == 1, st["old_local"][s], st["local"][s])
    start = np.where(kind == 1, st["old_start"][s], np.where(kind == 2, st["sec_start"][s], st["start"][s]))
    exit_ = np.where(kind == 1, st["exit"][s], -1)
    sch = pa.array(S.sch_code)
    cols = _person(T, st, s, full=True)
    cols.update({
        "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
        "reporting_lea": S.lea_code[l],
        "school_of_attendance": _take(sch, school),
        "academic_year_id": S.academic_year,
        "local_student_id": _local_ids(S, l, local),
        "enrollment_start_date": _date(start),
        "enrollment_status_code": _where(kind == 2, "20", "10"),
        "grade_level_code": _num(st["grade"][s], 2),
        "enrollment_exit_date": _date(exit_),
        "student_exit_reason_code": _where(kind == 1, "T160", _EMPTY),
        "district_of_geographic_residence_code": S.lea_code[l],
    })
    w.write(cols, n, dirty, rng)
    return {"transfer_out": len(old), "secondary": len(sec)}


def _sinf(S: _State, T: _Tables, l: int, w: _CalpadsWriter, dirty: int, rng) -> None:
    st = S.st
    lo, hi = S.lea_lo[l], S.lea_hi[l]
    cur = np.arange(lo, hi)
    hist = cur[st["hist"][lo:hi]]
    old = np.flatnonzero(st["old_lea"] == l)
    s = np.concatenate([cur, hist, old])
    kind = np.concatenate([np.zeros(len(cur), np.int8), np.ones(len(hist), np.int8), np.full(len(old), 2, np.int8)])
    o = np.argsort(s, kind="stable")
    s, kind = s[o], kind[o]
    n = len(s)
    cur_hist = (kind == 0) & st["hist"][s]
    eff_start = np.where(kind == 1, st["sinf_start"][s],
                         np.where(cur_hist, st["change"][s], np.where(kind == 2, st["sinf_start"][s],
                                  np.where(st["is_tr"][s], st["start"][s], st["sinf_start"][s]))))
    eff_end = np.where(kind == 1, st["change"][s] - 1, -1)
    school = np.where(kind == 2, st["old_school"][s], st["school"][s])
    local = np.where(kind == 2, st["old_local"][s], st["local"][s])
    cols = _person(T, st, s, full=True)
    if (kind == 1).any():
        old_last = _last_name(T, st["old_last"][s], np.where(st["hist_last"][s], 0, st["last2"][s]))
        cols["student_legal_last_name"] = _where(kind == 1, old_last, cols["student_legal_last_name"])
        cols["student_gender_code"] = _where(kind == 1, _take(T.gender, st["old_gender"][s]),
                                             cols["student_gender_code"])
    street = pc.binary_join_element_wise(
        _num(st["house"][s]), _take(T.street, st["street"][s]), _take(T.street_sfx, st["street_sfx"][s]), " ")
    apt = st["apt"][s]
    foreign = st["init_us"][s] >= 0
    recent = foreign & (st["init_us"][s] > _days(S.year - 3, 8, 1))
    cols.update({
        "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
        "effective_start_date": _date(eff_start),
        "effective_end_date": _date(eff_end),
        "reporting_lea": S.lea_code[l],
        "school_of_attendance": _take(pa.array(S.sch_code), school),
        "local_student_id": _local_ids(S, l, local),
        "hispanic_ethnicity_indicator": _take(T.yn, st["hisp"][s].astype(np.int64)),
        "ethnicity_missing_indicator": "N",
        "race_1_code": _take(T.race, st["race1"][s]),
        "race_2_code": _take(T.race, st["race2"][s]),
        "race_missing_indicator": "N",
        "address_line_1": street,
        "address_line_2": _where(apt > 0, pc.binary_join_element_wise("Apt", _num(apt), " "), _EMPTY),
        "address_city": _take(T.city, np.full(n, S.lea_city[l] + 1)),
        "address_state_province_code": "CA",
        "address_zip_code": _num(st["zip"][s], 5),
        "initial_us_school_enrollment_date_k12": _date(st["init_us"][s]),
        "enrolled_in_us_school_less_than_3_years_indicator": _where(foreign, _where(recent, "Y", "N"), _EMPTY),
        "parent_guardian_highest_education_level_code": _num(st["parent_ed"][s]),
        "guardian_1_first_name": _take(T.first, st["g1_first"][s]),
        "guardian_1_last_name": _take(T.last, st["g1_last"][s]),
        "guardian_2_first_name": _take(T.first, st["g2_first"][s]),
        "guardian_2_last_name": _where(st["g2_first"][s] > 0, _take(T.last, st["g2_last"][s]), _EMPTY),
    })
    w.write(cols, n, dirty, rng)


@dataclass
class _LeaCourses:
    """One LEA's course catalog: local courses (c) and year-long units (u -> c1 for S1, c2 for S2)."""

    c_template: np.ndarray
    c_local: list[str]
    c_name: list[str]
    unit_c1: np.ndarray
    unit_c2: np.ndarray
    unit_split: np.ndarray
    stale: list[str]


def _lea_catalog(S: _State, l: int, rng: np.random.Generator) -> _LeaCourses:
    C = _catalog()
    nU = len(C.u_t1)
    split = np.where(C.u_pair, True, rng.random(nU) < np.where(C.u_hs, 0.35, 0.2))
    style = int(rng.integers(0, 3))  # local course ID style: 0 four digits, 1 six digits, 2 subject prefix
    sfx = [(" S1", " S2"), (" A", " B"), ("-1", "-2")][int(rng.integers(0, 3))]
    ab_style = rng.random() < 0.3
    base = int(rng.integers(10, 900)) * (10 if style == 1 else 1)
    gaps = rng.integers(2, 6 if style == 0 else 25, nU)
    first = base + np.cumsum(gaps)
    variant = [int(rng.integers(0, len(a))) if rng.random() < 0.6 else 0 for a in C.abbrevs]
    prefix = {"ENG": "EN", "MATH": "MA", "SCI": "SC", "SOC": "SS", "LOTE": "WL", "VAPA": "VA", "PE": "PE",
              "ELEC": "EL", "CTE": "CT", "MENG": "EN", "MMATH": "MA", "MSCI": "SC", "MSOC": "SS", "MPE": "PE",
              "MELEC": "EL"}

    def fmt(num: int, t: int) -> str:
        if style == 0:
            return f"{num % 10000:04d}"
        if style == 1:
            return f"{num % 1000000:06d}"
        return f"{prefix[_CATEGORIES[C.cat[t]]]}{num % 10000:04d}"

    c_template: list[int] = []
    c_local: list[str] = []
    c_name: list[str] = []
    unit_c1 = np.empty(nU, dtype=np.int64)
    unit_c2 = np.empty(nU, dtype=np.int64)
    for u in range(nU):
        t1, t2 = int(C.u_t1[u]), int(C.u_t2[u])
        n1 = C.abbrevs[t1][variant[t1]]
        if C.u_pair[u]:
            parts = [(t1, n1, first[u]), (t2, C.abbrevs[t2][variant[t2]], first[u] + 1)]
        elif split[u]:
            parts = [(t1, n1 + sfx[0], first[u]), (t1, n1 + sfx[1], first[u] + 1)]
        else:
            parts = [(t1, n1 + (" A/B" if ab_style and C.u_core[u] else ""), first[u])]
        idx = []
        for t, name, num in parts:
            idx.append(len(c_template))
            c_template.append(t)
            c_local.append(fmt(int(num), t))
            c_name.append(name[:50])
        unit_c1[u], unit_c2[u] = idx[0], idx[-1]
    stale = [fmt(int(first[-1] + 50 + i * 3), int(C.u_t1[i % nU])) for i in range(64)]
    return _LeaCourses(np.array(c_template), c_local, c_name, unit_c1, unit_c2, split, stale)


def _offerings(S: _State, l: int, cat: _LeaCourses, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Units each school of the LEA offers: (local school index, unit) arrays."""
    C = _catalog()
    path_ok = (C.u_path == 0) | (C.u_path == (2 if S.lea_integrated[l] else 1))
    ncourse = np.where(cat.unit_split, 2, 1)
    o_s: list[np.ndarray] = []
    o_u: list[np.ndarray] = []
    for j, g in enumerate(range(S.lea_school_lo[l], S.lea_school_hi[l])):
        hs = bool(S.sch_hs[g])
        pool = path_ok & (C.u_hs == hs)
        core = np.flatnonzero(pool & C.u_core)
        other = np.flatnonzero(pool & ~C.u_core)
        keys = rng.random(len(other)) ** (1.0 / C.u_w[other])  # weighted order without replacement
        other = other[np.argsort(-keys, kind="stable")]
        if hs:
            target = int(rng.integers(150, 251)) - int(ncourse[core].sum())
            take = int(np.searchsorted(np.cumsum(ncourse[other]), target, side="right"))
        else:
            take = int(round(len(other) * rng.uniform(0.5, 0.9)))
        units = np.sort(np.concatenate([core, other[:take]]))
        o_s.append(np.full(len(units), j))
        o_u.append(units)
    return np.concatenate(o_s), np.concatenate(o_u)


def _assign(S: _State, l: int, off_school: np.ndarray, off_unit: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Year-long units each student takes: (student, offering) pairs sorted by student."""
    C = _catalog()
    st = S.st
    lo, hi = int(S.lea_lo[l]), int(S.lea_hi[l])
    n = hi - lo
    if n == 0 or len(off_unit) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # eligible (school, category, grade) groups of offerings, weighted
    glo, ghi = C.u_glo[off_unit], C.u_ghi[off_unit]
    ucat = C.u_cat[off_unit]
    fill_cat = np.where(C.u_hs[off_unit], _CAT["FILL"], _CAT["MFILL"])
    reps = []
    for cats, mask in ((ucat, np.ones(len(off_unit), bool)), (fill_cat, C.u_fill[off_unit])):
        idx = np.flatnonzero(mask)
        span = (ghi - glo + 1)[idx]
        o = np.repeat(idx, span)
        grade = glo[o] + (np.arange(len(o)) - np.repeat(np.cumsum(span) - span, span))
        reps.append((o, cats[o], grade))
    e_off = np.concatenate([r[0] for r in reps])
    e_key = (off_school[e_off] * _NCAT + np.concatenate([r[1] for r in reps])) * 16 + np.concatenate([r[2] for r in reps])
    o = np.argsort(e_key, kind="stable")
    e_off, e_key = e_off[o], e_key[o]
    wcum = np.cumsum(C.u_w[off_unit[e_off]])
    ukey, ustart, ucount = np.unique(e_key, return_index=True, return_counts=True)
    # slots per student
    school = st["school"][lo:hi] - S.lea_school_lo[l]
    grade = st["grade"][lo:hi].astype(np.int64)
    hs = grade >= 9
    sl_s: list[np.ndarray] = []
    sl_c: list[np.ndarray] = []
    for cat_name, probs in _SLOTS:
        p = np.asarray(probs)[grade - 6]
        take = np.flatnonzero(rng.random(n) < p)
        sl_s.append(take)
        sl_c.append(np.full(len(take), _CAT[cat_name]))
    taken = np.bincount(np.concatenate(sl_s), minlength=n)
    k_target = np.where(hs, 6 + (rng.random(n) < 0.5), 5 + (rng.random(n) < 0.4))
    need = np.maximum(k_target - taken, 0)
    fill_s = np.repeat(np.arange(n), need)
    sl_s.append(fill_s)
    sl_c.append(np.where(hs[fill_s], _CAT["FILL"], _CAT["MFILL"]))
    s_idx = np.concatenate(sl_s)
    key = (school[s_idx] * _NCAT + np.concatenate(sl_c)) * 16 + grade[s_idx]
    pos = np.searchsorted(ukey, key)
    pos_c = np.minimum(pos, len(ukey) - 1)
    ok = (pos < len(ukey)) & (ukey[pos_c] == key)
    s_idx, g = s_idx[ok], pos_c[ok]
    start, count = ustart[g], ucount[g]
    base = np.where(start > 0, wcum[np.maximum(start - 1, 0)], 0.0)
    total = wcum[start + count - 1] - base
    target = base + rng.random(len(g)) * total
    pick = np.clip(np.searchsorted(wcum, target, side="right"), start, start + count - 1)
    off = e_off[pick]
    pair = np.unique(s_idx.astype(np.int64) * len(off_unit) + off)
    return pair // len(off_unit), pair % len(off_unit)


def _courses(S: _State, T: _Tables, l: int, crse: _CalpadsWriter, scsc: _CalpadsWriter,
             dirty: dict[str, int], rng: np.random.Generator, seid_counter: list[int],
             cmp_parts: list[pd.DataFrame], disc: dict[str, int]) -> None:
    C = _catalog()
    st = S.st
    lo = int(S.lea_lo[l])
    cat = _lea_catalog(S, l, rng)
    off_school, off_unit = _offerings(S, l, cat, rng)
    n_off = len(off_unit)
    p_s, p_o = _assign(S, l, off_school, off_unit, rng)
    # sections: enough for the enrolment, at least one or two per course
    enrolled = np.bincount(p_o, minlength=n_off)
    cap = int(rng.integers(28, 35))
    n_sec = np.maximum(1 + (rng.random(n_off) < 0.5), np.ceil(enrolled / cap).astype(np.int64))
    sec_start = np.cumsum(n_sec) - n_sec
    n_sections = int(n_sec.sum())
    sec_off = np.repeat(np.arange(n_off), n_sec)
    sec_k = np.arange(n_sections) - sec_start[sec_off]
    # teachers: a pool per (school, category), ~5 sections each
    grp = off_school[sec_off] * _NCAT + C.u_cat[off_unit[sec_off]]
    ug, ginv, gcount = np.unique(grp, return_inverse=True, return_counts=True)
    pool = np.ceil(gcount / 5).astype(np.int64)
    pool_start = np.cumsum(pool) - pool
    teacher = seid_counter[0] + pool_start[ginv] + np.floor(rng.random(n_sections) * pool[ginv]).astype(np.int64)
    seid_counter[0] += int(pool.sum())
    seid = _num(S.seid_of(teacher), 10)
    # CRSE rows: each section in S1 and S2
    n_rows = 2 * n_sections
    r_sec = np.repeat(np.arange(n_sections), 2)
    r_term = np.tile([0, 1], n_sections)
    r_off = sec_off[r_sec]
    r_unit = off_unit[r_off]
    r_course = np.where(r_term == 0, cat.unit_c1[r_unit], cat.unit_c2[r_unit])
    r_tmpl = cat.c_template[r_course]
    r_school = S.lea_school_lo[l] + off_school[r_off]
    local = pa.array(cat.c_local)
    if rng.random() < 0.5:  # section id "<local course id>-<nn>"
        sid = pc.binary_join_element_wise(_take(local, r_course), _num(sec_k[r_sec] + 1, 2), "-")
    else:  # numeric section ids; a year-long section keeps its id in both terms
        split_row = cat.unit_split[r_unit]
        sid = _num(int(rng.integers(10000, 60000)) + 2 * r_sec + (split_row & (r_term == 1)))
    names = pa.array(cat.c_name)
    approved = np.array([a != "" for a in C.ag])[r_tmpl]
    state_code = _take(pa.array(C.code), r_tmpl)
    course_name = _take(names, r_course)
    yn = _take(T.yn, approved.astype(np.int64))
    # ~1% of (school, course): one section disagrees on a course-level field
    sc_key = r_school * len(cat.c_local) + r_course
    uk, first_row, kcount = np.unique(sc_key, return_index=True, return_counts=True)
    cand = first_row[kcount >= 4]  # courses with >= 2 sections (2 term rows each)
    n_bad = int(rng.binomial(len(cand), S.targets.course_conflict_share)) if len(cand) else 0
    disc["course_conflicts"] += n_bad
    if n_bad:
        rows_bad = np.sort(rng.choice(cand, n_bad, replace=False)) + 2  # the second section's S1 row
        what = rng.integers(0, 3, n_bad)
        mask = np.zeros(n_rows, bool)
        for which, fieldname in enumerate(("name", "code", "approved")):
            m = mask.copy()
            m[rows_bad[what == which]] = True
            if not m.any():
                continue
            ids = np.flatnonzero(m)
            if fieldname == "name":
                alt = [(cat.c_name[c] + " X")[:50] if i % 2 else cat.c_name[c].replace(" ", "", 1) + "."
                       for i, c in enumerate(r_course[ids])]
                course_name = pc.replace_with_mask(course_name, pa.array(m), pa.array(alt))
            elif fieldname == "code":
                alt = [str(int(C.code[t]) + 1) if str(int(C.code[t]) + 1) in _state_codes().index else "9228"
                       for t in r_tmpl[ids]]
                state_code = pc.replace_with_mask(state_code, pa.array(m), pa.array(alt))
            else:
                alt = ["N" if approved[i] else "Y" for i in ids]
                yn = pc.replace_with_mask(yn, pa.array(m), pa.array(alt))
    is_cte = C.is_cte[r_tmpl]
    xref_on = rng.random() < 0.3
    cols = {
        "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
        "reporting_lea": S.lea_code[l],
        "school_of_course_delivery": _take(pa.array(S.sch_code), r_school),
        "academic_year_id": S.academic_year,
        "state_course_code": state_code,
        "local_course_id": _take(local, r_course),
        "course_name": course_name,
        "cte_postsecondary_articulated_course_indicator": _where(is_cte, _where((r_tmpl % 7) == 0, "Y", "N"), _EMPTY),
        "uc_csu_approved_indicator": yn,
        "course_section_id": sid,
        "seid": seid.take(pa.array(r_sec)),
        "academic_term_code": _where(r_term == 0, "S1", "S2"),
        "class_id": _num(int(rng.integers(100000, 500000)) + np.arange(n_rows), 7),
        "course_section_instructional_level_code": _take(pa.array(C.level), r_tmpl),
        "high_quality_cte_course_indicator": _where(is_cte, _where((r_tmpl % 3) == 0, "Y", "N"), _EMPTY),
    }
    if xref_on:
        cols["ap_ib_course_code_cross_reference"] = _take(pa.array(C.xref), r_tmpl)
    crse.write(cols, n_rows, dirty["CRSE"], rng)

    # SCSC: each (student, unit) gives an S1 and an S2 row
    k = np.floor(rng.random(len(p_o)) * n_sec[p_o]).astype(np.int64)
    p_sec = sec_start[p_o] + k
    ag_code = pa.array(C.scsc)
    grades = pa.array(_GRADES)
    chunk = 1_000_000
    total = len(p_s)
    n_chunks = max(1, math.ceil(total / chunk))
    dirty_scsc = dirty["SCSC"]
    for ci in range(n_chunks):
        a, b = ci * chunk, min(total, (ci + 1) * chunk)
        if b <= a:
            break
        s = np.repeat(p_s[a:b] + lo, 2)
        term = np.tile([0, 1], b - a)
        row = 2 * np.repeat(p_sec[a:b], 2) + term  # the CRSE row of the section in that term
        course = r_course[row]
        tmpl = cat.c_template[course]
        g = _pick(rng, _GRADE_P, len(s))
        cols = _person(T, st, s, full=False)
        cols.update({
            "transaction_type_code": "A" if S.lea_txn[l] else _EMPTY,
            "reporting_lea": S.lea_code[l],
            "school_of_course_delivery": _take(pa.array(S.sch_code), r_school[row]),
            "academic_year_id": S.academic_year,
            "local_student_id": _local_ids(S, l, st["local"][s]),
            "local_course_id": _take(local, course),
            "course_section_id": sid.take(pa.array(row)),
            "academic_term_code": _where(term == 0, "S1", "S2"),
            "student_credits_attempted": "5.0",
            "student_credits_earned": _where(g == len(_GRADES) - 1, "0.0", "5.0"),
            "student_course_final_grade": _take(grades, g),
            "uc_csu_admission_requirement_code": _take(ag_code, tmpl),
        })
        scsc.write(cols, len(s), dirty_scsc if ci == n_chunks - 1 else 0, rng)

    # CMP rows: the UC-approved courses of each school, with the documented discrepancies
    _cmp_for_lea(S, l, cat, off_school, off_unit, rng, cmp_parts, disc)


def _cmp_for_lea(S: _State, l: int, cat: _LeaCourses, off_school: np.ndarray, off_unit: np.ndarray,
                 rng: np.random.Generator, out: list[pd.DataFrame], disc: dict[str, int]) -> None:
    """The LEA's schools' CMP rows: UC-approved courses offered, with the documented discrepancies."""
    C = _catalog()
    t = S.targets
    approved_t = np.array([a != "" for a in C.ag])
    pair = C.u_pair[off_unit]
    split = cat.unit_c1[off_unit] != cat.unit_c2[off_unit]
    # entries: (school, template, first local course, second local course or -1)
    e_s = np.concatenate([off_school, off_school[pair]])
    e_t = np.concatenate([C.u_t1[off_unit], C.u_t2[off_unit[pair]]])
    e_c1 = np.concatenate([cat.unit_c1[off_unit], cat.unit_c2[off_unit[pair]]])
    e_c2 = np.concatenate([np.where(split & ~pair, cat.unit_c2[off_unit], -1), np.full(int(pair.sum()), -1)])
    dropped = rng.random(len(e_t)) < t.cmp_missing_share
    keep = approved_t[e_t] & ~dropped
    disc["cmp_missing"] += int((approved_t[e_t] & dropped).sum())
    e_s, e_t, e_c1, e_c2 = e_s[keep], e_t[keep], e_c1[keep], e_c2[keep]
    reported = np.ones(len(e_t), bool)
    # approved courses a school lists on the CMP but does not report in CALPADS this year
    x_s: list[int] = []
    x_t: list[int] = []
    n_schools = int(S.lea_school_hi[l] - S.lea_school_lo[l])
    for j in range(n_schools):
        hs = bool(S.sch_hs[S.lea_school_lo[l] + j])
        offered = np.zeros(len(C.key), bool)
        offered[C.u_t1[off_unit[off_school == j]]] = True
        offered[C.u_t2[off_unit[off_school == j]]] = True
        absent = np.flatnonzero(approved_t & (C.t_hs == hs) & ~offered & ~C.is_cte)
        n_rows = int((e_s == j).sum())
        n_extra = int(rng.binomial(max(n_rows, 1), t.cmp_extra_share / (1 - t.cmp_extra_share)))
        if len(absent) and n_extra:
            pick = absent[rng.permutation(len(absent))[:n_extra]]
            x_s += [j] * len(pick)
            x_t += pick.tolist()
    e_s = np.concatenate([e_s, np.array(x_s, dtype=np.int64)])
    e_t = np.concatenate([e_t, np.array(x_t, dtype=np.int64)])
    e_c1 = np.concatenate([e_c1, np.full(len(x_s), -1)])
    e_c2 = np.concatenate([e_c2, np.full(len(x_s), -1)])
    reported = np.concatenate([reported, np.zeros(len(x_s), bool)])
    disc["cmp_extra"] += len(x_s)
    n = len(e_t)
    if n == 0:
        return
    titles = np.array(C.title, dtype=object)
    o = np.lexsort((e_t, titles[e_t].astype(str), e_s))
    e_s, e_t, e_c1, e_c2, reported = e_s[o], e_t[o], e_c1[o], e_c2[o], reported[o]
    # transcript abbreviations: the CALPADS name(s) (usually) plus other common spellings
    use_names = reported & (rng.random(n) < 0.85)
    extra_ok = rng.random((n, 3)) < 0.6
    abbrevs = []
    for i in range(n):
        tm = int(e_t[i])
        out_i = []
        if use_names[i]:
            out_i.append(cat.c_name[e_c1[i]])
            if e_c2[i] >= 0 and cat.c_name[e_c2[i]] not in out_i:
                out_i.append(cat.c_name[e_c2[i]])
        for k, a in enumerate(C.abbrevs[tm][:3]):
            if len(out_i) < 3 and extra_ok[i, k] and a not in out_i:
                out_i.append(a)
        abbrevs.append("|".join(out_i) if out_i else C.abbrevs[tm][0].replace(" ", ""))
    # local course codes: filled ~60%, empty ~30%, stale ~10%
    u = rng.random(n)
    stale_pick = rng.integers(0, len(cat.stale), n)
    codes = [
        ("|".join(cat.c_local[c] for c in (e_c1[i], e_c2[i]) if c >= 0) if reported[i] and u[i] < 0.6
         else "" if u[i] < 0.9 else cat.stale[stale_pick[i]])
        for i in range(n)
    ]
    subject = np.array(C.ag, dtype=object)[e_t]
    disc["cmp_stale_codes"] += int((u >= 0.9).sum())
    bad = np.flatnonzero(rng.random(n) < t.cmp_subject_mismatch_share)
    for i in bad:
        # a letter the content area does not allow (none for CTE / interdisciplinary: any letter fits there)
        allowed = allowed_subjects(C.content_area[e_t[i]])
        choices = [x for x in "abcdef" if x not in allowed and x != subject[i]]
        k = int(rng.integers(0, max(len(choices), 1)))
        if choices:
            subject[i] = choices[k]
            disc["cmp_subject_mismatch"] += 1
    g = S.lea_school_lo[l] + e_s
    env = np.array(["Classroom Based", "Online", "Hybrid"], dtype=object)
    ue = rng.random(n)
    out.append(pd.DataFrame({
        "cds_code": [S.lea_code[l] + S.sch_code[x] for x in g],
        "atp_code": [S.sch_atp[x] for x in g],
        "school_name": [S.sch_name[x] for x in g],
        "course_title": titles[e_t],
        "transcript_abbreviations": abbrevs,
        "local_course_codes": codes,
        "subject_area": subject,
        "honors_type": np.array(C.honors, dtype=object)[e_t],
        "learning_environment": env[(ue > 0.9).astype(int) + (ue > 0.95).astype(int)],
        "list_year": S.academic_year,
    }))


# --------------------------------------------------------------------------------------------
# opt-in lists and platform data

def _write_csv(path: Path, df: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_plain_csv(path: Path, columns: dict[str, np.ndarray | pa.Array]) -> int:
    """A CSV of values that never need quoting (digits, codes, ISO timestamps, the fixed vocabularies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = [c if isinstance(c, pa.Array) else pa.array(np.asarray(c).astype(str), type=pa.string())
              for c in columns.values()]
    n = len(arrays[0]) if arrays else 0
    with open(path, "wb") as fh:
        fh.write((",".join(columns) + "\n").encode("utf-8"))
        if n:
            lines = pc.binary_join_element_wise(*arrays, "\n", "") if len(arrays) == 1 else \
                pc.binary_join_element_wise(pc.binary_join_element_wise(*arrays, ","), "\n", "")
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=lines.offset * 4)
            fh.write(memoryview(lines.buffers()[2])[offsets[0]:offsets[n]])
    return n


def _needs_quoting(values: list[str]) -> list[str]:
    return [v for v in values if any(ch in v for ch in ',"\n\r')]


if _needs_quoting(_CAREERS + _MAJORS + _COLLEGES + _ACTIVITIES):  # pragma: no cover - guards the constants
    raise RuntimeError("platform vocabulary needs CSV quoting")


def _optin(S: _State, l: int, out: Path, rng: np.random.Generator, dirty: bool,
           counts: dict[str, int], as_of: int) -> np.ndarray:
    """Write the LEA's opt-in list; returns the (valid, current) students listed."""
    st = S.st
    lo, hi = int(S.lea_lo[l]), int(S.lea_hi[l])
    cur = np.arange(lo, hi)
    listed = cur[rng.random(hi - lo) < S.targets.listed_share]
    ssid = _num(st["ssid"][listed], 10).to_numpy(zero_copy_only=False).astype(object)
    local = _local_ids(S, l, st["local"][listed]).to_numpy(zero_copy_only=False).astype(object)
    extra_ssid: list[str] = []
    extra_local: list[str] = []
    if dirty and len(listed) >= 2:
        def add(kind: str, s: str, loc: str) -> None:
            extra_ssid.append(s)
            extra_local.append(loc)
            counts[kind] = counts.get(kind, 0) + 1

        # a spreadsheet dropped the leading zero of a listed student's SSID (the row replaces theirs)
        zero = np.flatnonzero(st["ssid"][listed] < 10**9)
        i = int(zero[0]) if len(zero) else int(rng.integers(0, len(listed)))
        add("nine_digit", ssid[i][1:], local[i])
        listed, ssid, local = np.delete(listed, i), np.delete(ssid, i), np.delete(local, i)
        add("blank", "", "")
        i = int(rng.integers(0, len(listed)))
        add("duplicate", ssid[i], local[i])
        gone = np.flatnonzero(st["old_lea"] == l)
        if len(gone):
            g = gone[int(rng.integers(0, len(gone)))]
            add("transferred_out", f"{st['ssid'][g]:010d}", _local_ids(S, l, st["old_local"][[g]])[0].as_py())
        unk = S.ssid_of(np.array([len(st["ssid"]) + int(rng.integers(0, 10**6))]))[0]
        add("unknown", f"{unk:010d}", "")
    all_ssid = np.concatenate([ssid, np.array(extra_ssid, dtype=object)])
    all_local = np.concatenate([local, np.array(extra_local, dtype=object)])
    order = rng.permutation(len(all_ssid))
    cols = {"SSID": all_ssid[order], "LocalID": all_local[order]}
    if rng.random() < 0.4:
        del cols["LocalID"]
    day = as_of - int(rng.integers(20, 60))
    stamp = int(_yyyymmdd(np.array([day]))[0])
    n = _write_plain_csv(out / "landing" / "optin" / S.lea_code[l] / f"optin_{stamp}.csv", cols)
    counts["rows"] = counts.get("rows", 0) + n
    return listed


def _platform(S: _State, l: int, roster: np.ndarray, out: Path, rng: np.random.Generator,
              rows: dict[str, int], as_of_s: int) -> None:
    st = S.st
    year = S.year
    folder = out / "platform" / S.lea_code[l]
    day = 86400
    reg = roster[rng.random(len(roster)) < S.targets.registered_share]
    t0 = _days(year, 8, 25) * day
    reg_at = t0 + rng.integers(0, max(as_of_s - t0 - 30 * day, day), len(reg))
    ssid = _num(st["ssid"][reg], 10).to_numpy(zero_copy_only=False)
    frames: dict[str, dict[str, np.ndarray]] = {}
    # what the student entered when registering: their local ID and birth date (a few typos: not verified)
    local = _local_ids(S, l, st["local"][reg]).to_numpy(zero_copy_only=False).astype(object)
    born = np.datetime_as_string(st["birth"][reg].astype("datetime64[D]"), unit="D").astype(object)
    frames["accounts"] = ({"ssid": ssid, "local_student_id": local, "birth_date": born, "registered_at": _iso(reg_at)})
    # applications: some grade-12 students apply to UC / CSU / CCC
    g12 = np.flatnonzero(st["grade"][reg] == 12)
    app_i, app_sys, app_at = [], [], []
    for sysname, p in (("UC", 0.3), ("CSU", 0.4), ("CCC", 0.3)):
        who = g12[rng.random(len(g12)) < p]
        app_i.append(who)
        app_sys.append(np.full(len(who), sysname, dtype=object))
        app_at.append(np.minimum(reg_at[who] + rng.integers(3600, 90 * day, len(who)), as_of_s - 3600))
    a_i = np.concatenate(app_i)
    a_sys = np.concatenate(app_sys)
    a_at = np.concatenate(app_at)
    o = np.lexsort((a_at, a_i))
    a_i, a_sys, a_at = a_i[o], a_sys[o], a_at[o]
    frames["applications"] = ({"ssid": ssid[a_i], "system": a_sys, "submitted_at": _iso(a_at)})
    # consents: mostly granted before submission; some after; some revoked later; some for another system
    has = rng.random(len(a_i)) < 0.9
    after = rng.random(len(a_i)) < 0.1
    c_at = np.where(after, a_at + rng.integers(day, 20 * day, len(a_i)), a_at - rng.integers(60, 10 * day, len(a_i)))
    c_at = np.maximum(np.minimum(c_at, as_of_s - 60), reg_at[a_i])
    ci, csys, cgr, cat_ = [a_i[has]], [a_sys[has]], [np.full(int(has.sum()), "true", dtype=object)], [c_at[has]]
    rev = has & (rng.random(len(a_i)) < 0.05)
    ci.append(a_i[rev])
    csys.append(a_sys[rev])
    cgr.append(np.full(int(rev.sum()), "false", dtype=object))
    cat_.append(np.minimum(c_at[rev] + rng.integers(5 * day, 60 * day, int(rev.sum())), as_of_s))
    other = np.unique(a_i)[rng.random(len(np.unique(a_i))) < 0.03]
    systems = np.array(["UC", "CSU", "CCC"], dtype=object)
    if len(other):
        applied = {(int(i), s) for i, s in zip(a_i, a_sys)}
        osys = []
        for i in other:  # few: a loop over the handful of students is fine
            free = [s for s in systems if (int(i), s) not in applied]
            osys.append(free[int(rng.integers(0, len(free)))] if free else "CCC")
        ci.append(other)
        csys.append(np.array(osys, dtype=object))
        cgr.append(np.full(len(other), "true", dtype=object))
        cat_.append(np.minimum(reg_at[other] + rng.integers(day, 30 * day, len(other)), as_of_s))
    c_i, c_sys, c_gr, c_at2 = (np.concatenate(x) for x in (ci, csys, cgr, cat_))
    o = np.lexsort((c_at2, c_i))
    frames["consents"] = ({"ssid": ssid[c_i[o]], "system": c_sys[o], "granted": c_gr[o],
                                       "recorded_at": _iso(c_at2[o])})
    # planning items and completed activities
    n_items = rng.integers(0, 5, len(reg))
    p_i = np.repeat(np.arange(len(reg)), n_items)
    types = np.array(["career", "major", "college"], dtype=object)
    p_type = rng.integers(0, 3, len(p_i))
    lists = [np.array(_CAREERS, dtype=object), np.array(_MAJORS, dtype=object), np.array(_COLLEGES, dtype=object)]
    p_item = np.empty(len(p_i), dtype=object)
    for j in range(3):
        m = p_type == j
        p_item[m] = lists[j][rng.integers(0, len(lists[j]), int(m.sum()))]
    p_at = np.minimum(reg_at[p_i] + rng.integers(60, 120 * day, len(p_i)), as_of_s)
    frames["planning"] = ({"ssid": ssid[p_i], "item_type": types[p_type], "item": p_item,
                                       "recorded_at": _iso(p_at)})
    n_act = rng.integers(0, 6, len(reg))
    q_i = np.repeat(np.arange(len(reg)), n_act)
    q_act = np.array(_ACTIVITIES, dtype=object)[rng.integers(0, len(_ACTIVITIES), len(q_i))]
    q_at = np.minimum(reg_at[q_i] + rng.integers(60, 150 * day, len(q_i)), as_of_s)
    frames["activities"] = ({"ssid": ssid[q_i], "activity": q_act, "completed_at": _iso(q_at)})
    # registration typos, drawn last so the rest of the data set does not move: a day off in the birth date, or
    # the local ID without its leading zeros (both fail verification, as they should)
    typo = rng.random(len(reg))
    off_day = typo < S.targets.registration_typo_share / 2
    no_zeros = (typo >= S.targets.registration_typo_share / 2) & (typo < S.targets.registration_typo_share)
    born = born.copy()
    born[off_day] = np.datetime_as_string((st["birth"][reg][off_day] + 1).astype("datetime64[D]"), unit="D")
    stripped = np.array([v.lstrip("0") or "0" for v in local[no_zeros]], dtype=object)
    local = local.copy()
    local[no_zeros] = stripped
    frames["accounts"].update({"local_student_id": local, "birth_date": born})
    for name, cols in PLATFORM_FILES.items():
        rows[name] = rows.get(name, 0) + _write_plain_csv(folder / f"{name}.csv", {c: frames[name][c] for c in cols})


# --------------------------------------------------------------------------------------------
# entry point

def _clean(out: Path) -> None:
    """Remove what an earlier run of the generator wrote (only the generator's own inputs)."""
    for rt in RECORD_TYPES:
        d = out / "share" / rt
        if d.is_dir():
            for p in d.glob("*.txt"):
                p.unlink()
    for d in (out / "landing" / "optin", out / "platform"):
        if d.is_dir():
            shutil.rmtree(d)
    cmp_dir = out / "cmp"
    if cmp_dir.is_dir():
        for p in cmp_dir.glob("cmp_*.csv"):
            p.unlink()
    cfg = out / "config" / "lea_participation.csv"
    if cfg.exists():
        cfg.unlink()


def _lea_names(S: _State) -> list[str]:
    """A district name per LEA from its city (already drawn, so no other value changes): the first LEA of a city is
    its Unified School District, the next ones other kinds, then numbered."""
    kinds = ["Unified School District", "Union High School District", "Elementary School District"]
    seen: dict[str, int] = {}
    out = []
    for c in S.lea_city:
        city = _CITIES[int(c)][0]
        k = seen[city] = seen.get(city, -1) + 1
        out.append(f"{city} {kinds[k]}" if k < len(kinds) else f"{city} School District No. {k - len(kinds) + 2}")
    return out


def generate(out: Path, students: int, leas: int, seed: int, academic_year: str = "2025-2026", *,
             targets: GenerateTargets | None = None, clean: bool = True,
             progress: Callable[[str], None] | None = None) -> GenerateSummary:
    """Write a synthetic state's inputs into ``out`` (a ``$CCGI_HOME``) and return what was written.

    ``students`` current students in grades 6-12 spread over ``leas`` reporting LEAs (sizes
    skewed), deterministic for ``seed``; ``targets`` overrides the documented shares and rates. ``clean`` first removes the files an earlier run wrote
    (CALPADS share files, CMP lists, opt-in landing folders, platform folders, participation
    config); the warehouse, exports and reports are never touched. ``progress`` receives short
    count-only messages.
    """
    out = Path(out)
    if not re.fullmatch(r"\d{4}-\d{4}", academic_year) or int(academic_year[5:]) != int(academic_year[:4]) + 1:
        raise ValueError("academic_year must look like 2025-2026")
    if leas < 1 or leas > 50_000:
        raise ValueError("leas must be between 1 and 50000")
    if students < leas:
        raise ValueError("need at least one student per LEA")
    if students >= 10**9:
        raise ValueError("too many students")
    t = targets or GenerateTargets()
    say = progress or (lambda _m: None)
    S = _make_state(students, leas, seed, academic_year, t)
    T = _Tables()
    if clean:
        _clean(out)
    for rt in RECORD_TYPES:
        (out / "share" / rt).mkdir(parents=True, exist_ok=True)
    (out / "cmp").mkdir(parents=True, exist_ok=True)
    (out / "config").mkdir(parents=True, exist_ok=True)
    M = leas
    g = _rng(seed, 2)
    # dirty CALPADS rows: ~1 per 200k rows, at least one per record type (in the largest LEAs)
    sizes = S.lea_hi - S.lea_lo
    by_size = np.argsort(-sizes, kind="stable")
    forced = {rt: int(by_size[i % M]) for i, rt in enumerate(RECORD_TYPES)}
    # opt-in lists with dirty rows: about half of them, incl. the one with most transferred-out students
    opt_leas = np.flatnonzero(S.lea_opt_in)
    dirty_lists = set(opt_leas[g.random(len(opt_leas)) < 0.5].tolist())
    if len(opt_leas):
        gone = np.bincount(S.st["old_lea"][S.st["is_tr"]], minlength=M)[opt_leas]
        dirty_lists.add(int(opt_leas[int(np.argmax(gone))]))
    as_of = _days(S.year + 1, 4, 1) + seed % 30
    as_of_s = as_of * 86400 + 17 * 3600
    summary = GenerateSummary(
        out=out, seed=seed, academic_year=academic_year, students=students, leas=list(S.lea_code),
        opt_in_leas=[S.lea_code[i] for i in range(M) if S.lea_opt_in[i]],
        statewide_leas=[S.lea_code[i] for i in range(M) if not S.lea_opt_in[i]],
        high_schools=int(S.sch_hs.sum()), middle_schools=int((~S.sch_hs).sum()),
    )
    rows: dict[str, int] = {k: 0 for k in (*RECORD_TYPES, "CMP", "OPTIN", *PLATFORM_FILES, "CONFIG")}
    files: dict[str, int] = {k: 0 for k in rows}
    dirty_rows = {rt: 0 for rt in RECORD_TYPES}
    optin_counts: dict[str, int] = {}
    seid_counter = [0]
    cmp_parts: list[pd.DataFrame] = []
    disc = {k: 0 for k in ("course_conflicts", "cmp_missing", "cmp_extra", "cmp_subject_mismatch", "cmp_stale_codes")}
    est = {"SENR": 1.06, "SINF": 1.08, "CRSE": 0.6, "SCSC": 12.7}  # rows per student, for the dirty-row rate
    for l in range(M):
        rng = _rng(seed, 3, l)
        n_l = int(sizes[l])
        dirty = {rt: int(rng.binomial(max(int(n_l * est[rt]), 1), t.dirty_row_rate)) + (forced[rt] == l)
                 for rt in RECORD_TYPES}
        writers = {rt: _CalpadsWriter(out / "share" / rt / f"{S.lea_code[l]}.txt", rt) for rt in RECORD_TYPES}
        try:
            info = _senr(S, T, l, writers["SENR"], dirty["SENR"], rng)
            summary.secondary_enrollments += info["secondary"]
            _sinf(S, T, l, writers["SINF"], dirty["SINF"], rng)
            _courses(S, T, l, writers["CRSE"], writers["SCSC"], dirty, rng, seid_counter, cmp_parts, disc)
        finally:
            for w in writers.values():
                w.close()
        for rt, w in writers.items():
            rows[rt] += w.rows
            files[rt] += 1
            dirty_rows[rt] += w.dirty
        if S.lea_opt_in[l]:
            roster = _optin(S, l, out, rng, l in dirty_lists, optin_counts, as_of)
            files["OPTIN"] += 1
        else:
            roster = np.arange(S.lea_lo[l], S.lea_hi[l])
        _platform(S, l, roster, out, rng, rows, as_of_s)
        for name in PLATFORM_FILES:
            files[name] += 1
        say(f"LEA {l + 1}/{M} written")
    rows["OPTIN"] = optin_counts.pop("rows", 0)
    cmp_df = pd.concat(cmp_parts, ignore_index=True) if cmp_parts else pd.DataFrame(columns=CMP_COLUMNS[1:])
    cmp_df.insert(0, "cmp_course_id", [f"{1_000_000 + v}" for v in S.cmp_id_of(np.arange(len(cmp_df)))])
    cmp_df = cmp_df[CMP_COLUMNS]
    _write_csv(out / "cmp" / f"cmp_{academic_year}.csv", cmp_df)
    rows["CMP"], files["CMP"] = len(cmp_df), 1
    cfg = pd.DataFrame({"reporting_lea": S.lea_code, "model": np.where(S.lea_opt_in, "opt_in", "statewide"),
                        "lea_name": _lea_names(S)})
    _write_csv(out / "config" / "lea_participation.csv", cfg)
    rows["CONFIG"], files["CONFIG"] = len(cfg), 1
    summary.rows, summary.files, summary.dirty_rows = rows, files, dirty_rows
    summary.dirty_optin_rows = optin_counts
    summary.discrepancies = disc
    summary.transfers = int(S.st["is_tr"].sum())
    summary.sinf_histories = int(S.st["hist"].sum())
    return summary

