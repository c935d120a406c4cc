"""Small types shared by the message readers (HL7 v2, FHIR R4).

A reader turns a message file into rows of the source contract, as text, exactly as a CSV of that record
type would carry them: the ingest core then validates and parses them like any CSV (timestamps, enums,
required columns, pseudonymisation of the patient id). Readers never drop a row for a missing value;
they leave it None and the ingest quarantines the row with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.contract import RECORD_TYPES

MESSAGE_NUMBER = "_message_number"  # 1-based index of the message (HL7) or resource (FHIR) in the file


@dataclass
class MessageRows:
    """All rows of one record type read from one file."""

    record_type: str  # "lab_specimens", "procedures", "encounters"
    # Keys: every contract column of the record type (None when absent) plus "_message_number".
    rows: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class SkippedMessage:
    """A message or resource that produced no rows, and why. Carries no patient identifiers."""

    message_number: int  # 1-based; 0 for text before the first message header
    message_type: str  # "ADT^A01", "Patient", ...
    reason_code: str  # "unsupported_message_type", "unsupported_resource_type", ...
    reason: str  # one sentence for the ingest log
    raw_masked: str  # the message / resource with direct patient identifiers replaced by "***"


@dataclass
class FileFacts:
    """What a reader learns about a file besides its rows; the ingest uses it, never stores it as is."""

    # Every patient identifier value found in the file (ids, name parts, birth date): pseudonymised in row
    # values, masked in the stored file name (see ingest.identifier_mask).
    identifiers: set[str] = field(default_factory=set)
    # Entries kept only as context (a Patient or Location rows refer to, a report whose results are the
    # rows, a MessageHeader): neither loaded nor quarantined, counted in raw.ingest_log so a Bundle adds up.
    context: int = 0
    # (record type, message number) -> flags for the row of that message (FHIR: one row per entry and type).
    flags: dict[tuple[str, int], list[str]] = field(default_factory=dict)


def empty_row(record_type: str, message_number: int) -> dict[str, str | None]:
    """A row with every contract column of `record_type` set to None."""
    row: dict[str, str | None] = dict.fromkeys(RECORD_TYPES[record_type].column_names)
    row[MESSAGE_NUMBER] = str(message_number)
    return row


def group_rows(rows: list[tuple[str, dict[str, str | None]]]) -> list[MessageRows]:
    """(record_type, row) pairs -> one MessageRows per record type, in contract order."""
    by_type: dict[str, list[dict[str, str | None]]] = {}
    for record_type, row in rows:
        by_type.setdefault(record_type, []).append(row)
    return [MessageRows(rt, by_type[rt]) for rt in RECORD_TYPES if rt in by_type]
