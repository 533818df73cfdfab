// PROTOCOL.md §5.4 and §10.8: the checkpoint note step on the committed bundle vectors, each
// given a note signed here (noble's Ed25519, over the documented messages) by a log key and
// two witness keys, and named changes to it. tests/js_verifier holds the same step to the
// Python verifier on the witnessed-bundle vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { concat, fromHex, utf8 } from '../bytes.mjs';
import { WitnessTrustInvalid, logOnlyOrigin, witnessTrust } from '../checkpoint_note.mjs';
import { parseStrictJson } from '../json.mjs';
import { COSIGNATURE_V1, ED25519, SIGNATURE_PREFIX, cosignatureMessage, encodeBase64, keyId } from '../note.mjs';
import { verify } from '../verify.mjs';

const VECTORS = new URL('../../../../tests/vectors/bundles/', import.meta.url);
const vector = (name) => parseStrictJson(readFileSync(new URL(name, VECTORS)));
const T0 = 1767225600;
const NOW = T0 + 3600;

function signer(name, type, fill) {
  const seed = new Uint8Array(32).fill(fill);
  const publicKey = ed25519.getPublicKey(seed);
  const id = keyId(name, type, publicKey);
  const idBytes = fromHex(id.toString(16).padStart(8, '0'));
  return {
    name,
    vkey: `${name}+${id.toString(16).padStart(8, '0')}+${encodeBase64(concat(Uint8Array.of(type), publicKey))}`,
    publicKey,
    sign: (text) => `${SIGNATURE_PREFIX}${name} ${encodeBase64(concat(idBytes, ed25519.sign(utf8(text), seed)))}\n`,
    cosign: (text, t) => `${SIGNATURE_PREFIX}${name} ${encodeBase64(concat(idBytes, fromHex(BigInt(t).toString(16).padStart(16, '0')), ed25519.sign(cosignatureMessage(t, text), seed)))}\n`,
  };
}

/** The line with its base64 character at `at` (from the end) changed: a bit of the signature. */
const flipAt = (line, at) => {
  const i = line.length + at;
  return line.slice(0, i) + (line[i] === 'A' ? 'B' : 'A') + line.slice(i + 1);
};
const root64 = (hex) => encodeBase64(fromHex(hex));
const originOf = (t) => `evanchor/${t.chain_id}/${t.contract}/${t.writer}`;
const w1 = signer('court1.example/witness', COSIGNATURE_V1, 0x11);
const w2 = signer('court2.example/witness', COSIGNATURE_V1, 0x22);
const w3 = signer('outsider.example/witness', COSIGNATURE_V1, 0x33);

function noted(bundle, { origin, log, text, lines }) {
  const body = text ?? `${origin}\n${bundle.checkpoint.size}\n${root64(bundle.checkpoint.root)}\n`;
  const signatures = lines ?? [log.sign(body), w1.cosign(body, T0 + 20), w2.cosign(body, T0 + 10)];
  return { ...bundle, checkpoint_note: `${body}\n${signatures.join('')}` };
}

const failedAt = (r) => {
  const s = r.steps.find((x) => x.status === 'failed');
  return s ? [s.step, s.check ?? null] : null;
};

