// Verification of proof bundles and case bundles, version 2 (PROTOCOL.md §5, §6, §9.4),
// written from the protocol document alone. No Node.js API is used here: the same module
// runs in a browser page.
//
//   verifyBundle(input, options)  → report        input: JSON text, bytes, or a parsed object
//   verifyCaseBundle(input, options)
//   verify(input, options)         → either, by the input's `format`
//
// options: { rpc: URL or a jsonRpcClient, trustedBlockHash: 64 hex digits,
//            logKeys, witnessKeys: verifier key texts, witnessPolicy: k, now: POSIX seconds }
//            (the keys, policy and clock of the checkpoint note step, checkpoint_note.mjs)
// report:  { outcome: "VERIFIED" | "NOT VERIFIED" | "CANNOT VERIFY", valid, assurance,
//            steps, summary, notes, proven, witnessing }
// steps:   [{ step, status: "ok" | "failed" | "cannot" | "skipped", ok, detail, check? }]
//
// Steps run in the order of §6.3 (§6.4 for a case bundle) and stop at the first that fails
// (the evidence is wrong: NOT VERIFIED). A step that cannot be completed because a chain
// could not answer or is another chain is "cannot" and the later offline steps still run:
// CANNOT VERIFY only when nothing failed. The assurance level (§6.2) is what the checks
// reached, never what the bundle says of itself.

import { AnchorCannotVerify, AnchorInvalid, checkAnchorOffline, checkAnchorWithChain } from './anchor.mjs';
import { CheckpointNoteInvalid, MAX_NOTE_CHARS, STEP as NOTE_STEP, noWitnessing, noteStep, witnessSentence, witnessTrust } from './checkpoint_note.mjs';
import { fromHex, isChecksumAddress, isHex, sha256, toHex, utf8 } from './bytes.mjs';
import { agencyCreditCodeCall, decodeAbiString } from './contract.mjs';
import { SignatureInvalid, commitmentDigest, recoverSigner } from './eip712.mjs';
import { JsonInputError, canonicalBytes, canonicalize, isInteger, isObject, parseStrictJson } from './json.mjs';
import { ProofMalformed, RootMismatch, leafHash, verifyInclusion } from './merkle.mjs';
import { RecordInvalid, recordAgency, recordCaseKey, validateRecord } from './records.mjs';
import { ChainUnavailable, jsonRpcClient, quantity } from './rpc.mjs';

export const BUNDLE_FORMAT = 'evanchor/proof-bundle';
export const CASE_BUNDLE_FORMAT = 'evanchor/case-bundle';
export const SHREDDED_RECORD_FORMAT = 'evanchor/shredded-record';
export const VERSION = 2;
export const OUTCOME = Object.freeze({ VERIFIED: 'VERIFIED', NOT_VERIFIED: 'NOT VERIFIED', CANNOT_VERIFY: 'CANNOT VERIFY' });
export const ASSURANCE = Object.freeze(['none', 'log-only', 'anchored', 'anchored+signed', 'anchored+signed+registered']);

const MAX_SAFE = 2 ** 53 - 1; // §0: every integer within [0, 2^53 − 1]
const MAX_PROOF_HASHES = 64; // §5.1: an RFC 9162 path in a tree below 2^64 leaves
const COMMITMENT_TAG = utf8('evanchor/v1/commitment\u0000'); // §2: tag || 0x00
const RECORD_ID_TAG = utf8('evanchor/v1/record-id\u0000');
const BUNDLE_MEMBERS = ['format', 'version', 'record', 'salt', 'commitment', 'leaf', 'leaf_index', 'leaf_hash', 'inclusion_proof', 'checkpoint', 'seal', 'log', 'anchor', 'signature'];
const NOTE_MEMBER = 'checkpoint_note'; // §5.4: optional; absent and null mean the same
const LEAF_MEMBERS = ['accepted_at', 'agency', 'case', 'commitment', 'kind', 'prev', 'v'];
const CHECKPOINT_MEMBERS = ['root', 'sealed_at', 'seq', 'size'];
const SEAL_MEMBERS = ['inclusion_proof', 'leaf'];
const SEAL_LEAF_MEMBERS = ['anchored_to', 'cases', 'cases_root', 'kind', 'sealed_at', 'seq', 'signed', 'size', 'v'];
const TARGET_MEMBERS = ['chain_id', 'contract', 'genesis_hash', 'writer'];
const CASE_BUNDLE_MEMBERS = ['format', 'version', 'case', 'checkpoint', 'seal', 'case_index', 'records'];
const CASE_INDEX_MEMBERS = ['entry', 'inclusion_proof', 'number'];
const ENTRY_MEMBERS = ['case', 'count', 'head'];
const SHREDDED_MEMBERS = ['format', 'version', 'leaf', 'leaf_index', 'leaf_hash', 'inclusion_proof', 'checkpoint', 'seal'];
const RECORD_KINDS = ['collection_checkpoint', 'auction_record'];
const NODE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/; // §0: the node's own times
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
const CASE_KEY = /^(collection|auction)\/[\s\S]+$/;

