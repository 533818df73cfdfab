// RFC 9162 verification against every committed vector of tests/vectors/{inclusion,consistency}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fromHex } from '../bytes.mjs';
import { ProofMalformed, RootMismatch, verifyConsistency, verifyInclusion } from '../merkle.mjs';

const VECTORS = new URL('../../../../tests/vectors/', import.meta.url);

function vectors(kind) {
  const folder = new URL(`${kind}/`, VECTORS);
  return readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(new URL(f, folder), 'utf8')));
}

function outcome(run) {
  try {
    run();
    return 'valid';
  } catch (error) {
    if (error instanceof ProofMalformed) return 'ProofMalformed';
    if (error instanceof RootMismatch) return 'RootMismatch';
    throw error;
  }
}

function check(v, got) {
  if (v.valid) assert.equal(got, 'valid', v.description);
  else if (v.error) assert.equal(got, v.error, v.description);
  else assert.notEqual(got, 'valid', v.description);
}

test('inclusion vectors', () => {
  const all = vectors('inclusion');
  assert.ok(all.length > 300);
  for (const v of all) {
    check(v, outcome(() => verifyInclusion(fromHex(v.leaf_hash), v.leaf_index, v.tree_size, v.proof.map(fromHex), fromHex(v.root))));
  }
});

test('consistency vectors', () => {
  const all = vectors('consistency');
  assert.ok(all.length > 200);
  for (const v of all) {
    check(v, outcome(() => verifyConsistency(v.old_size, v.new_size, fromHex(v.old_root), fromHex(v.new_root), v.proof.map(fromHex))));
  }
});
