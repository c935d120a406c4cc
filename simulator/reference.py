"""Static reference data for the simulator: places, names, procedures, tests, reference labs.

Every text value here ends up verbatim in a CSV that is written without quoting, so none may contain a comma,
a double quote or a line break (checked at import time at the bottom of this module).
"""

from __future__ import annotations

# --- clinics -------------------------------------------------------------------------------------------------
# (timezone, country, name prefixes, towns). Clinic k gets country k % 3, so three clinics cover all three.
COUNTRIES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Europe/Berlin",
        "DE",
        ("Praxis", "MVZ", "Gemeinschaftspraxis", "Hausarztzentrum", "Praxisklinik"),
        (
            "Müllheim", "Görlitz", "Lörrach", "Fürth", "Düren", "Würzburg", "Lüneburg", "Tübingen",
            "Göttingen", "Überlingen", "Nördlingen", "Füssen", "Bückeburg", "Jülich", "Öhringen",
            "Mühldorf", "Schwäbisch Gmünd", "Gütersloh", "Lübeck", "Saarbrücken", "München-Schwabing",
            "Köln-Mülheim", "Düsseldorf-Oberkassel", "Münster", "Osnabrück", "Fürstenfeldbruck",
            "Königswinter", "Bad Dürkheim", "Schönebeck", "Zweibrücken",
        ),
    ),
    (
        "Europe/Vienna",
        "AT",
        ("Ordination", "Gruppenpraxis", "Primärversorgungszentrum", "Ärztezentrum"),
        (
            "Mödling", "Wien-Döbling", "Gänserndorf", "Völkermarkt", "Bruck an der Mur", "Pöchlarn",
            "Mürzzuschlag", "Hainburg", "Leoben", "Wels", "Steyr", "Graz-Gösting", "Klosterneuburg",
            "Bad Vöslau", "Wörgl", "Schärding", "Tulln", "Feldkirch", "Dornbirn", "Kitzbühel",
            "Wien-Währing", "Mönichkirchen", "Zwettl", "Gmünd", "Hörsching",
        ),
    ),
    (
        "Europe/Zurich",
        "CH",
        ("Praxis", "Arztpraxis", "Gesundheitszentrum", "Praxiszentrum"),
        (
            "Zürich-Höngg", "Küsnacht", "Wädenswil", "Männedorf", "Rüti", "Dübendorf", "Bülach", "Kloten",
            "Uster", "Zürich-Oerlikon", "Münsingen", "Thun", "Frauenfeld", "Schönenwerd", "Möhlin",
            "Rüschlikon", "Täuffelen", "Glattbrugg", "Bürglen", "Küssnacht am Rigi", "Brügg", "Rümlang",
            "Zürich-Wiedikon", "Günsberg", "Rheinfelden",
        ),
    ),
)

REFERENCE_LABS: dict[str, tuple[str, ...]] = {
    "DE": ("Labor Dr. Wisplinghoff", "Synlab"),
    "AT": ("Synlab", "Unilabs"),
    "CH": ("Unilabs", "Synlab"),
}

# --- people --------------------------------------------------------------------------------------------------
FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Lena", "Sophie", "Marie", "Laura", "Julia", "Sarah", "Katharina", "Lisa", "Hannah", "Johanna",
    "Jana", "Sabine", "Petra", "Ursula", "Monika", "Kerstin", "Birgit", "Claudia", "Özlem", "Nadine",
    "Corinne", "Verena", "Jürgen", "Thomas", "Michael", "Andreas", "Stefan", "Markus", "Jörg", "Björn",
    "Uwe", "Tobias", "Lukas", "Felix", "Maximilian", "Sebastian", "Jan", "Dominik", "Reto", "Urs", "Beat",
    "Florian", "Matthias", "Jürg", "Mehmet", "Ayşe", "Zoë", "Rüdiger", "Bärbel",
)
LAST_NAMES: tuple[str, ...] = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
    "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier",
    "Lehmann", "Huber", "Gruber", "Steiner", "Moser", "Brunner", "Keller", "Frei", "Baumann", "Gößling",
    "Jäger", "Köhler", "Weiß", "Groß", "Lössl", "Yılmaz", "Kaya", "Bürgi", "Häberli", "Nüesch", "Pröll",
)

STAFF_ROLES: tuple[str, ...] = (
    "medical_assistant", "phlebotomist", "lab_technician", "nurse", "physician", "supervisor",
)
R_MA, R_PHLEB, R_LABTECH, R_NURSE, R_PHYS, R_SUP = range(6)