/** A step's evidence is wrong. */
class StepFailed extends Error {
  constructor(detail, check) {
    super(detail);
    this.check = check;
  }
}
/** A step could not be completed: a chain could not answer, or is another chain. */
class StepCannot extends StepFailed {}

const failed = (detail, check) => {
  throw new StepFailed(detail, check);
};

// -- the grammar (§5) -------------------------------------------------------------------------

function members(object, names, where, optional = []) {
  for (const name of names) if (!Object.hasOwn(object, name)) failed(`${where}${name}: required member is missing`);
  for (const name of Object.keys(object)) if (!names.includes(name) && !optional.includes(name)) failed(`${where}${name}: unknown member (not part of the bundle format)`);
}

/** §5.4: `checkpoint_note` absent, null, or a string of 1 to MAX_NOTE_CHARS characters; null when absent. */
function checkpointNote(b, where) {
  const note = b[NOTE_MEMBER] ?? null;
  if (note !== null && (typeof note !== 'string' || note.length === 0 || [...note].length > MAX_NOTE_CHARS)) failed(`${where}${NOTE_MEMBER}: expected null or a signed note of 1 to ${MAX_NOTE_CHARS} characters`);
  return note;
}
const object = (value, where) => (isObject(value) ? value : failed(`${where}: expected an object`));
const hex32 = (value, where) => (isHex(value, 32) ? value : failed(`${where}: expected 64 lower-case hex digits without 0x`));
const integer = (value, where, min) => (isInteger(value) && value >= min && value <= MAX_SAFE ? value : failed(`${where}: expected an integer in [${min}, 2^53 − 1]`));
const exactly = (value, want, where) => (isInteger(value) && value === want ? value : failed(`${where}: expected ${want}`));

function nodeTime(value, where) {
  // The node's form, and a real moment: Date rolls 30 February over, so compare the round trip.
  if (typeof value !== 'string' || !NODE_TIME.test(value)) failed(`${where}: expected YYYY-MM-DDTHH:MM:SS.mmmZ`);
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime()) || moment.toISOString() !== value) failed(`${where}: not a real date and time`);
  return value;
}

function hashPath(value, where) {
  if (!Array.isArray(value) || value.length > MAX_PROOF_HASHES) failed(`${where}: expected an array of at most ${MAX_PROOF_HASHES} hashes`);
  value.forEach((h, i) => hex32(h, `${where}[${i}]`));
  return value;
}

function checkLeaf(leaf, where) {
  object(leaf, where);
  members(leaf, LEAF_MEMBERS, `${where}.`);
  nodeTime(leaf.accepted_at, `${where}.accepted_at`);
  if (typeof leaf.agency !== 'string' || !CREDIT_CODE.test(leaf.agency)) failed(`${where}.agency: expected an 18-character unified social credit code`);
  if (typeof leaf.case !== 'string' || !CASE_KEY.test(leaf.case)) failed(`${where}.case: expected collection/<case id> or auction/<lot id>`);
  hex32(leaf.commitment, `${where}.commitment`);
  if (!RECORD_KINDS.includes(leaf.kind)) failed(`${where}.kind: expected one of ${RECORD_KINDS.join(', ')}`);
  if (leaf.prev !== null) integer(leaf.prev, `${where}.prev`, 0);
  exactly(leaf.v, 1, `${where}.v`);
}

function checkCheckpoint(checkpoint, where) {
  object(checkpoint, where);
  members(checkpoint, CHECKPOINT_MEMBERS, `${where}.`);
  hex32(checkpoint.root, `${where}.root`);
  nodeTime(checkpoint.sealed_at, `${where}.sealed_at`);
  integer(checkpoint.seq, `${where}.seq`, 0);
  integer(checkpoint.size, `${where}.size`, 2);
}

function checkTarget(target, where) {
  object(target, where);
  members(target, TARGET_MEMBERS, `${where}.`);
  integer(target.chain_id, `${where}.chain_id`, 1);
  for (const name of ['contract', 'writer']) if (!isChecksumAddress(target[name])) failed(`${where}.${name}: expected an EIP-55 checksummed 0x address`);
  hex32(target.genesis_hash, `${where}.genesis_hash`);
}

function checkSeal(seal, where) {
  object(seal, where);
  members(seal, SEAL_MEMBERS, `${where}.`);
  hashPath(seal.inclusion_proof, `${where}.inclusion_proof`);
  const leaf = object(seal.leaf, `${where}.leaf`);
  members(leaf, SEAL_LEAF_MEMBERS, `${where}.leaf.`);
  if (leaf.anchored_to !== null) checkTarget(leaf.anchored_to, `${where}.leaf.anchored_to`);
  integer(leaf.cases, `${where}.leaf.cases`, 1);
  hex32(leaf.cases_root, `${where}.leaf.cases_root`);
  if (leaf.kind !== 'seal') failed(`${where}.leaf.kind: expected "seal"`);
  nodeTime(leaf.sealed_at, `${where}.leaf.sealed_at`);
  integer(leaf.seq, `${where}.leaf.seq`, 0);
  if (typeof leaf.signed !== 'boolean') failed(`${where}.leaf.signed: expected true or false`);
  integer(leaf.size, `${where}.leaf.size`, 2);
  exactly(leaf.v, 1, `${where}.leaf.v`);
}

