// Bytes, hex and the two hash functions. PROTOCOL.md conventions: every hash of the log is
// SHA-256; hex is lower case without "0x"; Ethereum values use keccak-256 and addresses are
// EIP-55 checksummed with "0x" (§9).

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

export const sha256 = (...parts) => nobleSha256(concat(...parts));
export const keccak256 = (...parts) => keccak_256(concat(...parts));
export const utf8 = (text) => new TextEncoder().encode(text);

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** True if `text` is lower-case hex without "0x", of `size` bytes if given. */
export function isHex(text, size) {
  return typeof text === 'string' && /^(?:[0-9a-f]{2})*$/.test(text) && (size === undefined || text.length === 2 * size);
}

/** Lower-case hex (no "0x") to bytes. Precondition: isHex(text). */
export function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Big-endian unsigned integer of `bytes`. */
export const toBigInt = (bytes) => (bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`));

/** `value` (0 ≤ value < 2^256) as a 32-byte big-endian word. */
export const word = (value) => fromHex(BigInt(value).toString(16).padStart(64, '0'));

/** EIP-55 checksummed form of 20 address bytes, with "0x". */
export function checksumAddress(bytes) {
  const lower = toHex(bytes);
  const hash = toHex(keccak256(utf8(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i += 1) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** True if `text` is an address written exactly in its EIP-55 form. */
export function isChecksumAddress(text) {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(text)) return false;
  return checksumAddress(fromHex(text.slice(2).toLowerCase())) === text;
}

/** The 20 bytes of an address written as "0x…" (any case). */
export const addressBytes = (text) => fromHex(text.slice(2).toLowerCase());