# --- certifications: code -> (validity in months, expiring at the end of the month; roles holding it) ---------
CERTIFICATIONS: dict[str, tuple[int, tuple[int, ...]]] = {
    "BLS": (24, (R_MA, R_PHLEB, R_LABTECH, R_NURSE, R_PHYS, R_SUP)),
    "CMA": (60, (R_MA, R_SUP)),
    "CPT": (24, (R_PHLEB,)),
}

# --- competencies --------------------------------------------------------------------------------------------
# Test systems are assessed on the six CLIA elements; procedure skills on supervised_performance.
CLIA_SIX = (
    "direct_observation",
    "result_reporting",
    "records_review",
    "maintenance_observation",
    "blind_sample",
    "problem_solving",
)
TEST_SYSTEMS: tuple[str, ...] = (
    "POCT_STREP_A", "POCT_RESP_AG", "POCT_URINE", "POCT_GLUCOSE", "POCT_HBA1C", "POCT_INR",
)
# CLIA non-waived (moderate complexity): assessed 6 and 12 months after the initial assessment, then yearly.
# Waived test systems and procedure skills: yearly.
NON_WAIVED: tuple[str, ...] = ("POCT_HBA1C", "POCT_INR")
SKILLS: tuple[str, ...] = ("VENIPUNCTURE", "EAR_IRRIGATION", "WOUND_CHECK")
COMPETENCIES: tuple[str, ...] = TEST_SYSTEMS + SKILLS

# --- procedures ----------------------------------------------------------------------------------------------
PROCEDURE_CODES: tuple[str, ...] = (
    "EAR_IRRIGATION", "VENIPUNCTURE", "US_BIOPSY", "MINOR_SURGERY", "SUTURE", "WOUND_CHECK",
)
P_EAR, P_VENI, P_USB, P_SURG, P_SUT, P_WOUND = range(6)
# Per code: booked slot (min), prep min/max (patient in -> start), log-normal median (min) and sigma of the
# procedure itself, wrap-up min/max (end -> patient out), median cleaning time after it (min).
PROC_SLOT = (25, 15, 60, 75, 40, 20)
PROC_PREP = ((1.5, 4.0), (1.0, 3.0), (6.0, 12.0), (8.0, 15.0), (4.0, 8.0), (1.5, 4.0))
PROC_MEDIAN = (8.0, 4.0, 22.0, 30.0, 14.0, 7.0)
PROC_SIGMA = (0.35, 0.35, 0.30, 0.35, 0.35, 0.35)
PROC_WRAP = ((1.0, 3.0), (1.0, 2.0), (3.0, 8.0), (4.0, 10.0), (2.0, 5.0), (1.0, 3.0))
PROC_CLEAN = (3.0, 2.0, 8.0, 12.0, 7.0, 3.0)
# Procedures that need a sterile set (Spaulding critical) and so carry a sterilizer_load_id.
CRITICAL_PROCS = (P_USB, P_SURG, P_SUT)
# Procedure-room profiles: code mix and the chance that a booking slot is left idle (less = busier room).
ROOM_PROFILES: dict[str, tuple[tuple[float, ...], float]] = {
    #              EAR   VENI  USB   SURG  SUT   WOUND
    "ultrasound": ((0.05, 0.10, 0.35, 0.20, 0.15, 0.15), 0.22),
    "surgery": ((0.10, 0.00, 0.00, 0.35, 0.30, 0.25), 0.38),
    "treatment": ((0.40, 0.15, 0.00, 0.00, 0.10, 0.35), 0.22),
    "blood": ((0.05, 0.85, 0.00, 0.00, 0.00, 0.10), 0.12),
    "mixed": ((0.25, 0.25, 0.00, 0.15, 0.15, 0.20), 0.50),
}
ROOM_PROFILE_ORDER = ("ultrasound", "surgery", "treatment", "blood", "mixed")
ROOM_NAMES = {
    "ultrasound": "Eingriffsraum Sonographie",
    "surgery": "Eingriffsraum Chirurgie",
    "treatment": "Behandlungsraum",
    "blood": "Blutabnahme",
    "mixed": "Eingriffsraum",
}

