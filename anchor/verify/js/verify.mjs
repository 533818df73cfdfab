// Verification of proof bundles and case bundles, version 1 (PROTOCOL.md §5, §6, §9.4),
// written from the protocol document alone. No Node.js API is used here: the same module
// runs in a browser page.
//
//   verifyBundle(input, options)  → report        input: JSON text, bytes, or a parsed object
//   verifyCaseBundle(input, options)
//   verify(input, options)         → either, by the input's `format`
//
// options: { rpc: URL or a jsonRpcClient, trustedBlockHash: 64 hex digits }
// report:  { outcome: "VERIFIED" | "NOT VERIFIED" | "CANNOT VERIFY", valid, steps, summary, proven }
// steps:   [{ step, status: "ok" | "failed" | "cannot" | "skipped", ok, detail, check? }]
//
// Steps run in the order of §6 and stop at the first that fails (the evidence is wrong:
// NOT VERIFIED). A step that cannot be completed because a chain could not answer or is
// another chain is "cannot" and the later offline steps still run: CANNOT VERIFY only when
// nothing failed. The report says what is proven and labels what the node merely claims.

import { AnchorCannotVerify, AnchorInvalid, checkAnchorOffline, checkAnchorWithChain } from './anchor.mjs';
import { equal, fromHex, isChecksumAddress, isHex, sha256, toHex, utf8 } from './bytes.mjs';
import { agencyCreditCodeCall, decodeAbiString } from './contract.mjs';
import { SignatureInvalid, commitmentDigest, recoverSigner } from './eip712.mjs';
import { JsonInputError, canonicalBytes, isInteger, isObject, parseStrictJson } from './json.mjs';
import { ProofMalformed, RootMismatch, leafHash, verifyInclusion } from './merkle.mjs';
import { RecordInvalid, recordAgency, recordCaseKey, validateRecord } from './records.mjs';
import { ChainUnavailable, jsonRpcClient, quantity } from './rpc.mjs';

export const BUNDLE_FORMAT = 'evanchor/proof-bundle';
export const CASE_BUNDLE_FORMAT = 'evanchor/case-bundle';
export const VERSION = 1;
export const OUTCOME = Object.freeze({ VERIFIED: 'VERIFIED', NOT_VERIFIED: 'NOT VERIFIED', CANNOT_VERIFY: 'CANNOT VERIFY' });

const COMMITMENT_TAG = utf8('evanchor/v1/commitment\u0000'); // §2: tag || 0x00
const RECORD_ID_TAG = utf8('evanchor/v1/record-id\u0000');
const BUNDLE_MEMBERS = ['format', 'version', 'record', 'salt', 'commitment', 'leaf', 'leaf_index', 'leaf_hash', 'inclusion_proof', 'checkpoint', 'case_link', 'log', 'anchor', 'signature'];
const NULLABLE_MEMBERS = ['log', 'anchor', 'signature']; // absent is read as null (§5; as version 1 bundles are written)
const LEAF_MEMBERS = ['accepted_at', 'agency', 'case', 'commitment', 'kind', 'prev', 'v'];
const CHECKPOINT_MEMBERS = ['seq', 'size', 'root', 'sealed_at'];
const CASE_LINK_MEMBERS = ['case', 'prev', 'prev_leaf_hash'];
const CASE_BUNDLE_MEMBERS = ['format', 'version', 'case', 'checkpoint', 'records'];
const NODE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/; // §3 accepted_at (and sealed_at)

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

// -- step 1, format (§5, §6.1) ----------------------------------------------------------------

function members(object, names, where, optional = []) {
  for (const name of names) if (!Object.hasOwn(object, name) && !optional.includes(name)) failed(`${where}${name} is missing`);
  for (const name of Object.keys(object)) if (!names.includes(name)) failed(`${where}${name} is not a member of protocol version 1`);
}
const hex32 = (value, where) => (isHex(value, 32) ? value : failed(`${where}: expected 64 lower-case hex digits`));
const index = (value, where) => (isInteger(value) && value >= 0 ? value : failed(`${where}: expected a non-negative integer`));
const object = (value, where) => (isObject(value) ? value : failed(`${where}: expected an object`));

