"""Labelled evaluation set for the CRSE <-> UC A-G CMP course matcher (seed Diagram 1 step 3).

Thirteen fictional schools (CDS codes are made up), each written in one of the styles schools really use in
their student information systems and on their CMP list: upper-case spaced abbreviations (``ENG 9 H``),
glued abbreviations (``ENG9H``, ``APBIO``), the California ``1-2 / 3-4`` semester-pair convention with
``(P)`` college-prep and ``(H)`` honors suffixes, mixed-case titles with roman numerals, punctuation-heavy
names (``Amer. Lit. & Comp.``, ``Gov't``), semester-split local courses (``ENGLISH 9A`` / ``9B``,
``SEM 1``, ``1 OF 2``), IB SL/HL programmes, lookalike families (regular / Honors / AP), CMP entries
without local codes, stale local codes left on the CMP after a renumbering, approved-but-not-on-CMP
courses, wrong state course codes (subject mismatches), duplicate CMP entries per learning environment
(true ties), a school with no CMP list at all, and a school in another LEA with the same local codes.

CMP lines:  ``cmp_course_id | course_title | transcript abbreviations (; separated) | local codes (;) |
subject | honors_type | learning environment`` (the last two may be blank; environment defaults to
Classroom Based).

CRSE lines: ``local_course_id | course_name | state_course_code | approved Y/N | expected`` where expected is
a CMP course id (matched), ``mismatch:<id>`` (matched_subject_mismatch), ``ambiguous:<id>/<id>`` (a true
tie; no single answer), ``not_on_cmp`` or ``excluded`` (not flagged UC/CSU approved: no output row).

The expected answers were written from what a person at the school would say, before the matcher existed.
This set and the matcher's hand tables were written by the same hand, so it flatters the matcher; the
leave-vocabulary-out evaluation and a second set built from the state course code list with names outside the
tables are in ``match_eval_variants.py`` (``python ccgi_assets_tests/match_eval_variants.py`` prints both).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

YEAR = "2025-2026"


@dataclass(frozen=True)
class EvalSchool:
    cds_code: str
    atp_code: str
    name: str
    cmp: str
    crse: str


SCHOOLS: list[EvalSchool] = [
    # ------------------------------------------------------------------ upper-case spaced abbreviations
    EvalSchool("36680003630001", "052901", "Sierra Vista High School", cmp="""
110001 | English 9 | ENG 9 | 1001 | b
110002 | English 9 Honors | ENG 9 H;ENG 9 HON | 1002 | b
110003 | English 10 | ENG 10 | 1003 | b
110004 | English 10 Honors | ENG 10 H | 1004 | b
110005 | American Literature | AMER LIT | 1005 | b
110006 | AP English Language and Composition | AP ENG LANG;AP LANG COMP | 1006 | b | AP
110007 | AP English Literature and Composition | AP ENG LIT | 1007 | b | AP
110008 | Expository Reading and Writing | ERWC | 1008 | b
110009 | Algebra 1 | ALG 1 | 2001 | c
110010 | Geometry | GEOM | 2002 | c
110011 | Geometry Honors | GEOM H | 2003 | c
110012 | Algebra 2 | ALG 2 | 2004 | c
110013 | Algebra 2 Honors | ALG 2 H | 2005 | c
110014 | Precalculus | PRECALC | 2006 | c
110015 | AP Calculus AB | AP CALC AB | 2007 | c | AP
110016 | AP Calculus BC | AP CALC BC | 2008 | c | AP
110017 | AP Statistics | AP STATS | 2009 | c | AP
110018 | Biology | BIO | 3001 | d
110019 | Chemistry | CHEM | 3002 | d
110020 | Chemistry Honors | CHEM H | 3003 | d | UC Honors
110021 | Physics | PHYSICS | 3004 | d
110022 | AP Biology | AP BIO | 3005 | d | AP
110023 | AP Chemistry | AP CHEM | 3006 | d | AP
110024 | AP Environmental Science | AP ENV SCI | 3007 | d | AP
110025 | Anatomy and Physiology | ANAT PHYS | 3008 | d
110026 | World History | WORLD HIST | 4001 | a
110027 | AP World History: Modern | AP WORLD HIST | 4002 | a | AP
110028 | US History | US HIST | 4003 | a
110029 | AP US History | AP US HIST;APUSH | 4004 | a | AP
110030 | American Government | AM GOVT | 4005 | a
110031 | Economics | ECON | 4006 | g
110032 | AP US Government and Politics | AP GOVT | 4007 | a | AP
110033 | Spanish 1 | SPAN 1 | 5001 | e
110034 | Spanish 2 | SPAN 2 | 5002 | e
110035 | Spanish 3 | SPAN 3 | 5003 | e
110036 | AP Spanish Language and Culture | AP SPAN LANG | 5004 | e | AP
110037 | French 1 | FRENCH 1 | 5005 | e
110038 | French 2 | FRENCH 2 | 5006 | e
110039 | Art 1 | ART 1 | 6001 | f
110040 | Ceramics 1 | CERAMICS 1 | 6002 | f
110041 | Concert Band | CONCERT BAND | 6003 | f
110042 | Drama 1 | DRAMA 1 | 6004 | f
110043 | Psychology | PSYCH | 4008 | g
110044 | Sports Medicine | SPORTS MED | 7001 | g
110045 | Engineering Design | ENGR DESIGN |  | g
""", crse="""
1001 | ENG 9 | 9105 | Y | 110001
1002 | ENG 9 H | 9105 | Y | 110002
1003 | ENG 10 | 9106 | Y | 110003
1004 | ENG 10 H | 9106 | Y | 110004
1005 | AMER LIT | 9107 | Y | 110005
1006 | AP ENG LANG | 9119 | Y | 110006
1007 | AP ENG LIT | 9118 | Y | 110007
1008 | ERWC | 9108 | Y | 110008
1010 | ENG 9 ELD | 9104 | N | excluded
2001 | ALG 1 | 9249 | Y | 110009
2002 | GEOM | 9255 | Y | 110010
2003 | GEOM H | 9255 | Y | 110011
2004 | ALG 2 | 9252 | Y | 110012
2005 | ALG 2 H | 9252 | Y | 110013
2006 | PRECALC | 9257 | Y | 110014
2007 | AP CALC AB | 9268 | Y | 110015
2008 | AP CALC BC | 9267 | Y | 110016
2009 | AP STATS | 9266 | Y | 110017
2010 | MATH SUPPORT | 9245 | N | excluded
3001 | BIO | 9324 | Y | 110018
3002 | CHEM | 9325 | Y | 110019
3003 | CHEM H | 9325 | Y | 110020
3004 | PHYSICS | 9326 | Y | 110021
3005 | AP BIO | 9350 | Y | 110022
3006 | AP CHEM | 9349 | Y | 110023
3007 | AP ENV SCI | 9346 | Y | 110024
3008 | ANAT PHYS | 9335 | Y | 110025
3009 | AP PHYSICS 1 | 9345 | Y | not_on_cmp
4001 | WORLD HIST | 9172 | Y | 110026
4002 | AP WORLD HIST | 9191 | Y | 110027
4003 | US HIST | 9173 | Y | 110028
4004 | AP US HIST | 9194 | Y | 110029
4005 | AM GOVT | 9174 | Y | 110030
4006 | ECON | 9175 | Y | 110031
4007 | AP GOVT | 9196 | Y | 110032
4008 | PSYCH | 9177 | Y | 110043
4009 | ETHNIC STUDIES | 9179 | Y | not_on_cmp
5001 | SPAN 1 | 9130 | Y | 110033
5002 | SPAN 2 | 9131 | Y | 110034
5003 | SPAN 3 | 9132 | Y | 110035
5004 | AP SPAN LANG | 9150 | Y | 110036
5005 | FRENCH 1 | 9130 | Y | 110037
5006 | FRENCH 2 | 9131 | Y | 110038
5007 | SPAN 4 | 9133 | Y | not_on_cmp
6001 | ART 1 | 9000 | Y | 110039
6002 | CERAMICS 1 | 9000 | Y | 110040
6003 | CONCERT BAND | 9291 | Y | 110041
6004 | DRAMA 1 | 9090 | Y | 110042
6005 | CERAMICS 2 | 9000 | Y | not_on_cmp
7001 | SPORTS MED | 7920 | Y | 110044
7002 | ENGR DESIGN | 7730 | Y | 110045
8001 | PE 9 | 9314 | N | excluded
"""),
    # ------------------------------------------------------------------ glued abbreviations, CMP without codes
    EvalSchool("36680003630002", "052902", "Mesa Verde High School", cmp="""
