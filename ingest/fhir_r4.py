"""FHIR R4 JSON -> rows of the source contract, as text: lab results, procedures, encounters.

Reads one JSON resource, a Bundle (any type; nested Bundles are flattened) or NDJSON (one resource per
line, as a bulk export writes it) with the plain json module. Timestamps are passed through exactly as
given (FHIR dateTime/instant is already ISO 8601, usually with an offset); the ingest core parses and
validates them like CSV text. Missing required values stay None: the ingest quarantines the row.

Record types and the resources they come from:

lab_specimens  one row per lab Observation; linked through references inside the file:
               Observation.specimen / DiagnosticReport.specimen / ServiceRequest.specimen -> Specimen,
               Observation.basedOn / DiagnosticReport.basedOn / Specimen.request -> ServiceRequest,
               DiagnosticReport.result -> Observation. A DiagnosticReport whose results are not in the
               file, a Specimen or a ServiceRequest that no row uses each give one row of their own.
procedures     one row per Procedure.
encounters     one row per Encounter (cancelled, planned and entered-in-error ones are skipped).

Identifiers of referenced things (patient, specimen, order, encounter, practitioner, location) are the
logical id of the reference (`Patient/pat2` -> `pat2`), so a resource means the same whether or not it
is included in the file; contained (`#x`) and `urn:uuid:` targets give their first business identifier.
The patient id is a direct identifier: the ingest pseudonymises it; it is never logged here. The values that
identify the file's patients (`patient_identifiers`: id, urn:uuid, identifiers, names, birth date) are masked in
quarantined JSON wherever they appear and handed to the ingest (`FileFacts`) for row values and file names.
Every entry becomes a row, a quarantined resource or a counted context entry.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.identifier_mask import mask_json
from ingest.message_rows import FileFacts, MessageRows, SkippedMessage, empty_row, group_rows

Resource = dict[str, Any]

ROW_TYPES = ("Observation", "DiagnosticReport", "Specimen", "ServiceRequest", "Procedure", "Encounter")
# Resources that only give context to rows (names, rooms, ids); not reported when something refers to them.
REFERENCE_ONLY_TYPES = ("Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Device")
ENVELOPE_TYPES = ("MessageHeader", "Composition")

LOINC = "http://loinc.org"
ANALYSIS_TIME_EXT = "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time"
MASK = "***"

_OBS_STATUS = {
    "registered": "pending",
    "preliminary": "pending",
    "final": "final",
    "amended": "corrected",
    "corrected": "corrected",
    "cancelled": "cancelled",
}
_DR_STATUS = {
    "registered": "pending",
    "partial": "pending",
    "preliminary": "pending",
    "final": "final",
    "amended": "corrected",
    "corrected": "corrected",
    "appended": "corrected",
    "cancelled": "cancelled",
}
# Observation/DiagnosticReport statuses for which a result value exists (so `issued` dates a result).
_RESULT_PRESENT = {"preliminary", "partial", "final", "amended", "corrected", "appended"}
_PROCEDURE_STATUS = {"completed": "completed", "not-done": "cancelled", "stopped": "aborted"}
_STAT_PRIORITIES = {"stat", "asap", "urgent"}
_PRACTITIONER_TYPES = ("Practitioner", "PractitionerRole")
_ENCOUNTER_NOT_HELD = {"planned", "cancelled", "entered-in-error"}

_OBS_NON_LAB = {
    "vital-signs", "imaging", "social-history", "survey", "exam", "therapy", "activity", "procedure",
}  # fmt: skip
_DR_LAB = {"LAB", "HM", "CH", "MB", "MCB", "MYC", "SP", "CP", "BLB", "SR", "TX", "VR", "CG", "HEM", "IMM"}
_DR_NON_LAB = {
    "RAD", "CT", "CUS", "EC", "EN", "NMR", "NMS", "OUS", "PHY", "PT", "RT", "RUS", "RX", "US", "VUS", "XRC",
    "CTH", "OT", "NRS", "OSL", "394914008", "LP29684-5", "LP29708-2",
}  # fmt: skip
_SR_LAB = {"108252007"}  # SNOMED laboratory procedure
_SR_NON_LAB = {"363679005", "409063005", "409073007", "387713003"}  # imaging, counselling, education, surgery

# Elements masked in raw_masked: anything naming or locating a person.
_PERSON_TYPES = ("Patient", "RelatedPerson", "Person")
_MASKED_KEYS = {
    "name", "telecom", "address", "birthDate", "_birthDate", "contact", "photo", "identifier", "note",
}  # fmt: skip


# ------------------------------------------------------------------------------------------ loading


@dataclass
class _Entry:
    number: int  # 1-based position in the file
    resource: Resource
    full_url: str | None


def _flatten(resource: Any, full_url: str | None, out: list[_Entry]) -> None:
    if not isinstance(resource, dict):
        return
    if resource.get("resourceType") == "Bundle":
        for entry in resource.get("entry") or []:
            if isinstance(entry, dict):
                _flatten(entry.get("resource"), entry.get("fullUrl"), out)
        return
    out.append(_Entry(len(out) + 1, resource, full_url))


def _load(path: Path) -> list[_Entry]:
    text = Path(path).read_bytes().decode("utf-8-sig")
    entries: list[_Entry] = []
    try:
        _flatten(json.loads(text, parse_float=Decimal), None, entries)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise
        for line in lines:  # NDJSON
            _flatten(json.loads(line, parse_float=Decimal), None, entries)
    return entries


# ------------------------------------------------------------------------------------------ references


def _ref_parts(reference: str) -> tuple[str | None, str | None]:
    """`Patient/pat2`, `https://x/fhir/Patient/pat2/_history/3` -> (`Patient`, `pat2`)."""
    parts = [p for p in reference.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None, None


class _Index:
    def __init__(self, entries: list[_Entry]):
        self.by_key: dict[str, Resource] = {}
        self.by_url: dict[str, Resource] = {}
        self.contained_in: dict[int, Resource] = {}  # id(contained resource) -> its parent
        for e in entries:
            r = e.resource
            if r.get("resourceType") and r.get("id"):
                self.by_key[f"{r['resourceType']}/{r['id']}"] = r
            if e.full_url:
                self.by_url[e.full_url] = r
            for c in r.get("contained") or []:
                if isinstance(c, dict):
                    self.contained_in[id(c)] = r

    def resolve(self, ref: Any, parent: Resource | None) -> Resource | None:
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            return None
        reference = ref["reference"]
        if reference.startswith("#"):
            owner = self.contained_in.get(id(parent), parent) if parent is not None else None
            for c in (owner or {}).get("contained") or []:
                if isinstance(c, dict) and c.get("id") == reference[1:]:
                    return c
            return None
        if reference in self.by_url:
            return self.by_url[reference]
        rtype, rid = _ref_parts(reference)
        return self.by_key.get(f"{rtype}/{rid}") if rtype else None

    def key_of(self, resource: Resource | None) -> str | None:
        """How a resource is named in rows: its logical id, or a business identifier if contained/no id."""
        if not resource:
            return None
        if resource.get("id") and id(resource) not in self.contained_in:
            return str(resource["id"])
        for ident in _identifiers(resource):
            return ident
        return str(resource["id"]) if resource.get("id") else None

    def ref_id(self, ref: Any, parent: Resource | None) -> str | None:
        """The id text of whatever a Reference points to, resolved in the file or not."""
        if not isinstance(ref, dict):
            return None
        target = self.resolve(ref, parent)
        reference = ref.get("reference") if isinstance(ref.get("reference"), str) else ""
        if target is not None and (reference.startswith("#") or reference.startswith("urn:")):
            return self.key_of(target)
        rtype, rid = _ref_parts(reference) if reference else (None, None)
        if rid:
            return rid
        if target is not None:
            return self.key_of(target)
        ident = ref.get("identifier")
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
        if reference.startswith("urn:"):
            return reference.rsplit(":", 1)[-1]
        return None

    def ref_type(self, ref: Any, parent: Resource | None) -> str | None:
        if not isinstance(ref, dict):
            return None
        target = self.resolve(ref, parent)
        if target is not None:
            return target.get("resourceType")
        if isinstance(ref.get("type"), str):
            return ref["type"]
        return _ref_parts(ref["reference"])[0] if isinstance(ref.get("reference"), str) else None

    def references(self, resource: Resource) -> list[Resource]:
        """Every resource in the file that `resource` refers to (anywhere inside it)."""
        found: list[Resource] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                target = self.resolve(node, resource) if "reference" in node else None
                if target is not None:
                    found.append(target)
                for key, value in node.items():
                    if key != "contained":
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(resource)
        return found


def _identifiers(resource: Resource) -> list[str]:
    out = []
    idents = list(resource.get("identifier") or [])
    if isinstance(resource.get("accessionIdentifier"), dict):
        idents.append(resource["accessionIdentifier"])
    for ident in idents:
        if isinstance(ident, dict) and ident.get("value"):
            out.append(str(ident["value"]))
    return out


# ------------------------------------------------------------------------------------------ small readers


def _first(resource: Resource | None, key: str) -> Any:
    values = (resource or {}).get(key)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value).strip()
    return text or None


def _codes(concept: Any) -> list[tuple[str | None, str | None]]:
    if not isinstance(concept, dict):
        return []
    return [(c.get("system"), c.get("code")) for c in concept.get("coding") or [] if isinstance(c, dict)]


def _code(concept: Any, prefer_system: str | None = None) -> str | None:
    """The code of a CodeableConcept: from `prefer_system` if present, else the first coding."""
    codes = [(s, c) for s, c in _codes(concept) if c]
    for system, code in codes:
        if system == prefer_system:
            return _text(code)
    return _text(codes[0][1]) if codes else None


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return _text(concept["text"])
    for c in concept.get("coding") or []:
        if isinstance(c, dict) and (c.get("display") or c.get("code")):
            return _text(c.get("display") or c.get("code"))
    return None


def _category_codes(resource: Resource) -> set[str]:
    categories = resource.get("category")
    if isinstance(categories, dict):
        categories = [categories]
    return {str(code) for cat in categories or [] for _, code in _codes(cat) if code}


def _start(resource: Resource | None, stem: str) -> str | None:
    """`effective` -> effectiveDateTime / effectiveInstant / effectivePeriod.start."""
    if not resource:
        return None
    for suffix in ("DateTime", "Instant"):
        if resource.get(stem + suffix):
            return _text(resource[stem + suffix])
    period = resource.get(stem + "Period")
    return _text(period.get("start")) if isinstance(period, dict) else None


def _period(resource: Resource | None, key: str) -> tuple[str | None, str | None]:
    period = (resource or {}).get(key)
    if not isinstance(period, dict):
        return None, None
    return _text(period.get("start")), _text(period.get("end"))


def _extension(resource: Resource | None, url: str) -> str | None:
    for ext in (resource or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return _text(value)
    return None


def _obs_value(obs: Resource) -> tuple[str | None, str | None]:
    """(result_value, result_unit) of an Observation."""
    q = obs.get("valueQuantity")
    if isinstance(q, dict):
        value = _text(q.get("value"))
        if value is not None and q.get("comparator"):
            value = f"{q['comparator']}{value}"
        return value, _text(q.get("unit") or q.get("code"))
    if isinstance(obs.get("valueCodeableConcept"), dict):
        return _concept_text(obs["valueCodeableConcept"]), None
    r = obs.get("valueRange")
    if isinstance(r, dict):
        low, high = (r.get(k) or {} for k in ("low", "high"))
        text = f"{_text(low.get('value')) or ''}-{_text(high.get('value')) or ''}"
        return text, _text(low.get("unit") or high.get("unit"))
    r = obs.get("valueRatio")
    if isinstance(r, dict):
        num, den = (r.get(k) or {} for k in ("numerator", "denominator"))
        return f"{_text(num.get('value')) or ''}/{_text(den.get('value')) or ''}", None
    for key in ("valueString", "valueBoolean", "valueInteger", "valueDateTime", "valueTime"):
        if key in obs:
            return _text(obs[key]), None
    if isinstance(obs.get("valuePeriod"), dict):
        start, end = _period(obs, "valuePeriod")
        return f"{start or ''}/{end or ''}", None
    return None, None  # valueSampledData, valueAttachment, no value


def _is_lab(resource: Resource, lab: set[str], non_lab: set[str]) -> bool:
    codes = _category_codes(resource)
    if codes & lab:
        return True
    return not codes & non_lab


# ------------------------------------------------------------------------------------------ masking


def patient_identifiers(entries: list[_Entry]) -> set[str]:
    """Values identifying the file's patients: each Patient's id and `urn:uuid` fullUrl, identifier values,
    name parts and birth date. Synthea writes the patient UUID into every `urn:uuid:` reference
    (Immunization.patient, Claim.patient, ...) and into the file name, so it is masked wherever it appears."""
    found: set[str | None] = set()
    for e in entries:
        r = e.resource
        if r.get("resourceType") != "Patient":
            continue
        found.add(_text(r.get("id")))
        if e.full_url:
            found.update((e.full_url, e.full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]))
        found.update(_identifiers(r))
        found.add(_text(r.get("birthDate")))
        for name in r.get("name") or []:
            if isinstance(name, dict):
                found.add(_text(name.get("family")))
                found.update(_text(g) for g in name.get("given") or [])
    return {v for v in found if v}


def _mask(resource: Resource, identifiers: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The resource as JSON with names, contacts, identifiers and references to persons replaced by ***, and
    every other string equal to (or containing) one of the file's patient identifier values masked too."""
    masked = copy.deepcopy(resource)
    is_person = masked.get("resourceType") in _PERSON_TYPES

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                narrative = key == "text" and isinstance(value, dict) and "div" in value
                person_ref = key == "reference" and isinstance(value, str) and _ref_parts(value)[0] in _PERSON_TYPES
                ref_display = key == "display" and ("reference" in node or "identifier" in node)
                if key in _MASKED_KEYS or narrative or person_ref or ref_display:
                    node[key] = MASK
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(masked)
    if is_person and "id" in masked:
        masked["id"] = MASK
    return json.dumps(mask_json(masked, identifiers), ensure_ascii=False, default=str)


