"""Mask a message's patient identifier values wherever they appear: message text, JSON, file names.

A value equal to one of the patient's identifiers (an MRN, a Synthea patient UUID, a name part, the birth
date) identifies the patient whatever field or file name carries it: a lab reusing the MRN as its filler
order number, PID-2 repeated in PV1-5, `Cris921_Rath779_<uuid>.json`. The readers collect the values
(`hl7v2.patient_identifiers`, `fhir_r4.patient_identifiers`); this module replaces them by `***`. Row
values are pseudonymised instead, in SQL (`loader`), so that keys stay distinct.

Matching: a token (the text between separators) equal to an identifier is masked; an identifier of
`MIN_INSIDE` characters or more is masked inside longer tokens too (free text, file names). Shorter ones
(a 2-digit MRN, a 4-letter given name) only as whole tokens: inside longer text they are too likely to be
something else (a year, a word) to tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
MIN_INSIDE = 6

# Separators: HL7 v2 field, component, repetition, escape and subcomponent characters and segment breaks.
HL7_SEPARATORS = re.compile(r"([|^~&\\\n\r])")
# In a path: folders, the extension and the usual word separators of file names.
PATH_SEPARATORS = re.compile(r"([/\\._\- ])")


def mask_tokens(text: str, identifiers: Iterable[str], separators: re.Pattern[str]) -> str:
    """`text` with identifier tokens (and long identifiers inside tokens) replaced by `***`."""
    ids = {i for i in identifiers if i}
    if not ids or not text:
        return text
    long_ids = sorted((i for i in ids if len(i) >= MIN_INSIDE), key=len, reverse=True)
    tokens = separators.split(text)
    for n, token in enumerate(tokens):
        if token in ids:
            tokens[n] = MASK
            continue
        for ident in long_ids:
            if ident in token:
                token = token.replace(ident, MASK)
        tokens[n] = token
    return "".join(tokens)


def mask_path(path: str, identifiers: Iterable[str]) -> str:
    """A file path as stored (`_source_file`, quarantine, ingest log): identifier parts of it as `***`.

    `in/Cris921_Rath779_8c95253e-8ee8-9ae8-6d40-021d702dc78e.json` -> `in/***_***_***.json`; the file's
    SHA-256 beside it still identifies the file for lineage.
    """
    ids = set(identifiers)
    # A UUID is split by the '-' separator: match it whole first.
    for ident in sorted((i for i in ids if len(i) >= MIN_INSIDE), key=len, reverse=True):
        path = path.replace(ident, MASK)
    return mask_tokens(path, ids, PATH_SEPARATORS)


def mask_json(node: object, identifiers: set[str]) -> object:
    """A copy of parsed JSON with every string equal to or containing an identifier masked (keys kept)."""
    if isinstance(node, dict):
        return {k: mask_json(v, identifiers) for k, v in node.items()}
    if isinstance(node, list):
        return [mask_json(v, identifiers) for v in node]
    if isinstance(node, str) and identifiers:
        if node in identifiers:
            return MASK
        for ident in sorted((i for i in identifiers if len(i) >= MIN_INSIDE), key=len, reverse=True):
            node = node.replace(ident, MASK)
        return node
    return node
