// The checkpoint note step of a bundle (PROTOCOL.md §5.4, §10.8): the bundle's checkpoint as
// a C2SP signed note with the log's signature and the witnesses' cosignatures, written from
// the protocol document.
//
//   witnessTrust({ logKeys, witnessKeys, policy, now })   → trust (keys parsed, policy checked)
//   checkCheckpointNote(note, checkpoint, anchoredTo, trust) → { detail, witnessing }
//
// The note is first bound to the bundle: its checkpoint text must be exactly the one built
// from the bundle's own members (the origin from the seal leaf's anchor target, the size and
// root from `checkpoint`), so that a note of another checkpoint or another log cannot be
// passed off. Then, with the keys the verifier trusts, the log's signature, each trusted
// witness's cosignature and the policy k: the witnessed time is the k-th earliest
// cosignature timestamp, which holds if any one of those k witnesses is honest. Without keys
// nothing about witnessing is claimed.
//
// witnessing: { checked, note, log_key, policy, trusted, cosignatures: [{ witness, key,
//   timestamp }], witnessed_at }: `checked` only when witness keys were given and their
//   cosignatures met the policy; timestamps are numbers (bounded by the verifier's clock).

import { sha256, toHex, utf8 } from './bytes.mjs';
import { AmbiguousNoteKey, COSIGNATURE_V1, ED25519, NoteError, NoteMalformed, NoteSignatureInvalid, cosignatureTimestamp, encodeBase64, openNote, parseNote, parseVerifierKey } from './note.mjs';
import { MAX_CLOCK_SKEW_SECONDS } from './witnessed.mjs';

export const STEP = 'checkpoint note';
export const MAX_NOTE_CHARS = 32768;
export const LOG_ONLY_PREFIX = 'evanchor/log-only/';
const LOG_ONLY_ORIGIN = /^evanchor\/log-only\/[0-9a-f]{32}$/;
export const NOTE_SKIPPED = 'the bundle carries no signed checkpoint note: its witnessing was not checked';

/** A check of §10.8 failed: `check` is note, origin, size, root, checkpoint text, log signature, cosignature or witness policy. */
export class CheckpointNoteInvalid extends Error {
  constructor(check, reason) {
    super(`${check}: ${reason}`);
    Object.assign(this, { check, reason });
  }
}
/** The keys or policy a verifier was given cannot be used; `option` names the option at fault. */
export class WitnessTrustInvalid extends Error {
  constructor(option, reason) {
    super(`${option}: ${reason}`);
    Object.assign(this, { option, reason });
  }
}

const typeHex = (type) => `0x${type.toString(16).padStart(2, '0')}`;

/**
 * What a verifier trusts: the log's note keys (type 0x01), the witnesses' keys (type 0x04),
 * the policy k (1 ≤ k ≤ the witness keys; default all of them) and its clock (POSIX seconds;
 * undefined leaves timestamps unbounded). Keys may be given as text or parsed. Throws
 * WitnessTrustInvalid naming the option (a key's own fault: NoteKeyInvalid, named too).
 */
export function witnessTrust({ logKeys = [], witnessKeys = [], policy, now } = {}) {
  const parse = (option) => (key) => {
    if (typeof key !== 'string') return key;
    try {
      return parseVerifierKey(key);
    } catch (error) {
      if (error instanceof NoteError) throw new WitnessTrustInvalid(option, error.message);
      throw error;
    }
  };
  const logs = logKeys.map(parse('--log-key'));
  const witnesses = witnessKeys.map(parse('--witness-key'));
  for (const key of logs) if (key.type !== ED25519) throw new WitnessTrustInvalid('--log-key', `${key.key} is of type ${typeHex(key.type)}; a log's note key is 0x01`);
  for (const key of witnesses) if (key.type !== COSIGNATURE_V1) throw new WitnessTrustInvalid('--witness-key', `${key.key} is of type ${typeHex(key.type)}; a witness's cosignature key is 0x04 (cosignature/v1)`);
  const names = [...logs, ...witnesses].map((k) => k.key);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i).sort();
  if (repeated.length) throw new WitnessTrustInvalid('--witness-key', `key ${repeated[0]} given twice`);
  if (witnesses.length && !logs.length) throw new WitnessTrustInvalid('--witness-key', "witness keys need the log's key (--log-key): a cosignature counts only over a checkpoint the log signed");
  if (policy !== undefined && policy !== null && !(Number.isInteger(policy) && policy >= 1 && policy <= witnesses.length)) throw new WitnessTrustInvalid('--witness-policy', `${policy} is not within 1..${witnesses.length} (the witness keys given)`);
  const quorum = policy === undefined || policy === null ? witnesses.length : policy;
  return Object.freeze({ logKeys: logs, witnessKeys: witnesses, policy: policy ?? null, quorum, now: now ?? null });
}

