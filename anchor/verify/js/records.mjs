// Records (PROTOCOL.md §1): the two JSON Schemas, checked by a small validator for exactly
// the keywords they use, and the three rules a JSON Schema cannot say: the Unified Social
// Credit Code's check character (GB 32100-2015), real RFC 3339 date-times, and no control
// characters in text. Also the record's place in its leaf (§3): its agency and case key.

import { JsonFloat, canonicalize, isInteger, isObject } from './json.mjs';
import { AUCTION_RECORD, COLLECTION_CHECKPOINT } from './schemas.mjs';

export class RecordInvalid extends Error {
  constructor(path, problem) {
    super(`${path}: ${problem}`);
    this.path = path;
  }
}

/** kind → its schema, the member naming its agency, and how its case key is formed (§3). */
export const KINDS = {
  collection_checkpoint: { schema: COLLECTION_CHECKPOINT, agency: 'agency', caseKey: (r) => `collection/${r.case_id}` },
  auction_record: { schema: AUCTION_RECORD, agency: 'auction_house', caseKey: (r) => `auction/${r.lot_id}` },
};

/** The credit code that a record names as its submitter: `agency`, or an auction's `auction_house`. */
export const recordAgency = (record) => record[KINDS[record.kind].agency];
export const recordCaseKey = (record) => KINDS[record.kind].caseKey(record);

/**
 * Throws RecordInvalid naming the member at fault unless `record` is valid under its kind's
 * schema and the rules of §1. Precondition: `record` came from parseStrictJson or JSON.parse.
 */
export function validateRecord(record) {
  if (!isObject(record)) throw new RecordInvalid('record', 'expected an object');
  const kind = KINDS[record.kind];
  if (kind === undefined) throw new RecordInvalid('record.kind', `expected one of ${Object.keys(KINDS).join(', ')}`);
  validate(record, kind.schema, kind.schema, 'record');
  checkCreditCode(record[kind.agency], `record.${kind.agency}`);
  checkDateTime(record.occurred_at, 'record.occurred_at');
  checkText(record, 'record');
}

// -- the JSON Schema subset (draft 2020-12) that the record schemas use ---------------------

const ANNOTATIONS = new Set(['$schema', '$defs', 'title', 'description', 'format']);
// `format: date-time` is an annotation in 2020-12; checkDateTime enforces it.

function typeOk(value, type) {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return isInteger(value);
    default:
      throw new Error(`schema type ${type} is not supported`);
  }
}