120001 | English 9 | ENG9 |  | b
120002 | Honors English 9 | ENG9H |  | b
120003 | English 10 | ENG10 |  | b
120004 | Honors English 10 | ENG10H |  | b
120005 | English 11 | ENG11 |  | b
120006 | English 12 | ENG12 |  | b
120007 | AP English Literature & Composition | APENGLIT |  | b | AP
120008 | Integrated Math I |  |  | c
120009 | Integrated Math II |  |  | c
120010 | Integrated Math III |  |  | c
120011 | Honors Integrated Math III |  |  | c
120012 | Pre-Calculus | PRECALC |  | c
120013 | AP Calculus AB | APCALCAB |  | c | AP
120014 | The Living Earth | LIVEARTH |  | d
120015 | Chemistry in the Earth System | CHEMEARTH |  | d
120016 | Physics of the Universe | PHYSUNIV |  | d
120017 | AP Biology | APBIO |  | d | AP
120018 | AP Physics 1 | APPHYS1 |  | d | AP
120019 | World History, Culture, and Geography: The Modern World | WHIST |  | a
120020 | United States History and Geography | USHIST |  | a
120021 | Principles of American Democracy | AMDEM |  | a
120022 | Economics | ECON |  | g
120023 | AP United States History | APUSH |  | a | AP
120024 | Spanish 1 | SPAN1 |  | e
120025 | Spanish 2 | SPAN2 |  | e
120026 | Spanish for Spanish Speakers 1 | SSS1 |  | e
120027 | Spanish for Spanish Speakers 2 | SSS2 |  | e
120028 | AP Spanish Language | APSPANLANG |  | e | AP
120029 | Mandarin 1 | MAND1 |  | e
120030 | Digital Photography | DIGPHOTO |  | f
120031 | Drawing and Painting | DRAWPAINT |  | f
120032 | Guitar 1 | GUITAR1 |  | f
120033 | AP Computer Science Principles | APCSP |  | g | AP
120034 | Agricultural Biology | AGBIO |  | d
""", crse="""
E0900 | ENG9 A | 9105 | Y | 120001
E0901 | ENG9 B | 9105 | Y | 120001
E0910 | ENG9H | 9105 | Y | 120002
E1000 | ENG10 | 9106 | Y | 120003
E1010 | ENG10H | 9106 | Y | 120004
E1100 | ENG11 | 9107 | Y | 120005
E1200 | ENG12 | 9108 | Y | 120006
E1300 | APENGLIT | 9118 | Y | 120007
E1400 | ELD 2 | 9104 | N | excluded
M1000 | INT MATH I | 9241 | Y | 120008
M2000 | INT MATH II | 9242 | Y | 120009
M3000 | INT MATH III | 9243 | Y | 120010
M3100 | INT MATH III H | 9243 | Y | 120011
M4000 | PRE-CALC | 9257 | Y | 120012
M5000 | AP CALC AB | 9268 | Y | 120013
S1000 | LIVING EARTH | 9331 | Y | 120014
S2000 | CHEM EARTH SYS | 9332 | Y | 120015
S3000 | PHYS UNIVERSE | 9333 | Y | 120016
S4000 | APBIO | 9350 | Y | 120017
S5000 | APPHYS1 | 9345 | Y | 120018
S6000 | AP CHEM | 9349 | Y | not_on_cmp
H1000 | WORLD HIST | 9172 | Y | 120019
H2000 | US HIST | 9173 | Y | 120020
H3000 | PRIN AM DEMOCRACY | 9174 | Y | 120021
H4000 | ECON | 9175 | Y | 120022
H5000 | APUSH | 9194 | Y | 120023
L1000 | SPAN1 | 9130 | Y | 120024
L2000 | SPAN2 | 9131 | Y | 120025
L3000 | SPAN SPKRS 1 | 9134 | Y | 120026
L4000 | SPAN SPKRS 2 | 9135 | Y | 120027
L5000 | AP SPAN LANG | 9150 | Y | 120028
L6000 | MANDARIN 1 | 9130 | Y | 120029
L6100 | MANDARIN 2 | 9131 | Y | not_on_cmp
A1000 | DIG PHOTO | 9381 | Y | 120030
A2000 | DRAW/PAINT | 9000 | Y | 120031
A3000 | GUITAR 1 | 9291 | Y | 120032
A4000 | GUITAR 2 | 9291 | Y | not_on_cmp
C1000 | AP CSP | 9066 | Y | 120033
C2000 | AG BIO | 7130 | Y | 120034
P1000 | PE 1 | 9314 | N | excluded
"""),
    # ------------------------------------------------------------------ "1-2 / 3-4" pairs with (P) and (H)
    EvalSchool("19750001930101", "053310", "Harbor High School", cmp="""
