// PROTOCOL.md §10.7: every case of tests/vectors/note/*.json (the Go sumdb/note tests, the
// C2SP examples, real sum.golang.org, sigsum and CT checkpoints with real witness
// cosignatures, and the named corrupt cases) gives the outcome the vector names, the outcome
// the Python verifier's tests hold it to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { concat, fromHex, toHex, utf8 } from '../bytes.mjs';
import * as note from '../note.mjs';
import { CheckpointMismatch, WitnessEvidenceInvalid, WitnessPolicyUnmet, requirePolicy, verifyWitnessedCheckpoint } from '../witnessed.mjs';

const VECTORS = new URL('../../../../tests/vectors/note/', import.meta.url);
// Integers beyond 2^53 (a cosignature timestamp of 2^63 − 1) are read as strings, then BigInt.
const read = (name) => JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8').replace(/("timestamp": )(\d{16,})/g, '$1"$2"'));
const OPEN = read('open.json');
const KEYS = read('keys.json');
const SIGN = read('sign.json');
const CHECKPOINTS = read('checkpoints.json');
const WITNESSED = read('witnessed.json');
const ERRORS = { NoteMalformed: note.NoteMalformed, NoteUnverified: note.NoteUnverified, NoteSignatureInvalid: note.NoteSignatureInvalid, AmbiguousNoteKey: note.AmbiguousNoteKey };
const noteBytes = (c) => (c.note_hex !== undefined ? fromHex(c.note_hex) : utf8(c.note));

test('open.json: every note verifies or fails as the vector says', () => {
  assert.ok(OPEN.cases.length >= 30);
  for (const c of OPEN.cases) {
    const verifiers = c.verifiers.map(note.parseVerifierKey);
    if (c.outcome !== 'verified') {
      assert.throws(() => note.openNote(noteBytes(c), verifiers), ERRORS[c.outcome], c.name);
      continue;
    }
    const opened = note.openNote(noteBytes(c), verifiers);
    if (c.verified !== undefined) {
      assert.deepEqual(opened.verified.map((v) => v.key.key), c.verified, c.name);
      assert.deepEqual(opened.unverified.map((s) => s.key), c.unverified, c.name);
    }
    for (const { key, signature } of opened.verified) {
      assert.equal(signature.key, key.key, c.name);
      if (Object.hasOwn(c.timestamps ?? {}, key.key)) assert.equal(note.cosignatureTimestamp(signature), BigInt(c.timestamps[key.key]), c.name);
    }
    if (c.checkpoint !== undefined) {
      const body = note.parseCheckpointBody(opened.text);
      assert.deepEqual([body.origin, body.size, toHex(body.root)], [c.checkpoint.origin, BigInt(c.checkpoint.size), c.checkpoint.root], c.name);
    }
  }
});

test('keys.json: verifier keys parse and print back; invalid and mangled keys are refused', () => {
  for (const entry of KEYS.verifier_keys) {
    const key = note.parseVerifierKey(entry.vkey);
    assert.equal(key.type, entry.type, entry.vkey);
    assert.equal(key.text, entry.vkey);
  }
  for (const entry of KEYS.invalid_verifier_keys) assert.throws(() => note.parseVerifierKey(entry.vkey), note.NoteKeyInvalid, entry.description);
  for (const entry of KEYS.signer_keys) assert.equal(note.verifierOfSignerKey(entry.skey).verifier.text, entry.vkey);
  // Go's TestNewVerifier and TestNewSigner: no substring and no one-character change parses.
  for (const [kind, parse] of [['vkey', note.parseVerifierKey], ['skey', note.verifierOfSignerKey]]) {
    const text = KEYS.mangle[kind];
    parse(text);
    const candidates = new Set();
    for (let i = 0; i < text.length; i += 1) {
      for (let j = i + 1; j <= text.length; j += 1) candidates.add(text.slice(i, j));
      candidates.add(text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) + 1) + text.slice(i + 1));
    }
    candidates.delete(text);
    for (const mangled of candidates) assert.throws(() => parse(mangled), note.NoteKeyInvalid, `${kind} ${mangled}`);
  }
});