const describe = (v) => (v instanceof JsonFloat ? 'a number with a fraction or exponent' : Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`);
const codePoints = (s) => [...s].length; // JSON Schema lengths count characters, not UTF-16 units

function validate(value, schema, root, path) {
  for (const [keyword, arg] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case '$ref': {
        const name = /^#\/\$defs\/(.+)$/.exec(arg);
        if (!name) throw new Error(`schema $ref ${arg} is not supported`);
        validate(value, root.$defs[name[1]], root, path);
        break;
      }
      case 'type':
        if (!typeOk(value, arg)) throw new RecordInvalid(path, `expected ${arg === 'integer' ? 'an integer' : `a${arg === 'object' || arg === 'array' ? 'n' : ''} ${arg}`}, got ${describe(value)}`);
        break;
      case 'const':
        if (value !== arg) throw new RecordInvalid(path, `expected ${JSON.stringify(arg)}`);
        break;
      case 'enum':
        if (!arg.includes(value)) throw new RecordInvalid(path, `expected one of ${arg.join(', ')}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg, 'u').test(value)) throw new RecordInvalid(path, `does not match ${arg}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && codePoints(value) < arg) throw new RecordInvalid(path, `must have at least ${arg} characters`);
        break;
      case 'maxLength':
        if (typeof value === 'string' && codePoints(value) > arg) throw new RecordInvalid(path, `must have at most ${arg} characters`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < arg) throw new RecordInvalid(path, `must be at least ${arg}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > arg) throw new RecordInvalid(path, `must be at most ${arg}`);
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > arg) throw new RecordInvalid(path, `must have at most ${arg} items`);
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((item, i) => validate(item, arg, root, `${path}[${i}]`));
        break;
      case 'uniqueItems':
        // The schemas use it on lists of strings (§1.1): equal means the same characters.
        if (arg === true && Array.isArray(value)) {
          const seen = new Map();
          value.forEach((item, i) => {
            const key = typeof item === 'string' ? item : canonicalize(item);
            if (seen.has(key)) throw new RecordInvalid(`${path}[${i}]`, `repeats item ${seen.get(key)}`);
            seen.set(key, i);
          });
        }
        break;
      case 'required':
        if (isObject(value)) for (const name of arg) if (!Object.hasOwn(value, name)) throw new RecordInvalid(`${path}.${name}`, 'required member is missing');
        break;
      case 'properties':
        if (isObject(value)) for (const [name, sub] of Object.entries(arg)) if (Object.hasOwn(value, name)) validate(value[name], sub, root, `${path}.${name}`);
        break;
      case 'additionalProperties':
        if (arg !== false) throw new Error('schema additionalProperties other than false is not supported');
        if (isObject(value)) for (const name of Object.keys(value)) if (!Object.hasOwn(schema.properties ?? {}, name)) throw new RecordInvalid(`${path}.${name}`, 'unknown member (not part of the schema)');
        break;
      case 'allOf':
        for (const sub of arg) validate(value, sub, root, path);
        break;
      case 'if':
        if (matches(value, arg, root, path)) validate(value, schema.then ?? {}, root, path);
        break;
      case 'then':
        break; // applied by 'if'
      default:
        throw new Error(`schema keyword ${keyword} is not supported`);
    }
  }
}

function matches(value, schema, root, path) {
  try {
    validate(value, schema, root, path);
    return true;
  } catch (error) {
    if (error instanceof RecordInvalid) return false;
    throw error;
  }
}

// -- what the schemas cannot say ------------------------------------------------------------

// GB 32100-2015: 31 characters (no I, O, S, V, Z); the 18th is the check character of the
// first 17 under the weights 3^i mod 31.
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters of a USCC. Precondition: they are in the alphabet. */
export function creditCodeCheck(first17) {
  const sum = [...first17].reduce((n, c, i) => n + USCC_ALPHABET.indexOf(c) * USCC_WEIGHTS[i], 0);
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

function checkCreditCode(code, path) {
  // The schema's pattern has already admitted 18 characters of the alphabet.
  const expected = creditCodeCheck(code.slice(0, 17));
  if (code[17] !== expected) throw new RecordInvalid(path, `not a valid Unified Social Credit Code: check character is ${code[17]}, expected ${expected}`);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A real RFC 3339 date-time (§1, `occurred_at`): a calendar date of year 1 or later, hours
 * 0–23, minutes and seconds 0–59 (no leap second), an offset of at most ±14:00 whose minutes
 * are 0–59, and never -00:00 ("offset unknown", RFC 3339 §4.3).
 */
export function checkDateTime(text, path) {
  const m = DATE_TIME.exec(text);
  if (!m) throw new RecordInvalid(path, 'expected an RFC 3339 date-time with an offset');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (year < 1 || days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) {
    throw new RecordInvalid(path, `${text} is not a real date and time`);
  }
  if (m[7] !== undefined) {
    const [sign, oh, om] = [m[7], Number(m[8]), Number(m[9])];
    if (om > 59) throw new RecordInvalid(path, `offset minutes over 59`);
    if (oh * 60 + om > 14 * 60) throw new RecordInvalid(path, 'offset beyond ±14:00');
    if (sign === '-' && oh === 0 && om === 0) throw new RecordInvalid(path, "offset -00:00 means 'offset unknown'");
  }
}

// U+0000–U+001F and U+007F, except tab, line feed and carriage return.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;

function checkText(value, path) {
  if (typeof value === 'string') {
    if (CONTROL.test(value)) throw new RecordInvalid(path, 'holds a control character (only tab, line feed and carriage return are allowed)');
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkText(v, `${path}[${i}]`));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) checkText(v, `${path}.${k}`);
  }
}
