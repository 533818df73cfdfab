// C2SP signed notes, note keys, cosignature/v1 and tlog-checkpoint bodies (PROTOCOL.md §10),
// written from the protocol document and the C2SP documents (c2sp.org/signed-note,
// c2sp.org/tlog-cosignature, c2sp.org/tlog-checkpoint). No Node.js API: the same module runs
// in the verification page.
//
//   parseVerifierKey(text)           → { name, keyId, type, publicKey, key }   (key: "name+hex8")
//   parseNote(bytes)                 → { text, signatures: [{ name, keyId, signature, key }] }
//   openNote(bytes, verifierKeys)    → { text, verified: [{ key, signature }], unverified }
//   parseCheckpointBody(text)        → { origin, size (BigInt), root (32 bytes), extensions }
//
// A key ID is SHA-256(name || 0x0A || type || public key)[:4], big-endian. Type 0x01 signs
// the note text with Ed25519; type 0x04 (a witness's cosignature/v1) signs
// "cosignature/v1\ntime <t>\n" || note text, and its signature is an 8-byte big-endian
// timestamp followed by the 64-byte Ed25519 signature.
//
// openNote follows signed-note: lines of unknown keys are ignored (kept as unverified, once
// each); a line whose name and key ID are those of a given key must verify or the whole note
// is rejected; a note that no given key signed is rejected. Ed25519 verification is RFC 8032's
// (noble's `zip215: false`: canonical encodings, S < L), as the Python verifier's OpenSSL and
// the Go package verify.

import { ed25519 } from '@noble/curves/ed25519.js';
import { concat, equal, sha256, toHex, utf8 } from './bytes.mjs';

export const ED25519 = 0x01;
export const COSIGNATURE_V1 = 0x04;
export const SIGNATURE_TYPES = Object.freeze([ED25519, COSIGNATURE_V1]);
/** A note with more signature lines is malformed (the Go package's limit; signed-note asks for at least 16). */
export const MAX_SIGNATURES = 100;
/** A cosignature's timestamp is at most 2^63 − 1 (tlog-cosignature). */
export const MAX_TIMESTAMP = 2n ** 63n - 1n;
/** Em dash and space: every signature line starts with these. */
export const SIGNATURE_PREFIX = '\u2014 ';

const PRIVATE_PREFIX = 'PRIVATE+KEY+';
const KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
const TIMESTAMP_SIZE = 8;
const ROOT_SIZE = 32;
const UINT64_LIMIT = 2n ** 64n;

// -- errors: one class per kind of fault, carrying its facts -------------------------------

/** A signed note, a note key or a checkpoint body is malformed or does not verify. */
export class NoteError extends Error {
  get name() {
    return this.constructor.name;
  }
}
/** The bytes are not a signed note; `where` names the part at fault ("note", "signature line 2"). */
export class NoteMalformed extends NoteError {
  constructor(where, reason) {
    super(`malformed note: ${where}: ${reason}`);
    Object.assign(this, { where, reason });
  }
}
/** A verifier or signer key is malformed; `part` is name, key ID, key, type or prefix. */
export class NoteKeyInvalid extends NoteError {
  constructor(kind, part, reason) {
    super(`invalid ${kind} key: ${part}: ${reason}`);
    Object.assign(this, { kind, part, reason });
  }
}
/** A line names a given key (name and key ID) and does not verify: the note is rejected. */
export class NoteSignatureInvalid extends NoteError {
  constructor(keyName, keyId) {
    super(`invalid signature for key ${keyText(keyName, keyId)}`);
    Object.assign(this, { keyName, keyId, key: keyText(keyName, keyId) });
  }
}
/** No line of the note is from a given key; `found` lists the `name+id` of those it carries. */
export class NoteUnverified extends NoteError {
  constructor(found) {
    super(`note has no signature from a known key (it carries: ${found.length ? found.join(', ') : 'none'})`);
    this.found = found;
  }
}
/** Two given keys share a name and key ID, so a line cannot be attributed to one of them. */
export class AmbiguousNoteKey extends NoteError {
  constructor(keyName, keyId) {
    super(`ambiguous key ${keyText(keyName, keyId)}: configured twice`);
    Object.assign(this, { keyName, keyId });
  }
}
/** A note's text is not a tlog-checkpoint body; `line` is 1-based. */
export class CheckpointBodyMalformed extends NoteError {
  constructor(line, reason) {
    super(`malformed checkpoint: line ${line}: ${reason}`);
    Object.assign(this, { line, reason });
  }
}

