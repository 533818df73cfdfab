// PROTOCOL.md §2–§3 known answers (tests/vectors/protocol/records.json) and the bundle vectors
// of §7 (tests/vectors/bundles: valid.json, and each named change of tampered.json failing at
// its step), read with the strict parser from their bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, sha256, toHex, utf8 } from '../bytes.mjs';
import { canonicalize, parseStrictJson } from '../json.mjs';
import { leafHash } from '../merkle.mjs';
import { validateRecord } from '../records.mjs';
import { verifyBundle } from '../verify.mjs';

const VECTORS = new URL('../../../../tests/vectors/', import.meta.url);
const read = (path) => parseStrictJson(readFileSync(new URL(path, VECTORS)));

test('records.json: canonical bytes, commitment, record id, leaf bytes and hash', () => {
  const vectors = read('protocol/records.json');
  assert.ok(vectors.length >= 2);
  for (const v of vectors) {
    validateRecord(v.record);
    const canonical = canonicalize(v.record);
    assert.equal(canonical, v.canonical, v.description);
    const bytes = utf8(canonical);
    assert.equal(toHex(sha256(utf8('evanchor/v1/commitment\u0000'), fromHex(v.salt), bytes)), v.commitment);
    assert.equal(toHex(sha256(utf8('evanchor/v1/record-id\u0000'), bytes)), v.record_id);
    assert.equal(canonicalize(v.leaf), v.leaf_bytes);
    assert.equal(toHex(leafHash(utf8(v.leaf_bytes))), v.leaf_hash);
  }
});

/** The change a tampered.json entry names, applied to a copy (as tests/anchor/test_bundle.py reads it). */
export function applyTamper(bundle, pointer, value) {
  const changed = structuredClone(bundle);
  const parts = pointer.replace(/^\//, '').split('/');
  const last = parts.pop();
  let target = changed;
  for (const part of parts) target = target[Array.isArray(target) ? Number(part) : part];
  const key = Array.isArray(target) ? Number(last) : last;
  if (value === 'flip') {
    const raw = fromHex(target[key]);
    raw[0] ^= 0x01;
    target[key] = toHex(raw);
  } else if (value === 'truncate') {
    target[key] = target[key].slice(0, -1);
  } else if (value === 'append') {
    target[key] = [...target[key], '55'.repeat(32)];
  } else {
    target[key] = value;
  }
  return changed;
}

test('bundles/valid.json verifies; every tampered.json change fails at its step', async () => {
  const valid = read('bundles/valid.json');
  const good = await verifyBundle(valid);
  assert.equal(good.outcome, 'VERIFIED', JSON.stringify(good.steps));
  assert.deepEqual(good.steps.map((s) => s.status), [...Array(6).fill('ok'), 'skipped', 'skipped']);
  const tampered = read('bundles/tampered.json');
  assert.ok(tampered.length >= 20);
  for (const t of tampered) {
    const r = await verifyBundle(applyTamper(valid, t.pointer, t.value));
    assert.equal(r.outcome, 'NOT VERIFIED', t.description);
    assert.equal(r.steps.find((s) => s.status === 'failed').step, t.fails_at, t.description);
  }
});

test('bundle text breaking the input rules of §1 fails at format, naming the member', async () => {
  const text = readFileSync(new URL('bundles/valid.json', VECTORS), 'utf8');
  const cases = {
    'duplicate key': [text.replace('"leaf_index": 3', '"leaf_index": 3, "leaf_index": 3'), 'leaf_index: duplicate'],
    'byte order mark': [`\ufeff${text}`, 'byte order mark'],
    'lone surrogate': [text.replace('instalment', 'instalment\\ud800'), 'record.notes: string holds a lone surrogate'],
    'integer beyond 2^53': [text.replace('"minor_units": 500000', '"minor_units": 9007199254740992'), 'record.amount.minor_units: number'],
    '3.0 is no integer': [text.replace('"leaf_index": 3', '"leaf_index": 3.0'), 'leaf_index: expected a non-negative integer'],
    'nesting 33 deep': [text.replace(/}\s*$/, `, "x": ${'['.repeat(32)}${']'.repeat(32)}}`), 'nest deeper than 32'],
  };
  for (const [name, [changed, expected]] of Object.entries(cases)) {
    const r = await verifyBundle(changed);
    assert.equal(r.outcome, 'NOT VERIFIED', name);
    assert.equal(r.steps.at(-1).step, 'format', name);
    assert.ok(r.steps.at(-1).detail.includes(expected), `${name}: ${r.steps.at(-1).detail}`);
  }
  const bytes = new Uint8Array([...utf8(text.slice(0, 20)), 0xff, ...utf8(text.slice(20))]);
  assert.match((await verifyBundle(bytes)).steps[0].detail, /not valid UTF-8/);
});

test('§1.1 members: known values once each, the time zone by its syntax', () => {
  const record = read('protocol/records.json').find((v) => v.record.kind === 'collection_checkpoint').record;
  validateRecord({ ...record, data_categories: ['biometric', 'identity'], contact_target: 'third_party',
    debtor_time_zone: 'America/New_York', findings: ['threat'] });
  assert.throws(() => validateRecord({ ...record, data_categories: ['biometric', 'biometric'] }),
    (e) => e.path === 'record.data_categories[1]');
  assert.throws(() => validateRecord({ ...record, contact_target: 'neighbour' }),
    (e) => e.path === 'record.contact_target');
  assert.throws(() => validateRecord({ ...record, debtor_time_zone: 'not a zone' }),
    (e) => e.path === 'record.debtor_time_zone');
});