export const NO_TRUST = witnessTrust();

/** What the step established when it did not run or checked no witness. */
export const noWitnessing = (note = false, logKey = null) => ({ checked: false, note, log_key: logKey, policy: 0, trusted: [], cosignatures: [], witnessed_at: null });

/** The origin a note must name: the seal leaf's anchor target's; null for a log that anchors nowhere. */
export const expectedOrigin = (anchoredTo) => (anchoredTo === null ? null : `evanchor/${anchoredTo.chain_id}/${anchoredTo.contract}/${anchoredTo.writer}`);

/** The origin of a log that anchors nowhere: named by its key. */
export const logOnlyOrigin = (publicKey) => LOG_ONLY_PREFIX + toHex(sha256(publicKey)).slice(0, 32);

/** RFC 3339 UTC, whole seconds. */
export const utcOf = (timestamp) => new Date(Number(timestamp) * 1000).toISOString().replace('.000Z', 'Z');

const ordinal = (k) => `${k}${k % 100 >= 10 && k % 100 <= 20 ? 'th' : { 1: 'st', 2: 'nd', 3: 'rd' }[k % 10] ?? 'th'}`;

/** The note's checkpoint text is the bundle's, line by line (§5.4). */
function bind(text, checkpoint, origin) {
  const lines = text.slice(0, -1).split('\n');
  const found = [...lines, '(missing)', '(missing)', '(missing)'];
  const root = encodeBase64(Uint8Array.from(checkpoint.root.match(/../g), (h) => parseInt(h, 16)));
  if (origin === null) {
    if (!LOG_ONLY_ORIGIN.test(found[0])) throw new CheckpointNoteInvalid('origin', `expected ${LOG_ONLY_PREFIX}<32 hex> (the checkpoint commits to a log that anchors nowhere), found ${found[0]}`);
  } else if (found[0] !== origin) {
    throw new CheckpointNoteInvalid('origin', `expected ${origin}, found ${found[0]}`);
  }
  for (const [check, want, got] of [['size', String(checkpoint.size), found[1]], ['root', root, found[2]]]) {
    if (got !== want) throw new CheckpointNoteInvalid(check, `expected ${want}, found ${got}`);
  }
  if (lines.length > 3) throw new CheckpointNoteInvalid('checkpoint text', 'extension line 4 (evanchor writes none; the bundle binds none)');
}

/** The log key that signed, the trusted cosignatures [{ key, timestamp }], and the ignored lines' keys. */
function open(note, trust) {
  let opened = null;
  try {
    opened = openNote(utf8(note), [...trust.logKeys, ...trust.witnessKeys]);
  } catch (error) {
    if (error instanceof NoteSignatureInvalid) {
      const witness = trust.witnessKeys.find((k) => k.key === error.key);
      if (witness) throw new CheckpointNoteInvalid('cosignature', `${witness.name}: does not verify`);
      throw new CheckpointNoteInvalid('log signature', `${error.key} does not verify`);
    }
    if (error instanceof AmbiguousNoteKey) throw new CheckpointNoteInvalid('note', error.message);
    if (!(error instanceof NoteError)) throw error;
    // NoteUnverified: no line of any given key.
  }
  const logKey = opened?.verified.find((v) => v.key.type === ED25519)?.key;
  if (!logKey) throw new CheckpointNoteInvalid('log signature', `the note has no signature of ${trust.logKeys.map((k) => k.key).join(', ')}`);
  const cosigned = [];
  for (const { key, signature } of opened.verified) {
    if (key.type !== COSIGNATURE_V1) continue;
    const timestamp = cosignatureTimestamp(signature);
    if (timestamp === 0n) throw new CheckpointNoteInvalid('cosignature', `${key.name}: timestamp 0`);
    if (trust.now !== null && timestamp > BigInt(trust.now) + MAX_CLOCK_SKEW_SECONDS) throw new CheckpointNoteInvalid('cosignature', `${key.name}: timestamp ${timestamp} is in the future (the verifier's clock says ${trust.now})`);
    cosigned.push({ key, timestamp });
  }
  return { logKey, cosigned, ignored: opened.unverified.map((s) => s.key) };
}

function byCodePoint(a, b) {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
  return x.length - y.length;
}

/**
 * The step's detail and what it established, for a bundle carrying `note` (a string).
 * `checkpoint` and `anchoredTo` are the bundle's, already checked by its format and seal
 * steps. Throws CheckpointNoteInvalid whose `check` is the one of §10.8 that failed.
 */