// -- base64, names, key IDs ------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/**
 * Standard base64 with padding (RFC 4648 §4): only the alphabet, "=" only as the one or two
 * characters that complete the last group. Non-zero bits in the last character's unused
 * low bits are accepted, as the Go package (and so every signed-note tool) accepts them.
 * Returns null for anything else.
 */
export function decodeBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let bits = 0;
  let held = 0;
  let at = 0;
  for (const c of text.slice(0, text.length - pad)) {
    bits = (bits << 6) | B64_VALUE.get(c);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[at] = (bits >> held) & 0xff;
      at += 1;
    }
  }
  return out;
}

export function encodeBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((shift) => B64[(n >> shift) & 63]);
    const kept = Math.min(4, bytes.length - i + 1);
    out += chars.slice(0, kept).join('') + '='.repeat(4 - kept);
  }
  return out;
}

// The characters the Python verifier's str.isspace() and strip() treat as white space.
const SPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const strip = (text) => text.replace(new RegExp(`^${SPACE.source}+|${SPACE.source}+$`, 'gu'), '');

/** Non-empty, no Unicode space, no plus (signed-note, Format). */
export const isValidKeyName = (name) => name.length > 0 && !name.includes('+') && !SPACE.test(name);

const keyText = (name, keyId) => `${name}+${keyId.toString(16).padStart(8, '0')}`;

