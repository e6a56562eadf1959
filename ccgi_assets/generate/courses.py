"""Courses and the CMP list: course templates and the state's catalog, each LEA's local courses, offerings,
student course records (CRSE, SCSC) and the school's UC A-G CMP rows."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccgi_assets.cmp import CMP_COLUMNS as _CMP_COLUMNS
from ccgi_assets.content_areas import PRIMARY_SUBJECT, allowed_subjects
from ccgi_assets.generate.helpers import _EMPTY, _num, _pick, _take, _where
from ccgi_assets.generate.vocabulary import _GRADE_P, _GRADES, _state_codes
from ccgi_assets.generate.state import _State
from ccgi_assets.generate.calpads_files import _CalpadsWriter, _local_ids, _person, _Tables

#: the CMP list's columns: the reader's (:data:`ccgi_assets.cmp.CMP_COLUMNS`)
CMP_COLUMNS = list(_CMP_COLUMNS)
#: The a-g subject area a state course code's content area implies, and the letters a CMP course of that area may
#: carry: one table with the matcher (:mod:`ccgi_assets.content_areas`). ``CONTENT_AREA_SUBJECTS`` here is the
#: primary letter of the areas that have one (a-f).
CONTENT_AREA_SUBJECTS = PRIMARY_SUBJECT

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