function checkCheckpoint(checkpoint, where) {
  object(checkpoint, where);
  members(checkpoint, CHECKPOINT_MEMBERS, `${where}.`);
  index(checkpoint.seq, `${where}.seq`);
  index(checkpoint.size, `${where}.size`);
  hex32(checkpoint.root, `${where}.root`);
  if (typeof checkpoint.sealed_at !== 'string' || !NODE_TIME.test(checkpoint.sealed_at)) failed(`${where}.sealed_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ`);
}

function stepFormat(b) {
  object(b, 'bundle');
  if (b.format !== BUNDLE_FORMAT) failed(`format is ${JSON.stringify(b.format)}, expected ${JSON.stringify(BUNDLE_FORMAT)}`);
  if (b.version !== VERSION) failed(`version is ${JSON.stringify(b.version)}; this verifier knows version ${VERSION}`);
  members(b, BUNDLE_MEMBERS, '', NULLABLE_MEMBERS);
  object(b.record, 'record');
  hex32(b.salt, 'salt');
  hex32(b.commitment, 'commitment');
  object(b.leaf, 'leaf');
  if (b.leaf.prev !== null && b.leaf.prev !== undefined) index(b.leaf.prev, 'leaf.prev');
  index(b.leaf_index, 'leaf_index');
  hex32(b.leaf_hash, 'leaf_hash');
  if (!Array.isArray(b.inclusion_proof)) failed('inclusion_proof: expected a list');
  b.inclusion_proof.forEach((element, i) => hex32(element, `inclusion_proof[${i}]`));
  checkCheckpoint(b.checkpoint, 'checkpoint');
  const link = object(b.case_link, 'case_link');
  members(link, CASE_LINK_MEMBERS, 'case_link.');
  if (typeof link.case !== 'string') failed('case_link.case: expected a string');
  if (link.prev === null) {
    if (link.prev_leaf_hash !== null) failed('case_link.prev_leaf_hash: expected null for the first leaf of a case');
  } else {
    index(link.prev, 'case_link.prev');
    hex32(link.prev_leaf_hash, 'case_link.prev_leaf_hash');
  }
  for (const name of NULLABLE_MEMBERS) if (b[name] !== undefined && b[name] !== null) object(b[name], name);
  return `proof bundle version ${VERSION}`;
}

// -- steps 2–6 (§6.2–6.6, §2–§4) ----------------------------------------------------------

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
  members(leaf, LEAF_MEMBERS, 'leaf.');
  const expect = (name, value) => {
    if (leaf[name] !== value) failed(`leaf.${name} is ${JSON.stringify(leaf[name])}, expected ${JSON.stringify(value)}`);
  };
  expect('v', 1);
  expect('commitment', b.commitment);
  expect('kind', b.record.kind);
  expect('agency', recordAgency(b.record));
  expect('case', recordCaseKey(b.record));
  if (typeof leaf.accepted_at !== 'string' || !NODE_TIME.test(leaf.accepted_at)) failed('leaf.accepted_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ');
  if (leaf.prev !== null && leaf.prev >= b.leaf_index) failed(`leaf.prev ${leaf.prev} is not before leaf index ${b.leaf_index}`);
  const computed = toHex(leafHash(canonicalBytes(leaf)));
  if (computed !== b.leaf_hash) failed(`SHA-256(0x00 || JCS(leaf)) is ${computed}, bundle says ${b.leaf_hash}`);
  return `leaf ${b.leaf_index} = ${computed}, accepted at ${leaf.accepted_at} (the node's clock)`;
}

function stepInclusion(b) {
  const { size, root } = b.checkpoint;
  try {
    verifyInclusion(fromHex(b.leaf_hash), b.leaf_index, size, b.inclusion_proof.map(fromHex), fromHex(root));
  } catch (error) {
    if (error instanceof ProofMalformed) failed(`malformed proof: ${error.message}`);
    if (error instanceof RootMismatch) failed(`the proof gives root ${toHex(error.computed)}, the checkpoint says ${root}`);
    throw error;
  }
  return `leaf ${b.leaf_index} is in the tree of size ${size} with root ${root}`;
}

