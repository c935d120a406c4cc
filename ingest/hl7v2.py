"""HL7 v2 lab results (ORU^R01, OUL^R22) -> `lab_specimens` rows of the source contract, as text.

One row per result (OBX in an order's observation group): specimen x test. Fields are read with the
`hl7` package (python-hl7); this module only frames the file into messages (segment separators CR, LF
or CRLF, an optional UTF-8 BOM, FHS/BHS batch envelopes) and leaves all field, component and escape
handling to the parser. Timestamps become ISO 8601 text: `2026-11-25T14:05:00+01:00` with an offset (the
field's own, else MSH-7's: HL7 v2 DTM), naive `2026-11-25 14:05:00` when neither has one (the ingest reads
naive times as clinic local time).

Nothing here is validated: missing required values stay None and the ingest core quarantines the row.
Patient identifiers (PID-3) are passed through for the ingest to pseudonymise; they are never logged. Every
PID-2/3/4/5/7/19 value is collected (`FileFacts.identifiers`): the ingest pseudonymises any row value equal to
one and masks them in stored file names; quarantined text has them masked here, in whatever field they sit.
A file cut off inside its last segment quarantines that message as `truncated_message`.

Field mapping (v2.5.1 segment groups; worked examples in tests/test_hl7v2.py):

    specimen_id        SPM-2.1 placer id > SPM-2.2 filler id > OBR-3 filler order no > OBR-2 / ORC-2
    clinic_id          argument > MSH-4.1 (sending facility namespace id)
    patient_id         PID-3, first repetition, ID component
    test_code          OBX-3: the LOINC (LN) identifier (OBX-3.1, or the alternate OBX-3.4), else OBX-3.1
    priority           TQ1-9 > OBR-27.6 > ORC-7.6 > OBR-5: S/STAT, A/ASAP -> stat, anything else -> routine
    encounter_id       PV1-19 (visit number)
    order_id           ORC-2.1 > OBR-2.1 (placer order number)
    ordered_at         ORC-9, only when ORC-1 is NW (for RE it is the result transaction time)
    ordered_by         ORC-12.1 > OBR-16.1
    collected_at       OBR-7 > SPM-17.1 > OBX-14 (observation time = collection for specimen-based tests)
    collected_by       OBR-10.1
    received_at        OBR-14 > SPM-18
    resulted_at        OBX-19 (analysis time) > OBR-22 when a result exists (status F/C/P/R/A/U)
    verified_at        OBR-22 when the row status is final or corrected
    performing_site    send_out when OBX-23 (name 23.1 or identifier 23.10) names an organisation other than
                       MSH-4, the clinic or its own lab (master data: the clinic's id and name)
    reference_lab      OBX-23.1 > OBX-23.10 for send-outs
    performed_by       OBX-16.1
    result_value       OBX-5 (by OBX-2 type: SN joined, CE/CWE text, RP pointer, ED none), repeats ", "
    result_unit        OBX-6.1
    abnormal_flag      OBX-8, first repetition
    status             OBX-11 > OBR-25: F/U final, C corrected, P/I/R/S/O/A pending, X cancelled,
                       other codes passed through raw; SPM-21 (reject reason) -> rejected
    rejection_reason   SPM-21 text > code
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import hl7

from ingest.identifier_mask import HL7_SEPARATORS, MASK, mask_tokens
from ingest.message_rows import FileFacts, MessageRows, SkippedMessage, empty_row, group_rows

LAB_RESULT_TYPES = {("ORU", "R01"), ("OUL", "R22")}
_ENVELOPE_SEGMENTS = {"FHS", "FTS", "BHS", "BTS"}

# PID fields that identify the patient directly; replaced by "***" in raw_masked.
# 3 ids, 5 name, 7 birth date, 11 address, 13/14 phones, 19 SSN; also 2/4 other ids, 6 mother's maiden
# name, 9 alias, 18 account number, 20 driver's licence, 21 mother's identifier.
_PID_MASKED_FIELDS = (2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 18, 19, 20, 21)
# Segments about identifiable people (next of kin, guarantor, insured, merged ids, disability, contact):
# every field from the given one on is masked (field 1 is a set id or a role, except in IN2 and MRG).
_FULLY_MASKED_SEGMENTS = {"NK1": 2, "GT1": 2, "IN1": 2, "IN2": 1, "IN3": 2, "MRG": 1, "DB1": 2, "CTD": 2}

_STATUS = {
    "F": "final",
    "U": "final",  # OBX: status changed to final without retransmitting the result
    "C": "corrected",
    "P": "pending",
    "I": "pending",
    "R": "pending",
    "S": "pending",  # OBX partial / OBR scheduled
    "O": "pending",  # order received, specimen not yet
    "A": "pending",  # OBR: some, not all results available
    "X": "cancelled",
}
# Status codes meaning a result value exists (preliminary or final), so OBR-22 may date it.
_RESULT_PRESENT = {"F", "U", "C", "P", "R", "A"}
_STAT_PRIORITIES = {"S", "STAT", "A", "ASAP"}

_DTM = re.compile(r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$")


# --------------------------------------------------------------------------------------------- helpers


def hl7_timestamp(value: str | None, default_offset: str | None = None) -> str | None:
    """HL7 DTM/TS text -> ISO 8601 text; unparseable values are returned unchanged (the ingest rejects them).

    `20261125140500+0100` -> `2026-11-25T14:05:00+01:00`; `202611251405` -> `2026-11-25 14:05:00`;
    `20261125` -> `2026-11-25`. HL7 v2 (2.5.1 ch. 2A, DTM): a time without an offset is in the sender's
    zone, so `default_offset` (MSH-7's, `+0100`) is used when the value has none; only when neither has
    one is the text left naive for the ingest to read as the clinic's local time.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    m = _DTM.match(value)
    if not m:
        return value
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    if month is None or day is None:
        return value  # year or year-month only: not a usable point in time
    try:
        datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return value
    date = f"{year}-{month}-{day}"
    if hour is None:
        return date
    time = f"{hour}:{minute or '00'}:{second or '00'}{fraction or ''}"
    offset = offset or default_offset
    if offset is None:
        return f"{date} {time}"
    if int(offset[1:3]) > 14 or int(offset[3:5]) > 59:
        return value
    return f"{date}T{time}{offset[:3]}:{offset[3:]}"


def message_offset(msh) -> str | None:
    """The UTC offset (`-0700`) of MSH-7, the sender's zone for every time in the message that has none."""
    m = _DTM.match(_get(msh, 7) or "")
    return m.group(8) if m else None


def _get(seg, field_num: int, component: int = 1, sub: int = 1, rep: int = 1) -> str | None:
    """One unescaped value of a segment, None when absent or empty."""
    if seg is None:
        return None
    try:
        value = seg.extract_field(1, field_num, rep, component, sub)
    except (IndexError, KeyError):
        return None
    value = str(value).strip() if value is not None else ""
    return value or None


def _repetitions(seg, field_num: int) -> int:
    if seg is None or field_num >= len(seg):
        return 0
    return len(seg(field_num))


def _components(seg, field_num: int, rep: int) -> int:
    repetition = seg(field_num)(rep)
    return len(repetition) if isinstance(repetition, hl7.Repetition) else 1


def _segment_id(seg) -> str:
    return str(seg[0]).strip()


# The fields a segment must have to be whole (the last required field of v2.5.1's definition; MSH counts
# MSH-1, the field separator, so its n-th field is the n-th piece): a last segment without a terminator
# and with fewer fields was cut off.
_REQUIRED_FIELDS = {"MSH": 12, "PID": 5, "PV1": 2, "ORC": 1, "OBR": 4, "OBX": 11, "SPM": 4, "TQ1": 1}


def _cut_off(text: str, last_line: str) -> bool:
    """True when the file ends inside `last_line`: no segment terminator after it and too few fields."""
    if text.rstrip("\x1c\x0b \t").endswith(("\r", "\n")):
        return False
    sid = last_line[:3]
    fields = len(last_line.split(last_line[3:4] or "|")) - (0 if sid == "MSH" else 1)
    return fields < _REQUIRED_FIELDS.get(sid, 1)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _frame(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """File text -> (lines before the first MSH, [(message_number, segment lines)]).

    Only segment/message framing happens here; fields are left to the hl7 parser.
    """
    text = text.replace("\x0b", "").replace("\x1c", "")  # MLLP framing bytes, if a capture kept them
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    orphans: list[str] = []
    messages: list[tuple[int, list[str]]] = []
    for raw in text.split("\r"):
        line = raw.strip().lstrip("\ufeff").strip()
        if not line:
            continue
        sid = line[:3]
        if sid in _ENVELOPE_SEGMENTS:
            continue
        if sid == "MSH":
            messages.append((len(messages) + 1, [line]))
        elif messages:
            messages[-1][1].append(line)
        else:
            orphans.append(line)
    return orphans, messages


# PID fields whose values identify the patient wherever else they turn up (PID-2/3/4 ids, 19 SSN; the name
# parts of PID-5 and the birth date PID-7 are added by `patient_identifiers`).
_PID_ID_FIELDS = (2, 3, 4, 19)


def patient_identifiers(message) -> set[str]:
    """The values that identify the message's patient(s): PID-2/3/4/19 ids, PID-5 family and given names, PID-7.

    A value equal to one of them is a patient identifier whatever field carries it (a lab reusing the MRN as
    its filler order number, PID-2 repeated in PV1-5), so the ingest masks or pseudonymises it everywhere.
    """
    found: set[str | None] = set()
    for seg in message:
        if _segment_id(seg) != "PID":
            continue
        for f in _PID_ID_FIELDS:
            found.update(_get(seg, f, 1, rep=rep) for rep in range(1, _repetitions(seg, f) + 1))
        for rep in range(1, _repetitions(seg, 5) + 1):
            found.update((_get(seg, 5, 1, rep=rep), _get(seg, 5, 2, rep=rep)))
        found.add(_get(seg, 7))
    return {v for v in found if v}


def _mask(message, identifiers: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The parsed message as text (segments joined by LF) with direct patient identifiers as ***."""
    out = []
    for seg in message:
        sid = _segment_id(seg)
        if sid == "PID":
            for i in _PID_MASKED_FIELDS:
                if i < len(seg) and str(seg[i]).strip():
                    seg[i] = MASK
        elif sid in _FULLY_MASKED_SEGMENTS:
            for i in range(_FULLY_MASKED_SEGMENTS[sid], len(seg)):
                if str(seg[i]).strip():
                    seg[i] = MASK
        out.append(str(seg))
    return mask_tokens("\n".join(out), identifiers, HL7_SEPARATORS)



def _mask_unparsed(lines: list[str]) -> str:
    """Segments that could not be parsed: keep MSH (no patient data), reduce the rest to their id."""
    return "\n".join(line if line.startswith("MSH") else f"{line[:3]}|{MASK}" for line in lines)


# ------------------------------------------------------------------------------------- message groups


@dataclass
class _Order:
    """One ORDER_OBSERVATION group: OBR with its ORC, timing, result OBXs and specimen(s)."""

    obr: object
    orc: object | None
    pid: object | None
    pv1: object | None
    tq1: object | None = None
    results: list = field(default_factory=list)
    specimens: list = field(default_factory=list)


def _orders(message, is_oul: bool) -> list[_Order]:
    """Group segments the way ORU^R01 / OUL^R22 (v2.5.1+) nest them.

    ORU^R01: [ORC] OBR ... {OBX} ... {SPM {OBX}} -- SPM follows the results; OBX after SPM describe the
    specimen, not a test result. Some senders put the specimen between the order and its results
    (OBR, SPM, OBX): an OBX belongs to the nearest preceding OBR, so OBX after an SPM are results as long
    as the order has none yet (NTE anywhere changes nothing). OUL^R22: SPM {OBX} {OBR [ORC] ... {OBX}} --
    SPM heads its orders; OBX right after SPM describe the specimen. OBX before any OBR (patient
    observations) are not results.
    """
    orders: list[_Order] = []
    pid = pv1 = pending_orc = current_spm = None
    order: _Order | None = None
    in_specimen = False
    for seg in message:
        sid = _segment_id(seg)
        if sid == "PID":
            pid, pv1, order, pending_orc, current_spm = seg, None, None, None, None
        elif sid == "PV1":
            pv1 = seg
        elif sid == "ORC":
            if is_oul:
                if order is not None and order.orc is None:
                    order.orc = seg
            else:
                pending_orc, order = seg, None
        elif sid == "OBR":
            order = _Order(obr=seg, orc=pending_orc, pid=pid, pv1=pv1)
            if is_oul and current_spm is not None:
                order.specimens.append(current_spm)
            orders.append(order)
            pending_orc, in_specimen = None, False
        elif sid == "TQ1":
            if order is not None and order.tq1 is None:
                order.tq1 = seg
        elif sid == "OBX":
            if order is not None and not in_specimen:
                order.results.append(seg)
        elif sid == "SPM":
            if is_oul:
                current_spm, order = seg, None
            elif order is not None:
                order.specimens.append(seg)
                in_specimen = bool(order.results)  # results already read: the OBX that follow describe the SPM
    return orders


# ---------------------------------------------------------------------------------------------- fields


def _test_code(obx) -> str | None:
    if (_get(obx, 3, 3) or "").upper() == "LN":
        return _get(obx, 3, 1)
    if (_get(obx, 3, 6) or "").upper() == "LN" and _get(obx, 3, 4):
        return _get(obx, 3, 4)
    return _get(obx, 3, 1)


def _result_value(obx) -> str | None:
    value_type = (_get(obx, 2) or "").upper()
    if value_type == "ED":
        return None  # encapsulated (binary) data is not a result value
    values = []
    for rep in range(1, _repetitions(obx, 5) + 1):
        if value_type == "SN":
            parts = [_get(obx, 5, c, rep=rep) for c in (1, 2, 3, 4)]
            value = "".join(p for p in parts if p) or None
        elif value_type == "RP":
            value = _get(obx, 5, 1, rep=rep)  # the pointer (URL); type and subtype follow
        elif value_type in ("CE", "CWE", "CNE", "CF"):
            value = _get(obx, 5, 2, rep=rep) or _get(obx, 5, 9, rep=rep) or _get(obx, 5, 1, rep=rep)
        else:  # NM, ST, TX, FT, DT, TS, ...: the text; a malformed multi-component value is joined
            parts = [_get(obx, 5, c, rep=rep) for c in range(1, _components(obx, 5, rep) + 1)]
            value = " ".join(p for p in parts if p) or None
        if value:
            values.append(value)
    return ", ".join(values) or None


def _priority(order: _Order) -> str:
    code = _get(order.tq1, 9) or _get(order.obr, 27, 6) or _get(order.orc, 7, 6) or _get(order.obr, 5)
    return "stat" if (code or "").upper() in _STAT_PRIORITIES else "routine"


def _ordered_at(orc, offset: str | None) -> str | None:
    """ORC-9 is the time of the transaction: the order's time only in a new order (ORC-1 = NW); with RE (or
    none) it is when the result was sent, which would make every order look placed after its result."""
    if (_get(orc, 1) or "").upper() == "NW":
        return hl7_timestamp(_get(orc, 9), offset)
    return None


def _send_out_lab(obx, msh, clinic_id: str | None, own_labs: dict[str, set[str]]) -> str | None:
    """The reference lab's name (OBX-23.1, else its identifier OBX-23.10) when OBX-23 names an organisation that
    is not the clinic's own lab: not MSH-4, not the clinic, not a name or id its master data gives its lab."""
    name, ident = _get(obx, 23, 1), _get(obx, 23, 10)
    if not (name or ident):
        return None
    clinic = clinic_id or _get(msh, 4, 1)
    own = {v.casefold() for v in (_get(msh, 4, 1), _get(msh, 4, 2), clinic_id) if v} | own_labs.get(clinic or "", set())
    return None if {v.casefold() for v in (name, ident) if v} & own else name or ident


def _lab_rows(message, message_number: int, clinic_id: str | None, own_labs: dict[str, set[str]]
             ) -> list[dict[str, str | None]]:
    msh = message.segment("MSH")
    is_oul = (_get(msh, 9, 1) or "").upper() == "OUL"
    offset = message_offset(msh)

    def ts(value: str | None) -> str | None:
        return hl7_timestamp(value, offset)

    rows = []
    for order in _orders(message, is_oul):
        obr, orc = order.obr, order.orc
        spm = order.specimens[0] if order.specimens else None
        reject_reason = _get(spm, 21, 2) or _get(spm, 21, 9) or _get(spm, 21, 1)
        reported = ts(_get(obr, 22))
        order_row = empty_row("lab_specimens", message_number)
        order_row.update(  # what all results of the order share
            specimen_id=_get(spm, 2, 1, 1) or _get(spm, 2, 2, 1) or _get(obr, 3) or _get(obr, 2) or _get(orc, 2),
            clinic_id=clinic_id or _get(msh, 4, 1),
            patient_id=_get(order.pid, 3, 1),
            priority=_priority(order),
            encounter_id=_get(order.pv1, 19, 1),
            order_id=_get(orc, 2) or _get(obr, 2),
            ordered_at=_ordered_at(orc, offset),
            ordered_by=_get(orc, 12, 1) or _get(obr, 16, 1),
            collected_at=ts(_get(obr, 7) or _get(spm, 17, 1)),
            collected_by=_get(obr, 10, 1),
            received_at=ts(_get(obr, 14) or _get(spm, 18)),
            rejection_reason=reject_reason,
        )
        for obx in order.results:
            code = (_get(obx, 11) or _get(obr, 25) or "").upper()
            status = _STATUS.get(code, code or None)
            if reject_reason and status not in ("final", "corrected"):
                status = "rejected"
            reference_lab = _send_out_lab(obx, msh, clinic_id, own_labs)
            row = dict(order_row)
            row.update(
                test_code=_test_code(obx),
                # OBX-14: the observation's time, for a specimen-based test its collection (v2.5.1 7.4.2.14)
                collected_at=order_row["collected_at"] or ts(_get(obx, 14)),
                resulted_at=ts(_get(obx, 19)) or (reported if code in _RESULT_PRESENT else None),
                verified_at=reported if status in ("final", "corrected") else None,
                performing_site="send_out" if reference_lab else "in_house",
                reference_lab=reference_lab,
                performed_by=_get(obx, 16, 1),
                result_value=_result_value(obx),
                result_unit=_get(obx, 6, 1),
                abnormal_flag=_get(obx, 8, 1),
                status=status,
            )
            rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------ public API


def read_hl7v2_file(path: Path, clinic_id: str | None = None, facts: FileFacts | None = None,
                    own_labs: dict[str, set[str]] | None = None) -> tuple[list[MessageRows], list[SkippedMessage]]:
    """Read every message in an HL7 v2 file; lab results become `lab_specimens` rows, the rest is skipped.

    `facts`, when given, receives every patient identifier value of the file (`patient_identifiers`), for
    the ingest to pseudonymise in row values and mask in the stored file name. `own_labs`: clinic id -> the
    casefolded names and identifiers of its own lab (master data), whose results are in house. A file without any
    message (empty, binary, no MSH segment) raises ValueError: nothing in it can be loaded or quarantined.
    """
    text = _decode(Path(path).read_bytes())
    orphans, messages = _frame(text)
    if not messages:
        what = "is empty" if not orphans else f"has no MSH segment in its {len(orphans)} line(s)"
        raise ValueError(f"no HL7 v2 message: the file {what}")
    last_lines = messages[-1][1]
    cut_number = messages[-1][0] if _cut_off(text, last_lines[-1]) else None
    cut_reason = (f"the file ends inside the {last_lines[-1][:3]} segment (no segment terminator, fewer fields "
                  "than the segment requires): a cut-off message never replaces a stored result; resend it whole")
    identifiers = facts.identifiers if facts is not None else set()
    rows: list[tuple[str, dict[str, str | None]]] = []
    skipped: list[SkippedMessage] = []
    if orphans:
        skipped.append(
            SkippedMessage(
                0,
                "",
                "no_message_header",
                f"{len(orphans)} segment(s) before the first MSH segment belong to no message",
                _mask_unparsed(orphans),
            )
        )
    for number, lines in messages:
        try:
            message = hl7.parse("\r".join(lines))
            msh = message.segment("MSH")
        except Exception as exc:  # noqa: BLE001 - any parser failure quarantines just this message
            code, reason = ("truncated_message", cut_reason) if number == cut_number else (
                "unparseable_message", f"HL7 parser failed: {type(exc).__name__}")
            skipped.append(SkippedMessage(number, "", code, reason, _mask_unparsed(lines)))
            continue
        ids = patient_identifiers(message)
        identifiers.update(ids)
        event = (_get(msh, 9, 1) or "").upper(), (_get(msh, 9, 2) or "").upper()
        message_type = "^".join(p for p in event if p) or "(no MSH-9)"
        if number == cut_number:
            skipped.append(SkippedMessage(number, message_type, "truncated_message", cut_reason, _mask(message, ids)))
            continue
        if event not in LAB_RESULT_TYPES:
            skipped.append(
                SkippedMessage(
                    number,
                    message_type,
                    "unsupported_message_type",
                    f"{message_type} is not a lab result message; only ORU^R01 and OUL^R22 are loaded",
                    _mask(message, ids),
                )
            )
            continue
        try:
            message_rows = _lab_rows(message, number, clinic_id, own_labs or {})
        except Exception as exc:  # noqa: BLE001
            skipped.append(
                SkippedMessage(
                    number,
                    message_type,
                    "unparseable_message",
                    f"could not read the lab result: {type(exc).__name__}",
                    _mask(message, ids),
                )
            )
            continue
        if not message_rows:
            skipped.append(
                SkippedMessage(
                    number,
                    message_type,
                    "no_results",
                    f"{message_type} carries no OBX result under an OBR order",
                    _mask(message, ids),
                )
            )
            continue
        rows.extend(("lab_specimens", row) for row in message_rows)
    return group_rows(rows), skipped
