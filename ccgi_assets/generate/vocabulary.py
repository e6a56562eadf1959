"""The generator's vocabularies: names, places, schools, careers and the like (index 0 of every string table is
"" = none), and the CALPADS code sets it draws from."""

from __future__ import annotations

import functools
import importlib.resources
import io

import pandas as pd


def _ref_text(name: str) -> str:
    return (importlib.resources.files("ccgi_assets") / "reference" / name).read_text(encoding="utf-8")

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