130001 | English 1-2 | ENGLISH 1-2 P;ENG 1-2 P | 0110 | b
130002 | English 1-2 Honors | ENG 1-2 H | 0111 | b
130003 | English 3-4 | ENG 3-4 P | 0120 | b
130004 | English 3-4 Honors | ENG 3-4 H | 0121 | b
130005 | English 5-6 | ENG 5-6 P | 0130 | b
130006 | English 7-8 | ENG 7-8 P | 0140 | b
130007 | AP English Language and Composition | AP ENG LANG | 0150 | b | AP
130008 | Algebra 1-2 | ALG 1-2 P | 0210 | c
130009 | Geometry 1-2 | GEOM 1-2 P | 0220 | c
130010 | Geometry 1-2 Honors | GEOM 1-2 H | 0221 | c
130011 | Algebra 3-4 | ALG 3-4 P | 0230 | c
130012 | Math Analysis | MATH ANALYSIS P | 0240 | c
130013 | Calculus | CALCULUS P | 0250 | c
130014 | AP Calculus AB | AP CALC AB | 0251 | c | AP
130015 | Biology 1-2 | BIOLOGY 1-2 P | 0310 | d
130016 | Chemistry 1-2 | CHEM 1-2 P | 0320 | d
130017 | Chemistry 1-2 Honors | CHEM 1-2 H | 0321 | d | UC Honors
130018 | Physics 1-2 | PHYSICS 1-2 P | 0330 | d
130019 | Marine Biology | MARINE BIO P | 0340 | d
130020 | World History 1-2 | WORLD HIST P | 0410 | a
130021 | U.S. History 1-2 | US HIST P | 0420 | a
130022 | Government | GOVT P | 0430 | a
130023 | Economics | ECON P | 0431 | g
130024 | Spanish 1-2 | SPANISH 1-2 P | 0510 | e
130025 | Spanish 3-4 | SPANISH 3-4 P | 0520 | e
130026 | Spanish 5-6 Honors | SPANISH 5-6 H | 0530 | e
130027 | French 1-2 | FRENCH 1-2 P | 0540 | e
130028 | Art 1-2 | ART 1-2 P | 0610 | f
130029 | Choir | CHOIR P | 0620 | f
130030 | Theatre Arts 1-2 | THEATRE 1-2 P | 0630 | f
""", crse="""
0110 | ENGLISH 1-2 (P) | 9105 | Y | 130001
0111 | ENGLISH 1-2 (H) | 9105 | Y | 130002
0120 | ENGLISH 3-4 (P) | 9106 | Y | 130003
0121 | ENGLISH 3-4 (H) | 9106 | Y | 130004
0130 | ENGLISH 5-6 (P) | 9107 | Y | 130005
0140 | ENGLISH 7-8 (P) | 9108 | Y | 130006
0150 | AP ENG LANG/COMP | 9119 | Y | 130007
0160 | ENGLISH 7-8 ERWC (P) | 9102 | Y | not_on_cmp
0210 | ALGEBRA 1-2 (P) | 9249 | Y | 130008
0220 | GEOMETRY 1-2 (P) | 9255 | Y | 130009
0221 | GEOMETRY 1-2 (H) | 9255 | Y | 130010
0230 | ALGEBRA 3-4 (P) | 9252 | Y | 130011
0240 | MATH ANALYSIS (P) | 9247 | Y | 130012
0250 | CALCULUS (P) | 9258 | Y | 130013
0251 | AP CALCULUS AB | 9268 | Y | 130014
0252 | AP CALCULUS BC | 9267 | Y | not_on_cmp
0310 | BIOLOGY 1-2 (P) | 9324 | Y | 130015
0320 | CHEMISTRY 1-2 (P) | 9325 | Y | 130016
0321 | CHEMISTRY 1-2 (H) | 9325 | Y | 130017
0330 | PHYSICS 1-2 (P) | 9326 | Y | 130018
0340 | MARINE BIOLOGY (P) | 9341 | Y | 130019
0410 | WORLD HISTORY (P) | 9172 | Y | 130020
0420 | U.S. HISTORY (P) | 9173 | Y | 130021
0430 | GOVERNMENT (P) | 9174 | Y | 130022
0431 | ECONOMICS (P) | 9175 | Y | 130023
0510 | SPANISH 1-2 (P) | 9130 | Y | 130024
0520 | SPANISH 3-4 (P) | 9131 | Y | 130025
0530 | SPANISH 5-6 (H) | 9132 | Y | 130026
0540 | FRENCH 1-2 (P) | 9130 | Y | 130027
0550 | FRENCH 3-4 (P) | 9131 | Y | not_on_cmp
0610 | ART 1-2 (P) | 9000 | Y | 130028
0620 | CHOIR (P) | 9293 | Y | 130029
0630 | THEATRE ARTS 1-2 (P) | 9090 | Y | 130030
0640 | DANCE 1-2 (P) | 9080 | Y | not_on_cmp
0710 | PE 1-2 | 9314 | N | excluded
"""),
    # ------------------------------------------------------------------ mixed case, roman numerals, integrated math
    EvalSchool("19750001930202", "053320", "Lincoln Academy", cmp="""
140001 | English 9: Literature and Composition | Eng 9 Lit/Comp | LA09 | b
140002 | English 10: World Literature | Eng 10 World Lit | LA10 | b
140003 | English 11: American Literature | Eng 11 Am Lit | LA11 | b
140004 | English 12: British Literature | Eng 12 Brit Lit | LA12 | b
140005 | Integrated Mathematics 1 | Int Math 1 | MA01 | c
140006 | Integrated Mathematics 2 | Int Math 2 | MA02 | c
140007 | Integrated Mathematics 3 | Int Math 3 | MA03 | c
140008 | Integrated Mathematics 3 Honors | Int Math 3 H | MA03H | c
140009 | Statistics | Statistics | MA05 | c
140010 | AP Calculus AB | AP Calc AB | MA06 | c | AP
140011 | Biology: The Living Earth | Bio Living Earth |  | d
140012 | Chemistry in the Earth System | Chem Earth Sys |  | d
140013 | Physics of the Universe | Physics Universe |  | d
140014 | Environmental Science | Env Sci |  | d
140015 | Modern World History | Mod World Hist |  | a
140016 | United States History | US Hist |  | a
140017 | Civics | Civics |  | a
140018 | Economics | Econ |  | g
140019 | Ethnic Studies | Ethnic Studies |  | a
140020 | Spanish I | Spanish I | WL01 | e
140021 | Spanish II | Spanish II | WL02 | e
140022 | Spanish III | Spanish III | WL03 | e
140023 | Spanish IV Honors | Spanish IV H | WL04 | e | UC Honors
140024 | Japanese I | Japanese I |  | e
140025 | Japanese II | Japanese II |  | e
140026 | Visual Arts I | Visual Arts I |  | f
140027 | Visual Arts II | Visual Arts II |  | f
140028 | Orchestra | Orchestra |  | f
140029 | Intro to Computer Science | Intro CS |  | g
140030 | AP Computer Science A | AP CS A |  | g | AP
""", crse="""
LA09 | English 9 Lit & Comp | 9105 | Y | 140001
LA10 | English 10 World Lit | 9106 | Y | 140002
LA11 | English 11 Amer Lit | 9107 | Y | 140003
LA12 | English 12 Brit Lit | 9108 | Y | 140004
LA13 | Creative Writing | 9111 | Y | not_on_cmp
MA01 | Integrated Math I | 9241 | Y | 140005
MA02 | Integrated Math II | 9242 | Y | 140006
MA03 | Integrated Math III | 9243 | Y | 140007
MA03H | Integrated Math III Honors | 9243 | Y | 140008
MA04 | Integrated Math IV | 9244 | Y | not_on_cmp
MA05 | Statistics | 9259 | Y | 140009
MA06 | AP Calculus AB | 9268 | Y | 140010
SC01 | Biology - Living Earth | 9331 | Y | 140011
SC02 | Chemistry in Earth Sys | 9332 | Y | 140012
SC03 | Physics of Universe | 9333 | Y | 140013
SC04 | Environmental Sci | 9339 | Y | 140014
SS10 | Modern World Hist | 9172 | Y | 140015
SS11 | U.S. History | 9173 | Y | 140016
SS12 | Civics | 9174 | Y | 140017
SS13 | Economics | 9175 | Y | 140018
SS09 | Ethnic Studies | 9179 | Y | 140019
WL01 | Spanish 1 | 9130 | Y | 140020
WL02 | Spanish 2 | 9131 | Y | 140021
WL03 | Spanish 3 | 9132 | Y | 140022
WL04 | Spanish 4 Honors | 9133 | Y | 140023
WL11 | Japanese 1 | 9130 | Y | 140024
WL12 | Japanese 2 | 9131 | Y | 140025
WL13 | Japanese 3 | 9132 | Y | not_on_cmp
VA01 | Visual Arts 1 | 9000 | Y | 140026
VA02 | Visual Arts 2 | 9000 | Y | 140027
MU01 | Orchestra | 9291 | Y | 140028
CS01 | Intro to Computer Science | 9062 | Y | 140029
CS02 | AP Comp Sci A | 9067 | Y | 140030
PE01 | Physical Education | 9314 | N | excluded
"""),
    # ------------------------------------------------------------------ stale local codes after a renumbering
    EvalSchool("08618200830101", "050712", "Del Norte High School", cmp="""