function formatAndVersion(b, format, what) {
  object(b, what);
  if (b.format !== format) failed(`not a ${what} (format ${JSON.stringify(b.format)})`);
  if (!isInteger(b.version) || b.version !== VERSION) failed(`unsupported ${what} version ${JSON.stringify(b.version)}: this verifier reads version ${VERSION}`);
}

// -- steps 1–6 (§6.3) ------------------------------------------------------------------------

function stepFormat(b) {
  formatAndVersion(b, BUNDLE_FORMAT, 'proof bundle');
  members(b, BUNDLE_MEMBERS, '', [NOTE_MEMBER]);
  checkpointNote(b, '');
  for (const name of ['anchor', 'signature']) if (b[name] !== null && !isObject(b[name])) failed(`${name}: expected an object or null`);
  object(b.record, 'record');
  hex32(b.salt, 'salt');
  hex32(b.commitment, 'commitment');
  checkLeaf(b.leaf, 'leaf');
  integer(b.leaf_index, 'leaf_index', 0);
  hex32(b.leaf_hash, 'leaf_hash');
  hashPath(b.inclusion_proof, 'inclusion_proof');
  checkCheckpoint(b.checkpoint, 'checkpoint');
  checkSeal(b.seal, 'seal');
  if (b.log !== null) checkTarget(b.log, 'log');
  return `proof bundle version ${VERSION}; every member present, none unknown`;
}

function stepRecord(b, facts) {
  try {
    validateRecord(b.record);
  } catch (error) {
    if (error instanceof RecordInvalid) failed(error.message);
    throw error;
  }
  facts.canonical = canonicalBytes(b.record);
  facts.recordId = toHex(sha256(RECORD_ID_TAG, facts.canonical));
  return `${b.record.kind} valid; ${facts.canonical.length} canonical bytes; record id ${facts.recordId}`;
}

function stepCommitment(b, facts) {
  const computed = toHex(sha256(COMMITMENT_TAG, fromHex(b.salt), facts.canonical));
  if (computed !== b.commitment) failed(`SHA-256(tag || salt || canonical) is ${computed}, bundle says ${b.commitment}`);
  return `SHA-256(tag || salt || canonical) = ${computed}`;
}

function stepLeaf(b) {
  const leaf = b.leaf;
  const expect = (name, value) => {
    if (leaf[name] !== value) failed(`leaf.${name} is ${JSON.stringify(leaf[name])}, the record gives ${JSON.stringify(value)}`);
  };
  expect('commitment', b.commitment);
  expect('kind', b.record.kind);
  expect('agency', recordAgency(b.record));
  expect('case', recordCaseKey(b.record));
  if (leaf.prev !== null && leaf.prev >= b.leaf_index) failed(`leaf.prev ${leaf.prev} is not before leaf index ${b.leaf_index}`);
  const computed = toHex(leafHash(canonicalBytes(leaf)));
  if (computed !== b.leaf_hash) failed(`SHA-256(0x00 || JCS(leaf)) is ${computed}, bundle says ${b.leaf_hash}`);
  return `leaf ${b.leaf_index} = ${computed}; the node says it accepted the record at ${leaf.accepted_at} by its own clock`;
}

function included(hash, index, checkpoint, proof) {
  try {
    verifyInclusion(hash, index, checkpoint.size, proof.map(fromHex), fromHex(checkpoint.root));
  } catch (error) {
    if (error instanceof ProofMalformed) failed(`malformed proof: ${error.message}`);
    if (error instanceof RootMismatch) failed(`the proof gives root ${toHex(error.computed)}, the checkpoint says ${checkpoint.root}`);
    throw error;
  }
}

function stepInclusion(b) {
  included(fromHex(b.leaf_hash), b.leaf_index, b.checkpoint, b.inclusion_proof);
  return `leaf ${b.leaf_index} is in the tree of size ${b.checkpoint.size} with root ${b.checkpoint.root}`;
}

/** §6.3 step 6 (and §6.4 step 2): the seal leaf is the checkpoint's last leaf and agrees with it. */
function checkSealLeaf(checkpoint, seal) {
  for (const name of ['seq', 'size', 'sealed_at']) {
    if (seal.leaf[name] !== checkpoint[name]) failed(`seal.leaf.${name} is ${JSON.stringify(seal.leaf[name])}, checkpoint.${name} is ${JSON.stringify(checkpoint[name])}`);
  }
  try {
    included(leafHash(canonicalBytes(seal.leaf)), checkpoint.size - 1, checkpoint, seal.inclusion_proof);
  } catch (error) {
    if (error instanceof StepFailed) failed(`the seal leaf is not the checkpoint's last leaf: ${error.message}`);
    throw error;
  }
  const t = seal.leaf.anchored_to;
  const where = t === null ? 'anchoring nowhere' : `anchoring on chain ${t.chain_id} (genesis ${t.genesis_hash}), contract ${t.contract}, writer ${t.writer}`;
  return `leaf ${checkpoint.size - 1} is the seal leaf, in which the node commits to: ${where}; ${seal.leaf.signed ? 'every record signed' : 'unsigned records'}; ${seal.leaf.cases} case(s); checkpoint number ${seal.leaf.seq}, sealed at ${seal.leaf.sealed_at} by its own clock`;
}

