// What a verifier must know of the EvidenceAnchor contract (docs/CONTRACT.md): its runtime
// code hash (PROTOCOL.md §9.4 check 4), storage layout (§9.2), event and the two views it
// asks with a chain (§9.4 checks 7, 8 and step 8).

import { addressBytes, concat, fromHex, keccak256, toBigInt, utf8, word } from './bytes.mjs';

/**
 * keccak256 of `deployedBytecode` in contracts/compiled/EvidenceAnchor.json. The contract has
 * no immutables, so every deployment has this code; tests/js_verifier holds this constant
 * equal to the committed artifact.
 */
export const EVIDENCE_ANCHOR_CODE_HASH = '9c107a5fe509e799c8b0a7ac3672a12ad99a64fa8808f89cf9da918bb7710e7b';

/** ERC-7201 base of EvidenceAnchorStorage (docs/CONTRACT.md, Storage layout). */
export const STORAGE_BASE = 0x5c1b90890156b11427b217be7fb4df04b5fbf2790cab9b9284dd6f82ec7ff700n;
export const WRITER_ROLE = keccak256(utf8('WRITER_ROLE'));
export const CHECKPOINT_ANCHORED = keccak256(utf8('CheckpointAnchored(address,uint256,uint64,bytes32)'));
export const HAS_ROLE = fromHex('91d14854'); // hasRole(bytes32,address)
export const AGENCY_CREDIT_CODE = fromHex('e797235e'); // agencyCreditCode(address)

const MOD = 2n ** 256n;
const pad32 = (address) => concat(new Uint8Array(12), addressBytes(address));

/** [word0, word1] slots of checkpoint `index` of `writer` (PROTOCOL.md §9.2), as BigInts. */
export function checkpointSlots(writer, index) {
  const count = keccak256(pad32(writer), word(STORAGE_BASE));
  const word0 = (toBigInt(keccak256(count)) + 2n * BigInt(index)) % MOD;
  return [word0, (word0 + 1n) % MOD];
}

/** Decodes word 0: size | blockNumber << 64 | timestamp << 128, bits 192–255 clear. */
export function decodeWord0(value) {
  const mask = (1n << 64n) - 1n;
  return { size: value & mask, blockNumber: (value >> 64n) & mask, timestamp: (value >> 128n) & mask, high: value >> 192n };
}

/** ABI calldata for hasRole(WRITER_ROLE, account) and agencyCreditCode(account). */
export const hasWriterRoleCall = (account) => concat(HAS_ROLE, WRITER_ROLE, pad32(account));
export const agencyCreditCodeCall = (account) => concat(AGENCY_CREDIT_CODE, pad32(account));

/** Decodes an ABI-encoded `string` return value; throws on malformed data. */
export function decodeAbiString(data) {
  if (data.length < 64) throw new Error('ABI string shorter than 64 bytes');
  const offset = Number(toBigInt(data.subarray(0, 32)));
  if (offset + 32 > data.length) throw new Error('ABI string offset past the end');
  const length = Number(toBigInt(data.subarray(offset, offset + 32)));
  if (offset + 32 + length > data.length) throw new Error('ABI string runs past the end');
  return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(offset + 32, offset + 32 + length));
}
