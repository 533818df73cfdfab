// Verification step 7, anchor (PROTOCOL.md §9.4): the bundle's checkpoint is stored in the
// EvidenceAnchor contract at block B. Offline: block header, account proof, contract code,
// storage proofs and the stored checkpoint, from the bundle alone; with a chain: that it is
// the bundle's chain (id, genesis, synced to B: otherwise CANNOT VERIFY), its hash of block B,
// the receipt and log of the anchoring transaction, the writer's role at B.
// Every failure names its check, as §9.4 numbers them.

import { addressBytes, fromHex, isChecksumAddress, isHex, keccak256, toBigInt, toHex, word } from './bytes.mjs';
import { CHECKPOINT_ANCHORED, EVIDENCE_ANCHOR_CODE_HASH, checkpointSlots, decodeWord0, hasWriterRoleCall } from './contract.mjs';
import { isInteger, isObject } from './json.mjs';
import { RlpInvalid, rlpDecode, rlpUint } from './rlp.mjs';
import { ChainUnavailable, quantity } from './rpc.mjs';
import { TrieProofInvalid, trieGet } from './trie.mjs';

/** The evidence is wrong: `check` is the §9.4 check that failed. */
export class AnchorInvalid extends Error {
  constructor(check, detail) {
    super(`${check}: ${detail}`);
    this.check = check;
  }
}

/** The chain could not confirm or refute the evidence (unreachable, or another chain). */
export class AnchorCannotVerify extends Error {
  constructor(check, detail) {
    super(`${check}: ${detail}`);
    this.check = check;
  }
}

export const MAX_PROOF_NODES = 64; // §9.2: a trie path of 32 bytes has at most 64 nibbles
const MAX_NODE_BYTES = 1024; // §9.2: a trie node is at most 1,024 bytes
const MAX_HEADER_BYTES = 8192; // §9.2: header_rlp is 1 to 8,192 bytes
const MAX_SAFE = 2 ** 53 - 1;
const ANCHOR_MEMBERS = ['chain_id', 'contract', 'writer', 'checkpoint_index', 'tx_hash', 'block_number', 'block_hash', 'log_index', 'block_timestamp', 'header_rlp', 'account_proof', 'storage_proofs'];
const LOG_MEMBERS = ['chain_id', 'contract', 'genesis_hash', 'writer'];
const IDENTITY = ['chain_id', 'contract', 'writer']; // what `log` and `anchor` share
const STORAGE_MEMBERS = ['slot', 'value', 'proof'];

const fail = (check, detail) => {
  throw new AnchorInvalid(check, detail);
};

function exactMembers(object, members, where) {
  for (const name of members) if (!Object.hasOwn(object, name)) fail('anchor format', `${where}.${name} is missing`);
  for (const name of Object.keys(object)) if (!members.includes(name)) fail('anchor format', `${where}.${name}: unknown member (not part of the bundle format)`);
}

function nodes(value, where) {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PROOF_NODES) fail('anchor format', `${where}: expected a list of 1 to ${MAX_PROOF_NODES} hex nodes`);
  return value.map((node, i) => {
    if (!isHex(node) || node.length === 0 || node.length > 2 * MAX_NODE_BYTES) fail('anchor format', `${where}[${i}]: expected 1 to ${MAX_NODE_BYTES} bytes of lower-case hex`);
    return fromHex(node);
  });
}