150001 | English 9 | ENG 9 | 101 | b
150002 | English 9 Honors | ENG 9 HON | 102 | b
150003 | English 10 | ENG 10 | 103 | b
150004 | English 11 | ENG 11 | 104 | b
150005 | English 12 | ENG 12 | 105 | b
150006 | Algebra I | ALGEBRA I | 201 | c
150007 | Geometry | GEOMETRY | 202 | c
150008 | Algebra II | ALGEBRA II | 203 | c
150009 | Pre-Calculus | PRE-CALC | 204 | c
150010 | Biology | BIOLOGY | 301 | d
150011 | Chemistry | CHEMISTRY | 302 | d
150012 | Physics | PHYSICS | 303 | d
150013 | World History | WORLD HISTORY | 401 | a
150014 | US History | US HISTORY | 402 | a
150015 | Government | GOVERNMENT | 403 | a
150016 | Economics | ECONOMICS | 404 | g
150017 | Spanish I | SPANISH I | 501 | e
150018 | Spanish II | SPANISH II | 502 | e
150019 | Spanish III | SPANISH III | 503 | e
150020 | Art I | ART I | 601 | f
150021 | Band | BAND | 602 | f
150022 | Yearbook | YEARBOOK | 603 | g
""", crse="""
10100 | ENGLISH 9 | 9105 | Y | 150001
10200 | ENGLISH 9 HON | 9105 | Y | 150002
103 | ENGLISH 10 | 9106 | Y | 150003
10300 | ENGLISH 10 HON | 9106 | Y | not_on_cmp
104 | ENGLISH 11 | 9107 | Y | 150004
105 | ENGLISH 12 | 9108 | Y | 150005
101 | ALGEBRA I | 9249 | Y | 150006
102 | GEOMETRY | 9255 | Y | 150007
20300 | ALGEBRA II | 9252 | Y | 150008
20400 | PRE-CALC | 9257 | Y | 150009
301 | BIOLOGY | 9324 | Y | 150010
302 | CHEMISTRY | 9325 | Y | 150011
201 | PHYSICS | 9326 | Y | 150012
30400 | AP BIOLOGY | 9350 | Y | not_on_cmp
202 | ANATOMY & PHYSIOLOGY | 9335 | Y | not_on_cmp
401 | WORLD HISTORY | 9172 | Y | 150013
402 | US HISTORY | 9173 | Y | 150014
40300 | GOVERNMENT | 9174 | Y | 150015
40400 | ECONOMICS | 9175 | Y | 150016
501 | SPANISH I | 9130 | Y | 150017
502 | SPANISH II | 9131 | Y | 150018
503 | SPANISH III | 9132 | Y | 150019
504 | SPANISH IV | 9133 | Y | not_on_cmp
601 | ART I | 9000 | Y | 150020
602 | BAND | 9291 | Y | 150021
603 | YEARBOOK | 9109 | Y | 150022
604 | PHOTOGRAPHY | 9000 | Y | not_on_cmp
""",),
    # ------------------------------------------------------------------ online charter: semester splits, duplicate entries
    EvalSchool("33103303330001", "053950", "Valley Online Charter", cmp="""
160001 | English 9 | ENG 9 |  | b |  | Online
160002 | English 9 | ENG 9 |  | b |  | Classroom Based
160003 | English 10 | ENG 10 |  | b |  | Online
160004 | English 11 | ENG 11 |  | b |  | Online
160005 | English 12 | ENG 12 |  | b |  | Online
160006 | Algebra 1 | ALG 1 |  | c |  | Online
160007 | Geometry | GEOM |  | c |  | Online
160008 | Geometry | GEOMETRY |  | c |  | Hybrid
160009 | Algebra 2 | ALG 2 |  | c |  | Online
160010 | Biology | BIO |  | d |  | Online
160011 | Chemistry | CHEM |  | d |  | Online
160012 | Earth Science | EARTH SCI |  | d |  | Online
160013 | World History | WLD HIST |  | a |  | Online
160014 | US History | US HIST |  | a |  | Online
160015 | US History | US HIST |  | a |  | Classroom Based
160016 | American Government | AM GOVT |  | a |  | Online
160017 | Economics | ECON |  | g |  | Online
160018 | Spanish 1 | SPAN 1 |  | e |  | Online
160019 | Spanish 2 | SPAN 2 |  | e |  | Online
160020 | Art History | ART HIST |  | f |  | Online
160021 | Digital Art | DIG ART |  | f |  | Online
160022 | Psychology | PSYCH |  | g |  | Online
160023 | Financial Literacy | FIN LIT |  | g |  | Online
""", crse="""
ENG9A | ENGLISH 9A | 9105 | Y | ambiguous:160001/160002
ENG9B | ENGLISH 9B | 9105 | Y | ambiguous:160001/160002
ENG10A | ENGLISH 10 A | 9106 | Y | 160003
ENG10B | ENGLISH 10 B | 9106 | Y | 160003
ENG11S1 | ENGLISH 11 SEM 1 | 9107 | Y | 160004
ENG11S2 | ENGLISH 11 SEM 2 | 9107 | Y | 160004
ENG12-1 | ENGLISH 12 (1 OF 2) | 9108 | Y | 160005
ENG12-2 | ENGLISH 12 (2 OF 2) | 9108 | Y | 160005
ALG1A | ALGEBRA 1A | 9249 | Y | 160006
ALG1B | ALGEBRA 1B | 9249 | Y | 160006
GEOA | GEOMETRY A | 9255 | Y | ambiguous:160007/160008
ALG2A | ALGEBRA 2 A | 9252 | Y | 160009
BIOA | BIOLOGY A | 9324 | Y | 160010
BIOB | BIOLOGY B | 9324 | Y | 160010
CHEMA | CHEMISTRY A | 9325 | Y | 160011
ESA | EARTH SCIENCE A | 9321 | Y | 160012
WHA | WORLD HISTORY A | 9172 | Y | 160013
USHA | US HISTORY A | 9173 | Y | ambiguous:160014/160015
GOV | AMERICAN GOVERNMENT | 9174 | Y | 160016
ECON | ECONOMICS | 9175 | Y | 160017
SPAN1A | SPANISH 1 A | 9130 | Y | 160018
SPAN2A | SPANISH 2 A | 9131 | Y | 160019
SPAN3A | SPANISH 3 A | 9132 | Y | not_on_cmp
ARTHA | ART HISTORY A | 9001 | Y | 160020
DIGA | DIGITAL ART A | 9000 | Y | 160021
PSYA | PSYCHOLOGY A | 9177 | Y | 160022
FINA | FINANCIAL LITERACY | 9254 | Y | 160023
PHYSA | PHYSICS A | 9326 | Y | not_on_cmp
HEALTH | HEALTH | 9160 | N | excluded
"""),
    # ------------------------------------------------------------------ wrong state course codes (subject mismatches)
    EvalSchool("34673143430010", "053600", "Oak Ridge High School", cmp="""