function stepSeal(b, facts) {
  const detail = checkSealLeaf(b.checkpoint, b.seal);
  facts.seal = b.seal.leaf;
  if (b.leaf_index === b.checkpoint.size - 1) failed(`leaf ${b.leaf_index} is the seal leaf's place`);
  if (b.log !== null && (b.seal.leaf.anchored_to === null || canonicalize(b.log) !== canonicalize(b.seal.leaf.anchored_to))) {
    failed(`log is ${canonicalize(b.log)}, but the checkpoint commits to ${canonicalize(b.seal.leaf.anchored_to)}`);
  }
  if (b.seal.leaf.anchored_to === null && b.anchor !== null) failed('the checkpoint commits to a log that anchors nowhere, but the bundle carries anchor evidence');
  return detail;
}

// -- step 7, anchor (§9.4) --------------------------------------------------------------------

async function stepAnchor(b, facts, options) {
  if (b.anchor === null) {
    const t = facts.seal.anchored_to;
    if (t === null) return { skipped: 'not anchored: the checkpoint commits to a log that anchors nowhere' };
    facts.notes.push(`The checkpoint commits to a log anchored on chain ${t.chain_id} (contract ${t.contract}), but this bundle carries no anchor evidence: its claim is weaker than the log's.`);
    return { skipped: 'no anchor evidence in this bundle' };
  }
  let section;
  try {
    if (options.rpc) {
      section = await checkAnchorWithChain(b, options.rpc);
      facts.tiedTo = 'chain';
    } else if (options.trustedBlockHash !== undefined) {
      section = checkAnchorOffline(b, { hash: options.trustedBlockHash, source: 'the trusted block hash' });
      facts.tiedTo = 'trusted block hash';
    } else {
      section = checkAnchorOffline(b, undefined);
      facts.tiedTo = 'own block hash';
    }
  } catch (error) {
    if (error instanceof AnchorCannotVerify) {
      // The offline checks still decide whether the evidence is wrong in itself.
      try {
        section = checkAnchorOffline(b, options.trustedBlockHash === undefined ? undefined : { hash: options.trustedBlockHash, source: 'the trusted block hash' });
      } catch (offline) {
        if (offline instanceof AnchorInvalid) failed(offline.message, offline.check);
        throw offline;
      }
      facts.anchor = section;
      facts.anchorCannot = true;
      throw new StepCannot(error.message, error.check);
    }
    if (error instanceof AnchorInvalid) failed(error.message, error.check);
    throw error;
  }
  facts.anchor = section;
  const when = new Date(section.block_timestamp * 1000).toISOString().replace('.000Z', 'Z');
  const where = `index ${section.checkpoint_index} of writer ${section.writer}'s checkpoints in contract ${section.contract}, chain ${section.chain_id}, block ${section.block_number} (hash ${section.block_hash}, time ${when})`;
  if (facts.tiedTo === 'own block hash') {
    facts.notes.push('The bundle carries anchor evidence, checked against its own block header only: with --rpc or --block-hash it would be tied to the chain.');
    return `the header and the proofs agree with each other and hold the checkpoint as ${where}; checked against the bundle's own block hash only`;
  }
  return `the checkpoint (size ${b.checkpoint.size}, root ${b.checkpoint.root}) is stored as ${where}; tied to the chain by ${facts.tiedTo}`;
}

// -- step 8, signature (§8, §9.3, §9.4) --------------------------------------------------------

async function stepSignature(b, facts, options) {
  if (b.signature === null) {
    if (facts.seal.signed) {
      facts.notes.push("Every record of this log carries its agency's signature (the checkpoint commits to it), but this bundle carries none: its claim is weaker than the log's.");
      return { skipped: 'no agency signature in this bundle' };
    }
    return { skipped: 'no agency signature in this bundle (the log does not take signatures)' };
  }
  const sig = b.signature;
  members(sig, ['signature', 'signer'], 'signature.');
  if (!isHex(sig.signature, 65)) failed('signature.signature: expected 130 lower-case hex digits');
  if (!isChecksumAddress(sig.signer)) failed('signature.signer: expected an EIP-55 checksummed address');
  const log = b.log;
  if (log === null) failed("a signature needs the log's chain id and contract; log is null");
  let recovered;
  try {
    recovered = recoverSigner(commitmentDigest(log.chain_id, log.contract, fromHex(b.commitment)), fromHex(sig.signature));
  } catch (error) {
    if (error instanceof SignatureInvalid) failed(error.message);
    throw error;
  }
  if (recovered !== sig.signer) failed(`the signature recovers to ${recovered}, bundle says ${sig.signer} (domain: chain ${log.chain_id}, contract ${log.contract})`);
  facts.signer = recovered;
  const agency = recordAgency(b.record);
  if (!options.rpc || !facts.anchor) {
    const why = facts.anchor ? 'needs --rpc' : 'needs an anchored bundle and --rpc';
    return `signed by ${recovered} under chain ${log.chain_id}, contract ${log.contract}; whether it was registered as agency ${agency} ${why}`;
  }
  if (facts.anchorCannot) throw new StepCannot(`signed by ${recovered}; whether it was registered as agency ${agency} is unknown: the chain could not answer`);
  const block = facts.anchor.block_number;
  let code;
  try {
    const data = await options.rpc.call('eth_call', [{ to: log.contract, data: `0x${toHex(agencyCreditCodeCall(recovered))}` }, quantity(block)]);
    code = decodeAbiString(fromHex(String(data).replace(/^0x/, '').toLowerCase()));
  } catch (error) {
    if (error instanceof ChainUnavailable) throw new StepCannot(`agency registration: ${error.message}`);
    throw new StepCannot(`agency registration: agencyCreditCode(${recovered}) returned no string (${error.message})`);
  }
  if (code !== agency) failed(`signer ${recovered} was ${code === '' ? 'not registered' : `registered as ${code}`} at block ${block}, not as ${agency}`);
  facts.registeredAt = block;
  return `signed by ${recovered}, registered as agency ${agency} at block ${block}`;
}

