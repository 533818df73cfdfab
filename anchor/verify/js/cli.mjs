#!/usr/bin/env node
// The Node.js command line of the JavaScript verifier: a thin wrapper around verify.mjs.
//
//   node cli.mjs BUNDLE.json [MORE.json ...] [--rpc URL] [--block-hash HEX]
//                [--log-key VKEY] [--witness-key VKEY ...] [--witness-policy K] [--now SECONDS] [--json]
//
// Each file is a proof bundle or a case bundle, version 2 (PROTOCOL.md §5). The log's note key
// and the witnesses' keys (C2SP verifier keys, `name+keyid+base64`) and the policy k (default:
// every witness key given) are those of the checkpoint note step (§10.8), as for `evanchor
// verify`; witness keys need a log key. --now is the verifier's clock for the cosignatures'
// timestamps (default: this machine's). --json prints one JSON
// report per line, each with its "file"; otherwise the steps and the summary. Exit status:
// 0 every file VERIFIED, 1 some file NOT VERIFIED, 3 none NOT VERIFIED but some CANNOT
// VERIFY (a chain could not answer, or is another chain), 2 wrong usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WitnessTrustInvalid, witnessTrust } from './checkpoint_note.mjs';
import { OUTCOME, verify } from './verify.mjs';
import { jsonRpcClient } from './rpc.mjs';

const USAGE = 'usage: node cli.mjs BUNDLE.json [MORE.json ...] [--rpc URL] [--block-hash HEX] [--log-key VKEY] [--witness-key VKEY ...] [--witness-policy K] [--now SECONDS] [--json]';
const MARK = { ok: 'ok  ', failed: 'FAIL', cannot: '??  ', skipped: '--  ' };

function usage(problem) {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      rpc: { type: 'string' },
      'block-hash': { type: 'string' },
      'log-key': { type: 'string', multiple: true, default: [] },
      'witness-key': { type: 'string', multiple: true, default: [] },
      'witness-policy': { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  usage(error.message);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (args.positionals.length === 0) usage('no bundle file given');
const blockHash = args.values['block-hash'];
if (blockHash !== undefined && !/^(0x)?[0-9a-fA-F]{64}$/.test(blockHash)) usage('--block-hash: expected 32 bytes of hex');

const integerOption = (name) => {
  const text = args.values[name];
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) usage(`--${name}: expected a whole number, found ${JSON.stringify(text)}`);
  return Number(text);
};
let trust;
try {
  const now = integerOption('now') ?? Math.floor(Date.now() / 1000);
  trust = witnessTrust({ logKeys: args.values['log-key'], witnessKeys: args.values['witness-key'], policy: integerOption('witness-policy'), now });
} catch (error) {
  if (error instanceof WitnessTrustInvalid) usage(error.message);
  throw error;
}

// One client for every file: a chain's answers about past blocks are asked once.
const options = { rpc: args.values.rpc === undefined ? undefined : jsonRpcClient(args.values.rpc), trustedBlockHash: blockHash, trust };
const outcomes = [];
for (const file of args.positionals) {
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    usage(`${file}: ${error.message}`);
  }
  const report = await verify(new Uint8Array(bytes), options);
  outcomes.push(report.outcome);
  if (args.values.json) {
    process.stdout.write(`${JSON.stringify({ file, ...report })}\n`);
  } else {
    if (args.positionals.length > 1) process.stdout.write(`${file}\n`);
    process.stdout.write(`${report.outcome} (assurance: ${report.assurance})\n`);
    for (const s of report.steps) process.stdout.write(`  [${MARK[s.status]}] ${s.step}: ${s.detail}\n`);
    process.stdout.write(`${report.summary}\n`);
  }
}
process.exitCode = outcomes.includes(OUTCOME.NOT_VERIFIED) ? 1 : outcomes.includes(OUTCOME.CANNOT_VERIFY) ? 3 : 0;