test('sign.json: the known-answer lines are what Ed25519 over the documented message gives, and verify', () => {
  for (const entry of SIGN.log_signatures) {
    const { verifier, seed } = note.verifierOfSignerKey(entry.skey);
    const line = `${note.SIGNATURE_PREFIX}${verifier.name} ${note.encodeBase64(concat(fromHex(verifier.keyId.toString(16).padStart(8, '0')), ed25519.sign(utf8(entry.text), seed)))}\n`;
    assert.equal(line, entry.line);
    const [signature] = note.parseNote(`${entry.text}\n${entry.line}`).signatures;
    assert.ok(note.verifySignature(verifier, entry.text, signature));
  }
  for (const entry of SIGN.cosignatures) {
    const { verifier, seed } = note.verifierOfSignerKey(entry.skey);
    assert.equal(verifier.type, note.COSIGNATURE_V1);
    const stamp = fromHex(BigInt(entry.timestamp).toString(16).padStart(16, '0'));
    const signed = ed25519.sign(note.cosignatureMessage(entry.timestamp, entry.text), seed);
    const line = `${note.SIGNATURE_PREFIX}${verifier.name} ${note.encodeBase64(concat(fromHex(verifier.keyId.toString(16).padStart(8, '0')), stamp, signed))}\n`;
    assert.equal(line, entry.line, String(entry.timestamp));
    const [signature] = note.parseNote(`${entry.text}\n${entry.line}`).signatures;
    assert.equal(note.cosignatureTimestamp(signature), BigInt(entry.timestamp));
    assert.ok(note.verifySignature(verifier, entry.text, signature));
    assert.ok(!note.verifySignature(verifier, entry.text.replace('\n5\n', '\n6\n'), signature));
  }
  for (const entry of SIGN.timestamps) {
    const [signature] = note.parseNote(`x\n\n\u2014 w ${entry.signature}\n`).signatures;
    assert.equal(note.cosignatureTimestamp(signature), BigInt(entry.timestamp));
  }
});

test('checkpoints.json: valid bodies parse and write back; invalid ones name their line', () => {
  for (const c of CHECKPOINTS.valid) {
    const body = note.parseCheckpointBody(c.text);
    assert.deepEqual([body.origin, body.size, body.extensions], [c.origin, BigInt(c.size), c.extensions], c.name);
    assert.equal([body.origin, String(body.size), note.encodeBase64(body.root), ...body.extensions].map((l) => `${l}\n`).join(''), c.text);
  }
  for (const c of CHECKPOINTS.invalid) {
    assert.throws(() => note.parseCheckpointBody(c.text), (e) => e instanceof note.CheckpointBodyMalformed && e.line === c.line, c.name);
  }
});

function verifyCase(c) {
  const expect = { ...c.expect };
  if (expect.root !== undefined) expect.root = fromHex(expect.root);
  return verifyWitnessedCheckpoint(utf8(c.note), {
    logKeys: [note.parseVerifierKey(c.log_vkey ?? WITNESSED.log_vkey)],
    witnessKeys: (c.witness_vkeys ?? WITNESSED.witness_vkeys).map(note.parseVerifierKey),
    quorum: c.quorum,
    ...expect,
  });
}

test('witnessed.json: the policy, the k-th earliest time and every corrupt case', () => {
  assert.ok(WITNESSED.cases.length >= 16);
  for (const c of WITNESSED.cases) {
    if (c.outcome === 'verified' || c.outcome === 'unmet') {
      const result = verifyCase(c);
      assert.equal(result.policyMet, c.outcome === 'verified', c.name);
      assert.equal(result.witnessedAt, c.witnessed_at === null ? null : BigInt(c.witnessed_at), c.name);
      const times = result.cosignatures.map((x) => x.timestamp);
      assert.deepEqual(times, [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), c.name);
      if (c.outcome === 'unmet') assert.throws(() => requirePolicy(result), WitnessPolicyUnmet, c.name);
      else assert.equal(requirePolicy(result), result.witnessedAt, c.name);
      continue;
    }
    const [name, check] = c.outcome.split(':');
    const type = { WitnessEvidenceInvalid, CheckpointMismatch }[name];
    assert.throws(() => verifyCase(c), (e) => e instanceof type && (check === undefined || e.check === check), c.name);
  }
});

test('keys of the wrong type and a quorum beyond the witnesses are refused', () => {
  const logKey = note.parseVerifierKey(WITNESSED.log_vkey);
  const witnessKey = note.parseVerifierKey(WITNESSED.witness_vkeys[0]);
  const bytes = utf8(WITNESSED.cases[0].note);
  assert.throws(() => verifyWitnessedCheckpoint(bytes, { logKeys: [witnessKey], witnessKeys: [], quorum: 0 }), note.NoteKeyInvalid);
  assert.throws(() => verifyWitnessedCheckpoint(bytes, { logKeys: [logKey], witnessKeys: [logKey], quorum: 1 }), note.NoteKeyInvalid);
  assert.throws(() => verifyWitnessedCheckpoint(bytes, { logKeys: [logKey], witnessKeys: [witnessKey], quorum: 2 }), RangeError);
});

test('base64 is RFC 4648 §4 with padding, as the Go package reads it', () => {
  const cases = { AAAA: '000000', 'AAA=': '0000', 'AA==': '00', '': '', 'AB==': '00', 'AAB=': '0000' };
  for (const [text, hex] of Object.entries(cases)) assert.equal(toHex(note.decodeBase64(text)), hex, text);
  for (const text of ['AAA', 'AA=', 'AAAAA', 'AAA==', 'AAAA=', 'AAAA==', 'A===', '=', '==', 'AA==AA==', 'AAAA AAAA', 'A', 'AA-_', 'AA\n==']) assert.equal(note.decodeBase64(text), null, text);
  for (let n = 0; n < 40; n += 1) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    assert.equal(note.encodeBase64(bytes), Buffer.from(bytes).toString('base64'));
    assert.deepEqual(note.decodeBase64(note.encodeBase64(bytes)), bytes);
  }
});
