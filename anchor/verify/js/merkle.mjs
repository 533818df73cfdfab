// RFC 9162 §2.1 Merkle tree over SHA-256 (PROTOCOL.md §4): leaf hash SHA-256(0x00 || leaf),
// interior SHA-256(0x01 || left || right), inclusion (§2.1.3.2) and consistency (§2.1.4.2)
// verification, with the extra refusals PROTOCOL.md §4 lists as malformed.

import { equal, sha256 } from './bytes.mjs';

/** The proof cannot be for these sizes (PROTOCOL.md §4 "malformed"). */
export class ProofMalformed extends Error {}
/** A well-formed proof that leads to another root. */
export class RootMismatch extends Error {
  constructor(expected, computed) {
    super('the proof leads to another root');
    this.expected = expected;
    this.computed = computed;
  }
}

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);
export const leafHash = (leaf) => sha256(LEAF, leaf);
const nodeHash = (left, right) => sha256(NODE, left, right);

// Sizes and indices are below 2^53 (JSON integers, §1), so plain Number arithmetic is exact;
// bit operations are done by division, not by 32-bit JavaScript operators.
const isOdd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);
function isPowerOfTwo(n) {
  let m = n;
  while (m > 1 && !isOdd(m)) m = half(m);
  return m === 1;
}

function checkElements(proof) {
  for (const element of proof) {
    if (!(element instanceof Uint8Array) || element.length !== 32) throw new ProofMalformed('a proof element is not 32 bytes');
  }
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show `leafHashValue` at `index` in the tree of `size`
 * leaves with `root`? Requires 0 <= index < size. Throws ProofMalformed or RootMismatch.
 */
export function verifyInclusion(leafHashValue, index, size, proof, root) {
  if (size === 0) throw new ProofMalformed('tree size 0: an empty tree includes no leaf');
  if (index >= size) throw new ProofMalformed(`leaf index ${index} is not below tree size ${size}`);
  checkElements(proof);
  // Steps 1–2 of §2.1.3.2.
  let fn = index;
  let sn = size - 1;
  let r = leafHashValue;
  // Step 3.
  for (const p of proof) {
    if (sn === 0) throw new ProofMalformed('proof has trailing elements'); // 3a
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r); // 3b.i
      if (!isOdd(fn)) {
        // 3b.ii: right-shift until LSB(fn) is set or fn is 0
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p); // 3c
    }
    fn = half(fn); // 3d
    sn = half(sn);
  }
  // Step 4.
  if (sn !== 0) throw new ProofMalformed('proof is too short for the tree size');
  if (!equal(r, root)) throw new RootMismatch(root, r);
}

/**
 * RFC 9162 §2.1.4.2: is the tree (oldSize, oldRoot) a prefix of (newSize, newRoot)?
 * PROTOCOL.md §4: oldSize 0 is malformed; equal sizes need an empty proof and equal roots.
 * Throws ProofMalformed or RootMismatch.
 */
export function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  if (oldSize === 0) throw new ProofMalformed('old size 0: consistency with the empty tree proves nothing');
  if (oldSize > newSize) throw new ProofMalformed(`old size ${oldSize} is above new size ${newSize}`);
  checkElements(proof);
  if (oldSize === newSize) {
    if (proof.length !== 0) throw new ProofMalformed('equal sizes need an empty proof');
    if (!equal(oldRoot, newRoot)) throw new RootMismatch(newRoot, oldRoot);
    return;
  }
  // Step 1: if first is an exact power of two, prepend first_hash to the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  if (path.length === 0) throw new ProofMalformed('empty proof for different sizes');
  // Steps 2–4.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofMalformed('proof has trailing elements'); // 6a
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr); // 6b.i
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c); // 6c.i
    }
    fn = half(fn); // 6d
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new ProofMalformed('proof is too short for the sizes');
  if (!equal(fr, oldRoot)) throw new RootMismatch(oldRoot, fr);
  if (!equal(sr, newRoot)) throw new RootMismatch(newRoot, sr);
}

/** RFC 9162 §2.1.1 MTH over leaf hashes (used by the tests only, for small trees). */
export function rootOf(leafHashes) {
  if (leafHashes.length === 0) return sha256();
  if (leafHashes.length === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return nodeHash(rootOf(leafHashes.slice(0, k)), rootOf(leafHashes.slice(k)));
}
