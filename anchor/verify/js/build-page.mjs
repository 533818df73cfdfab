#!/usr/bin/env node
// Builds the verification page: one self-contained HTML file that verifies a bundle in the
// browser with this folder's verifier, opened from a file with no server.
//
//   node build-page.mjs              write the committed page (anchor/report/verify_page.html)
//   node build-page.mjs --out FILE   write it to FILE instead
//   node build-page.mjs --check      exit 1 if the committed page differs from a fresh build
//
// esbuild (pinned in package.json) bundles page/app.mjs, the verifier's ES modules and the
// @noble packages into one script, unminified so that it can be read, which is put inline in
// page/template.html with a Content-Security-Policy that allows that script alone (by its
// SHA-256) and no other source. The build is deterministic: the same sources and pins give
// the same bytes, so the runtime (the node's GET /verify, `evanchor verify-page`) serves the
// committed file and needs no Node.js; tests/verify_page rebuilds it and compares.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const COMMITTED = resolve(HERE, '..', '..', 'report', 'verify_page.html');
const PINNED = ['esbuild', '@noble/hashes', '@noble/curves'];

function fail(message) {
  process.stderr.write(`build-page.mjs: ${message}\n`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The installed version of each pinned package, refused unless it is the pin. */
function pinnedVersions() {
  const manifest = readJson(join(HERE, 'package.json'));
  const pins = { ...manifest.dependencies, ...manifest.devDependencies };
  const versions = {};
  for (const name of PINNED) {
    if (!/^\d+\.\d+\.\d+$/.test(pins[name] ?? '')) fail(`package.json must pin ${name} to an exact version, found ${JSON.stringify(pins[name])}`);
    let installed;
    try {
      installed = readJson(join(HERE, 'node_modules', name, 'package.json')).version;
    } catch {
      fail(`${name} is not installed: run \`npm ci\` in anchor/verify/js`);
    }
    if (installed !== pins[name]) fail(`${name} ${installed} is installed but package.json pins ${pins[name]}: run \`npm ci\``);
    versions[name] = installed;
  }
  return { verifier: manifest.version, ...versions };
}

export async function buildPage() {
  const versions = pinnedVersions();
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: HERE, // paths in the bundle's comments are relative to this folder
    entryPoints: ['page/app.mjs'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'inline', // the @noble packages' MIT notices stay with their code
    minify: false,
    write: false,
    logLevel: 'silent',
  });
  const script = result.outputFiles[0].text;
  if (/<\/script/i.test(script) || script.includes('<!--')) fail('the bundled script holds "</script" or "<!--", which would end it early');
  const inline = `\n${script}\n`;
  const hash = createHash('sha256').update(inline, 'utf8').digest('base64');
  const generator = `evanchor verification page; verifier ${versions.verifier} (anchor/verify/js); @noble/hashes ${versions['@noble/hashes']}, @noble/curves ${versions['@noble/curves']}; bundled by esbuild ${versions.esbuild}`;
  const template = readFileSync(join(HERE, 'page', 'template.html'), 'utf8');
  for (const mark of ['__SCRIPT_HASH__', '__GENERATOR__', '/*__PAGE_SCRIPT__*/']) if (!template.includes(mark)) fail(`page/template.html lacks ${mark}`);
  return template
    .replace("'__SCRIPT_HASH__'", `'sha256-${hash}'`)
    .replaceAll('__GENERATOR__', generator)
    .replace('\n/*__PAGE_SCRIPT__*/\n', () => inline);
}

async function main(args) {
  const page = await buildPage();
  if (args[0] === '--check') {
    let committed = '';
    try {
      committed = readFileSync(COMMITTED, 'utf8');
    } catch {
      fail(`${COMMITTED} is missing: run \`node build-page.mjs\``);
    }
    if (committed !== page) fail(`${COMMITTED} differs from a fresh build: run \`node build-page.mjs\` and commit it`);
    return;
  }
  const out = args[0] === '--out' ? resolve(args[1] ?? fail('--out needs a file')) : COMMITTED;
  const temporary = `${out}.partial`;
  writeFileSync(temporary, page, 'utf8');
  renameSync(temporary, out); // a reader never sees half a page
  process.stdout.write(`wrote ${out} (${Buffer.byteLength(page)} bytes)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