// -- step 9, checkpoint note (§5.4, §10.8) ------------------------------------------------------

/** A step failure of the checkpoint note step: "<check>: <detail>", with the check. */
function noteFailed(error) {
  if (error instanceof CheckpointNoteInvalid) failed(error.message, error.check);
  throw error;
}

function stepCheckpointNote(b, facts, options) {
  let result;
  try {
    result = noteStep(b[NOTE_MEMBER] ?? null, b.checkpoint, b.seal.leaf.anchored_to, options.trust);
  } catch (error) {
    noteFailed(error);
  }
  facts.witnessing = result.witnessing;
  return result.skipped === undefined ? result.detail : { skipped: result.skipped };
}

// -- running the steps ------------------------------------------------------------------------

const STEPS = [
  ['format', stepFormat],
  ['record', stepRecord],
  ['commitment', stepCommitment],
  ['leaf', stepLeaf],
  ['inclusion', stepInclusion],
  ['seal', stepSeal],
  ['anchor', stepAnchor],
  ['signature', stepSignature],
  [NOTE_STEP, stepCheckpointNote],
];

function prepare(input, options = {}) {
  const rpc = typeof options.rpc === 'string' ? jsonRpcClient(options.rpc) : options.rpc;
  let trustedBlockHash = options.trustedBlockHash;
  if (trustedBlockHash !== undefined) {
    trustedBlockHash = String(trustedBlockHash).toLowerCase().replace(/^0x/, '');
    if (!isHex(trustedBlockHash, 32)) throw new TypeError('trustedBlockHash: expected 32 bytes of hex');
  }
  const trust = options.trust ?? witnessTrust({ logKeys: options.logKeys ?? [], witnessKeys: options.witnessKeys ?? [], policy: options.witnessPolicy, now: options.now });
  const opts = { rpc, trustedBlockHash, trust, noteStep: options.noteStep ?? true };
  if (typeof input === 'string' || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    try {
      return [parseStrictJson(input), opts, null];
    } catch (error) {
      if (error instanceof JsonInputError) return [undefined, opts, `bundle text: ${error.message}`];
      throw error;
    }
  }
  return [input, opts, null];
}

function step(name, status, detail, check) {
  const entry = { step: name, status, ok: status === 'ok' ? true : status === 'skipped' ? null : false, detail };
  if (check !== undefined) entry.check = check;
  return entry;
}

function outcomeOf(steps) {
  if (steps.length === 0 || steps.some((s) => s.status === 'failed')) return OUTCOME.NOT_VERIFIED;
  if (steps.some((s) => s.status === 'cannot')) return OUTCOME.CANNOT_VERIFY;
  return OUTCOME.VERIFIED;
}

async function runSteps(bundle, options) {
  const facts = { notes: [], witnessing: noWitnessing() };
  const steps = [];
  for (const [name, run] of STEPS) {
    if (name === NOTE_STEP && options.noteStep === false) continue; // a case bundle's record: the case bundle checks its note
    try {
      const result = await run(bundle, facts, options);
      steps.push(typeof result === 'object' ? step(name, 'skipped', result.skipped) : step(name, 'ok', result));
    } catch (error) {
      if (error instanceof StepCannot) {
        steps.push(step(name, 'cannot', error.message, error.check));
        continue;
      }
      if (error instanceof StepFailed) {
        steps.push(step(name, 'failed', error.message, error.check));
        break;
      }
      steps.push(step(name, 'failed', `unexpected input: ${error.message}`)); // never a crash
      break;
    }
  }
  return { steps, facts };
}

/** §6.2: the level the checks reached. */
function assuranceOf(outcome, facts) {
  if (outcome === OUTCOME.NOT_VERIFIED) return 'none';
  if (!facts.anchor || facts.anchorCannot || facts.tiedTo === 'own block hash') return 'log-only';
  if (!facts.signer) return 'anchored';
  return facts.registeredAt === undefined ? 'anchored+signed' : 'anchored+signed+registered';
}

