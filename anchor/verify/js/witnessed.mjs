// Checking a signed, cosigned checkpoint against the log's key, the keys of the witnesses a
// court trusts and a k-of-n policy (PROTOCOL.md §10.5), written from the protocol document.
//
//   verifyWitnessedCheckpoint(noteBytes, { logKeys, witnessKeys, quorum, origin?, size?, root?, now? })
//     → { checkpoint, logKey, cosignatures: [{ witness, key, timestamp }], quorum, policyMet, witnessedAt }
//
// What it establishes: the log's key signed the checkpoint; each listed witness's key
// cosigned it at its timestamp, i.e. that witness states that no later than then it had seen
// this checkpoint and found it consistent with every earlier checkpoint of the log it had
// seen. With k = quorum, `witnessedAt` is the k-th earliest of those times: it holds if any
// one of those k witnesses is honest. Nothing here says the records in the log are true.
// Timestamps are BigInt (a cosignature's is up to 2^63 − 1).

import { equal, toHex } from './bytes.mjs';
import { COSIGNATURE_V1, CheckpointBodyMalformed, ED25519, NoteError, NoteKeyInvalid, NoteSignatureInvalid, NoteUnverified, cosignatureTimestamp, openNote, parseCheckpointBody } from './note.mjs';

/** A cosignature stamped more than this after `now` is rejected: a clock that far ahead would vouch for times not yet come. */
export const MAX_CLOCK_SKEW_SECONDS = 300n;

/** The checkpoint or a signature on it does not prove what it claims; `check` is "note", "log signature", "checkpoint" or "cosignature". */
export class WitnessEvidenceInvalid extends Error {
  constructor(check, reason) {
    super(`${check}: ${reason}`);
    Object.assign(this, { check, reason });
  }
  get name() {
    return this.constructor.name;
  }
}
/** The signed checkpoint is not the one expected: `field` (origin, size, root) differs. */
export class CheckpointMismatch extends WitnessEvidenceInvalid {
  constructor(field, expected, found) {
    super('checkpoint', `${field}: expected ${expected}, the note says ${found}`);
    Object.assign(this, { field, expected, found });
  }
}
/** Fewer valid cosignatures of trusted witnesses than the policy asks: not evidence of a fault. */
export class WitnessPolicyUnmet extends Error {
  constructor(quorum, found) {
    super(`witness policy: ${quorum} cosignature(s) required, ${found.length} valid (${found.length ? found.join(', ') : 'none'})`);
    Object.assign(this, { quorum, found });
  }
  get name() {
    return this.constructor.name;
  }
}

function checkKeys(keys, type, role) {
  for (const key of keys) {
    if (key.type !== type) throw new NoteKeyInvalid('verifier', 'type', `${role} key ${key.key} has type 0x${key.type.toString(16).padStart(2, '0')}, expected 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/** Orders strings by code point, as the Python verifier sorts them (not by UTF-16 unit). */
function byCodePoint(a, b) {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
  return x.length - y.length;
}

const shown = (value) => (value instanceof Uint8Array ? toHex(value) : String(value));
const same = (expected, found) => (expected instanceof Uint8Array ? equal(expected, found) : typeof found === 'bigint' ? BigInt(expected) === found : expected === found);

/**
 * Verifies `note` as the top of this file says. Requires 0 ≤ quorum ≤ witnessKeys.length, log
 * keys of type 0x01 and witness keys of type 0x04 (NoteKeyInvalid, RangeError otherwise).
 * `origin`, `size`, `root` (bytes), when given, must be the checkpoint's (CheckpointMismatch);
 * `now` (POSIX seconds), when given, bounds the timestamps. Throws WitnessEvidenceInvalid when
 * the log did not sign the note, a signature of a given key fails or the text is no
 * checkpoint; an unmet policy is reported (`policyMet`), not thrown (see requirePolicy).
 */
export function verifyWitnessedCheckpoint(note, { logKeys, witnessKeys, quorum, origin, size, root, now }) {
  checkKeys(logKeys, ED25519, 'log');
  checkKeys(witnessKeys, COSIGNATURE_V1, 'witness');
  if (!Number.isInteger(quorum) || quorum < 0 || quorum > witnessKeys.length) throw new RangeError(`quorum ${quorum} is not within 0..${witnessKeys.length} witnesses`);
  let opened;
  try {
    opened = openNote(note, [...logKeys, ...witnessKeys]);
  } catch (error) {
    if (error instanceof NoteSignatureInvalid) throw new WitnessEvidenceInvalid(witnessKeys.some((k) => k.key === error.key) ? 'cosignature' : 'log signature', error.message);
    if (error instanceof NoteUnverified) throw new WitnessEvidenceInvalid('log signature', error.message);
    if (error instanceof NoteError) throw new WitnessEvidenceInvalid('note', error.message);
    throw error;
  }
  const logSigned = opened.verified.filter((v) => v.key.type === ED25519);
  if (logSigned.length === 0) throw new WitnessEvidenceInvalid('log signature', "the note carries no signature of the log's key");
  let checkpoint;
  try {
    checkpoint = parseCheckpointBody(opened.text);
  } catch (error) {
    if (error instanceof CheckpointBodyMalformed) throw new WitnessEvidenceInvalid('checkpoint', error.message);
    throw error;
  }
  for (const [field, expected, found] of [['origin', origin, checkpoint.origin], ['size', size, checkpoint.size], ['root', root, checkpoint.root]]) {
    if (expected !== undefined && expected !== null && !same(expected, found)) throw new CheckpointMismatch(field, shown(expected), shown(found));
  }
  const cosignatures = [];
  for (const { key, signature } of opened.verified) {
    if (key.type !== COSIGNATURE_V1) continue;
    const timestamp = cosignatureTimestamp(signature);
    if (timestamp === 0n) throw new WitnessEvidenceInvalid('cosignature', `${key.key} carries no timestamp`);
    if (now !== undefined && now !== null && timestamp > BigInt(now) + MAX_CLOCK_SKEW_SECONDS) throw new WitnessEvidenceInvalid('cosignature', `${key.key} is stamped ${timestamp}, after the time now (${now})`);
    cosignatures.push(Object.freeze({ witness: key.name, key: key.key, timestamp }));
  }
  cosignatures.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : byCodePoint(a.key, b.key)));
  const policyMet = cosignatures.length >= quorum;
  return Object.freeze({
    checkpoint,
    logKey: logSigned[0].key.key,
    cosignatures,
    quorum,
    policyMet,
    witnessedAt: quorum === 0 || !policyMet ? null : cosignatures[quorum - 1].timestamp,
  });
}

/** `witnessedAt`, or WitnessPolicyUnmet when too few trusted witnesses cosigned. */
export function requirePolicy(result) {
  if (!result.policyMet) throw new WitnessPolicyUnmet(result.quorum, result.cosignatures.map((c) => c.witness));
  return result.witnessedAt;
}
