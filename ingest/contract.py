"""The source contract: which record types the clinic's exports carry, their columns, types and keys.

One place for it, because the simulator writes it, the ingest validates against it, the HL7 v2 and
FHIR readers map into it and the dbt sources describe the resulting raw tables. Changing a column here
changes all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is parsed and validated at ingest."""

    ID = "id"  # free identifier, kept as text
    TEXT = "text"
    PATIENT_ID = "patient_id"  # direct patient identifier: pseudonymised before it is stored
    TIMESTAMP = "timestamp"  # ISO 8601 (with or without offset) or dd.mm.yyyy HH:MM; naive = clinic local time
    DATE = "date"  # ISO or dd.mm.yyyy
    TIME = "time"  # HH:MM[:SS]
    INTEGER = "integer"
    DECIMAL = "decimal"  # decimal point or decimal comma
    BOOLEAN = "boolean"  # true/false, yes/no, ja/nein, 1/0, x/blank
    ENUM = "enum"


# Default maximum length per kind of free-text column (ids: HL7 v2 CX.1 allows 15 characters, FHIR ids 64;
# a generous margin for practice software). Other kinds are bounded by their format.
MAX_LENGTH: dict[Kind, int] = {Kind.ID: 128, Kind.PATIENT_ID: 128, Kind.TEXT: 1000}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] = ()
    wildcard: str | None = None  # a value allowed beside the normal ones (room_schedule.room_id = '*')
    max_length: int | None = None  # characters; None = the kind's default (MAX_LENGTH)

    @property
    def length_limit(self) -> int | None:
        """The most characters a value may have: a longer id or text is a run-together export, not a value."""
        return self.max_length or MAX_LENGTH.get(self.kind)


@dataclass(frozen=True)
class RecordType:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Name of the timestamp column that dates the record (for freshness and partitioning), if any.
    event_time: str | None = None
    # Columns referring to other records: column -> (record type, its column). A value not found there is
    # loaded but flagged `unknown_<record type>` (never rejected): the export may be ahead of the master data.
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Ordered event pairs (earlier, later, flag): a row whose later time precedes the earlier one is an
    # impossible timeline, loaded with the flag and left out of the statistics by the models.
    timeline: tuple[tuple[str, str, str], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: Kind = Kind.TEXT, required: bool = False, allowed: tuple[str, ...] = (), **kw) -> Column:
    return Column(name, kind, required, allowed, **kw)


