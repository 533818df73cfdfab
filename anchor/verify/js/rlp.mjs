// RLP decoding (Ethereum Yellow Paper, Appendix B), strict: every length in its shortest
// form, a single byte below 0x80 never wrapped, no bytes after the item. Used for the block
// header and the trie nodes of the anchor evidence (PROTOCOL.md §9.2, §9.4).

export class RlpInvalid extends Error {}

/** Decodes one RLP item filling `bytes` exactly: a Uint8Array, or an array of items. */
export function rlpDecode(bytes) {
  const [item, end] = decodeAt(bytes, 0);
  if (end !== bytes.length) throw new RlpInvalid(`${bytes.length - end} byte(s) after the RLP item`);
  return item;
}

function lengthAt(bytes, at, size) {
  if (at + size > bytes.length) throw new RlpInvalid('RLP length runs past the end');
  if (bytes[at] === 0) throw new RlpInvalid('RLP length with a leading zero');
  let n = 0;
  for (let i = 0; i < size; i += 1) n = n * 256 + bytes[at + i];
  if (n < 56) throw new RlpInvalid('RLP long form for a length below 56');
  return n;
}

function decodeAt(bytes, at) {
  if (at >= bytes.length) throw new RlpInvalid('RLP item missing');
  const first = bytes[at];
  let start;
  let length;
  let isList;
  if (first < 0x80) return [bytes.subarray(at, at + 1), at + 1];
  if (first <= 0xb7) {
    [start, length, isList] = [at + 1, first - 0x80, false];
    if (length === 1 && bytes[start] < 0x80) throw new RlpInvalid('RLP single byte below 0x80 wrapped as a string');
  } else if (first <= 0xbf) {
    const size = first - 0xb7;
    [start, length, isList] = [at + 1 + size, lengthAt(bytes, at + 1, size), false];
  } else if (first <= 0xf7) {
    [start, length, isList] = [at + 1, first - 0xc0, true];
  } else {
    const size = first - 0xf7;
    [start, length, isList] = [at + 1 + size, lengthAt(bytes, at + 1, size), true];
  }
  const end = start + length;
  if (end > bytes.length) throw new RlpInvalid('RLP item runs past the end');
  if (!isList) return [bytes.subarray(start, end), end];
  const items = [];
  let next = start;
  while (next < end) {
    const [item, after] = decodeAt(bytes.subarray(0, end), next);
    items.push(item);
    next = after;
  }
  return [items, end];
}

/** A canonical RLP scalar (no leading zero byte; zero is the empty string) as a BigInt. */
export function rlpUint(item, what) {
  if (!(item instanceof Uint8Array)) throw new RlpInvalid(`${what}: expected a byte string, got a list`);
  if (item.length > 0 && item[0] === 0) throw new RlpInvalid(`${what}: integer with a leading zero byte`);
  let n = 0n;
  for (const b of item) n = (n << 8n) | BigInt(b);
  return n;
}

/** Encoded length of a decoded item (to tell embedded trie nodes, under 32 bytes, from hashed ones). */
export function rlpEncodedLength(item) {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return 1;
    return headerLength(item.length) + item.length;
  }
  const payload = item.reduce((n, sub) => n + rlpEncodedLength(sub), 0);
  return headerLength(payload) + payload;
}

const headerLength = (n) => (n < 56 ? 1 : 1 + Math.ceil(n.toString(16).length / 2));
