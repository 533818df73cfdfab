"""The OpenAPI 3.1 description of the node's HTTP API, served at /v1/openapi.json."""

from __future__ import annotations

from typing import Any

from evanchor.node.daemon.upload_models import upload_paths

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string", "description": "One line naming the fault."},
                "field": {"type": ["string", "null"], "description": "The member at fault."},
                "item": {"type": ["integer", "null"], "description": "Index in a batch."},
            },
        }
    },
}

_RECEIPT = {
    "type": "object",
    "required": ["record_id", "index", "leaf_hash", "accepted_at", "duplicate"],
    "properties": {
        "record_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "index": {"type": "integer", "minimum": 0},
        "leaf_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "accepted_at": {"type": "string", "format": "date-time"},
        "duplicate": {"type": "boolean"},
        "flags": {
            "type": "array",
            "description": "Compliance flags the record raises (docs/COMPLIANCE.md, feedback at"
            " submission): the record is accepted all the same. Computed from the log, not"
            " stored with the record; `evanchor compliance report` recomputes them.",
            "items": {"$ref": "#/components/schemas/Flag"},
        },
    },
}

_FLAG = {
    "type": "object",
    "required": ["rule_id", "rule_version", "kind", "record", "related", "facts", "reason"],
    "properties": {
        "rule_id": {"type": "string"},
        "rule_version": {"type": "integer"},
        "kind": {
            "enum": ["quiet_hours", "contact_frequency", "forbidden_value", "requires_preceding"]
        },
        "rule_title": {"type": "string"},
        "points": {"type": "integer"},
        "agency": {"type": "string"},
        "case": {"type": "string"},
        "record": {"type": "object", "description": "{record_id, leaf_index}"},
        "related": {"type": "array", "items": {"type": "object"}},
        "facts": {"type": "object", "description": "What the flag rests on (local time, counts)."},
        "reason": {"type": "string", "description": "Why, in the `lang` asked for."},
    },
}