# --- lab tests -----------------------------------------------------------------------------------------------
# code, short name, in-house?, competency (test system) performing it, median collection->result (min)
LAB_TESTS: tuple[tuple[str, str, bool, str | None, float], ...] = (
    ("78012-2", "Strep A rapid", True, "POCT_STREP_A", 15.0),
    ("80382-5", "Influenza A rapid", True, "POCT_RESP_AG", 19.0),
    ("94558-4", "SARS-CoV-2 Ag rapid", True, "POCT_RESP_AG", 18.0),
    ("2106-3", "hCG urine", True, "POCT_URINE", 11.0),
    ("41653-7", "Glucose meter", True, "POCT_GLUCOSE", 10.0),
    ("4548-4", "HbA1c POC", True, "POCT_HBA1C", 14.0),
    ("34714-6", "INR POC", True, "POCT_INR", 10.0),
    ("24357-6", "UA dipstick", True, "POCT_URINE", 11.0),
    ("24317-0", "Lipid panel", False, None, 0.0),
    ("57021-8", "CBC with differential", False, None, 0.0),
    ("3016-3", "TSH", False, None, 0.0),
    ("2160-0", "Creatinine", False, None, 0.0),
    ("1988-5", "CRP", False, None, 0.0),
    ("88141-4", "Histology biopsy", False, None, 0.0),
)
LAB_CODES: tuple[str, ...] = tuple(t[0] for t in LAB_TESTS)
T_STREP, T_FLU, T_COV, T_HCG, T_GLU, T_A1C, T_INR, T_UA, T_LIPID, T_CBC, T_TSH, T_CREA, T_CRP, T_HISTO = range(
    len(LAB_TESTS)
)
IN_HOUSE = tuple(i for i, t in enumerate(LAB_TESTS) if t[2])
# Rapid-test panels ordered in the exam room: (weight, tests sharing one specimen, specimen-group split)
# Each inner tuple is one specimen; its tests share the specimen_id.
RAPID_PANELS: tuple[tuple[float, tuple[tuple[int, ...], ...]], ...] = (
    (0.16, ((T_STREP,),)),
    (0.10, ((T_FLU, T_COV),)),
    (0.07, ((T_COV,),)),
    (0.20, ((T_UA,),)),
    (0.07, ((T_UA, T_HCG),)),
    (0.04, ((T_HCG,),)),
    (0.14, ((T_GLU,),)),
    (0.08, ((T_GLU,), (T_A1C,))),
    (0.04, ((T_A1C,),)),
    (0.10, ((T_INR,),)),
)
# Blood drawn at VENIPUNCTURE and sent out: tube sets (EDTA, serum).
BLOOD_PANELS: tuple[tuple[float, tuple[tuple[int, ...], ...]], ...] = (
    (0.22, ((T_CBC,), (T_CRP,))),
    (0.18, ((T_CBC,), (T_LIPID, T_CREA))),
    (0.15, ((T_LIPID, T_TSH),)),
    (0.15, ((T_CBC,),)),
    (0.12, ((T_TSH,),)),
    (0.10, ((T_CBC,), (T_LIPID, T_TSH, T_CREA))),
    (0.08, ((T_CREA, T_CRP),)),
)
REJECTION_REASONS: tuple[str, ...] = (
    "haemolysed", "insufficient volume", "unlabelled specimen", "clotted", "transport temperature exceeded",
)

# --- reprocessing --------------------------------------------------------------------------------------------
PROBE_METHODS: tuple[tuple[str, float, float, bool], ...] = (
    # method, temperature C, exposure minutes, uses a MEC test strip
    ("HLD hydrogen peroxide trophon2", 56.0, 7.0, False),
    ("HLD OPA manual soak", 21.0, 12.0, True),
)
SPECULA_METHOD = ("thermal disinfection washer-disinfector A0 3000", 90.0, 5.0)


def _check_csv_safe() -> None:
    texts: list[str] = []
    for tz, country, prefixes, towns in COUNTRIES:
        texts += [tz, country, *prefixes, *towns]
    for labs in REFERENCE_LABS.values():
        texts += list(labs)
    texts += list(FIRST_NAMES) + list(LAST_NAMES) + list(ROOM_NAMES.values()) + list(REJECTION_REASONS)
    texts += [m[0] for m in PROBE_METHODS] + [SPECULA_METHOD[0]]
    bad = [t for t in texts if any(ch in t for ch in ',"\n\r')]
    if bad:
        raise ValueError(f"reference texts must be CSV-safe: {bad}")


_check_csv_safe()