# ------------------------------------------------------------------------------------------ rows


class _Reader:
    def __init__(self, entries: list[_Entry], clinic_id: str | None, facts: FileFacts,
                 own_labs: dict[str, set[str]] | None = None):
        self.entries = entries
        self.own_labs = own_labs or {}
        self.facts = facts
        self.clinic_id = clinic_id
        self.index = _Index(entries)
        self.used: set[int] = set()  # resources rows refer to, directly or through other resources
        self.consumed: set[int] = set()  # resources whose data went into a lab row
        self.rows: list[tuple[str, dict[str, str | None]]] = []
        self.skipped: list[SkippedMessage] = []
        self.number = {id(e.resource): e.number for e in entries}

    # -- bookkeeping

    def _use(self, *resources: Resource | None) -> None:
        for r in resources:
            if r is not None and id(r) not in self.used:
                self.used.add(id(r))
                for target in self.index.references(r):
                    self._use(target)

    def _skip(self, entry: _Entry, code: str, reason: str) -> None:
        rtype = entry.resource.get("resourceType") or "(no resourceType)"
        masked = _mask(entry.resource, self.facts.identifiers)
        self.skipped.append(SkippedMessage(entry.number, rtype, code, reason, masked))

    def _of_type(self, rtype: str) -> list[_Entry]:
        return [e for e in self.entries if e.resource.get("resourceType") == rtype]

    def _patient(self, *candidates: tuple[Any, Resource | None]) -> str | None:
        for ref, parent in candidates:
            if isinstance(ref, dict) and self.index.ref_type(ref, parent) in (None, "Patient"):
                pid = self.index.ref_id(ref, parent)
                if pid:
                    return pid
        return None

    def _linked(self, key: str, resource: Resource | None, rtype: str) -> tuple[Any, Resource | None]:
        """(reference, resolved resource) of the first `key` reference to `rtype` in `resource`."""
        values = (resource or {}).get(key)
        for ref in values if isinstance(values, list) else [values]:
            if isinstance(ref, dict) and self.index.ref_type(ref, resource) in (None, rtype):
                return ref, self.index.resolve(ref, resource)
        return None, None

    def _organisation(self, refs: list[tuple[Any, Resource | None]]) -> str | None:
        """Name of the first performing Organization that is not the clinic or its own lab (by name, logical id or
        identifier value, e.g. its CLIA number, against the clinic's master data)."""
        own = {self.clinic_id.casefold()} if self.clinic_id else set()
        own |= self.own_labs.get(self.clinic_id or "", set())
        for ref, parent in refs:
            if not isinstance(ref, dict) or self.index.ref_type(ref, parent) != "Organization":
                continue
            org = self.index.resolve(ref, parent)
            ref_id = self.index.ref_id(ref, parent)
            name = _text((org or {}).get("name")) or _text(ref.get("display")) or ref_id
            ids = {v for v in (name, ref_id, *_identifiers(org or {})) if v}
            ident = ref.get("identifier")
            if isinstance(ident, dict) and ident.get("value"):
                ids.add(str(ident["value"]))
            if own & {v.casefold() for v in ids}:
                return None
            return name
        return None

    def _practitioner(self, refs: list[tuple[Any, Resource | None]]) -> str | None:
        for ref, parent in refs:
            if isinstance(ref, dict) and self.index.ref_type(ref, parent) in _PRACTITIONER_TYPES:
                return self.index.ref_id(ref, parent)
        return None

    # -- lab

    def _lab_row(
        self,
        number: int,
        obs: Resource | None = None,
        dr: Resource | None = None,
        spec: Resource | None = None,
        sr: Resource | None = None,
    ) -> None:
        ix = self.index
        spec_ref, spec_holder = None, None
        for holder in (obs, dr, sr):
            if spec_ref is None and holder is not None:
                spec_ref, found = self._linked("specimen", holder, "Specimen")
                if spec_ref is not None:
                    spec, spec_holder = found or spec, holder
        if sr is None:
            for holder, key in ((obs, "basedOn"), (dr, "basedOn"), (spec, "request")):
                if sr is None and holder is not None:
                    sr = self._linked(key, holder, "ServiceRequest")[1]
        if spec is None and sr is not None:
            spec_ref, spec = self._linked("specimen", sr, "Specimen")
            spec_holder = sr

        specimen_id = ix.ref_id(spec_ref, spec_holder) if spec_ref is not None else ix.key_of(spec)
        for fallback in (dr, sr, obs):
            specimen_id = specimen_id or ix.key_of(fallback)

        raw_status: str | None = None  # status of the result (Observation, else DiagnosticReport)
        if obs is not None or dr is not None:
            raw_status = (obs or {}).get("status") or (dr or {}).get("status")
            status_map = _OBS_STATUS if (obs or {}).get("status") else _DR_STATUS
            status = status_map.get(raw_status, raw_status) if raw_status else None
        elif (sr or {}).get("status") == "revoked":
            status = "cancelled"
        else:
            status = "pending"  # a specimen or an order without any result yet
        rejection = None
        if (spec or {}).get("status") == "unsatisfactory":
            conditions = [_concept_text(c) for c in spec.get("condition") or []]
            rejection = ", ".join(c for c in conditions if c) or "unsatisfactory"
            if status not in ("final", "corrected"):
                status = "rejected"
        has_result = raw_status in _RESULT_PRESENT

        collection = (spec or {}).get("collection") or {}
        collected = _text(collection.get("collectedDateTime")) or _period(collection, "collectedPeriod")[0]
        issued = _text((obs or {}).get("issued")) or _text((dr or {}).get("issued"))
        verified = _text((dr or {}).get("issued")) or _text((obs or {}).get("issued"))
        code_source = obs or dr or sr
        performers = [(p, obs) for p in (obs or {}).get("performer") or []]
        performers += [(p, dr) for p in (dr or {}).get("performer") or []]
        reference_lab = self._organisation(performers + [(p, sr) for p in (sr or {}).get("performer") or []])
        value, unit = _obs_value(obs) if obs is not None else (None, None)
        interpretation = _first(obs, "interpretation")

        row = empty_row("lab_specimens", number)
        row.update(
            specimen_id=specimen_id,
            clinic_id=self.clinic_id,
            patient_id=self._patient(*((r.get("subject") if r else None, r) for r in (obs, dr, spec, sr))),
            test_code=_code((code_source or {}).get("code"), LOINC),
            priority="stat" if (sr or {}).get("priority") in _STAT_PRIORITIES else "routine",
            encounter_id=next((ix.ref_id(r["encounter"], r) for r in (obs, dr, sr) if r and r.get("encounter")), None),
            order_id=ix.key_of(sr),
            ordered_at=_text((sr or {}).get("authoredOn")),
            ordered_by=ix.ref_id((sr or {}).get("requester"), sr),
            collected_at=collected or _start(obs, "effective") or _start(dr, "effective"),
            collected_by=ix.ref_id(collection.get("collector"), spec),
            received_at=_text((spec or {}).get("receivedTime")),
            resulted_at=(_extension(obs, ANALYSIS_TIME_EXT) or issued) if has_result else None,
            verified_at=verified if status in ("final", "corrected") else None,
            performing_site="send_out" if reference_lab else "in_house",
            reference_lab=reference_lab,
            performed_by=self._practitioner(performers),
            result_value=value,
            result_unit=unit,
            abnormal_flag=_code(interpretation) if interpretation else None,
            status=status,
            rejection_reason=rejection,
        )
        self.rows.append(("lab_specimens", row))
        self.consumed.update(id(r) for r in (obs, dr, spec, sr) if r is not None)
        self._use(obs, dr, spec, sr)

    def read_lab(self) -> None:
        ix = self.index
        report_of: dict[int, Resource] = {}
        for e in self._of_type("DiagnosticReport"):
            for ref in e.resource.get("result") or []:
                target = ix.resolve(ref, e.resource)
                if target is not None:
                    report_of.setdefault(id(target), e.resource)

        for e in self._of_type("Observation"):
            obs = e.resource
            dr = report_of.get(id(obs))
            own = _category_codes(obs)
            lab = (
                _is_lab(obs, {"laboratory"}, _OBS_NON_LAB) if own else (dr is None or _is_lab(dr, _DR_LAB, _DR_NON_LAB))
            )
            if not lab:
                cats = ", ".join(sorted(own or _category_codes(dr or {})))
                self._skip(e, "not_a_lab_result", f"Observation with category {cats} is not a lab result")
            elif obs.get("hasMember") and not any(k.startswith("value") for k in obs):
                reason = "Observation is a panel header: its members are the results"
                self._skip(e, "panel_without_value", reason)
            else:
                self._lab_row(e.number, obs=obs, dr=dr)

        for e in self._of_type("DiagnosticReport"):
            dr = e.resource
            if id(dr) in self.consumed:
                continue
            if not _is_lab(dr, _DR_LAB, _DR_NON_LAB):
                cats = ", ".join(sorted(_category_codes(dr)))
                reason = f"DiagnosticReport with category {cats} is not a lab report"
                self._skip(e, "not_a_lab_result", reason)
            else:
                self._lab_row(e.number, dr=dr)

        for e in self._of_type("Specimen"):
            if id(e.resource) not in self.consumed:
                self._lab_row(e.number, spec=e.resource)

        for e in self._of_type("ServiceRequest"):
            sr = e.resource
            if id(sr) in self.consumed:
                continue
            if not _is_lab(sr, _SR_LAB, _SR_NON_LAB):
                self._skip(e, "not_a_lab_order", "ServiceRequest category is not a laboratory procedure")
            else:
                self._lab_row(e.number, sr=sr)

    # -- procedures, encounters

    def read_procedures(self) -> None:
        ix = self.index
        for e in self._of_type("Procedure"):
            p = e.resource
            start, end = _period(p, "performedPeriod")
            actors = [(perf.get("actor"), p) for perf in p.get("performer") or [] if isinstance(perf, dict)]
            devices = [(d.get("manipulated"), p) for d in p.get("focalDevice") or [] if isinstance(d, dict)]
            devices += [(d, p) for d in p.get("usedReference") or []]
            device = next((ix.ref_id(r, q) for r, q in devices if ix.ref_type(r, q) == "Device"), None)
            row = empty_row("procedures", e.number)
            row.update(
                procedure_id=ix.key_of(p),
                clinic_id=self.clinic_id,
                encounter_id=ix.ref_id(p.get("encounter"), p),
                patient_id=self._patient((p.get("subject"), p)),
                procedure_code=_code(p.get("code")),
                room_id=ix.ref_id(p.get("location"), p),
                performed_by=self._practitioner(actors) or next((ix.ref_id(r, q) for r, q in actors), None),
                procedure_start_at=start or _text(p.get("performedDateTime")),
                procedure_end_at=end,
                status=_PROCEDURE_STATUS.get(p.get("status"), p.get("status")),
                device_id=device,
            )
            self.rows.append(("procedures", row))
            self._use(p)

    def read_encounters(self) -> None:
        ix = self.index
        for e in self._of_type("Encounter"):
            enc = e.resource
            if enc.get("status") in _ENCOUNTER_NOT_HELD:
                reason = f"Encounter status is {enc['status']}: no visit took place"
                self._skip(e, "encounter_not_held", reason)
                self._use(enc)
                continue
            arrived, departed = _period(enc, "period")
            locations = [loc for loc in enc.get("location") or [] if isinstance(loc, dict)]
            room = next((loc for loc in locations if self._is_exam_room(loc, enc)), None)
            if locations and room is None:  # a waiting room or a ward is not where the patient was examined
                self.facts.flags.setdefault(("encounters", e.number), []).append("no_exam_room_location")
            room_in, room_out = _period(room, "period")
            row = empty_row("encounters", e.number)
            row.update(
                encounter_id=ix.key_of(enc),
                clinic_id=self.clinic_id,
                patient_id=self._patient((enc.get("subject"), enc)),
                arrived_at=arrived,
                exam_room_id=ix.ref_id((room or {}).get("location"), enc),
                exam_room_in_at=room_in,
                exam_room_out_at=room_out,
                departed_at=departed,
            )
            self.rows.append(("encounters", row))
            self._use(enc)

    def _is_exam_room(self, location: dict, encounter: Resource) -> bool:
        """A room (Location.physicalType `ro`) that is not typed or named as a waiting area.

        Location.physicalType (R4 value set location-physical-type) has no waiting-room code: `ro` covers every
        room, so a waiting area is told by Location.type or name (codes WAIT*, text 'wait'/'Warte')."""
        ref = location.get("location")
        target = self.index.resolve(ref, encounter) or {}
        if "ro" not in {code for _, code in _codes(target.get("physicalType"))}:
            return False
        types = target.get("type") if isinstance(target.get("type"), list) else [target.get("type")]
        words = [code for t in types for _, code in _codes(t)] + [_concept_text(t) for t in types]
        words += [target.get("name"), (ref or {}).get("display") if isinstance(ref, dict) else None]
        return not any(w and ("wait" in str(w).casefold() or "warte" in str(w).casefold()) for w in words)

    def read_rest(self) -> None:
        supported = ", ".join(ROW_TYPES)
        for e in self.entries:
            rtype = e.resource.get("resourceType")
            if rtype in ROW_TYPES or rtype in ENVELOPE_TYPES or id(e.resource) in self.used:
                continue
            if rtype in REFERENCE_ONLY_TYPES:
                reason = (
                    f"{rtype} is not loaded as a record; it only resolves references from lab results, "
                    "procedures and encounters in the same file, and nothing here refers to it"
                )
            else:
                reason = f"{rtype or 'a resource without resourceType'} is not loaded; only {supported} are"
            self._skip(e, "unsupported_resource_type", reason)