/** Check 1, anchor format: every member present with its type; `log` equal to the anchor's. */
function readSection(bundle) {
  const a = bundle.anchor;
  if (!isObject(a)) fail('anchor format', 'anchor: expected an object');
  exactMembers(a, ANCHOR_MEMBERS, 'anchor');
  for (const name of ['chain_id', 'checkpoint_index', 'block_number', 'log_index', 'block_timestamp']) {
    const min = name === 'chain_id' ? 1 : 0;
    if (!isInteger(a[name]) || a[name] < min || a[name] > MAX_SAFE) fail('anchor format', `anchor.${name}: expected an integer in [${min}, 2^53 − 1]`);
  }
  for (const name of ['contract', 'writer']) if (!isChecksumAddress(a[name])) fail('anchor format', `anchor.${name}: expected an EIP-55 checksummed address`);
  for (const name of ['tx_hash', 'block_hash']) if (!isHex(a[name], 32)) fail('anchor format', `anchor.${name}: expected 64 lower-case hex digits`);
  if (!isHex(a.header_rlp) || a.header_rlp.length === 0 || a.header_rlp.length > 2 * MAX_HEADER_BYTES) fail('anchor format', `anchor.header_rlp: expected 1 to ${MAX_HEADER_BYTES} bytes of lower-case hex`);
  const storage = a.storage_proofs;
  if (!Array.isArray(storage) || storage.length !== 2) fail('anchor format', 'anchor.storage_proofs: expected exactly two entries (word 0 and word 1)');
  storage.forEach((entry, i) => {
    if (!isObject(entry)) fail('anchor format', `anchor.storage_proofs[${i}]: expected an object`);
    exactMembers(entry, STORAGE_MEMBERS, `anchor.storage_proofs[${i}]`);
  });
  const log = bundle.log;
  if (!isObject(log)) fail('anchor format', 'log: expected the log\'s anchor target, found null');
  exactMembers(log, LOG_MEMBERS, 'log');
  for (const name of IDENTITY) if (log[name] !== a[name]) fail('anchor format', `log.${name} is ${JSON.stringify(log[name])}, anchor.${name} is ${JSON.stringify(a[name])}`);
  return {
    ...a,
    header: fromHex(a.header_rlp),
    accountProof: nodes(a.account_proof, 'anchor.account_proof'),
    storage: storage.map((entry, i) => {
      const where = `anchor.storage_proofs[${i}]`;
      if (!isObject(entry)) fail('anchor format', `${where}: expected an object`);
      exactMembers(entry, STORAGE_MEMBERS, where);
      for (const name of ['slot', 'value']) if (!isHex(entry[name], 32)) fail('anchor format', `${where}.${name}: expected 64 lower-case hex digits`);
      return { slot: entry.slot, value: toBigInt(fromHex(entry.value)), proof: nodes(entry.proof, `${where}.proof`) };
    }),
  };
}

/** Check 2, block header: keccak256(header_rlp) = block_hash (= the trusted hash, if any). */
function checkHeader(section, trusted) {
  const computed = toHex(keccak256(section.header));
  if (computed !== section.block_hash) fail('block header', `keccak256(header_rlp) is ${computed}, bundle says ${section.block_hash}`);
  if (trusted !== undefined && trusted.hash !== section.block_hash) {
    fail('chain: block hash', `bundle says ${section.block_hash} for block ${section.block_number}, ${trusted.source} says ${trusted.hash}`);
  }
  let fields;
  try {
    fields = rlpDecode(section.header);
  } catch (error) {
    fail('block header', `header_rlp is not RLP: ${error.message}`);
  }
  if (!Array.isArray(fields) || fields.length < 16 || !fields.every((f) => f instanceof Uint8Array)) {
    fail('block header', 'header_rlp is not an RLP list of at least 16 byte strings');
  }
  // Fields are numbered from 0: 3 stateRoot, 8 number, 11 timestamp.
  const number = uint(fields[8], 'header field 8 (number)');
  const timestamp = uint(fields[11], 'header field 11 (timestamp)');
  if (number !== BigInt(section.block_number)) fail('block header', `the header is of block ${number}, bundle says ${section.block_number}`);
  if (timestamp !== BigInt(section.block_timestamp)) fail('block header', `the header's timestamp is ${timestamp}, bundle says ${section.block_timestamp}`);
  if (fields[3].length !== 32) fail('block header', 'header field 3 (stateRoot) is not 32 bytes');
  return fields[3];
}

function uint(item, what) {
  try {
    return rlpUint(item, what);
  } catch (error) {
    return fail('block header', error.message);
  }
}

function walk(check, root, key, proof, what) {
  try {
    return trieGet(root, keccak256(key), proof);
  } catch (error) {
    if (error instanceof TrieProofInvalid) fail(check, `${what}: ${error.message}`);
    throw error;
  }
}

