// Strict JSON input (PROTOCOL.md §1, I-JSON RFC 7493) and canonical bytes (§2, RFC 8785).
//
// JSON.parse is not strict enough for evidence: it keeps the last of two duplicate keys,
// accepts lone surrogates, rounds integers beyond 2^53 and forgets whether a number was
// written as 3 or 3.0. This parser refuses the first three and keeps the last apart
// (JsonFloat), so "3.0" is never taken for the integer 3 (PROTOCOL.md §1).

/** Why a JSON text was refused; `path` names the member at fault ("record.notes"). */
export class JsonInputError extends Error {
  constructor(path, problem) {
    super(path ? `${path}: ${problem}` : problem);
    this.path = path;
    this.problem = problem;
  }
}

/** A number written with a fraction or an exponent: never an integer, whatever its value. */
export class JsonFloat {
  constructor(text) {
    this.text = text;
    this.value = Number(text);
  }
}

export const MAX_DEPTH = 32; // §1: arrays and objects nest at most 32 deep
const MAX_SAFE = 2n ** 53n - 1n; // §1: integers within ±(2^53 − 1)

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses `input` (a string, or UTF-8 bytes) under the rules of PROTOCOL.md §1: UTF-8 without
 * a byte order mark, RFC 8259 grammar, no duplicate keys, no lone surrogates, integers
 * within ±(2^53 − 1), nesting at most 32 deep. Objects come back as plain objects (own
 * properties only, "__proto__" included as a key), numbers with a fraction or exponent as
 * JsonFloat. Throws JsonInputError naming the member at fault.
 */
export function parseStrictJson(input) {
  let text = input;
  if (typeof input !== 'string') {
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      throw new JsonInputError('', 'starts with a byte order mark (U+FEFF)');
    }
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new JsonInputError('', 'not valid UTF-8');
    }
  } else if (text.charCodeAt(0) === 0xfeff) {
    throw new JsonInputError('', 'starts with a byte order mark (U+FEFF)');
  }
  const parser = new Parser(text);
  parser.space();
  const value = parser.value('', 0);
  parser.space();
  if (parser.at < text.length) parser.fail('', 'trailing characters after the JSON value');
  return value;
}

const join = (path, key) => (path === '' ? String(key) : typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`);

class Parser {
  constructor(text) {
    this.text = text;
    this.at = 0;
  }

  fail(path, problem) {
    throw new JsonInputError(path, `${problem} (at character ${this.at})`);
  }

  space() {
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.at += 1;
    }
  }

  value(path, depth) {
    const c = this.text[this.at];
    if (c === '{' || c === '[') {
      if (depth + 1 > MAX_DEPTH) this.fail(path, `arrays and objects nest deeper than ${MAX_DEPTH} levels`);
      return c === '{' ? this.object(path, depth + 1) : this.array(path, depth + 1);
    }
    if (c === '"') return this.string(path);
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(path);
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    }
    return this.fail(path, 'expected a JSON value');
  }

  object(path, depth) {
    const result = {};
    this.at += 1;
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return result;
    }
    for (;;) {
      if (this.text[this.at] !== '"') this.fail(path, 'expected a member name');
      const key = this.string(path);
      const where = join(path, key);
      if (Object.prototype.hasOwnProperty.call(result, key)) this.fail(where, `duplicate object key ${JSON.stringify(key)}`);
      this.space();
      if (this.text[this.at] !== ':') this.fail(where, "expected ':'");
      this.at += 1;
      this.space();
      // defineProperty: a key "__proto__" is data, not the object's prototype.
      Object.defineProperty(result, key, { value: this.value(where, depth), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === '}') return result;
      if (c !== ',') this.fail(path, "expected ',' or '}'");
      this.space();
    }
  }

  array(path, depth) {
    const result = [];
    this.at += 1;
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return result;
    }
    for (;;) {
      result.push(this.value(join(path, result.length), depth));
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === ']') return result;
      if (c !== ',') this.fail(path, "expected ',' or ']'");
      this.space();
    }
  }

  string(path) {
    const t = this.text;
    let out = '';
    this.at += 1;
    for (;;) {
      if (this.at >= t.length) this.fail(path, 'unterminated string');
      const c = t.charCodeAt(this.at);
      if (c === 0x22) {
        this.at += 1;
        break;
      }
      if (c < 0x20) this.fail(path, 'control character in a string (escape it)');
      if (c !== 0x5c) {
        out += t[this.at];
        this.at += 1;
        continue;
      }
      const e = t[this.at + 1];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
      if (simple !== undefined) {
        out += simple;
        this.at += 2;
      } else if (e === 'u') {
        const hex = t.slice(this.at + 2, this.at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(path, 'bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += 6;
      } else {
        this.fail(path, 'bad escape');
      }
    }
    if (!out.isWellFormed()) throw new JsonInputError(path, 'string holds a lone surrogate');
    return out;
  }

  number(path) {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.at, this.at + 400));
    if (!match) this.fail(path, 'bad number');
    const literal = match[0];
    this.at += literal.length;
    if (match[1] !== undefined || match[2] !== undefined) {
      const float = new JsonFloat(literal);
      if (!Number.isFinite(float.value)) throw new JsonInputError(path, `number ${literal} is not finite`);
      return float;
    }
    const big = BigInt(literal);
    if (big > MAX_SAFE || big < -MAX_SAFE) {
      throw new JsonInputError(path, `number ${literal} is outside ±(2**53 - 1)`);
    }
    return Number(literal);
  }
}

/** True for an integer written as one (not JsonFloat, not a boolean). */
export const isInteger = (v) => typeof v === 'number' && Number.isInteger(v);
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonFloat);

/**
 * RFC 8785 (JCS) canonical text of a JSON value: members sorted by their names' UTF-16 code
 * units, no whitespace, strings escaped as ECMAScript's JSON.stringify does, numbers in
 * ECMAScript's shortest form. PROTOCOL.md §2 (canonical) and §3 (leaf bytes).
 */
export function canonicalize(value) {
  if (value === null || value === true || value === false) return String(value);
  if (value instanceof JsonFloat) return canonicalNumber(value.value);
  if (typeof value === 'number') return canonicalNumber(value);
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new JsonInputError('', 'string holds a lone surrogate');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(); // default sort: UTF-16 code units, as RFC 8785 §3.2.3
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(value[k])}`).join(',')}}`;
  }
  throw new JsonInputError('', `cannot canonicalize a ${typeof value}`);
}

function canonicalNumber(n) {
  if (!Number.isFinite(n)) throw new JsonInputError('', 'NaN and Infinity have no JSON form');
  return JSON.stringify(n); // ECMAScript Number-to-String, as RFC 8785 §3.2.2.3 requires; -0 → "0"
}

/** canonicalize() as UTF-8 bytes. */
export const canonicalBytes = (value) => new TextEncoder().encode(canonicalize(value));