/** What a VERIFIED bundle proves, and what is only the node's claim. */
function proven(bundle, facts, assurance) {
  return {
    assurance,
    record_id: facts.recordId,
    included: { leaf_index: bundle.leaf_index, size: bundle.checkpoint.size, root: bundle.checkpoint.root },
    anchored: assurance === 'log-only' || !facts.anchor ? null : { chain_id: facts.anchor.chain_id, genesis_hash: bundle.log.genesis_hash, contract: facts.anchor.contract, writer: facts.anchor.writer, checkpoint_index: facts.anchor.checkpoint_index, block_number: facts.anchor.block_number, block_hash: facts.anchor.block_hash, block_timestamp: facts.anchor.block_timestamp, tied_to: facts.tiedTo },
    signer: assurance === 'anchored+signed' || assurance === 'anchored+signed+registered' ? facts.signer : null,
    agency_registered_at: facts.registeredAt ?? null,
    claims: { accepted_at: bundle.leaf.accepted_at, sealed_at: bundle.checkpoint.sealed_at, seq: bundle.checkpoint.seq },
    witnesses: facts.witnessing.cosignatures,
    witnessing: facts.witnessing,
  };
}

function summarize(bundle, outcome, steps, facts, assurance) {
  if (outcome === OUTCOME.NOT_VERIFIED) {
    const bad = steps.find((s) => s.status === 'failed');
    return `NOT VERIFIED: the ${bad.step} step failed: ${bad.detail}`;
  }
  const r = bundle.record;
  const what = `This ${r.kind} record (naming agency ${recordAgency(r)}, case ${recordCaseKey(r)})`;
  const checkpoint = `checkpoint (size ${bundle.checkpoint.size}, root ${bundle.checkpoint.root})`;
  let text;
  if (assurance === 'log-only') {
    text = facts.witnessing.checked
      ? `${what} is leaf ${bundle.leaf_index} of ${checkpoint}. Nothing in this report ties that checkpoint to a chain: when it existed rests on the witnesses' cosignatures below, and who submitted the record is not shown by the chain.`
      : `${what} is leaf ${bundle.leaf_index} of ${checkpoint}. Nothing in this report ties that checkpoint to a chain, so it shows that the bundle is consistent, not when the record existed or who submitted it: anyone holding the record could build such a bundle.`;
  } else {
    const a = facts.anchor;
    const when = new Date(a.block_timestamp * 1000).toISOString().replace('.000Z', 'Z');
    text = `${what} existed, unaltered, no later than ${when}, the chain's time of block ${a.block_number} of chain ${a.chain_id} (genesis ${bundle.log.genesis_hash}): it is leaf ${bundle.leaf_index} of ${checkpoint}, which writer ${a.writer} stored as its checkpoint ${a.checkpoint_index} in EvidenceAnchor contract ${a.contract} in that block (tied to the chain by ${facts.tiedTo}).`;
    if (facts.signer) {
      text += ` Its commitment is signed by ${facts.signer} under the log's domain.`;
      text += facts.registeredAt === undefined ? ` Whether ${facts.signer} was registered as agency ${recordAgency(r)} was not checked.` : ` ${facts.signer} was registered in that contract as agency ${recordAgency(r)} at block ${facts.registeredAt}.`;
    }
  }
  text += ` The node numbers the checkpoint ${facts.seal.seq} and says it sealed it at ${facts.seal.sealed_at} by its own clock (the node's claims, committed in the checkpoint).`;
  text += witnessSentence(facts.witnessing, assurance !== 'log-only' && Boolean(facts.anchor));
  if (facts.signer && assurance === 'log-only') facts.notes.push(`The commitment is signed by ${facts.signer}; at this level that says nothing about when, or whether the key was a registered agency's.`);
  let prefix = outcome;
  if (outcome === OUTCOME.CANNOT_VERIFY) {
    const cannot = steps.find((s) => s.status === 'cannot');
    prefix += ` (the ${cannot.step} step needs the chain: ${cannot.detail})`;
  }
  return [`${prefix}. Assurance ${assurance}: ${text}`, ...facts.notes].join(' ');
}

function report(bundle, steps, facts) {
  const outcome = outcomeOf(steps);
  const assurance = assuranceOf(outcome, facts);
  const summary = summarize(bundle, outcome, steps, facts, assurance);
  const witnessing = facts.witnessing ?? noWitnessing();
  return { outcome, valid: outcome === OUTCOME.VERIFIED, assurance, steps, summary, notes: facts.notes, proven: outcome === OUTCOME.VERIFIED ? proven(bundle, facts, assurance) : null, witnessing };
}

/** Verifies one proof bundle (PROTOCOL.md §6.3). Never throws on bad evidence: it reports. */
export async function verifyBundle(input, options = {}) {
  const [bundle, opts, parseError] = prepare(input, options);
  if (parseError) return report(undefined, [step('format', 'failed', parseError)], { notes: [] });
  const { steps, facts } = await runSteps(bundle, opts);
  return report(bundle, steps, facts);
}

// -- case bundles (§6.4) ----------------------------------------------------------------------

