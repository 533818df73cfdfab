// Merkle-Patricia trie proofs (Yellow Paper Appendix D; the `accountProof` and `proof`
// lists of EIP-1186 eth_getProof), walked strictly as PROTOCOL.md §9.4 check 3 requires:
// node k must hash to the reference the walk reached (the root for node 0), nodes shorter
// than 32 bytes are embedded in their parent, and no node may follow the end of the path.

import { equal, keccak256, toHex } from './bytes.mjs';
import { rlpDecode, rlpEncodedLength } from './rlp.mjs';

export class TrieProofInvalid extends Error {}

const nibbles = (bytes) => Array.from(bytes).flatMap((b) => [b >> 4, b & 0x0f]);

/** Hex-prefix decoding (Appendix C): [isLeaf, nibbles]. */
function hexPrefix(encoded) {
  if (!(encoded instanceof Uint8Array) || encoded.length === 0) throw new TrieProofInvalid('trie node path is not a byte string');
  const all = nibbles(encoded);
  const flag = all[0];
  if (flag > 3) throw new TrieProofInvalid(`trie node path has flag ${flag}`);
  if (flag % 2 === 0 && all[1] !== 0) throw new TrieProofInvalid('trie node path of even length has a non-zero pad');
  return [flag >= 2, all.slice(flag % 2 === 0 ? 2 : 1)];
}

/**
 * The value stored under `key` (already hashed: keccak256 of the address or slot) in the
 * trie with `root`, proven by `proof` (the RLP of each hash-referenced node, root first);
 * null if the proof shows the key absent. Throws TrieProofInvalid naming the node at fault.
 */
export function trieGet(root, key, proof) {
  const path = nibbles(key);
  let at = 0; // nibbles of `path` consumed
  let used = 0; // nodes of `proof` consumed
  let reference = root; // a 32-byte hash, or an embedded (decoded) node
  for (;;) {
    let node;
    if (reference instanceof Uint8Array) {
      if (used >= proof.length) throw new TrieProofInvalid(`proof ends after ${used} node(s), before the path does`);
      const encoded = proof[used];
      if (!equal(keccak256(encoded), reference)) throw new TrieProofInvalid(`node ${used} does not hash to ${toHex(reference)}`);
      if (used > 0 && encoded.length < 32) throw new TrieProofInvalid(`node ${used} is shorter than 32 bytes and must be embedded in its parent`);
      try {
        node = rlpDecode(encoded);
      } catch (error) {
        throw new TrieProofInvalid(`node ${used}: ${error.message}`);
      }
      used += 1;
    } else {
      node = reference;
    }
    if (!Array.isArray(node)) throw new TrieProofInvalid(`node ${used - 1} is not a list`);
    let next;
    let value = null;
    let done = false;
    if (node.length === 17) {
      if (at === path.length) throw new TrieProofInvalid('branch node at the end of a fixed-length key');
      next = node[path[at]];
      at += 1;
      if (next instanceof Uint8Array && next.length === 0) done = true; // absent
    } else if (node.length === 2) {
      const [isLeaf, part] = hexPrefix(node[0]);
      const matches = part.every((n, i) => path[at + i] === n) && at + part.length <= path.length;
      if (isLeaf) {
        done = true;
        if (matches && at + part.length === path.length) {
          if (!(node[1] instanceof Uint8Array)) throw new TrieProofInvalid('leaf value is not a byte string');
          value = node[1];
        }
      } else if (!matches) {
        done = true; // the key diverges inside an extension: absent
      } else {
        at += part.length;
        next = node[1];
      }
    } else {
      throw new TrieProofInvalid(`trie node of ${node.length} items`);
    }
    if (done) {
      if (used !== proof.length) throw new TrieProofInvalid(`${proof.length - used} node(s) after the end of the path`);
      return value;
    }
    if (next instanceof Uint8Array) {
      if (next.length !== 32) throw new TrieProofInvalid(`child reference of ${next.length} bytes`);
    } else if (rlpEncodedLength(next) >= 32) {
      throw new TrieProofInvalid('embedded child node of 32 bytes or more');
    }
    reference = next;
  }
}