/** Checks 3 and 4: the contract's account, and its code is EvidenceAnchor's. */
function checkAccount(section, stateRoot) {
  const value = walk('account proof', stateRoot, addressBytes(section.contract), section.accountProof, `account of ${section.contract}`);
  if (value === null) fail('account proof', `the proof shows no account at ${section.contract} in block ${section.block_number}`);
  let account;
  try {
    account = rlpDecode(value);
  } catch (error) {
    fail('account proof', `the account is not RLP: ${error.message}`);
  }
  if (!Array.isArray(account) || account.length !== 4 || !account.every((f) => f instanceof Uint8Array) || account[2].length !== 32 || account[3].length !== 32) {
    fail('account proof', 'the account is not [nonce, balance, storageRoot, codeHash]');
  }
  const codeHash = toHex(account[3]);
  if (codeHash !== EVIDENCE_ANCHOR_CODE_HASH) fail('contract code', `the code at ${section.contract} hashes to ${codeHash}, not EvidenceAnchor's ${EVIDENCE_ANCHOR_CODE_HASH}`);
  return account[2];
}

/** Check 5, storage proof: each entry is at its computed slot; the value its proof reaches. */
function checkStorage(section, storageRoot) {
  const slots = checkpointSlots(section.writer, section.checkpoint_index);
  return section.storage.map((entry, i) => {
    const expected = toHex(word(slots[i]));
    if (entry.slot !== expected) fail('storage proof', `word ${i} of checkpoint ${section.checkpoint_index} of ${section.writer} is slot ${expected}, bundle says ${entry.slot}`);
    const value = walk('storage proof', storageRoot, word(slots[i]), entry.proof, `slot ${expected}`);
    if (value === null) return 0n; // an absent key holds 0
    try {
      const integer = rlpUint(rlpDecode(value), `slot ${expected}`);
      if (integer === 0n) fail('storage proof', `slot ${expected}: the trie stores zero, which it never does`);
      return integer;
    } catch (error) {
      if (error instanceof RlpInvalid) fail('storage proof', `slot ${expected}: ${error.message}`);
      throw error;
    }
  });
}

/** Check 6, stored checkpoint: the words proven are the bundle's and hold its checkpoint. */
function checkStoredCheckpoint(section, proven, checkpoint) {
  proven.forEach((value, i) => {
    if (value !== section.storage[i].value) fail('stored checkpoint', `word ${i}: the proof reaches ${value.toString(16)}, bundle says ${section.storage[i].value.toString(16)}`);
  });
  const w0 = decodeWord0(proven[0]);
  if (w0.high !== 0n) fail('stored checkpoint', 'word 0 has bits 192–255 set');
  if (w0.size !== BigInt(checkpoint.size)) fail('stored checkpoint', `the contract stores size ${w0.size}, the bundle's checkpoint has ${checkpoint.size}`);
  const root = toHex(word(proven[1]));
  if (root !== checkpoint.root) fail('stored checkpoint', `the contract stores root ${root}, the bundle's checkpoint has ${checkpoint.root}`);
  if (w0.blockNumber !== BigInt(section.block_number)) fail('stored checkpoint', `stored at block ${w0.blockNumber}, bundle says ${section.block_number}`);
  if (w0.timestamp !== BigInt(section.block_timestamp)) fail('stored checkpoint', `stored with timestamp ${w0.timestamp}, bundle says ${section.block_timestamp}`);
}

/**
 * Checks 1–6 from the bundle alone. `trusted` is {hash, source} of block B from a source the
 * verifier trusts, or undefined. Precondition: the bundle's format, inclusion and checkpoint
 * steps passed. Returns the facts shown; throws AnchorInvalid.
 */
export function checkAnchorOffline(bundle, trusted) {
  const section = readSection(bundle);
  const stateRoot = checkHeader(section, trusted);
  const storageRoot = checkAccount(section, stateRoot);
  checkStoredCheckpoint(section, checkStorage(section, storageRoot), bundle.checkpoint);
  return section;
}

/**
 * Checks 1–8 with a chain (`rpc` from jsonRpcClient). Throws AnchorInvalid when the chain
 * refutes the evidence, AnchorCannotVerify when it cannot answer or is another chain.
 */