function caseFrame(cb) {
  formatAndVersion(cb, CASE_BUNDLE_FORMAT, 'case bundle');
  members(cb, CASE_BUNDLE_MEMBERS, '', [NOTE_MEMBER]);
  checkpointNote(cb, '');
  if (typeof cb.case !== 'string' || !CASE_KEY.test(cb.case)) failed('case: expected collection/<case id> or auction/<lot id>');
  checkCheckpoint(cb.checkpoint, 'checkpoint');
  checkSeal(cb.seal, 'seal');
  const index = object(cb.case_index, 'case_index');
  members(index, CASE_INDEX_MEMBERS, 'case_index.');
  const entry = object(index.entry, 'case_index.entry');
  members(entry, ENTRY_MEMBERS, 'case_index.entry.');
  if (typeof entry.case !== 'string' || !CASE_KEY.test(entry.case)) failed('case_index.entry.case: expected a case key');
  integer(entry.count, 'case_index.entry.count', 1);
  integer(entry.head, 'case_index.entry.head', 0);
  integer(index.number, 'case_index.number', 0);
  hashPath(index.inclusion_proof, 'case_index.inclusion_proof');
  if (!Array.isArray(cb.records) || cb.records.length === 0) failed('records: expected a non-empty array');
  cb.records.forEach((r, i) => {
    object(r, `records[${i}]`);
    if ((r[NOTE_MEMBER] ?? null) !== null) failed(`records[${i}].${NOTE_MEMBER}: a case bundle carries the checkpoint note once, at its top level`);
  });
  return `case bundle of ${cb.records.length} record(s)`;
}

function caseIndex(cb) {
  const { entry, number, inclusion_proof: proof } = cb.case_index;
  if (entry.case !== cb.case) failed(`the entry is case ${JSON.stringify(entry.case)}, the bundle is case ${JSON.stringify(cb.case)}`);
  try {
    verifyInclusion(leafHash(canonicalBytes(entry)), number, cb.seal.leaf.cases, proof.map(fromHex), fromHex(cb.seal.leaf.cases_root));
  } catch (error) {
    if (error instanceof ProofMalformed || error instanceof RootMismatch) failed(`the entry is not entry ${number} of the case index: ${error.message}`);
    throw error;
  }
  return `the checkpoint's case index (entry ${number} of ${cb.seal.leaf.cases}) holds case ${entry.case} with ${entry.count} record(s), the last at leaf ${entry.head}`;
}

const sameCheckpoint = (record, cb) => canonicalize(record.checkpoint) === canonicalize(cb.checkpoint) && canonicalize(record.seal) === canonicalize(cb.seal);

/** A shredded record (§5.3): its leaf, proven in the case bundle's checkpoint. */
function shredded(record, cb) {
  const inner = (name, run) => {
    try {
      return run();
    } catch (error) {
      if (error instanceof StepFailed) failed(`${name}: ${error.message}`);
      throw error;
    }
  };
  inner('format', () => {
    formatAndVersion(record, SHREDDED_RECORD_FORMAT, 'shredded record');
    members(record, SHREDDED_MEMBERS, '');
    checkLeaf(record.leaf, 'leaf');
    integer(record.leaf_index, 'leaf_index', 0);
    hex32(record.leaf_hash, 'leaf_hash');
    hashPath(record.inclusion_proof, 'inclusion_proof');
    checkCheckpoint(record.checkpoint, 'checkpoint');
    checkSeal(record.seal, 'seal');
  });
  inner('inclusion', () => {
    if (!sameCheckpoint(record, cb)) failed("proven against another checkpoint than the case bundle's");
  });
  inner('leaf', () => {
    const computed = toHex(leafHash(canonicalBytes(record.leaf)));
    if (computed !== record.leaf_hash) failed(`leaf hashes to ${computed}, bundle says ${record.leaf_hash}`);
  });
  inner('inclusion', () => {
    included(fromHex(record.leaf_hash), record.leaf_index, cb.checkpoint, record.inclusion_proof);
    if (record.leaf_index === cb.checkpoint.size - 1) failed(`leaf ${record.leaf_index} is the seal leaf's place`);
  });
}

/**
 * Verifies a case bundle (§6.4): the seal leaf, the case's entry in the case index, every
 * record (a proof bundle, or a shredded record's leaf) against the case bundle's checkpoint,
 * the chain of links, and that the records shown are the entry's count, ending at its head.
 */