_SUBMISSION = {
    "type": "object",
    "required": ["record", "salt", "signature"],
    "additionalProperties": False,
    "properties": {
        "record": {"type": "object", "description": "A record (see `evanchor schema`)."},
        "salt": {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{64}$"},
        "signature": {
            "type": "string",
            "pattern": "^(0x)?[0-9a-fA-F]{130}$",
            "description": "EIP-712 signature over the commitment (PROTOCOL.md §8).",
        },
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json({"$ref": "#/components/schemas/Error"}, description)


OBJECT = {"type": "object"}
_NOTE = {
    "description": "origin, size and base64 root lines, a blank line, signature lines.",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}
RECORD_ID = {
    "name": "record_id",
    "in": "path",
    "required": True,
    "description": "The full record id (64 hex digits: no credentials needed), or a unique"
    " prefix of at least 8 hex digits (needs the operator token or an agency-signed request).",
    "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{8,64}$"},
}
PUBLIC: list[dict[str, list[str]]] = [{}]
RECORD_READERS: list[dict[str, list[str]]] = [
    {},
    {"operatorToken": []},
    {"agencySignature": [], "agencyTimestamp": []},
]
"""Anyone with the full record id; the operator; the agency that submitted the record."""
CASE_READERS: list[dict[str, list[str]]] = [
    {"operatorToken": []},
    {"agencySignature": [], "agencyTimestamp": []},
]
UNAUTHORISED = _error(
    "Credentials missing (a record id prefix, a case) or not checking out (wrong token,"
    " stale or unregistered signature)."
)
NOT_JSON = _error("The body's Content-Type is not application/json; nothing was read.")

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "evanchor node API",
        "version": "1",
        "description": "Submit signed evidence records, follow them until anchored, fetch and "
        "verify proof bundles. Errors are JSON with a one-line message naming the field. "
        "Records and bundles are personal data: reading them needs the operator token, a "
        "request signed by the submitting agency, or the full record id "
        "(docs/OPERATOR.md, section 14).",
    },
    "paths": {
        "/v1/records": {
            "post": {
                "summary": "Submit one signed record, or a batch (all or nothing).",
                "description": "Each submission carries its agency's signature. A log-only"
                " node (no chain, no signatures) takes submissions with the operator token"
                " only.",
                "security": [{}, {"operatorToken": []}],
                "parameters": [
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "description": "Language of the flags' reasons (default zh-CN).",
                        "schema": {"enum": ["zh-CN", "en"]},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/Submission"},
                                    {
                                        "type": "object",
                                        "required": ["submissions"],
                                        "properties": {
                                            "submissions": {
                                                "type": "array",
                                                "maxItems": 1000,
                                                "items": {
                                                    "$ref": "#/components/schemas/Submission"
                                                },
                                            }
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "receipts": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Receipt"},
                                },
                                "compliance": {
                                    "type": "object",
                                    "description": "The rule set the flags are of: {rule_set:"
                                    " {id, version, digest}}; `error` if they could not be"
                                    " computed (the records are in the log all the same).",
                                },
                            },
                        },
                        "Durably appended (or already in the log: `duplicate`).",
                    ),
                    "400": _error("Malformed JSON, schema violation or bad signature."),
                    "401": _error("A log-only node, and no operator token."),
                    "413": _error("Body larger than the limit; refused before parsing."),
                    "415": NOT_JSON,
                    "429": _error(
                        "Nothing was read or written: the node sheds load (more sealed"
                        " checkpoints wait for anchoring than `api.max_anchoring_backlog`, or"
                        " more records for the group commit than `api.max_queued_records`);"
                        " try again after the `Retry-After` header's seconds."
                    ),
                    "503": _error(
                        "Nothing was written: a signer the node does not know while the agency"
                        " registry cannot be read from the chain, or the node's log store"
                        ' failed a write ("log store failed: …; restart the node after'
                        ' freeing space") and acknowledges nothing until it is restarted.'
                    ),
                },
            }
        },
        "/v1/records/{record_id}": {
            "get": {
                "summary": "A record's receipt and status: accepted, sealed or anchored.",
                "parameters": [RECORD_ID],
                "security": RECORD_READERS,
                "responses": {
                    "200": _json(OBJECT, "Receipt, checkpoint and anchor."),
                    "401": UNAUTHORISED,
                    "404": _error("No such record (or, to an agency, not one of its own)."),
                },
            }
        },
        "/v1/records/{record_id}/bundle": {
            "get": {
                "summary": "The record's proof bundle, once its checkpoint is anchored.",
                "parameters": [RECORD_ID],
                "security": RECORD_READERS,
                "responses": {
                    "200": _json(OBJECT, "Proof bundle v2 (PROTOCOL.md §5)."),
                    "401": UNAUTHORISED,
                    "404": _error("No such record (or, to an agency, not one of its own)."),
                    "409": _error("Not anchored yet."),
                },
            }
        },
        "/v1/cases/{case}/bundle": {
            "get": {
                "summary": "All records of a case up to the latest anchored checkpoint, linked.",
                "parameters": [
                    {
                        "name": "case",
                        "in": "path",
                        "required": True,
                        "description": "The case key, e.g. collection/C-1 or auction/LOT-7.",
                        "schema": {"type": "string"},
                    }
                ],
                "security": CASE_READERS,
                "responses": {
                    "200": _json(OBJECT, "Case bundle v2 (PROTOCOL.md §5)."),
                    "401": UNAUTHORISED,
                    "404": _error("To an agency: a case with records of other agencies."),
                    "409": _error("Not anchored yet."),
                },
            }
        },
        "/v1/verify": {
            "post": {
                "summary": "Verify an uploaded proof bundle (offline checks).",
                "security": PUBLIC,
                "requestBody": {"required": True, "content": {"application/json": {}}},
                "responses": {
                    "200": _json(
                        OBJECT,
                        "The step-by-step report: `outcome` (VERIFIED, NOT VERIFIED, CANNOT"
                        " VERIFY), `assurance` (log-only, anchored, anchored+signed,"
                        " anchored+signed+registered; none when not verified), `steps`,"
                        " `summary`, `notes`; `valid` is true only for VERIFIED.",
                    ),
                    "400": _error("Not JSON."),
                    "415": NOT_JSON,
                },
            }
        },
        "/v1/checkpoints": {
            "get": {
                "summary": "Every sealed checkpoint and its anchoring state.",
                "security": PUBLIC,
                "responses": {"200": _json({"type": "array"}, "Checkpoints, oldest first.")},
            }
        },
        "/v1/checkpoint": {
            "get": {
                "summary": "The latest checkpoint as a C2SP signed note (PROTOCOL.md §10): the"
                " log's Ed25519 signature and every witness cosignature the node holds.",
                "security": PUBLIC,
                "responses": {
                    "200": _NOTE,
                    "404": _error("No checkpoint is signed yet."),
                },
            }
        },
        "/v1/checkpoint/{size}": {
            "get": {
                "summary": "The checkpoint of this tree size as a signed, cosigned note.",
                "security": PUBLIC,
                "parameters": [
                    {
                        "name": "size",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
                    }
                ],
                "responses": {
                    "200": _NOTE,
                    "400": _error("The size is not a decimal number."),
                    "404": _error("No signed checkpoint of that size."),
                },
            }
        },
        "/v1/anchors": {
            "get": {
                "summary": "Every confirmed anchor.",
                "security": PUBLIC,
                "responses": {"200": _json({"type": "array"}, "Anchors, oldest first.")},
            }
        },
        "/v1/seal": {
            "post": {
                "summary": "Seal a checkpoint now, if anything is new since the last one"
                " (`evanchor seal` beside a running node).",
                "security": [{"operatorToken": []}],
                "requestBody": {"required": True, "content": {"application/json": {}}},
                "responses": {
                    "200": _json(
                        OBJECT,
                        '`{"sealed": checkpoint or null, "size": N}`: the new checkpoint,'
                        " or null when the latest already covers the log's N leaves.",
                    ),
                    "400": _error("The body is not the empty object {}."),
                    "401": _error("No operator token, or not the node's."),
                    "415": NOT_JSON,
                    "503": _error("The log store failed a write, or the node is still starting."),
                },
            }
        },
        "/v1/status": {
            "get": {
                "summary": "Log, chain and anchoring status, with anchor delay figures, and"
                " `health` (whether the log store still acknowledges records).",
                "security": PUBLIC,
                "responses": {"200": _json(OBJECT, "Status.")},
            }
        },
        "/v1/health": {
            "get": {
                "summary": "Whether the node acknowledges records.",
                "security": PUBLIC,
                "responses": {
                    "200": _json(OBJECT, '`{"status": "ok", "log_size": N}`'),
                    "503": _json(
                        OBJECT,
                        '`{"status": "failed", "reason": "log store failed: …", "log_size": N}`:'
                        " a write failed; nothing is acknowledged until the node is restarted.",
                    ),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: records, seals, anchors, anchor delay, backlog.",
                "security": PUBLIC,
                "responses": {
                    "200": {
                        "description": "The Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Error": _ERROR,
            "Flag": _FLAG,
            "Receipt": _RECEIPT,
            "Submission": _SUBMISSION,
        },
        "securitySchemes": {
            "operatorToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The operator token in <home>/keys/api-token (mode 0600).",
            },
            "agencySignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Evanchor-Signature",
                "description": "0x + 65-byte signature by a registered agency key over the"
                " EIP-712 typed data ApiRequest(string method,string path,uint64 timestamp)"
                " under the log's domain (chainId and contract from /v1/status); path is the"
                " request target as sent. Reads the agency's own records and cases.",
            },
            "agencyTimestamp": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Evanchor-Timestamp",
                "description": "The signed timestamp, unix seconds, within 300 s of the node.",
            },
        },
    },
}

OPENAPI["paths"].update(upload_paths())