ROOM_TYPES = ("exam", "procedure", "lab", "imaging", "sterile_processing")
STAFF_ROLES = ("medical_assistant", "phlebotomist", "lab_technician", "nurse", "physician", "supervisor")
CLIA_ELEMENTS = (
    "direct_observation",
    "result_reporting",
    "records_review",
    "maintenance_observation",
    "blind_sample",
    "problem_solving",
    "supervised_performance",
)
ROOM_EVENT_TYPES = (
    "cleaning_start",
    "cleaning_end",
    "terminal_clean_start",
    "terminal_clean_end",
    "out_of_service_start",
    "out_of_service_end",
)

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in [
        RecordType(
            "clinics",
            (
                _c("clinic_id", Kind.ID, True),
                _c("name", Kind.TEXT, True),
                _c("timezone", Kind.TEXT, True),
                _c("country"),
            ),
            key=("clinic_id",),
        ),
        RecordType(
            "rooms",
            (
                _c("clinic_id", Kind.ID, True),
                _c("room_id", Kind.ID, True),
                _c("name"),
                _c("room_type", Kind.ENUM, True, ROOM_TYPES),
                _c("active_from", Kind.DATE),
                _c("active_to", Kind.DATE),
            ),
            key=("clinic_id", "room_id"),
        ),
        RecordType(
            "room_schedule",
            (
                _c("clinic_id", Kind.ID, True),
                _c("room_id", Kind.ID, True, wildcard="*"),
                _c("weekday", Kind.INTEGER, True),
                _c("opens_at", Kind.TIME, True),
                _c("closes_at", Kind.TIME, True),
                _c("valid_from", Kind.DATE),
                _c("valid_to", Kind.DATE),
            ),
            key=("clinic_id", "room_id", "weekday", "valid_from"),
        ),
        RecordType(
            "staff",
            (
                _c("clinic_id", Kind.ID, True),
                _c("staff_id", Kind.ID, True),
                _c("display_name", Kind.TEXT, True),
                _c("role", Kind.ENUM, True, STAFF_ROLES),
                _c("started_on", Kind.DATE, True),
                _c("ended_on", Kind.DATE),
                _c("supervisor_id", Kind.ID),
            ),
            key=("clinic_id", "staff_id"),
        ),
        RecordType(
            "certifications",
            (
                _c("staff_id", Kind.ID, True),
                _c("certification_code", Kind.ID, True),
                _c("issued_on", Kind.DATE, True),
                _c("expires_on", Kind.DATE),
            ),
            key=("staff_id", "certification_code", "issued_on"),
        ),
        RecordType(
            "competency_assessments",
            (
                _c("assessment_id", Kind.ID, True),
                _c("staff_id", Kind.ID, True),
                _c("competency_code", Kind.ID, True),
                _c("element", Kind.ENUM, True, CLIA_ELEMENTS),
                _c("assessed_on", Kind.DATE, True),
                _c("assessor_id", Kind.ID, True),
                _c("outcome", Kind.ENUM, True, ("pass", "fail")),
            ),
            key=("assessment_id",),
        ),
        RecordType(
            "encounters",
            (
                _c("encounter_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("patient_id", Kind.PATIENT_ID, True),
                _c("arrived_at", Kind.TIMESTAMP, True),
                _c("exam_room_id", Kind.ID),
                _c("exam_room_in_at", Kind.TIMESTAMP),
                _c("exam_room_out_at", Kind.TIMESTAMP),
                _c("departed_at", Kind.TIMESTAMP),
                _c("chaperone_requested", Kind.BOOLEAN),
                _c("interpreter_requested", Kind.BOOLEAN),
            ),
            key=("clinic_id", "encounter_id"),
            event_time="arrived_at",
            timeline=(
                ("arrived_at", "departed_at", "departed_before_arrival"),
                ("exam_room_in_at", "exam_room_out_at", "exam_room_out_before_in"),
            ),
        ),
        RecordType(
            "procedures",
            (
                _c("procedure_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("encounter_id", Kind.ID),
                _c("patient_id", Kind.PATIENT_ID, True),
                _c("procedure_code", Kind.ID, True),
                _c("room_id", Kind.ID, True),
                _c("performed_by", Kind.ID, True),
                _c("supervised_by", Kind.ID),
                _c("scheduled_start_at", Kind.TIMESTAMP),
                _c("patient_in_at", Kind.TIMESTAMP),
                _c("procedure_start_at", Kind.TIMESTAMP),
                _c("procedure_end_at", Kind.TIMESTAMP),
                _c("patient_out_at", Kind.TIMESTAMP),
                _c("status", Kind.ENUM, True, ("completed", "cancelled", "aborted")),
                _c("chaperone_present", Kind.BOOLEAN),
                _c("interpreter_present", Kind.BOOLEAN),
                _c("sterilizer_load_id", Kind.ID),
                _c("device_id", Kind.ID),
            ),
            key=("clinic_id", "procedure_id"),
            event_time="patient_in_at",
            references={"room_id": ("rooms", "room_id"), "performed_by": ("staff", "staff_id")},
            timeline=(
                ("patient_in_at", "patient_out_at", "patient_out_before_in"),
                ("procedure_start_at", "procedure_end_at", "procedure_end_before_start"),
                ("patient_in_at", "procedure_start_at", "procedure_start_before_patient_in"),
                ("procedure_end_at", "patient_out_at", "patient_out_before_procedure_end"),
            ),
        ),
        RecordType(
            "room_events",
            (
                _c("event_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("room_id", Kind.ID, True),
                _c("event_type", Kind.ENUM, True, ROOM_EVENT_TYPES),
                _c("occurred_at", Kind.TIMESTAMP, True),
                _c("staff_id", Kind.ID),
            ),
            key=("clinic_id", "event_id"),
            event_time="occurred_at",
            references={"room_id": ("rooms", "room_id")},
        ),
        RecordType(
            "lab_specimens",
            (
                _c("specimen_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("patient_id", Kind.PATIENT_ID, True),
                _c("test_code", Kind.ID, True),
                _c("priority", Kind.ENUM, True, ("stat", "routine")),
                _c("encounter_id", Kind.ID),
                _c("order_id", Kind.ID),
                _c("ordered_at", Kind.TIMESTAMP),
                _c("ordered_by", Kind.ID),
                _c("collected_at", Kind.TIMESTAMP, True),
                _c("collected_by", Kind.ID),
                _c("received_at", Kind.TIMESTAMP),
                _c("resulted_at", Kind.TIMESTAMP),
                _c("verified_at", Kind.TIMESTAMP),
                _c("reviewed_at", Kind.TIMESTAMP),
                _c("performing_site", Kind.ENUM, True, ("in_house", "send_out")),
                _c("reference_lab"),
                _c("shipped_at", Kind.TIMESTAMP),
                _c("performed_by", Kind.ID),
                _c("result_value"),
                _c("result_unit"),
                _c("abnormal_flag"),
                _c("critical_notified_at", Kind.TIMESTAMP),
                _c("status", Kind.ENUM, True, ("final", "corrected", "pending", "cancelled", "rejected")),
                _c("rejection_reason"),
            ),
            key=("clinic_id", "specimen_id", "test_code"),
            event_time="collected_at",
            timeline=(
                ("ordered_at", "collected_at", "collected_before_order"),
                ("collected_at", "received_at", "received_before_collection"),
                ("collected_at", "resulted_at", "result_before_collection"),
                ("resulted_at", "verified_at", "verified_before_result"),
                ("collected_at", "shipped_at", "shipped_before_collection"),
            ),
        ),
        RecordType(
            "sterilizer_cycles",
            (
                _c("load_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("sterilizer_id", Kind.ID, True),
                _c(
                    "cycle_type",
                    Kind.ENUM,
                    True,
                    ("prevacuum", "gravity", "immediate_use", "bowie_dick", "leak_test"),
                ),
                _c("started_at", Kind.TIMESTAMP, True),
                _c("ended_at", Kind.TIMESTAMP),
                _c("operator_id", Kind.ID, True),
                _c("exposure_temp_c", Kind.DECIMAL),
                _c("exposure_minutes", Kind.DECIMAL),
                _c("physical_pass", Kind.BOOLEAN),
                _c("ci_result", Kind.ENUM, False, ("pass", "fail", "not_used")),
                _c("bi_result", Kind.ENUM, False, ("negative", "positive", "pending", "not_tested")),
                _c("bi_lot"),
                _c("bi_read_at", Kind.TIMESTAMP),
                _c("contains_implant", Kind.BOOLEAN),
                _c("released_at", Kind.TIMESTAMP),
                _c("released_by", Kind.ID),
            ),
            key=("clinic_id", "load_id"),
            event_time="started_at",
            timeline=(("started_at", "ended_at", "cycle_end_before_start"),),
        ),
        RecordType(
            "disinfection_cycles",
            (
                _c("cycle_id", Kind.ID, True),
                _c("clinic_id", Kind.ID, True),
                _c("device_id", Kind.ID, True),
                _c("method", Kind.TEXT, True),
                _c("started_at", Kind.TIMESTAMP, True),
                _c("ended_at", Kind.TIMESTAMP),
                _c("exposure_minutes", Kind.DECIMAL),
                _c("temperature_c", Kind.DECIMAL),
                _c("solution_lot"),
                _c("mec_test_pass", Kind.BOOLEAN),
                _c("operator_id", Kind.ID, True),
            ),
            key=("clinic_id", "cycle_id"),
            event_time="started_at",
            timeline=(("started_at", "ended_at", "cycle_end_before_start"),),
        ),
    ]
}

# Order in which a folder is ingested: clinics first, because naive timestamps need the clinic's time zone.
INGEST_ORDER: tuple[str, ...] = tuple(RECORD_TYPES)

# Column names that look like direct patient identifiers. Beyond the contract they are dropped and never
# stored (the ingest log names the column, never its values).
IDENTIFIER_COLUMN_HINTS: tuple[str, ...] = (
    "name",
    "vorname",
    "nachname",
    "first_name",
    "last_name",
    "surname",
    "birth",
    "geburt",
    "dob",
    "address",
    "adresse",
    "street",
    "strasse",
    "phone",
    "telefon",
    "mobile",
    "email",
    "insurance",
    "versicherung",
    "ssn",
    "mrn",
    # German practice software and short forms (issue 13): Krankenversichertennummer, Geburtsdatum, Telefon,
    # Versichertennummer, and a bare "patient" column.
    "kvnr",
    "geb",
    "tel",
    "versichert",
    "patient",
    "handy",
    "plz",
)


def record_type_for_filename(filename: str) -> str | None:
    """`procedures_2026-11.csv` -> `procedures`; the longest matching prefix wins."""
    stem = filename.lower()
    best = None
    for name in RECORD_TYPES:
        if (stem == name or stem.startswith(name + "_") or stem.startswith(name + ".")) and (
            best is None or len(name) > len(best)
        ):
            best = name
    return best