export async function checkAnchorWithChain(bundle, rpc) {
  const section = readSection(bundle); // check 1 first: the questions below need its members
  const ask = async (check, method, params) => {
    try {
      return await rpc.call(method, params);
    } catch (error) {
      if (error instanceof ChainUnavailable) throw new AnchorCannotVerify(check, error.message);
      throw error;
    }
  };
  const chainId = Number(BigInt(await ask('chain: chain id', 'eth_chainId', [])));
  if (chainId !== section.chain_id) {
    throw new AnchorCannotVerify('chain: chain id', `a different chain: chain id ${chainId}, bundle expects ${section.chain_id}`);
  }
  const genesis = await ask('chain: genesis', 'eth_getBlockByNumber', ['0x0', false]);
  const genesisHash = genesis === null ? 'none' : String(genesis.hash).toLowerCase().replace(/^0x/, '');
  if (genesisHash !== bundle.log.genesis_hash) {
    throw new AnchorCannotVerify('chain: genesis', `a different chain: genesis ${genesisHash}, bundle expects ${bundle.log.genesis_hash}`);
  }
  const head = BigInt(await ask('chain: head', 'eth_blockNumber', []));
  if (head < BigInt(section.block_number)) {
    throw new AnchorCannotVerify('chain: head', `chain not synced: the chain's head is block ${head}, before the anchoring block ${section.block_number}`);
  }
  const block = await ask('chain: block hash', 'eth_getBlockByNumber', [quantity(section.block_number), false]);
  if (block === null) {
    throw new AnchorCannotVerify('chain: block hash', `chain ${chainId} at ${rpc.url} has no block ${section.block_number} (not synced that far, or another chain with the same id)`);
  }
  checkAnchorOffline(bundle, { hash: String(block.hash).toLowerCase().replace(/^0x/, ''), source: `chain ${chainId} at ${rpc.url}` });
  await checkReceipt(section, bundle.checkpoint, ask);
  const role = await ask('writer role', 'eth_call', [{ to: section.contract, data: `0x${toHex(hasWriterRoleCall(section.writer))}` }, quantity(section.block_number)]);
  if (toBigInt(fromHex(String(role).replace(/^0x/, '').toLowerCase())) !== 1n) {
    fail('writer role', `${section.writer} did not hold WRITER_ROLE at block ${section.block_number}`);
  }
  return section;
}

/** Check 7 (receipt and log): the anchoring transaction succeeded in block B with the event. */
async function checkReceipt(section, checkpoint, ask) {
  const receipt = await ask('chain: eth_getTransactionReceipt', 'eth_getTransactionReceipt', [`0x${section.tx_hash}`]);
  if (receipt === null) fail('chain: eth_getTransactionReceipt', `the chain has no transaction ${section.tx_hash}`);
  const hex = (v) => String(v).toLowerCase().replace(/^0x/, '');
  if (hex(receipt.blockHash) !== section.block_hash || BigInt(receipt.blockNumber) !== BigInt(section.block_number)) {
    fail('chain: eth_getTransactionReceipt', `transaction ${section.tx_hash} is in block ${BigInt(receipt.blockNumber)}, not in block ${section.block_number}`);
  }
  if (BigInt(receipt.status) !== 1n) fail('chain: eth_getTransactionReceipt', `transaction ${section.tx_hash} failed (status ${receipt.status})`);
  const log = (receipt.logs ?? []).find((entry) => BigInt(entry.logIndex) === BigInt(section.log_index));
  if (log === undefined) fail('chain: log', `the receipt has no log at index ${section.log_index}`);
  const topics = [CHECKPOINT_ANCHORED, word(toBigInt(addressBytes(section.writer))), word(section.checkpoint_index)].map(toHex);
  const data = toHex(word(checkpoint.size)) + checkpoint.root;
  if (hex(log.address) !== toHex(addressBytes(section.contract)) || log.topics.map(hex).join() !== topics.join() || hex(log.data) !== data) {
    fail('chain: log', `log ${section.log_index} is not CheckpointAnchored(${section.writer}, ${section.checkpoint_index}, ${checkpoint.size}, ${checkpoint.root}) from ${section.contract}`);
  }
}