/** SHA-256(name || 0x0A || type || public key)[:4], big-endian, as a number. */
export function keyId(name, type, publicKey) {
  const digest = sha256(utf8(name), Uint8Array.of(0x0a, type), publicKey);
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

/** What a cosignature/v1 signs: "cosignature/v1\ntime <t>\n" then the whole note text. */
export const cosignatureMessage = (timestamp, text) => utf8(`cosignature/v1\ntime ${BigInt(timestamp)}\n${text}`);

// -- keys ------------------------------------------------------------------------------------

/** (name, key ID, type, key material) of `name+hex8+base64(type || key)`, each part checked. */
function splitKey(text, kind) {
  const [name, rest] = partition(text, '+');
  const [hex, encoded] = partition(rest, '+');
  if (!isValidKeyName(name)) throw new NoteKeyInvalid(kind, 'name', `${JSON.stringify(name)} is empty or holds a space or a plus`);
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new NoteKeyInvalid(kind, 'key ID', `expected 8 hex digits, found ${JSON.stringify(hex)}`);
  const raw = decodeBase64(encoded);
  if (raw === null) throw new NoteKeyInvalid(kind, 'key', 'not base64');
  if (raw.length === 0) throw new NoteKeyInvalid(kind, 'key', 'empty');
  if (!SIGNATURE_TYPES.includes(raw[0])) throw new NoteKeyInvalid(kind, 'type', `unknown signature type 0x${raw[0].toString(16).padStart(2, '0')}`);
  if (raw.length !== 1 + KEY_SIZE) throw new NoteKeyInvalid(kind, 'key', `expected ${KEY_SIZE} bytes, found ${raw.length - 1}`);
  return [name, parseInt(hex, 16), raw[0], raw.subarray(1)];
}

function partition(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}

function verifierKey(name, id, type, publicKey) {
  const key = keyText(name, id);
  return Object.freeze({ name, keyId: id, type, publicKey, key, text: `${key}+${encodeBase64(concat(Uint8Array.of(type), publicKey))}` });
}

/**
 * A verifier key `name+hex(key ID)+base64(type || public key)`, type 0x01 or 0x04; the key ID
 * must be the one the name, type and key give. Throws NoteKeyInvalid.
 */
export function parseVerifierKey(text) {
  const [name, stated, type, publicKey] = splitKey(strip(String(text)), 'verifier');
  const computed = keyId(name, type, publicKey);
  if (stated !== computed) throw new NoteKeyInvalid('verifier', 'key ID', `stated ${stated.toString(16).padStart(8, '0')}, the name and key give ${computed.toString(16).padStart(8, '0')}`);
  return verifierKey(name, computed, type, publicKey);
}

/**
 * The verifier key of a signer key `PRIVATE+KEY+name+hex(key ID)+base64(type || seed)`, after
 * checking its key ID against the seed's public key. The verifier never needs a private key;
 * this reads the published test keys of the vectors. Throws NoteKeyInvalid.
 */
export function verifierOfSignerKey(text) {
  const stripped = strip(String(text));
  if (!stripped.startsWith(PRIVATE_PREFIX)) throw new NoteKeyInvalid('signer', 'prefix', 'does not start with PRIVATE+KEY+');
  const [name, stated, type, seed] = splitKey(stripped.slice(PRIVATE_PREFIX.length), 'signer');
  const publicKey = ed25519.getPublicKey(seed);
  const computed = keyId(name, type, publicKey);
  if (stated !== computed) throw new NoteKeyInvalid('signer', 'key ID', `stated ${stated.toString(16).padStart(8, '0')}, the name and key give ${computed.toString(16).padStart(8, '0')}`);
  return { verifier: verifierKey(name, computed, type, publicKey), seed };
}

// -- notes -----------------------------------------------------------------------------------

/** The timestamp (BigInt) of a cosignature/v1: the first 8 bytes after the key ID. */
export function cosignatureTimestamp(signature) {
  if (signature.signature.length !== TIMESTAMP_SIZE + SIGNATURE_SIZE) {
    throw new NoteMalformed(`signature of ${signature.key}`, `a cosignature/v1 is ${TIMESTAMP_SIZE + SIGNATURE_SIZE} bytes after the key ID, found ${signature.signature.length}`);
  }
  let value = 0n;
  for (const byte of signature.signature.subarray(0, TIMESTAMP_SIZE)) value = (value << 8n) | BigInt(byte);
  return value;
}

function parseSignatureLine(line, where) {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteMalformed(where, 'does not start with an em dash and a space');
  const [name, encoded] = partition(line.slice(SIGNATURE_PREFIX.length), ' ');
  if (!isValidKeyName(name)) throw new NoteMalformed(where, `invalid key name ${JSON.stringify(name)}`);
  if (!encoded) throw new NoteMalformed(where, 'no signature after the key name');
  const raw = decodeBase64(encoded);
  if (raw === null) throw new NoteMalformed(where, 'not base64');
  if (raw.length < 5) throw new NoteMalformed(where, `signature is ${raw.length} bytes, at least 5 expected`);
  const id = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
  return Object.freeze({ name, keyId: id, signature: raw.subarray(4), key: keyText(name, id) });
}

/** UTF-8 (a byte order mark kept as text), and no control character but the newline. */
function noteCharacters(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NoteMalformed('note', 'invalid UTF-8');
  }
  const control = /[\x00-\x09\x0b-\x1f]/.exec(text);
  if (control) throw new NoteMalformed('note', `control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at ${[...text.slice(0, control.index)].length}`);
  return text;
}

/**
 * A signed note's text and signature lines, unverified (syntax only): the text ends at the
 * last blank line; after it come 1 to MAX_SIGNATURES signature lines, each ending in a newline.
 * Throws NoteMalformed.
 */
export function parseNote(bytes) {
  const text = noteCharacters(typeof bytes === 'string' ? utf8(bytes) : bytes);
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new NoteMalformed('note', 'no blank line between the text and the signatures');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2);
  if (!lines) throw new NoteMalformed('note', 'no signature lines');
  if (!lines.endsWith('\n')) throw new NoteMalformed('note', 'the last signature line does not end in a newline');
  const raw = lines.slice(0, -1).split('\n');
  if (raw.length > MAX_SIGNATURES) throw new NoteMalformed('note', `${raw.length} signatures, at most ${MAX_SIGNATURES}`);
  return { text: body, signatures: raw.map((line, i) => parseSignatureLine(line, `signature line ${i + 1}`)) };
}