170001 | English 9 | ENGLISH 9 | E9 | b
170002 | English 10 | ENGLISH 10 | E10 | b
170003 | Journalism | JOURNALISM | E20 | g
170004 | Creative Writing | CREATIVE WRITING | E21 | b
170005 | Algebra 1 | ALGEBRA 1 | M1 | c
170006 | Geometry | GEOMETRY | M2 | c
170007 | Algebra 2 | ALGEBRA 2 | M3 | c
170008 | AP Computer Science Principles | AP CSP | M9 | g | AP
170009 | Biology | BIOLOGY | S1 | d
170010 | Chemistry | CHEMISTRY | S2 | d
170011 | Forensic Science | FORENSIC SCI | S3 | d
170012 | Sports Medicine | SPORTS MED | S4 | d
170013 | World History | WORLD HISTORY | H1 | a
170014 | US History | US HISTORY | H2 | a
170015 | Psychology | PSYCHOLOGY | H3 | g
170016 | Spanish 1 | SPANISH 1 | L1 | e
170017 | Spanish 2 | SPANISH 2 | L2 | e
170018 | Drawing | DRAWING | A1 | f
170019 | Yearbook | YEARBOOK | A2 | f
170020 | Photography | PHOTOGRAPHY | A3 | f
170021 | Guitar | GUITAR | A4 | f
170022 | Statistics | STATISTICS | M4 | c
""", crse="""
E9 | ENGLISH 9 | 9105 | Y | 170001
E10 | ENGLISH 10 | 9106 | Y | 170002
E20 | JOURNALISM | 9109 | Y | 170003
E21 | CREATIVE WRITING | 9111 | Y | 170004
M1 | ALGEBRA 1 | 9249 | Y | 170005
M2 | GEOMETRY | 9255 | Y | 170006
M3 | ALGEBRA 2 | 9252 | Y | 170007
M9 | AP COMP SCI PRIN | 9066 | Y | 170008
M4 | STATISTICS | 9175 | Y | mismatch:170022
S1 | BIOLOGY | 9324 | Y | 170009
S2 | CHEMISTRY | 9325 | Y | 170010
S3 | FORENSIC SCIENCE | 9359 | Y | 170011
S4 | SPORTS MEDICINE | 9313 | Y | mismatch:170012
S5 | MARINE SCIENCE | 9341 | Y | not_on_cmp
H1 | WORLD HISTORY | 9172 | Y | 170013
H2 | US HISTORY | 9173 | Y | 170014
H3 | PSYCHOLOGY | 9324 | Y | 170015
H4 | ETHNIC STUDIES | 9179 | Y | not_on_cmp
L1 | SPANISH 1 | 9241 | Y | mismatch:170016
L2 | SPANISH 2 | 9131 | Y | 170017
A1 | DRAWING | 9000 | Y | 170018
A2 | YEARBOOK | 9109 | Y | mismatch:170019
A3 | PHOTOGRAPHY | 9000 | Y | 170020
A4 | GUITAR | 9172 | Y | mismatch:170021
A5 | CERAMICS | 9000 | Y | not_on_cmp
W1 | WORK EXPERIENCE | 9501 | N | excluded
"""),
    # ------------------------------------------------------------------ lookalike families (regular / Honors / AP)
    EvalSchool("33671993330303", "053977", "Riverside Polytechnic High School", cmp="""
