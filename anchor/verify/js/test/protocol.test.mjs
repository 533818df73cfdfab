// PROTOCOL.md §2–§3 known answers (tests/vectors/protocol/records.json) and the bundle vectors
// of §7 (tests/vectors/bundles/*.json: each with its expected outcome, assurance level and
// failing step), read with the strict parser from their bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fromHex, sha256, toHex, utf8 } from '../bytes.mjs';
import { canonicalize, parseStrictJson } from '../json.mjs';
import { leafHash } from '../merkle.mjs';
import { validateRecord } from '../records.mjs';
import { verifyBundle, verifyCaseBundle } from '../verify.mjs';

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

test('every bundle vector gives its outcome, assurance level and failing step', async () => {
  const dir = new URL('bundles/', VECTORS);
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  assert.ok(names.length >= 40);
  for (const name of names) {
    const v = read(`bundles/${name}`);
    const options = {};
    if (v.options.trusted_block_hash !== null) options.trustedBlockHash = v.options.trusted_block_hash;
    if (v.options.rpc === 'unreachable') options.rpc = 'http://127.0.0.1:9';
    const r = v.kind === 'case-bundle' ? await verifyCaseBundle(v.bundle, options) : await verifyBundle(v.bundle, options);
    assert.equal(r.outcome, v.expected.outcome, `${name}: ${JSON.stringify(r.steps)}`);
    assert.equal(r.assurance, v.expected.assurance, name);
    const status = v.expected.outcome === 'CANNOT VERIFY' ? 'cannot' : 'failed';
    assert.equal(r.steps.find((s) => s.status === status)?.step ?? null, v.expected.failing_step, name);
  }
});

test('bundle text breaking the input rules of §1 fails at format, naming the member', async () => {
  const text = JSON.stringify(read('bundles/valid-log-only.json').bundle, null, 2);
  const cases = {
    'duplicate key': [text.replace('"leaf_index": 3', '"leaf_index": 3, "leaf_index": 3'), 'leaf_index: duplicate'],
    'byte order mark': [`\ufeff${text}`, 'byte order mark'],
    'lone surrogate': [text.replace('instalment', 'instalment\\ud800'), 'record.notes: string holds a lone surrogate'],
    'integer beyond 2^53': [text.replace('"minor_units": 500000', '"minor_units": 9007199254740992'), 'record.amount.minor_units: number'],
    '3.0 is no integer': [text.replace('"leaf_index": 3', '"leaf_index": 3.0'), 'leaf_index: expected an integer in [0, 2^53 − 1]'],
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
