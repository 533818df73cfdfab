"""From a parsed JSON object to a record ready to append: validate, canonicalize, commit."""

from __future__ import annotations

from typing import Any

from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.protocol.commitment import (
    canonical_record_bytes,
    commitment,
    new_salt,
    record_id,
)
from evanchor.anchor.protocol.records import check_record, record_agency, record_case_key


def prepare_record(
    obj: dict[str, Any], *, salt: bytes | None = None, where: str = ""
) -> PreparedRecord:
    """Validate `obj` as a record and commit to it with `salt` (fresh when not given).

    Raises RecordInvalid naming the field at fault (prefixed with `where`, e.g. "line 7").
    The committed bytes are `obj`'s own, canonicalised right after it was checked: the same
    bytes as `canonical_bytes(record_canonical_dict(parse_record(obj)))`, without the copies
    that road makes (tests/perf_equivalence).
    """
    record = check_record(obj, where=where)
    canonical = canonical_record_bytes(obj)
    salt = new_salt() if salt is None else salt
    return PreparedRecord(
        record_id=record_id(canonical),
        canonical=canonical,
        salt=salt,
        commitment=commitment(salt, canonical),
        kind=record.kind,
        agency=record_agency(record),
        case=record_case_key(record),
    )