export function checkCheckpointNote(note, checkpoint, anchoredTo, trust) {
  let text;
  try {
    text = parseNote(utf8(note)).text;
  } catch (error) {
    if (error instanceof NoteMalformed) throw new CheckpointNoteInvalid('note', `${error.where}: ${error.reason}`);
    throw error;
  }
  const origin = expectedOrigin(anchoredTo);
  bind(text, checkpoint, origin);
  const noteOrigin = text.split('\n')[0];
  const bound = `the note is this checkpoint (size ${checkpoint.size}) of log ${noteOrigin}`;
  if (trust.logKeys.length === 0) return { detail: `${bound}; its signatures and its witnessing were not checked (no log key or witness keys given)`, witnessing: noWitnessing(true) };
  const { logKey, cosigned, ignored } = open(note, trust);
  if (origin === null && noteOrigin !== logOnlyOrigin(logKey.publicKey)) throw new CheckpointNoteInvalid('origin', `expected ${logOnlyOrigin(logKey.publicKey)} (the origin of key ${logKey.key}), found ${noteOrigin}`);
  const signed = `${bound}, signed by the log's key ${logKey.key}`;
  if (trust.witnessKeys.length === 0) return { detail: `${signed}; its witnessing was not checked (no witness keys given)`, witnessing: noWitnessing(true, logKey.key) };
  cosigned.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : byCodePoint(a.key.key, b.key.key)));
  const [k, n] = [trust.quorum, trust.witnessKeys.length];
  if (cosigned.length < k) {
    const by = cosigned.map((c) => c.key.name).join(', ') || 'none';
    const missing = trust.witnessKeys.filter((w) => !cosigned.some((c) => c.key.key === w.key)).map((w) => w.name).join(', ');
    throw new CheckpointNoteInvalid('witness policy', `${k} of ${n} trusted witnesses required, cosigned by ${by}; no cosignature from ${missing}`);
  }
  const cosignatures = cosigned.map((c) => ({ witness: c.key.name, key: c.key.key, timestamp: Number(c.timestamp) }));
  const witnessedAt = cosignatures[k - 1].timestamp;
  const shown = cosignatures.map((c) => `by ${c.witness} at ${utcOf(c.timestamp)}`).join(', ');
  let detail = `${signed}; witnessed ${shown}; policy ${k} of ${n} met: the ${ordinal(k)} earliest cosignature, ${utcOf(witnessedAt)}, is the witnessed time`;
  if (ignored.length) detail += ` (ignored, keys not trusted: ${ignored.join(', ')})`;
  return { detail, witnessing: { checked: true, note: true, log_key: logKey.key, policy: k, trusted: trust.witnessKeys.map((w) => w.name), cosignatures, witnessed_at: witnessedAt } };
}

/**
 * The step for a bundle's `checkpoint_note` (null: none): { detail } or { skipped }, and the
 * witnessing. With witness keys, a bundle without a note cannot meet the policy: a failure.
 */
export function noteStep(note, checkpoint, anchoredTo, trust) {
  if (note === null || note === undefined) {
    if (trust.witnessKeys.length) throw new CheckpointNoteInvalid('witness policy', `${trust.quorum} of ${trust.witnessKeys.length} trusted witnesses required; the bundle carries no checkpoint note (no log signature, no cosignature)`);
    return { skipped: NOTE_SKIPPED, witnessing: noWitnessing() };
  }
  return checkCheckpointNote(note, checkpoint, anchoredTo, trust);
}

/** Who vouches for which time, as far as the step established it; never "witnessed" unless the policy was met. */
export function witnessSentence(witnessing, anchored) {
  const block = anchored ? " The block's time is vouched for by the chain's sealers: against the operator it counts only as far as they are independent of it (where the operator seals alone, as on the embedded chain, it is the operator's claim)." : '';
  if (!witnessing.checked) {
    const why = witnessing.note ? 'no witness keys were given (--log-key, --witness-key)' : 'the bundle carries no signed checkpoint note';
    return `${block} The checkpoint's witnessing was not checked: ${why}.`;
  }
  const shown = witnessing.cosignatures.map((c) => `by ${c.witness} at ${utcOf(c.timestamp)}`).join(', ');
  const [k, n] = [witnessing.policy, witnessing.trusted.length];
  return `${block} The checkpoint was witnessed ${shown}, each cosignature checked against the witness's key. With a policy of ${k} of ${n} trusted witnesses, the record existed, unaltered, no later than ${utcOf(witnessing.witnessed_at)} (the ${ordinal(k)} earliest cosignature), vouched for by the witnesses, not the operator: it holds if any one of those ${k} is honest. A cosignature shows that the witness saw this checkpoint consistent with the earlier ones it had cosigned at that time; it does not show that the records are true.`;
}