180001 | English 9 | ENG 9 | D101 | b
180002 | English 9 Honors | ENG 9 HON | D102 | b
180003 | English 10 | ENG 10 | D103 | b
180004 | English 10 Honors | ENG 10 HON | D104 | b
180005 | AP English Language and Composition | AP LANG | D106 | b | AP
180006 | AP English Literature and Composition | AP LIT | D107 | b | AP
180007 | Biology | BIO | D110 | d
180008 | Biology Honors | BIO HON | D111 | d
180009 | AP Biology | AP BIO | D112 | d | AP
180010 | Marine Biology | MARINE BIO | D113 | d
180011 | Chemistry | CHEM | D114 | d
180012 | Chemistry Honors | CHEM HON | D115 | d | UC Honors
180013 | AP Chemistry | AP CHEM | D116 | d | AP
180014 | Physics | PHYSICS | D117 | d
180015 | AP Physics 1 | AP PHYS 1 | D118 | d | AP
180016 | AP Physics 2 | AP PHYS 2 | D119 | d | AP
180017 | AP Physics C: Mechanics | AP PHYS C MECH | D120 | d | AP
180018 | AP Physics C: Electricity and Magnetism | AP PHYS C E&M | D121 | d | AP
180019 | World History | WORLD HIST | D130 | a
180020 | AP World History: Modern | AP WORLD | D131 | a | AP
180021 | AP European History | AP EURO |  | a | AP
180022 | US History | US HIST |  | a
180023 | AP US History | APUSH |  | a | AP
180024 | Government | GOVT |  | a
180025 | AP US Government and Politics | AP GOV |  | a | AP
180026 | AP Comparative Government and Politics | AP COMP GOV |  | a | AP
180027 | Economics | ECON |  | g
180028 | AP Macroeconomics | AP MACRO |  | g | AP
180029 | AP Microeconomics | AP MICRO |  | g | AP
180030 | Spanish 1 | SPAN 1 |  | e
180031 | Spanish 2 | SPAN 2 |  | e
180032 | Spanish 3 | SPAN 3 |  | e
180033 | Spanish 3 Honors | SPAN 3 HON |  | e
180034 | AP Spanish Language and Culture | AP SPAN LANG |  | e | AP
180035 | AP Spanish Literature and Culture | AP SPAN LIT |  | e | AP
180036 | Algebra 1 | ALG 1 |  | c
180037 | Geometry | GEOM |  | c
180038 | Geometry Honors | GEOM HON |  | c
180039 | Algebra 2 | ALG 2 |  | c
180040 | Algebra 2 Honors | ALG 2 HON |  | c
180041 | Precalculus | PRECALC |  | c
180042 | Precalculus Honors | PRECALC HON |  | c | UC Honors
180043 | Calculus | CALC |  | c
180044 | AP Calculus AB | AP CALC AB |  | c | AP
180045 | AP Calculus BC | AP CALC BC |  | c | AP
180046 | AP Statistics | AP STAT |  | c | AP
180047 | Statistics | STAT |  | c
""", crse="""
D101 | English 9 | 9105 | Y | 180001
D102 | Honors English 9 | 9105 | Y | 180002
D103 | English 10 | 9106 | Y | 180003
D104 | Honors English 10 | 9106 | Y | 180004
D105 | English 11 Honors | 9107 | Y | not_on_cmp
D106 | AP Eng Lang & Comp | 9119 | Y | 180005
D107 | AP Eng Lit & Comp | 9118 | Y | 180006
D110 | Biology | 9324 | Y | 180007
D111 | Biology (H) | 9324 | Y | 180008
D112 | AP Biology | 9350 | Y | 180009
D113 | Marine Bio | 9341 | Y | 180010
D114 | Chemistry | 9325 | Y | 180011
D115 | Chemistry (H) | 9325 | Y | 180012
D116 | AP Chemistry | 9349 | Y | 180013
D117 | Physics | 9326 | Y | 180014
D118 | AP Physics 1 | 9345 | Y | 180015
D119 | AP Physics 2 | 9344 | Y | 180016
D120 | AP Physics C Mech | 9348 | Y | 180017
D121 | AP Physics C E&M | 9347 | Y | 180018
D122 | Physics (H) | 9326 | Y | not_on_cmp
D130 | World History | 9172 | Y | 180019
D131 | AP World History | 9191 | Y | 180020
D132 | AP European History | 9195 | Y | 180021
D133 | U.S. History | 9173 | Y | 180022
D134 | AP U.S. History | 9194 | Y | 180023
D135 | Government | 9174 | Y | 180024
D136 | AP Gov & Politics | 9196 | Y | 180025
D137 | AP Comparative Gov | 9197 | Y | 180026
D138 | Economics | 9175 | Y | 180027
D139 | AP Macroeconomics | 9199 | Y | 180028
D140 | AP Microeconomics | 9198 | Y | 180029
D141 | AP Human Geography | 9192 | Y | not_on_cmp
D150 | Spanish 1 | 9130 | Y | 180030
D151 | Spanish 2 | 9131 | Y | 180031
D152 | Spanish 3 | 9132 | Y | 180032
D153 | Spanish 3 (H) | 9132 | Y | 180033
D154 | AP Spanish Lang | 9150 | Y | 180034
D155 | AP Spanish Lit | 9149 | Y | 180035
D156 | Spanish 4 | 9133 | Y | not_on_cmp
D160 | Algebra 1 | 9249 | Y | 180036
D161 | Geometry | 9255 | Y | 180037
D162 | Geometry (H) | 9255 | Y | 180038
D163 | Algebra 2 | 9252 | Y | 180039
D164 | Algebra 2 (H) | 9252 | Y | 180040
D165 | Precalculus | 9257 | Y | 180041
D166 | Precalculus (H) | 9257 | Y | 180042
D167 | Calculus | 9258 | Y | 180043
D168 | AP Calculus AB | 9268 | Y | 180044
D169 | AP Calculus BC | 9267 | Y | 180045
D170 | AP Statistics | 9266 | Y | 180046
D171 | Statistics | 9259 | Y | 180047
D172 | Algebra 1 (H) | 9249 | Y | not_on_cmp
D180 | Health | 9160 | N | excluded
"""),
    # ------------------------------------------------------------------ punctuation-heavy names, no local codes on the CMP
    EvalSchool("19647331930303", "051120", "Foothill High School", cmp="""
190001 | American Literature and Composition | AMER LIT/COMP |  | b
190002 | British Literature | BRIT LIT |  | b
190003 | Expository Reading and Writing Course (ERWC) | ERWC |  | b
190004 | Creative Writing | CREATIVE WRTG |  | b
190005 | Mathematics 1 (Integrated) | MATH 1 |  | c
190006 | Pre-Calculus with Trigonometry | PRE-CALC/TRIG |  | c
190007 | Trigonometry/Math Analysis | TRIG/MA |  | c
190008 | AP Calculus AB | AP CALC AB |  | c | AP
190009 | Earth & Space Science | EARTH/SPACE SCI |  | d
190010 | Anatomy & Physiology | ANAT/PHYSIOL |  | d
190011 | Environmental Science | ENVIRO SCI |  | d
190012 | AP Environmental Science | AP ENVIRO SCI |  | d | AP
190013 | U.S. History & Geography | U.S. HIST |  | a
190014 | World History, Culture & Geography | WRLD HIST |  | a
190015 | American Government & Civics | AM GOV |  | a
190016 | Economics | ECON |  | g
190017 | Ethnic Studies | ETHNIC STDS |  | a
190018 | French 1 | FRENCH 1 |  | e
190019 | French 2 | FRENCH 2 |  | e
190020 | American Sign Language 1 | ASL 1 |  | e
190021 | American Sign Language 2 | ASL 2 |  | e
190022 | Ceramics & Sculpture | CERAMICS/SCULPT |  | f
190023 | Photography 1 | PHOTO 1 |  | f
190024 | Jazz Band | JAZZ BAND |  | f
190025 | Chamber Singers | CHAMBER SINGERS |  | f
190026 | Video Production | VIDEO PROD |  | f
""", crse="""
F01 | Amer. Lit. & Comp. | 9107 | Y | 190001
F02 | Brit. Lit. | 9108 | Y | 190002
F03 | E.R.W.C. | 9108 | Y | 190003
F04 | Creative Writing | 9111 | Y | 190004
F05 | Math 1 (Integrated) | 9241 | Y | 190005
F06 | Pre-Calc w/ Trig | 9274 | Y | 190006
F07 | Trig/Math Analysis | 9247 | Y | 190007
F08 | A.P. Calculus AB | 9268 | Y | 190008
F09 | Earth/Space Science | 9321 | Y | 190009
F10 | Anatomy/Physiology | 9335 | Y | 190010
F11 | Environmental Sci. | 9339 | Y | 190011
F12 | A.P. Environmental Sci. | 9346 | Y | 190012
F13 | U.S. Hist. & Geog. | 9173 | Y | 190013
F14 | World Hist., Cult. & Geog. | 9172 | Y | 190014
F15 | Amer. Gov't & Civics | 9174 | Y | 190015
F16 | Econ. | 9175 | Y | 190016
F17 | Ethnic Studies | 9179 | Y | 190017
F18 | French I | 9130 | Y | 190018
F19 | French II | 9131 | Y | 190019
F20 | French III | 9132 | Y | not_on_cmp
F21 | A.S.L. 1 | 9130 | Y | 190020
F22 | A.S.L. 2 | 9131 | Y | 190021
F23 | Ceramics/Sculpture | 9000 | Y | 190022
F24 | Photo I | 9000 | Y | 190023
F25 | Photo II | 9000 | Y | not_on_cmp
F26 | Jazz Band | 9291 | Y | 190024
F27 | Chamber Singers | 9293 | Y | 190025
F28 | Video Prod. | 9092 | Y | 190026
F29 | Marching Band | 9291 | Y | not_on_cmp
F30 | AP Art History | 9005 | Y | not_on_cmp
"""),
    # ------------------------------------------------------------------ a new school with no CMP list yet (same LEA as Sierra Vista)
    EvalSchool("36680003630003", "052903", "New Tech High School", cmp="", crse="""