function stepCaseLink(b) {
  const link = b.case_link;
  if (link.case !== b.leaf.case || link.prev !== b.leaf.prev) failed(`case_link (${link.case}, prev ${link.prev}) does not match the leaf (${b.leaf.case}, prev ${b.leaf.prev})`);
  if (link.prev === null) return `first leaf of case ${link.case}`;
  // When the previous leaf is this leaf's sibling in the tree, the proof's first element is its
  // hash (RFC 9162 PATH for an odd index), so prev_leaf_hash is checked here; a case bundle
  // checks it against the previous record's leaf_hash in every case.
  if (b.leaf_index % 2 === 1 && link.prev === b.leaf_index - 1 && link.prev_leaf_hash !== b.inclusion_proof[0]) {
    failed(`case_link.prev_leaf_hash is ${link.prev_leaf_hash}, but leaf ${link.prev} hashes to ${b.inclusion_proof[0]} (the proof's first element)`);
  }
  return `follows leaf ${link.prev} of case ${link.case}`;
}

// -- step 7, anchor (§9.4) --------------------------------------------------------------------

const TIED = "checked against the bundle's own block hash; supply a trusted block hash or --rpc to tie it to a chain";

async function stepAnchor(b, facts, options) {
  if (b.anchor === null || b.anchor === undefined) return { skipped: 'not anchored: no chain evidence in this bundle' };
  let section;
  let tiedTo;
  try {
    if (options.rpc) {
      section = await checkAnchorWithChain(b, options.rpc);
      tiedTo = `block hash, receipt, log and writer role checked with chain ${section.chain_id} at ${options.rpc.url}`;
    } else if (options.trustedBlockHash !== undefined) {
      section = checkAnchorOffline(b, { hash: options.trustedBlockHash, source: 'the trusted block hash' });
      tiedTo = 'block hash matches the trusted one';
    } else {
      section = checkAnchorOffline(b, undefined);
      tiedTo = TIED;
    }
  } catch (error) {
    if (error instanceof AnchorCannotVerify) {
      // The offline checks still decide whether the evidence is wrong in itself.
      try {
        section = checkAnchorOffline(b, undefined);
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
  facts.anchorTiedTo = options.rpc ? 'chain' : options.trustedBlockHash !== undefined ? 'trusted block hash' : 'own block hash';
  const when = new Date(section.block_timestamp * 1000).toISOString().replace('.000Z', 'Z');
  return `checkpoint (size ${b.checkpoint.size}, root ${b.checkpoint.root}) is index ${section.checkpoint_index} of writer ${section.writer}'s log in contract ${section.contract} on chain ${section.chain_id}, stored in block ${section.block_number} (hash ${section.block_hash}) at ${when} by the chain's clock; ${tiedTo}`;
}

// -- step 8, signature (§8, §9.3, §9.4) --------------------------------------------------------

async function stepSignature(b, facts, options) {
  if (b.signature === null || b.signature === undefined) return { skipped: 'no agency signature in this bundle' };
  const sig = b.signature;
  members(sig, ['signature', 'signer'], 'signature.');
  if (!isHex(sig.signature, 65)) failed('signature.signature: expected 130 lower-case hex digits');
  if (!isChecksumAddress(sig.signer)) failed('signature.signer: expected an EIP-55 checksummed address');
  const log = b.log;
  if (!isObject(log)) failed('a signature needs the log section (its chain id and contract are the EIP-712 domain)');
  if (!isInteger(log.chain_id) || log.chain_id < 0 || !isChecksumAddress(log.contract)) failed('log: expected chain_id and an EIP-55 contract address');
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
    const why = options.rpc ? 'needs an anchor (the block at which to ask)' : 'needs --rpc';
    return `signed by ${recovered} under chain ${log.chain_id}, contract ${log.contract}; whether the signer was registered as agency ${agency} ${why}`;
  }
  if (facts.anchorCannot) throw new StepCannot(`signed by ${recovered}; agency registration: not asked, the chain could not confirm the anchoring block`);
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
  facts.agencyRegistered = true;
  return `signed by ${recovered}, registered as agency ${agency} at block ${block}`;
}

// -- running the steps ------------------------------------------------------------------------

const STEPS = [
  ['format', stepFormat],
  ['record', stepRecord],
  ['commitment', stepCommitment],
  ['leaf', stepLeaf],
  ['inclusion', stepInclusion],
  ['case link', stepCaseLink],
  ['anchor', stepAnchor],
  ['signature', stepSignature],
];

function prepare(input, options = {}) {
  const rpc = typeof options.rpc === 'string' ? jsonRpcClient(options.rpc) : options.rpc;
  let trustedBlockHash = options.trustedBlockHash;
  if (trustedBlockHash !== undefined) {
    trustedBlockHash = String(trustedBlockHash).toLowerCase().replace(/^0x/, '');
    if (!isHex(trustedBlockHash, 32)) throw new TypeError('trustedBlockHash: expected 32 bytes of hex');
  }
  const opts = { rpc, trustedBlockHash };
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
  if (steps.some((s) => s.status === 'failed')) return OUTCOME.NOT_VERIFIED;
  if (steps.some((s) => s.status === 'cannot')) return OUTCOME.CANNOT_VERIFY;
  return OUTCOME.VERIFIED;
}

async function runSteps(bundle, options) {
  const facts = {};
  const steps = [];
  for (const [name, run] of STEPS) {
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

/** What a VERIFIED bundle proves, and what is only the node's claim. */
function proven(bundle, facts, outcome) {
  if (outcome !== OUTCOME.VERIFIED) return null;
  return {
    record_id: facts.recordId,
    included: { leaf_index: bundle.leaf_index, size: bundle.checkpoint.size, root: bundle.checkpoint.root },
    anchored: facts.anchor ? { chain_id: facts.anchor.chain_id, contract: facts.anchor.contract, writer: facts.anchor.writer, block_number: facts.anchor.block_number, block_hash: facts.anchor.block_hash, block_timestamp: facts.anchor.block_timestamp, tied_to: facts.anchorTiedTo } : null,
    signer: facts.signer ?? null,
    agency_registered: facts.agencyRegistered ?? null,
    claims: { accepted_at: bundle.leaf.accepted_at, sealed_at: bundle.checkpoint.sealed_at, seq: bundle.checkpoint.seq },
  };
}

function summarize(bundle, outcome, steps, p) {
  if (outcome !== OUTCOME.VERIFIED) {
    const bad = steps.find((s) => s.status === 'failed') ?? steps.find((s) => s.status === 'cannot');
    return `${outcome}: step ${bad.step}: ${bad.detail}`;
  }
  const r = bundle.record;
  let text = `VERIFIED: this ${r.kind} record of ${recordAgency(r)} (case ${bundle.leaf.case}) existed, unaltered, as leaf ${bundle.leaf_index} of the tree of size ${p.included.size} with root ${p.included.root}.`;
  if (p.anchored) {
    const a = p.anchored;
    text += ` That tree was stored by writer ${a.writer} in contract ${a.contract} on chain ${a.chain_id}, block ${a.block_number}, at ${new Date(a.block_timestamp * 1000).toISOString()} by the chain's clock`;
    text += a.tied_to === 'own block hash' ? " (checked against the bundle's own block hash only)." : ` (tied to the chain by ${a.tied_to}).`;
  } else {
    text += ' It is not anchored in this bundle: no time and no writer are proven independently of the node.';
  }
  if (p.signer) text += p.agency_registered ? ` Signed by ${p.signer}, registered as agency ${recordAgency(r)} at the anchoring block.` : ` Signed by ${p.signer} (registration as agency ${recordAgency(r)} not checked).`;
  text += ` Claims of the node, not proven: accepted at ${p.claims.accepted_at}, checkpoint ${p.claims.seq} sealed at ${p.claims.sealed_at}.`;
  return text;
}

function report(bundle, steps, facts) {
  const outcome = outcomeOf(steps);
  const p = proven(bundle, facts, outcome);
  return { outcome, valid: outcome === OUTCOME.VERIFIED, steps, summary: summarize(bundle, outcome, steps, p), proven: p };
}

/** Verifies one proof bundle (PROTOCOL.md §6). Never throws on bad evidence: it reports. */
export async function verifyBundle(input, options = {}) {
  const [bundle, opts, parseError] = prepare(input, options);
  if (parseError) return report(undefined, [step('format', 'failed', parseError)], {});
  const { steps, facts } = await runSteps(bundle, opts);
  return report(bundle, steps, facts);
}

/**
 * Verifies a case bundle (§5, §6): every record bundle verifies against the case bundle's
 * checkpoint, the first has prev null, and each next one's prev is the previous one's
 * leaf_index and its prev_leaf_hash the previous one's leaf_hash.
 */
export async function verifyCaseBundle(input, options = {}) {
  const [cb, opts, parseError] = prepare(input, options);
  const steps = [];
  const done = () => {
    const outcome = outcomeOf(steps);
    const n = cb?.records?.length;
    const summary = outcome === OUTCOME.VERIFIED ? `VERIFIED: case ${cb.case}: all ${n} record(s) up to the checkpoint of size ${cb.checkpoint.size} (root ${cb.checkpoint.root}) are present, unaltered and in order, as far as backward links show (they cannot show that no record follows the last one shown).` : summarize(undefined, outcome, steps);
    return { outcome, valid: outcome === OUTCOME.VERIFIED, steps, summary, proven: null };
  };
  if (parseError) {
    steps.push(step('format', 'failed', parseError));
    return done();
  }
  try {
    object(cb, 'case bundle');
    if (cb.format !== CASE_BUNDLE_FORMAT) failed(`format is ${JSON.stringify(cb.format)}, expected ${JSON.stringify(CASE_BUNDLE_FORMAT)}`);
    if (cb.version !== VERSION) failed(`version is ${JSON.stringify(cb.version)}; this verifier knows version ${VERSION}`);
    members(cb, CASE_BUNDLE_MEMBERS, '');
    if (typeof cb.case !== 'string') failed('case: expected a string');
    checkCheckpoint(cb.checkpoint, 'checkpoint');
    if (!Array.isArray(cb.records) || cb.records.length === 0) failed('records: expected a non-empty list');
    steps.push(step('format', 'ok', `case bundle of ${cb.records.length} record(s)`));
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    steps.push(step('format', 'failed', error.message));
    return done();
  }
  let previous = null;
  const wanted = canonicalBytes(cb.checkpoint);
  for (const [i, record] of cb.records.entries()) {
    const name = `record ${i}`;
    const { steps: inner } = await runSteps(record, opts);
    const bad = inner.find((s) => s.status === 'failed');
    if (bad) {
      steps.push(step(name, 'failed', `${bad.step}: ${bad.detail}`, bad.check));
      break;
    }
    const gap = linkProblem(cb, record, previous, wanted);
    if (gap) {
      steps.push(step(name, 'failed', gap));
      break;
    }
    const cannot = inner.find((s) => s.status === 'cannot');
    steps.push(cannot ? step(name, 'cannot', `${cannot.step}: ${cannot.detail}`, cannot.check) : step(name, 'ok', `leaf ${record.leaf_index} verified and linked`));
    previous = record;
  }
  return done();
}

function linkProblem(cb, record, previous, wantedCheckpoint) {
  if (!equal(canonicalBytes(record.checkpoint), wantedCheckpoint)) return "checkpoint: not the case bundle's checkpoint";
  if (record.leaf.case !== cb.case) return `case: leaf of case ${record.leaf.case}, not ${cb.case}`;
  if (previous === null) {
    return record.leaf.prev === null ? null : `gap: the first record shown has prev ${record.leaf.prev}: the case's earlier records are missing`;
  }
  if (record.leaf.prev !== previous.leaf_index) return `gap: prev is ${record.leaf.prev}, expected ${previous.leaf_index} (the record shown before it)`;
  if (record.case_link.prev_leaf_hash !== previous.leaf_hash) return `case link: prev_leaf_hash is ${record.case_link.prev_leaf_hash}, but leaf ${previous.leaf_index} hashes to ${previous.leaf_hash}`;
  return null;
}

/** verifyBundle or verifyCaseBundle, by the input's `format`. */
export async function verify(input, options = {}) {
  const [parsed, , parseError] = prepare(input, { ...options, rpc: undefined });
  if (!parseError && isObject(parsed) && parsed.format === CASE_BUNDLE_FORMAT) return verifyCaseBundle(parsed, options);
  return verifyBundle(parseError ? input : parsed, options);
}