function ed25519Verify(signature, message, publicKey) {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a public key that is no curve point verifies nothing
  }
}

/** Whether `signature` (whose name and key ID are `key`'s) is valid over note `text`. */
export function verifySignature(key, text, signature) {
  if (key.type === ED25519) return signature.signature.length === SIGNATURE_SIZE && ed25519Verify(signature.signature, utf8(text), key.publicKey);
  if (signature.signature.length !== TIMESTAMP_SIZE + SIGNATURE_SIZE) return false;
  const timestamp = cosignatureTimestamp(signature);
  if (timestamp > MAX_TIMESTAMP) return false;
  return ed25519Verify(signature.signature.subarray(TIMESTAMP_SIZE), cosignatureMessage(timestamp, text), key.publicKey);
}

const sameLine = (a, b) => a.name === b.name && a.keyId === b.keyId && equal(a.signature, b.signature);

/**
 * Parses `bytes` and verifies its signatures against `verifiers` (parsed verifier keys).
 * Throws NoteMalformed, AmbiguousNoteKey (a line matches two given keys), NoteSignatureInvalid
 * (a line of a given key fails) or NoteUnverified (no line is from a given key). A second line
 * of a key already verified is skipped, as the Go package does.
 */
export function openNote(bytes, verifiers) {
  const note = parseNote(bytes);
  const verified = [];
  const unverified = [];
  const seen = new Set();
  for (const signature of note.signatures) {
    const known = verifiers.filter((v) => v.name === signature.name && v.keyId === signature.keyId);
    if (known.length === 0) {
      if (!unverified.some((s) => sameLine(s, signature))) unverified.push(signature);
      continue;
    }
    if (known.length > 1) throw new AmbiguousNoteKey(signature.name, signature.keyId);
    if (seen.has(signature.key)) continue;
    seen.add(signature.key);
    if (!verifySignature(known[0], note.text, signature)) throw new NoteSignatureInvalid(signature.name, signature.keyId);
    verified.push({ key: known[0], signature });
  }
  if (verified.length === 0) throw new NoteUnverified(note.signatures.map((s) => s.key));
  return { text: note.text, verified, unverified };
}

// -- checkpoint bodies (c2sp.org/tlog-checkpoint) ---------------------------------------------

/**
 * The checkpoint a note text holds: origin, size (BigInt), root (32 bytes), extension lines.
 * Strict: only a text that would be written back byte for byte (no leading zeros, canonical
 * base64, no empty line). Throws CheckpointBodyMalformed naming the line.
 */
export function parseCheckpointBody(text) {
  if (!text.endsWith('\n')) throw new CheckpointBodyMalformed(1, 'the text does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointBodyMalformed(lines.length, 'expected origin, size and root lines');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new CheckpointBodyMalformed(1, 'the origin is empty');
  if (!/^[0-9]+$/.test(sizeText)) throw new CheckpointBodyMalformed(2, `tree size ${JSON.stringify(sizeText)} is not a decimal number`);
  if (sizeText !== String(BigInt(sizeText))) throw new CheckpointBodyMalformed(2, `tree size ${JSON.stringify(sizeText)} has leading zeros`);
  const root = decodeBase64(rootText);
  if (root === null) throw new CheckpointBodyMalformed(3, `root ${JSON.stringify(rootText)} is not base64`);
  if (root.length !== ROOT_SIZE || encodeBase64(root) !== rootText) throw new CheckpointBodyMalformed(3, `root ${JSON.stringify(rootText)} is not a canonical 32-byte hash`);
  extensions.forEach((line, i) => {
    if (!line) throw new CheckpointBodyMalformed(4 + i, 'empty extension line');
  });
  const size = BigInt(sizeText);
  if (size >= UINT64_LIMIT) throw new CheckpointBodyMalformed(2, `tree size ${size} is not a uint64`);
  return { origin, size, root, rootHex: toHex(root), extensions };
}