NT01 | ENG 9 | 9105 | Y | not_on_cmp
NT02 | ENG 10 | 9106 | Y | not_on_cmp
NT03 | INT MATH 1 | 9241 | Y | not_on_cmp
NT04 | INT MATH 2 | 9242 | Y | not_on_cmp
NT05 | BIO | 9324 | Y | not_on_cmp
NT06 | CHEM | 9325 | Y | not_on_cmp
NT07 | WORLD HIST | 9172 | Y | not_on_cmp
NT08 | SPAN 1 | 9130 | Y | not_on_cmp
NT09 | DIGITAL MEDIA ARTS | 9381 | Y | not_on_cmp
NT10 | ENGR DESIGN | 7730 | Y | not_on_cmp
"""),
    # ------------------------------------------------------------------ another LEA, same local codes as Sierra Vista
    EvalSchool("41690004130010", "054410", "Coastal High School", cmp="""
200001 | English 9 | ENG 9 | 1001 | b
200002 | English 10 | ENG 10 | 1003 | b
200003 | Algebra 1 | ALG 1 | 2001 | c
200004 | Geometry | GEOM | 2002 | c
200005 | Biology | BIO | 3001 | d
200006 | World History | WORLD HIST | 4001 | a
200007 | Spanish 1 | SPAN 1 | 5001 | e
200008 | Art 1 | ART 1 | 6001 | f
200009 | Oceanography | OCEANOGRAPHY | 3010 | d
""", crse="""
1001 | ENG 9 | 9105 | Y | 200001
1002 | ENG 9 H | 9105 | Y | not_on_cmp
1003 | ENG 10 | 9106 | Y | 200002
2001 | ALG 1 | 9249 | Y | 200003
2002 | GEOM | 9255 | Y | 200004
2003 | GEOM H | 9255 | Y | not_on_cmp
2004 | ALG 2 | 9252 | Y | not_on_cmp
3001 | BIO | 9324 | Y | 200005
3002 | CHEM | 9325 | Y | not_on_cmp
3005 | AP BIO | 9350 | Y | not_on_cmp
3010 | OCEANOGRAPHY | 9341 | Y | 200009
4001 | WORLD HIST | 9172 | Y | 200006
4004 | AP US HIST | 9194 | Y | not_on_cmp
5001 | SPAN 1 | 9130 | Y | 200007
5002 | SPAN 2 | 9131 | Y | not_on_cmp
6001 | ART 1 | 9000 | Y | 200008
7001 | SPORTS MED | 7920 | Y | not_on_cmp
"""),
    # ------------------------------------------------------------------ continuation school: titles only, SEM / 1 OF 2 splits
    EvalSchool("41690004130020", "054420", "Sunrise Continuation High School", cmp="""
210001 | English 9 |  |  | b |  | Online
210002 | English 10 |  |  | b |  | Online
210003 | English 11 |  |  | b |  | Online
210004 | English 12 |  |  | b |  | Online
210005 | Algebra 1 |  |  | c |  | Online
210006 | Geometry |  |  | c |  | Online
210007 | Biology |  |  | d |  | Online
210008 | Earth Science |  |  | d |  | Online
210009 | US History |  |  | a |  | Online
210010 | Government |  |  | a |  | Online
210011 | Economics |  |  | g |  | Online
210012 | Art |  |  | f |  | Online
""", crse="""
ENG9-1 | ENG 9 1 OF 2 | 9105 | Y | 210001
ENG9-2 | ENG 9 2 OF 2 | 9105 | Y | 210001
ENG10-1 | ENGLISH 10 SEM 1 | 9106 | Y | 210002
ENG10-2 | ENGLISH 10 SEM 2 | 9106 | Y | 210002
ENG11 | ENGLISH 11 S1/S2 | 9107 | Y | 210003
ENG12 | ENGLISH 12 | 9108 | Y | 210004
ALG1-1 | ALGEBRA I (1 of 2) | 9249 | Y | 210005
ALG1-2 | ALGEBRA I (2 of 2) | 9249 | Y | 210005
GEO-1 | GEOMETRY SEM 1 | 9255 | Y | 210006
BIO-1 | BIOLOGY S1 | 9324 | Y | 210007
ES | EARTH SCIENCE | 9321 | Y | 210008
USH | U.S. HISTORY | 9173 | Y | 210009
GOV | GOVERNMENT | 9174 | Y | 210010
ECON | ECONOMICS | 9175 | Y | 210011
ART | ART | 9000 | Y | 210012
CHEM | CHEMISTRY | 9325 | Y | not_on_cmp
SPAN | SPANISH 1 | 9130 | Y | not_on_cmp
WH | WORLD HISTORY | 9172 | Y | not_on_cmp
CAREX | CAREER EXPLORATION | 7000 | N | excluded
"""),
    # ------------------------------------------------------------------ IB World School (SL / HL), SIS ids unlike CMP codes
    EvalSchool("37683383730050", "052850", "Mission IB World School", cmp="""