test('an anchored bundle: bound, signed, witnessed; the k-th earliest is the witnessed time', async () => {
  const v = vector('valid-anchored-trusted-hash.json');
  const origin = originOf(v.bundle.seal.leaf.anchored_to);
  const log = signer(origin, ED25519, 0x01);
  const bundle = noted(v.bundle, { origin, log });
  const options = { trustedBlockHash: v.options.trusted_block_hash, now: NOW };
  const keys = { ...options, logKeys: [log.vkey], witnessKeys: [w1.vkey, w2.vkey] };

  const both = await verify(JSON.stringify(bundle), keys);
  assert.equal(both.outcome, 'VERIFIED', JSON.stringify(both.steps));
  assert.equal(both.assurance, 'anchored+signed');
  assert.deepEqual(both.witnessing.cosignatures.map((c) => [c.witness, c.timestamp]), [[w2.name, T0 + 10], [w1.name, T0 + 20]]);
  assert.equal(both.witnessing.witnessed_at, T0 + 20);
  assert.equal(both.witnessing.checked, true);
  assert.deepEqual(both.proven.witnessing, both.witnessing);
  assert.match(both.summary, /no later than 2026-01-01T00:00:20Z \(the 2nd earliest cosignature\), vouched for by the witnesses/);
  const one = await verify(JSON.stringify(bundle), { ...keys, witnessPolicy: 1 });
  assert.equal(one.witnessing.witnessed_at, T0 + 10);

  const noKeys = await verify(JSON.stringify(bundle), options);
  assert.equal(noKeys.outcome, 'VERIFIED');
  assert.equal(noKeys.witnessing.checked, false);
  assert.match(noKeys.steps.at(-1).detail, /its signatures and its witnessing were not checked/);
  assert.match(noKeys.summary, /witnessing was not checked/);
  assert.doesNotMatch(noKeys.summary, /was witnessed/);
  const logOnly = await verify(JSON.stringify(bundle), { ...options, logKeys: [log.vkey] });
  assert.equal(logOnly.witnessing.log_key, log.vkey.split('+').slice(0, 2).join('+'));
  assert.match(logOnly.steps.at(-1).detail, /its witnessing was not checked \(no witness keys given\)/);

  const body = `${origin}\n${v.bundle.checkpoint.size}\n${root64(v.bundle.checkpoint.root)}\n`;
  const cases = {
    'no note, witness keys': [{ ...v.bundle }, keys, ['checkpoint note', 'witness policy']],
    'note of another size': [noted(v.bundle, { log, text: `${origin}\n${v.bundle.checkpoint.size + 1}\n${root64(v.bundle.checkpoint.root)}\n` }), options, ['checkpoint note', 'size']],
    'note of another root': [noted(v.bundle, { log, text: `${origin}\n${v.bundle.checkpoint.size}\n${root64('00'.repeat(32))}\n` }), options, ['checkpoint note', 'root']],
    'note of another log': [noted(v.bundle, { log, origin: origin.replace(/\/\d+\//, '/7/') }), options, ['checkpoint note', 'origin']],
    'extension line': [noted(v.bundle, { log, text: `${body}extra\n` }), options, ['checkpoint note', 'checkpoint text']],
    'log signature of another key': [bundle, { ...keys, logKeys: [signer(origin, ED25519, 0x02).vkey] }, ['checkpoint note', 'log signature']],
    'tampered cosignature': [noted(v.bundle, { origin, log, lines: [log.sign(body), flipAt(w1.cosign(body, T0 + 20), -30), w2.cosign(body, T0)] }), keys, ['checkpoint note', 'cosignature']],
    'flipped log signature': [noted(v.bundle, { origin, log, lines: [flipAt(log.sign(body), -30), w1.cosign(body, T0 + 20)] }), keys, ['checkpoint note', 'log signature']],
    'future cosignature': [noted(v.bundle, { origin, log, lines: [log.sign(body), w1.cosign(body, NOW + 301), w2.cosign(body, T0)] }), keys, ['checkpoint note', 'cosignature']],
    'timestamp 0': [noted(v.bundle, { origin, log, lines: [log.sign(body), w1.cosign(body, 0), w2.cosign(body, T0)] }), keys, ['checkpoint note', 'cosignature']],
    'an untrusted witness only counts for nothing': [noted(v.bundle, { origin, log, lines: [log.sign(body), w1.cosign(body, T0), w3.cosign(body, T0)] }), keys, ['checkpoint note', 'witness policy']],
    'not a note': [{ ...v.bundle, checkpoint_note: `${body}no signatures\n` }, options, ['checkpoint note', 'note']],
    'note not a string': [{ ...v.bundle, checkpoint_note: 5 }, options, ['format', null]],
    'empty note': [{ ...v.bundle, checkpoint_note: '' }, options, ['format', null]],
  };
  for (const [name, [changed, opts, expected]] of Object.entries(cases)) {
    const r = await verify(JSON.stringify(changed), opts);
    assert.equal(r.outcome, 'NOT VERIFIED', name);
    assert.deepEqual(failedAt(r), expected, `${name}: ${JSON.stringify(r.steps.at(-1))}`);
    assert.equal(r.witnessing.checked, false, name);
  }
  const ignored = await verify(JSON.stringify(noted(v.bundle, { origin, log, lines: [log.sign(body), w1.cosign(body, T0), w3.cosign(body, T0 - 5)] })), { ...keys, witnessPolicy: 1 });
  assert.equal(ignored.outcome, 'VERIFIED');
  assert.deepEqual(ignored.witnessing.cosignatures.map((c) => c.witness), [w1.name]);
  assert.match(ignored.steps.at(-1).detail, /ignored, keys not trusted: outsider\.example\/witness/);
});

test('a log that anchors nowhere is named by its key', async () => {
  const v = vector('valid-log-only.json');
  const log = signer('placeholder', ED25519, 0x05);
  const origin = logOnlyOrigin(log.publicKey);
  const real = signer(origin, ED25519, 0x05);
  const bundle = noted(v.bundle, { origin, log: real });
  const keys = { logKeys: [real.vkey], witnessKeys: [w1.vkey, w2.vkey], now: NOW };
  const r = await verify(JSON.stringify(bundle), keys);
  assert.equal(r.outcome, 'VERIFIED', JSON.stringify(r.steps));
  assert.equal(r.assurance, 'log-only');
  assert.equal(r.witnessing.witnessed_at, T0 + 20);
  assert.doesNotMatch(r.summary, /not when the record existed/);
  // Without a log key only the origin's form is checked; with another log's key it fails.
  assert.equal((await verify(JSON.stringify(bundle))).outcome, 'VERIFIED');
  const other = signer(logOnlyOrigin(ed25519.getPublicKey(new Uint8Array(32).fill(6))), ED25519, 0x06);
  const signedByOther = noted(v.bundle, { origin, log: real, lines: [other.sign(`${origin}\n${v.bundle.checkpoint.size}\n${root64(v.bundle.checkpoint.root)}\n`).replace(other.name, origin)] });
  assert.deepEqual(failedAt(await verify(JSON.stringify(signedByOther), { logKeys: [other.vkey] })), ['checkpoint note', 'log signature']);
  const wrongForm = noted(v.bundle, { origin: 'evanchor/log-only/XYZ', log: real });
  assert.deepEqual(failedAt(await verify(JSON.stringify(wrongForm))), ['checkpoint note', 'origin']);
});

test('a case bundle carries its note once, at its top level', async () => {
  const v = vector('valid-case-anchored-trusted-hash.json');
  const origin = originOf(v.bundle.seal.leaf.anchored_to);
  const log = signer(origin, ED25519, 0x01);
  const bundle = noted(v.bundle, { origin, log });
  const keys = { trustedBlockHash: v.options.trusted_block_hash, logKeys: [log.vkey], witnessKeys: [w1.vkey, w2.vkey], now: NOW };
  const r = await verify(JSON.stringify(bundle), keys);
  assert.equal(r.outcome, 'VERIFIED', JSON.stringify(r.steps));
  assert.equal(r.steps.at(-1).step, 'checkpoint note');
  assert.equal(r.witnessing.witnessed_at, T0 + 20);
  assert.ok(r.steps.filter((s) => s.step === 'checkpoint note').length === 1);
  const inner = { ...bundle, records: bundle.records.map((x, i) => (i === 0 ? { ...x, checkpoint_note: bundle.checkpoint_note } : x)) };
  const bad = await verify(JSON.stringify(inner), keys);
  assert.deepEqual(failedAt(bad), ['format', null]);
  assert.match(bad.steps[0].detail, /records\[0\]\.checkpoint_note/);
  assert.deepEqual(failedAt(await verify(JSON.stringify(v.bundle), keys)), ['checkpoint note', 'witness policy']);
});

test('the keys and the policy a verifier is given are checked before any bundle', () => {
  const log = signer('log.example', ED25519, 1);
  const refused = {
    'a witness key as the log key': [{ logKeys: [w1.vkey] }, '--log-key'],
    'a log key as a witness key': [{ logKeys: [log.vkey], witnessKeys: [log.vkey.replace('log.example', 'x')] }, '--witness-key'],
    'witness keys without a log key': [{ witnessKeys: [w1.vkey] }, '--witness-key'],
    'a key twice': [{ logKeys: [log.vkey], witnessKeys: [w1.vkey, w1.vkey] }, '--witness-key'],
    'policy 0': [{ logKeys: [log.vkey], witnessKeys: [w1.vkey], policy: 0 }, '--witness-policy'],
    'policy beyond the keys': [{ logKeys: [log.vkey], witnessKeys: [w1.vkey], policy: 2 }, '--witness-policy'],
  };
  for (const [name, [options, option]] of Object.entries(refused)) {
    assert.throws(() => witnessTrust(options), (e) => e instanceof WitnessTrustInvalid && e.option === option, name);
  }
  assert.equal(witnessTrust({ logKeys: [log.vkey], witnessKeys: [w1.vkey, w2.vkey] }).quorum, 2);
});
