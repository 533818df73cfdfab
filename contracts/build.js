#!/usr/bin/env node
// The one build command for evanchor's Solidity: `cd contracts && node build.js`.
//
// Compiles every target below with the solc-js version pinned in package.json, through
// standard-JSON input, and writes one artifact per contract (ABI, bytecode, deployed bytecode,
// compiler version and settings, source hashes) as JSON with sorted keys and a trailing
// newline, so that a rebuild from the same sources is byte-identical. The runtime reads the
// committed artifacts and never needs Node.js; tests/contracts rebuilds into a temporary
// folder (`node build.js --out DIR`) and compares every byte.
//
//   node build.js              write the committed artifacts
//   node build.js --out DIR    write the artifacts under DIR (same relative layout)
//   node build.js --check      exit 1 if any committed artifact differs from a fresh build
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const CONTRACTS_DIR = __dirname;
const REPO_ROOT = path.resolve(CONTRACTS_DIR, "..");
const NODE_MODULES = path.join(CONTRACTS_DIR, "node_modules");

// Artifact format version: bump when the shape of the JSON changes.
const ARTIFACT_FORMAT = "evanchor-artifact-1";

// The settings every contract is compiled with. `london` is the EVM of the embedded chain
// (and anvil runs it too). The optimizer is tuned for calls, not deployment: a contract is
// deployed once per network and `anchor` runs for ever.
const SETTINGS = {
  evmVersion: "london",
  metadata: { bytecodeHash: "ipfs" },
  optimizer: { enabled: true, runs: 10000 },
  viaIR: false,
};

// Source unit names are paths relative to the repository root, so the metadata (and the
// hash embedded in the bytecode) does not depend on where the repository is checked out.
const TARGETS = [
  {
    contract: "EvidenceAnchor",
    source: "contracts/src/EvidenceAnchor.sol",
    outDir: "contracts/compiled",
  },
  {
    // Reference for benchmarks/gas_anchor.py: stores one root and checks nothing.
    contract: "MinimalAnchor",
    source: "benchmarks/contracts/MinimalAnchor.sol",
    outDir: "benchmarks/contracts/artifacts",
  },
];

function fail(message) {
  process.stderr.write(`build.js: ${message}\n`);
  process.exit(1);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// Refuse to build with anything but the pinned packages: package.json pins exact versions,
// package-lock.json locks them, and this checks what is actually installed.
function loadPinnedCompiler() {
  const manifest = readJson(path.join(CONTRACTS_DIR, "package.json"));
  const pins = { ...manifest.dependencies, ...manifest.devDependencies };
  for (const name of ["solc", "@openzeppelin/contracts"]) {
    const pinned = pins[name];
    if (!/^\d+\.\d+\.\d+$/.test(pinned || "")) {
      fail(`package.json must pin ${name} to an exact version, found ${JSON.stringify(pinned)}`);
    }
    let installed;
    try {
      installed = readJson(path.join(NODE_MODULES, name, "package.json")).version;
    } catch {
      fail(`${name} is not installed: run \`npm ci\` in contracts/`);
    }
    if (installed !== pinned) {
      fail(`${name} ${installed} is installed but package.json pins ${pinned}: run \`npm ci\``);
    }
  }
  const solc = require(path.join(NODE_MODULES, "solc"));
  if (!solc.version().startsWith(`${pins.solc}+`)) {
    fail(`solc reports version ${solc.version()}, package.json pins ${pins.solc}`);
  }
  return solc;
}

// Resolves an import to a file: `@openzeppelin/...` from node_modules, anything else from
// the repository. Paths that would leave those folders are refused.
function resolveImport(unitName) {
  const base = unitName.startsWith("@openzeppelin/") ? NODE_MODULES : REPO_ROOT;
  const file = path.resolve(base, unitName);
  if (!file.startsWith(base + path.sep)) return null;
  return file;
}

function findImports(unitName) {
  const file = resolveImport(unitName);
  if (file === null || !fs.existsSync(file)) return { error: `not found: ${unitName}` };
  return { contents: fs.readFileSync(file, "utf8") };
}

// JSON with object keys sorted at every level (arrays keep their order), two-space indent and
// a trailing newline: the same input always gives the same bytes.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function stableJson(value) {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sha256Hex(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function compileTarget(solc, target) {
  const settings = {
    ...SETTINGS,
    outputSelection: {
      [target.source]: {
        [target.contract]: [
          "abi",
          "evm.bytecode.object",
          "evm.deployedBytecode.object",
          "evm.methodIdentifiers",
          "metadata",
        ],
      },
    },
  };
  const input = {
    language: "Solidity",
    sources: { [target.source]: { content: fs.readFileSync(resolveImport(target.source), "utf8") } },
    settings,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const diagnostics = output.errors || [];
  for (const d of diagnostics) process.stderr.write(`${d.formattedMessage}\n`);
  // Warnings are errors too: a clean build is part of what the artifacts attest.
  if (diagnostics.length > 0) fail(`${target.source}: ${diagnostics.length} diagnostic(s)`);

  const compiled = output.contracts[target.source][target.contract];
  const metadata = JSON.parse(compiled.metadata);
  const sources = {};
  for (const unitName of Object.keys(output.sources)) {
    sources[unitName] = { sha256: sha256Hex(findImports(unitName).contents) };
  }
  const { outputSelection, ...recordedSettings } = settings;
  return {
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    compiler: {
      name: "solc-js",
      settings: recordedSettings,
      version: metadata.compiler.version,
    },
    contractName: target.contract,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    format: ARTIFACT_FORMAT,
    metadata: compiled.metadata,
    methodIdentifiers: compiled.evm.methodIdentifiers,
    sourceName: target.source,
    sources,
  };
}

function parseArgs(argv) {
  const args = { outRoot: REPO_ROOT, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && i + 1 < argv.length) args.outRoot = path.resolve(argv[++i]);
    else if (argv[i] === "--check") args.check = true;
    else fail(`unknown argument ${argv[i]} (usage: node build.js [--out DIR | --check])`);
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const solc = loadPinnedCompiler();
  let differences = 0;
  for (const target of TARGETS) {
    const text = stableJson(compileTarget(solc, target));
    const file = path.join(args.outRoot, target.outDir, `${target.contract}.json`);
    if (args.check) {
      const committed = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
      if (committed !== text) {
        process.stderr.write(`build.js: ${path.relative(REPO_ROOT, file)} differs from a fresh build\n`);
        differences++;
      }
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    }
  }
  if (differences > 0) process.exit(1);
}

main();