def read_fhir_file(path: Path, clinic_id: str | None = None, facts: FileFacts | None = None,
                   own_labs: dict[str, set[str]] | None = None) -> tuple[list[MessageRows], list[SkippedMessage]]:
    """Read FHIR R4 JSON (resource, Bundle or NDJSON) into contract rows grouped by record type.

    Every entry ends up as a row, a skipped resource (quarantined with a reason) or context (`facts.context`:
    referenced by a row, or an envelope), so a Bundle's entries add up. A file without any resource (empty,
    not JSON) raises ValueError: nothing in it can be loaded or quarantined. `own_labs`: clinic id -> the
    casefolded names and identifiers of its own lab (master data): a performer matching them is in house.
    """
    facts = facts if facts is not None else FileFacts()
    try:
        entries = _load(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ValueError(f"not JSON{where}: {exc.msg if isinstance(exc, json.JSONDecodeError) else exc.reason}"
                         ) from exc
    if not any(e.resource.get("resourceType") for e in entries):
        raise ValueError("no FHIR resource in the file (no object with a resourceType)")
    facts.identifiers.update(patient_identifiers(entries))
    reader = _Reader(entries, clinic_id, facts, own_labs)
    reader.read_lab()
    reader.read_procedures()
    reader.read_encounters()
    reader.read_rest()
    reader.skipped.sort(key=lambda s: s.message_number)
    accounted = {int(row["_message_number"] or 0) for _, row in reader.rows}
    accounted |= {s.message_number for s in reader.skipped}
    facts.context += sum(1 for e in entries if e.number not in accounted)
    return group_rows(reader.rows), reader.skipped