export async function verifyCaseBundle(input, options = {}) {
  const [cb, opts, parseError] = prepare(input, options);
  const steps = [];
  const notes = [];
  const members_ = [];
  let witnessing = noWitnessing();
  const finish = () => {
    const outcome = outcomeOf(steps);
    let assurance = 'none';
    let summary;
    if (outcome === OUTCOME.NOT_VERIFIED) {
      const bad = steps.find((s) => s.status === 'failed');
      summary = `NOT VERIFIED: the ${bad.step} step failed: ${bad.detail}`;
    } else {
      const levels = members_.filter((m) => !m.shredded).map((m) => m.assurance);
      assurance = levels.length === 0 ? 'log-only' : levels.reduce((low, l) => (ASSURANCE.indexOf(l) < ASSURANCE.indexOf(low) ? l : low));
      const { count, head } = cb.case_index.entry;
      const basis = ASSURANCE.indexOf(assurance) >= ASSURANCE.indexOf('anchored') ? 'as the anchored case index of that checkpoint commits' : "as the case index of that checkpoint says; nothing here ties the checkpoint to a chain, so anyone could have built this bundle";
      summary = `${outcome}. Assurance ${assurance}: case ${cb.case} has exactly ${count} record(s) up to checkpoint (size ${cb.checkpoint.size}, root ${cb.checkpoint.root}), shown here in order, the last at leaf ${head} (${basis}): none of the records the node committed to for the case there is missing, added or out of order. Not shown: records of the case after that checkpoint, and that the node counted every record it had accepted for the case when it sealed (the audit recomputes the case index from the log).`;
      const n = members_.filter((m) => m.shredded).length;
      if (n) summary += ` ${n} of them appear as leaves only (the node says they were shredded).`;
      summary += witnessSentence(witnessing, ASSURANCE.indexOf(assurance) >= ASSURANCE.indexOf('anchored'));
      summary = [summary, ...notes].join(' ');
    }
    return { outcome, valid: outcome === OUTCOME.VERIFIED, assurance, steps, summary, notes, proven: null, witnessing };
  };
  if (parseError) {
    steps.push(step('format', 'failed', parseError));
    return finish();
  }
  let current = 'format';
  try {
    steps.push(step('format', 'ok', caseFrame(cb)));
    current = 'seal';
    steps.push(step('seal', 'ok', checkSealLeaf(cb.checkpoint, cb.seal)));
    current = 'case index';
    steps.push(step('case index', 'ok', caseIndex(cb)));
    for (const [i, record] of cb.records.entries()) {
      current = `record ${i}`;
      if (record.format === SHREDDED_RECORD_FORMAT) {
        shredded(record, cb);
        members_.push({ index: record.leaf_index, prev: record.leaf.prev, case: record.leaf.case, shredded: true, assurance: 'log-only' });
        steps.push(step(current, 'ok', `leaf ${record.leaf_index}: its leaf is proven, its text is not in the bundle (the node says it was shredded)`));
        continue;
      }
      const { steps: inner, facts } = await runSteps(record, { ...opts, noteStep: false });
      const bad = inner.find((s) => s.status === 'failed');
      if (bad) failed(`${bad.step}: ${bad.detail}`, bad.check);
      if (!sameCheckpoint(record, cb)) failed("inclusion: proven against another checkpoint than the case bundle's");
      const outcome = outcomeOf(inner);
      const level = assuranceOf(outcome, facts);
      for (const note of facts.notes) if (!notes.includes(note)) notes.push(note);
      members_.push({ index: record.leaf_index, prev: record.leaf.prev, case: record.leaf.case, shredded: false, assurance: level });
      const cannot = inner.find((s) => s.status === 'cannot');
      steps.push(cannot ? step(current, 'cannot', `${cannot.step}: ${cannot.detail}`, cannot.check) : step(current, 'ok', `leaf ${record.leaf_index} verified (${level})`));
    }
    current = 'case chain';
    let previous = null;
    for (const [i, m] of members_.entries()) {
      if (m.case !== cb.case) failed(`record ${i} (leaf ${m.index}) is case ${JSON.stringify(m.case)}`);
      if (m.prev !== previous) failed(`record ${i} (leaf ${m.index}) links to ${m.prev}, expected ${previous === null ? 'no earlier record' : `leaf ${previous}`}: a record is missing, inserted or out of order`);
      previous = m.index;
    }
    steps.push(step('case chain', 'ok', `${members_.length} record(s), each linked to the one before, the first to none`));
    current = 'completeness';
    const { count, head } = cb.case_index.entry;
    if (members_.length !== count) failed(`${members_.length} record(s) shown, the case index commits to ${count}`);
    if (members_.at(-1).index !== head) failed(`the last record shown is leaf ${members_.at(-1).index}, the case index commits to leaf ${head}: the case's later records are missing`);
    steps.push(step('completeness', 'ok', `all ${count} record(s) of the case index's entry, the last at leaf ${head}`));
    current = NOTE_STEP;
    let result;
    try {
      result = noteStep(cb[NOTE_MEMBER] ?? null, cb.checkpoint, cb.seal.leaf.anchored_to, opts.trust);
    } catch (error) {
      noteFailed(error);
    }
    witnessing = result.witnessing;
    steps.push(result.skipped === undefined ? step(NOTE_STEP, 'ok', result.detail) : step(NOTE_STEP, 'skipped', result.skipped));
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    steps.push(step(current, 'failed', error.message, error.check));
  }
  return finish();
}

/** verifyBundle or verifyCaseBundle, by the input's `format`. */
export async function verify(input, options = {}) {
  const [parsed, , parseError] = prepare(input, { ...options, rpc: undefined });
  if (!parseError && isObject(parsed) && parsed.format === CASE_BUNDLE_FORMAT) return verifyCaseBundle(parsed, options);
  return verifyBundle(parseError ? input : parsed, options);
}