220001 | IB English A: Literature HL | IB ENG LIT HL | IB101 | b | IB
220002 | IB English A: Language and Literature SL | IB ENG LANG LIT SL | IB102 | b | IB
220003 | English 9 | ENG 9 | E090 | b
220004 | English 10 | ENG 10 | E100 | b
220005 | IB Mathematics: Analysis and Approaches SL | IB MATH AA SL | IB201 | c | IB
220006 | IB Mathematics: Analysis and Approaches HL | IB MATH AA HL | IB202 | c | IB
220007 | IB Mathematics: Applications and Interpretation SL | IB MATH AI SL | IB203 | c | IB
220008 | Algebra 2 | ALG 2 | M200 | c
220009 | IB Biology HL | IB BIO HL | IB301 | d | IB
220010 | IB Chemistry SL | IB CHEM SL | IB302 | d | IB
220011 | IB Physics SL | IB PHYS SL | IB303 | d | IB
220012 | Chemistry | CHEM | S200 | d
220013 | IB History of the Americas HL | IB HIST AMERICAS HL | IB401 | a | IB
220014 | IB Psychology SL | IB PSYCH SL | IB402 | g | IB
220015 | IB Theory of Knowledge | IB TOK | IB403 | g | IB
220016 | IB Spanish B SL | IB SPAN B SL | IB501 | e | IB
220017 | IB Spanish B HL | IB SPAN B HL | IB502 | e | IB
220018 | IB French ab initio SL | IB FRENCH AB INITIO | IB503 | e | IB
220019 | IB Visual Arts HL | IB VIS ARTS HL | IB601 | f | IB
220020 | IB Music SL | IB MUSIC SL | IB602 | f | IB
220021 | AP Spanish Language and Culture | AP SPAN LANG | AP501 | e | AP
220022 | IB Economics SL | IB ECON SL | IB404 | g | IB
""", crse="""
6101 | IB ENGLISH LIT HL | 9117 | Y | 220001
6102 | IB LANG & LIT SL | 9116 | Y | 220002
6103 | ENGLISH 9 | 9105 | Y | 220003
6104 | ENGLISH 10 | 9106 | Y | 220004
6201 | IB MATH AA SL | 9281 | Y | 220005
6202 | IB MATH AA HL | 9282 | Y | 220006
6203 | IB MATH AI SL | 9283 | Y | 220007
6204 | IB MATH AI HL | 9284 | Y | not_on_cmp
6205 | ALGEBRA 2 | 9252 | Y | 220008
6301 | IB BIOLOGY HL | 9357 | Y | 220009
6302 | IB CHEMISTRY SL | 9356 | Y | 220010
6303 | IB PHYSICS SL | 9355 | Y | 220011
6304 | CHEMISTRY | 9325 | Y | 220012
6305 | IB BIOLOGY SL | 9357 | Y | not_on_cmp
6401 | IB HIST AMERICAS HL | 9186 | Y | 220013
6402 | IB PSYCHOLOGY SL | 9185 | Y | 220014
6403 | THEORY OF KNOWLEDGE | 9182 | Y | 220015
6404 | IB ECONOMICS SL | 9188 | Y | 220022
6501 | IB SPANISH B SL | 9143 | Y | 220016
6502 | IB SPANISH B HL | 9143 | Y | 220017
6503 | IB FRENCH AB INITIO | 9144 | Y | 220018
6504 | AP SPANISH LANG | 9150 | Y | 220021
6505 | SPANISH 2 | 9131 | Y | not_on_cmp
6601 | IB VISUAL ARTS HL | 9007 | Y | 220019
6602 | IB MUSIC SL | 9302 | Y | 220020
6603 | IB FILM SL | 9093 | Y | not_on_cmp
"""),
]


def _rows(text: str) -> list[list[str]]:
    return [[f.strip() for f in line.split("|")] for line in text.strip().splitlines() if line.strip()]


def load_eval() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(crse, cmp, expected) frames built from :data:`SCHOOLS`.

    ``crse`` has the CrseCourse columns the matcher reads; ``cmp`` the CMP reader's columns (without the
    derived ``school_code`` / ``reporting_lea``, which the matcher computes); ``expected`` has one row per
    CRSE course: ``school_code``, ``local_course_id``, ``expected_status`` (``excluded`` for not approved),
    ``expected_cmp_course_id`` (only for matched statuses) and ``tied_cmp_course_ids`` (true ties).
    """
    crse_rows, cmp_rows, exp_rows = [], [], []
    for s in SCHOOLS:
        school, lea = s.cds_code[7:], s.cds_code[:7]
        for r in _rows(s.cmp):
            r = r + [""] * (7 - len(r))
            cid, title, abbr, codes, subj, honors, env = r
            cmp_rows.append({
                "cmp_course_id": cid, "cds_code": s.cds_code, "atp_code": s.atp_code, "school_name": s.name,
                "course_title": title, "transcript_abbreviations": "|".join(a.strip() for a in abbr.split(";") if a.strip()),
                "local_course_codes": "|".join(c.strip() for c in codes.split(";") if c.strip()),
                "subject_area": subj, "honors_type": honors, "learning_environment": env or "Classroom Based",
                "list_year": YEAR,
            })
        for local_id, name, code, approved, expected in _rows(s.crse):
            crse_rows.append({
                "reporting_lea": lea, "school_code": school, "academic_year": YEAR, "local_course_id": local_id,
                "course_name": name, "state_course_code": code, "uc_csu_approved": approved == "Y",
            })
            kind, _, arg = expected.partition(":")
            if kind.isdigit():
                status, cmp_id, tied = "matched", kind, ""
            elif kind == "mismatch":
                status, cmp_id, tied = "matched_subject_mismatch", arg, ""
            elif kind == "ambiguous":
                status, cmp_id, tied = "ambiguous", "", arg
            else:
                assert kind in ("not_on_cmp", "excluded"), expected
                status, cmp_id, tied = kind, "", ""
            assert (approved == "Y") == (status != "excluded"), (s.name, local_id)
            exp_rows.append({"school_code": school, "local_course_id": local_id, "expected_status": status,
                             "expected_cmp_course_id": cmp_id or None, "tied_cmp_course_ids": tied})
    crse = pd.DataFrame(crse_rows)
    cmp = pd.DataFrame(cmp_rows, columns=[
        "cmp_course_id", "cds_code", "atp_code", "school_name", "course_title", "transcript_abbreviations",
        "local_course_codes", "subject_area", "honors_type", "learning_environment", "list_year"])
    return crse, cmp, pd.DataFrame(exp_rows)


def precision_recall(results: pd.DataFrame, expected: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of "matched to this CMP id" (matched + matched_subject_mismatch count as matched).

    precision = correct matches / matches made; recall = correct matches / courses that should match.
    """
    m = expected.merge(results, on=["school_code", "local_course_id"], how="left", validate="1:1")
    made = m["match_status"].isin(["matched", "matched_subject_mismatch"])
    should = m["expected_cmp_course_id"].notna()
    correct = made & should & (m["cmp_course_id"].astype(object) == m["expected_cmp_course_id"])
    return {
        "precision": float(correct.sum() / max(int(made.sum()), 1)),
        "recall": float(correct.sum() / max(int(should.sum()), 1)),
        "matches_made": int(made.sum()),
        "matches_expected": int(should.sum()),
        "correct": int(correct.sum()),
        "status_accuracy": float((m.loc[m["expected_status"] != "excluded", "match_status"]
                                  == m.loc[m["expected_status"] != "excluded", "expected_status"]).mean()),
    }
