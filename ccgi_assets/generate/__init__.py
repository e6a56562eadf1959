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

Modules
-------
``vocabulary`` (names, places, code sets), ``helpers`` (seeded streams, string tables, dates, unique ids),
``state`` (LEAs, schools, students; :class:`GenerateTargets`), ``calpads_files`` (the CALPADS writers, SENR and
SINF; field positions from the layout reader :func:`ccgi_assets.calpads.layout`), ``courses`` (course templates,
catalogs, CRSE and SCSC, the CMP list; its columns the CMP reader's), ``landing`` (opt-in lists and platform
files; their columns the platform contracts'), ``core`` (:func:`generate`). Nothing in the pipeline imports this
package: only ``ccgi generate`` (and ``ccgi run`` on an empty home), the tests and the benchmarks.
"""

from ccgi_assets.generate.calpads_files import layout_columns
from ccgi_assets.generate.core import RECORD_TYPES, GenerateSummary, generate
from ccgi_assets.generate.courses import CMP_COLUMNS, CONTENT_AREA_SUBJECTS, _catalog  # noqa: F401 (tests)
from ccgi_assets.generate.landing import PLATFORM_FILES
from ccgi_assets.generate.state import GenerateTargets

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
