// The JSON Schemas of the two record kinds (PROTOCOL.md §1), exactly as `evanchor schema
// checkpoint` and `evanchor schema auction` print them; tests/js_verifier holds them equal.
// Keys are kept in the printed order; the validator (records.mjs) needs no other copy.

export const COLLECTION_CHECKPOINT = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$defs": {
    "Attachment": {
      "additionalProperties": false,
      "description": "A file that goes with the record, by digest: the file itself is never submitted.",
      "properties": {
        "sha256": {
          "description": "SHA-256 of the file, 64 lowercase hex digits.",
          "pattern": "^[0-9a-f]{64}$",
          "title": "Sha256",
          "type": "string"
        },
        "media_type": {
          "description": "Lowercase media type, e.g. audio/mpeg.",
          "maxLength": 255,
          "pattern": "^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$",
          "title": "Media Type",
          "type": "string"
        },
        "size": {
          "description": "File size in bytes.",
          "maximum": 9007199254740991,
          "minimum": 0,
          "title": "Size",
          "type": "integer"
        }
      },
      "required": [
        "sha256",
        "media_type",
        "size"
      ],
      "title": "Attachment",
      "type": "object"
    },
    "Money": {
      "additionalProperties": false,
      "description": "An amount in the currency's minor unit (fen for CNY): integers only, never floats,\nbecause 0.1 + 0.2 != 0.3 in binary floating point and money must add up exactly.",
      "properties": {
        "minor_units": {
          "description": "Amount in minor units (e.g. fen), ≥ 0.",
          "maximum": 9007199254740991,
          "minimum": 0,
          "title": "Minor Units",
          "type": "integer"
        },
        "currency": {
          "description": "ISO 4217 alphabetic code, e.g. CNY.",
          "pattern": "^[A-Z]{3}$",
          "title": "Currency",
          "type": "string"
        }
      },
      "required": [
        "minor_units",
        "currency"
      ],
      "title": "Money",
      "type": "object"
    }
  },
  "additionalProperties": false,
  "allOf": [
    {
      "if": {
        "properties": {
          "event": {
            "const": "promise_to_pay"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "amount"
        ]
      }
    },
    {
      "if": {
        "properties": {
          "event": {
            "const": "payment"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "amount"
        ]
      }
    },
    {
      "if": {
        "properties": {
          "event": {
            "const": "settlement"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "amount"
        ]
      }
    }
  ],
  "description": "One step in a debt-collection case, recorded when it happens.",
  "properties": {
    "kind": {
      "const": "collection_checkpoint",
      "title": "Kind",
      "type": "string"
    },
    "case_id": {
      "description": "The agency's case identifier.",
      "maxLength": 64,
      "minLength": 1,
      "pattern": "^[A-Za-z0-9._:/-]+$",
      "title": "Case Id",
      "type": "string"
    },
    "agency": {
      "description": "Unified Social Credit Code of the collection agency.",
      "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$",
      "title": "Agency",
      "type": "string"
    },
    "debtor_ref": {
      "description": "Pseudonymous debtor reference that only the agency can resolve; never a name, ID card number or phone number.",
      "maxLength": 128,
      "minLength": 8,
      "pattern": "^[A-Za-z0-9._:-]+$",
      "title": "Debtor Ref",
      "type": "string"
    },
    "event": {
      "enum": [
        "case_opened",
        "call",
        "sms",
        "letter",
        "visit",
        "negotiation",
        "promise_to_pay",
        "payment",
        "settlement",
        "dispute",
        "complaint",
        "legal_referral",
        "case_closed"
      ],
      "title": "Event",
      "type": "string"
    },
    "occurred_at": {
      "description": "When it happened, RFC 3339 with an offset.",
      "format": "date-time",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$",
      "title": "Occurred At",
      "type": "string"
    },
    "channel": {
      "enum": [
        "phone",
        "sms",
        "letter",
        "email",
        "in_person",
        "app",
        "other"
      ],
      "title": "Channel",
      "type": "string"
    },
    "operator_id": {
      "description": "The agency's identifier for its staff member.",
      "maxLength": 64,
      "minLength": 1,
      "pattern": "^[A-Za-z0-9._:/-]+$",
      "title": "Operator Id",
      "type": "string"
    },
    "amount": {
      "$ref": "#/$defs/Money",
      "description": "Required for promise_to_pay, payment and settlement."
    },
    "attachments": {
      "items": {
        "$ref": "#/$defs/Attachment"
      },
      "maxItems": 64,
      "title": "Attachments",
      "type": "array"
    },
    "notes": {
      "maxLength": 4000,
      "title": "Notes",
      "type": "string"
    },
    "debtor_time_zone": {
      "description": "The debtor's IANA time zone, e.g. Asia/Shanghai: the local time of the quiet-hours and contact-frequency rules. Without it, the occurred_at offset is taken as the debtor's local offset (unless the rule set names a zone).",
      "maxLength": 64,
      "pattern": "^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$",
      "title": "Debtor Time Zone",
      "type": "string"
    },
    "contact_target": {
      "description": "Who was contacted: the debtor, a guarantor, or a third party (relatives, colleagues, other contacts of the debtor).",
      "enum": [
        "debtor",
        "guarantor",
        "third_party"
      ],
      "title": "Contact Target",
      "type": "string"
    },
    "data_categories": {
      "description": "Categories of the debtor's personal data this step collected or used, each once (biometric: face, voiceprint or fingerprint used to identify a person; contact_list: the debtor's address book or call log).",
      "items": {
        "enum": [
          "identity",
          "contact",
          "contact_list",
          "financial",
          "location",
          "voice_recording",
          "image",
          "biometric",
          "health"
        ],
        "type": "string"
      },
      "maxItems": 16,
      "title": "Data Categories",
      "type": "array",
      "uniqueItems": true
    },
    "findings": {
      "description": "Conduct in this step that the agency's own quality review found (speech analytics, supervisor review) or that a complaint alleges, each once.",
      "items": {
        "enum": [
          "impersonation_of_authority",
          "synthetic_media",
          "threat",
          "abusive_language",
          "false_legal_claim"
        ],
        "type": "string"
      },
      "maxItems": 8,
      "title": "Findings",
      "type": "array",
      "uniqueItems": true
    }
  },
  "required": [
    "kind",
    "case_id",
    "agency",
    "debtor_ref",
    "event",
    "occurred_at",
    "channel",
    "operator_id"
  ],
  "title": "Collection checkpoint",
  "type": "object"
};

export const AUCTION_RECORD = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$defs": {
    "Attachment": {
      "additionalProperties": false,
      "description": "A file that goes with the record, by digest: the file itself is never submitted.",
      "properties": {
        "sha256": {
          "description": "SHA-256 of the file, 64 lowercase hex digits.",
          "pattern": "^[0-9a-f]{64}$",
          "title": "Sha256",
          "type": "string"
        },
        "media_type": {
          "description": "Lowercase media type, e.g. audio/mpeg.",
          "maxLength": 255,
          "pattern": "^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$",
          "title": "Media Type",
          "type": "string"
        },
        "size": {
          "description": "File size in bytes.",
          "maximum": 9007199254740991,
          "minimum": 0,
          "title": "Size",
          "type": "integer"
        }
      },
      "required": [
        "sha256",
        "media_type",
        "size"
      ],
      "title": "Attachment",
      "type": "object"
    },
    "AuctionItem": {
      "additionalProperties": false,
      "description": "What is being auctioned.",
      "properties": {
        "category": {
          "enum": [
            "vehicle",
            "equipment",
            "real_estate",
            "equity",
            "other"
          ],
          "title": "Category",
          "type": "string"
        },
        "description": {
          "maxLength": 2000,
          "minLength": 1,
          "title": "Description",
          "type": "string"
        }
      },
      "required": [
        "category",
        "description"
      ],
      "title": "AuctionItem",
      "type": "object"
    },
    "Money": {
      "additionalProperties": false,
      "description": "An amount in the currency's minor unit (fen for CNY): integers only, never floats,\nbecause 0.1 + 0.2 != 0.3 in binary floating point and money must add up exactly.",
      "properties": {
        "minor_units": {
          "description": "Amount in minor units (e.g. fen), ≥ 0.",
          "maximum": 9007199254740991,
          "minimum": 0,
          "title": "Minor Units",
          "type": "integer"
        },
        "currency": {
          "description": "ISO 4217 alphabetic code, e.g. CNY.",
          "pattern": "^[A-Z]{3}$",
          "title": "Currency",
          "type": "string"
        }
      },
      "required": [
        "minor_units",
        "currency"
      ],
      "title": "Money",
      "type": "object"
    }
  },
  "additionalProperties": false,
  "allOf": [
    {
      "if": {
        "properties": {
          "event": {
            "const": "listed"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "reserve_price",
          "item"
        ]
      }
    },
    {
      "if": {
        "properties": {
          "event": {
            "const": "bid_placed"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "bid_amount",
          "bidder_ref"
        ]
      }
    },
    {
      "if": {
        "properties": {
          "event": {
            "const": "sold"
          }
        },
        "required": [
          "event"
        ]
      },
      "then": {
        "required": [
          "hammer_price",
          "bidder_ref"
        ]
      }
    }
  ],
  "description": "One step in the life of a judicial-auction lot.",
  "properties": {
    "kind": {
      "const": "auction_record",
      "title": "Kind",
      "type": "string"
    },
    "lot_id": {
      "description": "The auction house's lot identifier.",
      "maxLength": 64,
      "minLength": 1,
      "pattern": "^[A-Za-z0-9._:/-]+$",
      "title": "Lot Id",
      "type": "string"
    },
    "court_case_number": {
      "description": "The court's enforcement case number, e.g. (2026)沪0101执恢123号.",
      "maxLength": 64,
      "minLength": 1,
      "pattern": "^[0-9A-Za-z\\u3400-\\u4DBF\\u4E00-\\u9FFF()\\uFF08\\uFF09\\u3014\\u3015._/-]+$",
      "title": "Court Case Number",
      "type": "string"
    },
    "auction_house": {
      "description": "Unified Social Credit Code of the auction house.",
      "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$",
      "title": "Auction House",
      "type": "string"
    },
    "event": {
      "enum": [
        "listed",
        "bid_placed",
        "closed",
        "sold",
        "unsold",
        "payment_received",
        "transfer_completed",
        "objection_filed"
      ],
      "title": "Event",
      "type": "string"
    },
    "occurred_at": {
      "description": "When it happened, RFC 3339 with an offset.",
      "format": "date-time",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$",
      "title": "Occurred At",
      "type": "string"
    },
    "reserve_price": {
      "$ref": "#/$defs/Money",
      "description": "Required for listed."
    },
    "bid_amount": {
      "$ref": "#/$defs/Money",
      "description": "Required for bid_placed."
    },
    "hammer_price": {
      "$ref": "#/$defs/Money",
      "description": "Required for sold."
    },
    "bidder_ref": {
      "description": "Pseudonymous bidder reference; required for bid_placed, sold.",
      "maxLength": 128,
      "minLength": 8,
      "pattern": "^[A-Za-z0-9._:-]+$",
      "title": "Bidder Ref",
      "type": "string"
    },
    "item": {
      "$ref": "#/$defs/AuctionItem",
      "description": "Required for listed."
    },
    "attachments": {
      "items": {
        "$ref": "#/$defs/Attachment"
      },
      "maxItems": 64,
      "title": "Attachments",
      "type": "array"
    },
    "notes": {
      "maxLength": 4000,
      "title": "Notes",
      "type": "string"
    }
  },
  "required": [
    "kind",
    "lot_id",
    "court_case_number",
    "auction_house",
    "event",
    "occurred_at"
  ],
  "title": "Auction record",
  "type": "object"
};
