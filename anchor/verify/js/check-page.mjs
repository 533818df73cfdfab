#!/usr/bin/env node
// Opens the verification page from a file in a real headless Chromium (Debian's, driven by
// Playwright's core library, which downloads no browser), gives it bundle files as a person
// would (file chooser, chain node address, block hash, language toggle) and prints what the
// page then shows, as JSON: the demo and tests/verify_page use it.
//
//   node check-page.mjs PAGE.html BUNDLE.json [--rpc URL] [--block-hash HEX] [--lang en]
//                       [--log-key VKEY] [--witness-key VKEY ...] [--witness-policy K]
//                       [--screenshot FILE.png]
//   node check-page.mjs PAGE.html --cases CASES.json
//       CASES.json: [{ "name", "bundle", "rpc"?, "blockHash"?, "lang"?, "screenshot"?,
//                      "toggle"?, "logKey"?, "witnessKeys"?: [VKEY], "witnessPolicy"? }]
//       (toggle: switch the language once the result is shown; the keys are typed into the
//       page's log key, witness keys (one a line) and policy fields)
//
// One JSON line per case: { name, outcome, headline, lead, lang, steps: [{ step, status,
// label, statusText, text }], sections: [{ key, title, statements: [{ label, text, basis }] }], text,
// inputError, requests: [{ url, method, postData }], errors }. `requests` are every request
// the page made after it loaded (the page file itself excluded): a page that verifies in the
// browser makes none but its JSON-RPC calls. Exit status 0, or 2 on a usage error.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TIMEOUT_MS = 90_000;

function usage(message) {
  process.stderr.write(`check-page.mjs: ${message}\nusage: node check-page.mjs PAGE.html (BUNDLE.json [--rpc URL] [--block-hash HEX] [--lang en] [--log-key VKEY] [--witness-key VKEY ...] [--witness-policy K] [--screenshot PNG] | --cases CASES.json)\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const [pagePath, ...rest] = argv;
  if (!pagePath) usage('no page given');
  const one = { name: 'bundle' };
  let casesFile;
  const value = (i) => rest[i + 1] ?? usage(`${rest[i]} needs a value`);
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (arg === '--cases') casesFile = value(i++);
    else if (arg === '--rpc') one.rpc = value(i++);
    else if (arg === '--block-hash') one.blockHash = value(i++);
    else if (arg === '--lang') one.lang = value(i++);
    else if (arg === '--screenshot') one.screenshot = value(i++);
    else if (arg === '--log-key') one.logKey = value(i++);
    else if (arg === '--witness-key') one.witnessKeys = [...(one.witnessKeys ?? []), value(i++)];
    else if (arg === '--witness-policy') one.witnessPolicy = value(i++);
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (one.bundle === undefined) one.bundle = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (casesFile) return { pagePath, cases: JSON.parse(readFileSync(casesFile, 'utf8')) };
  if (!one.bundle) usage('no bundle given');
  return { pagePath, cases: [one] };
}

/** What the page shows, read from its DOM. */
function readPage() {
  const text = (node) => (node ? node.textContent.trim() : null);
  const outcome = document.getElementById('outcome');
  const error = document.getElementById('input-error');
  return {
    lang: document.documentElement.lang,
    outcome: outcome ? outcome.dataset.outcome : null,
    headline: text(outcome?.querySelector('.headline')),
    lead: text(outcome?.querySelector('.lead')),
    steps: [...document.querySelectorAll('#steps > li')].map((li) => ({ step: li.dataset.step, status: li.dataset.status, label: text(li.querySelector('.step-name')), statusText: text(li.querySelector('.step-status')), text: li.innerText })),
    sections: [...document.querySelectorAll('#result section')].map((s) => ({
      key: s.dataset.section,
      title: text(s.querySelector('h2')),
      statements: [...s.querySelectorAll('.statement, .statement-guide')].map((st) => (st.classList.contains('statement') ? { label: text(st.querySelector('.label')), text: text(st.querySelector('.text')), basis: st.dataset.basis } : { label: null, text: text(st), basis: st.dataset.basis })),
    })),
    text: document.body.innerText,
    inputError: error && !error.hidden ? error.textContent : null,
  };
}

async function runCase(context, pageUrl, c) {
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  try {
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-state="ready"]', { timeout: TIMEOUT_MS });
    page.on('request', (request) => requests.push({ url: request.url(), method: request.method(), postData: request.postData() }));
    if (c.lang === 'en') await page.click('#language');
    if (c.rpc) await page.fill('#rpc', c.rpc);
    if (c.blockHash) await page.fill('#block-hash', c.blockHash);
    if (c.logKey) await page.fill('#log-key', c.logKey);
    if (c.witnessKeys) await page.fill('#witness-keys', c.witnessKeys.join('\n'));
    if (c.witnessPolicy !== undefined) await page.fill('#witness-policy', String(c.witnessPolicy));
    await page.setInputFiles('#file', resolve(c.bundle));
    await page.waitForFunction(() => (document.body.dataset.state === 'done' && document.getElementById('outcome')) || !document.getElementById('input-error').hidden, null, { timeout: TIMEOUT_MS });
    if (c.toggle) await page.click('#language');
    if (c.screenshot) await page.screenshot({ path: resolve(c.screenshot), fullPage: true });
    return { name: c.name, ...(await page.evaluate(readPage)), requests, errors };
  } finally {
    await page.close();
  }
}

async function main() {
  const { pagePath, cases } = parseArgs(process.argv.slice(2));
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'evanchor-page-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1040, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'America/New_York', // the page's times must not depend on the browser's zone
  });
  try {
    const pageUrl = pathToFileURL(resolve(pagePath)).href;
    for (const c of cases) process.stdout.write(`${JSON.stringify(await runCase(context, pageUrl, c))}\n`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
