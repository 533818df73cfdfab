// The verification page's behaviour: read the bundle file the user picks or drops, run the
// JavaScript verifier on its bytes in this browser, and show what `wording.mjs` makes of the
// report. Nothing is uploaded: the only requests the page makes are the JSON-RPC queries the
// verifier sends to the chain node the user typed, if any. The log key and witness keys the
// user enters are the ones the checkpoint note step checks the bundle's signed checkpoint
// and its cosignatures with (docs/PROTOCOL.md §10.8).
//
// Everything taken from the bundle is put into the page as text (textContent), never as
// markup: a bundle is untrusted input.

import { sha256, toHex } from '../bytes.mjs';
import { WitnessTrustInvalid, witnessTrust } from '../checkpoint_note.mjs';
import { jsonRpcClient } from '../rpc.mjs';
import { verify, verifyBundle } from '../verify.mjs';
import { EN, ZH, pick } from './language.mjs';
import { BASIS_TAGS, describe } from './wording.mjs';

const UI = {
  title: ['证据包核验', 'Verify an evidence bundle'],
  subtitle: ['evanchor 区块链存证 · 在您的浏览器中独立核验', 'evanchor blockchain evidence · checked independently in your browser'],
  intro: [
    '选择 evanchor 出具的证据包文件（.json）。核验完全在本浏览器中进行：文件不会上传到任何地方，也不询问出具证据的节点；本页面自己重新计算每一项哈希。',
    'Choose an evidence bundle file (.json) issued by evanchor. The check runs entirely in this browser: the file is not uploaded anywhere and the node that issued it is not asked; this page recomputes every hash itself.',
  ],
  chainIntro: [
    '如需确认证据已写入区块链，请填写您从可信来源取得的区块链节点地址（RPC URL），或锚定区块的哈希。两者都不填时，只做离线检查。',
    'To confirm the evidence is on the chain, enter the address (RPC URL) of a chain node you got from a source you trust, or the anchoring block\'s hash. With neither, only the offline checks run.',
  ],
  fileLabel: ['证据包文件', 'Bundle file'],
  choose: ['选择文件', 'Choose file'],
  drop: ['或将文件拖放到此处', 'or drop the file here'],
  noFile: ['尚未选择文件', 'no file chosen'],
  rpcLabel: ['区块链节点地址（可选）', 'Chain node address (optional)'],
  rpcHint: ['例如 http://127.0.0.1:8545', 'for example http://127.0.0.1:8545'],
  hashLabel: ['可信区块哈希（可选）', 'Trusted block hash (optional)'],
  hashHint: ['64 位十六进制数字', '64 hex digits'],
  witnessIntro: [
    '如需核对检查点是否经独立见证人联署，请填写您从可信来源（例如日志的公示、见证人本身）取得的日志公钥和见证人公钥（C2SP 格式：名称+密钥标识+base64）。不填时，见证不予核对。',
    'To check whether independent witnesses cosigned the checkpoint, enter the log key and the witness keys you got from a source you trust (the log\'s publication, the witnesses themselves), in C2SP form (name+key ID+base64). Left empty, witnessing is not checked.',
  ],
  logKeyLabel: ['日志公钥（可选）', 'Log key (optional)'],
  logKeyHint: ['例如 evanchor/7107/0x…/0x…+1a2b3c4d+AU…', 'for example evanchor/7107/0x…/0x…+1a2b3c4d+AU…'],
  witnessKeysLabel: ['见证人公钥（可选，每行一个）', 'Witness keys (optional, one a line)'],
  witnessKeysHint: ['例如 court1.example/witness+96e8fe56+BH…', 'for example court1.example/witness+96e8fe56+BH…'],
  policyLabel: ['见证策略：至少几个见证人联署（可选，默认全部）', 'Witness policy: how many must have cosigned (optional; default all)'],
  policyHint: ['例如 2', 'for example 2'],
  verify: ['开始核验', 'Verify'],
  running: ['正在核验……', 'Verifying…'],
  other: ['English', '中文'],
  technical: ['核验程序的原始输出（英文，供技术人员参考）', "The verifier's own output (for engineers)"],
  print: ['打印本页', 'Print this page'],
  footer: [
    '本页面内含一个独立的 JavaScript 核验程序（evanchor anchor/verify/js），按公开的协议文档 docs/PROTOCOL.md 编写，可离线打开。',
    'This page holds an independent JavaScript verifier (evanchor anchor/verify/js), written from the published protocol document docs/PROTOCOL.md; it works opened from a file.',
  ],
  needFile: ['请先选择证据包文件。', 'Choose a bundle file first.'],
  badUrl: ['节点地址须以 http:// 或 https:// 开头。', 'The node address must start with http:// or https://.'],
  badHash: ['区块哈希应为 64 位十六进制数字（可带 0x 前缀）。', 'The block hash must be 64 hex digits (0x in front is allowed).'],
  both: ['节点地址与区块哈希只需填写其中一项。', 'Enter either a node address or a block hash, not both.'],
  badPolicy: ['见证策略应为一个正整数。', 'The witness policy must be a whole number of at least 1.'],
  '--log-key': ['日志公钥有误：', 'The log key is not usable: '],
  '--witness-key': ['见证人公钥有误：', 'A witness key is not usable: '],
  '--witness-policy': ['见证策略有误：', 'The witness policy is not usable: '],
  checks: ['检查内容：', 'Checks: '],
  crash: ['核验程序未能完成（这不是核验结论）：', 'The verifier could not finish (this is no outcome): '],
  notRun: ['此后的步骤未执行：第一个不符之处已足以说明证据不成立。', 'The later steps were not run: the first mismatch is enough to show the evidence fails.'],
};

const state = { lang: ZH, file: null, result: null };
const $ = (id) => document.getElementById(id);
const ui = (key) => pick(state.lang, ...UI[key]);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.title = `${ui('title')} · evanchor`;
  for (const node of document.querySelectorAll('[data-ui]')) node.textContent = ui(node.dataset.ui);
  $('rpc').placeholder = ui('rpcHint');
  $('block-hash').placeholder = ui('hashHint');
  $('log-key').placeholder = ui('logKeyHint');
  $('witness-keys').placeholder = ui('witnessKeysHint');
  $('witness-policy').placeholder = ui('policyHint');
  $('file-name').textContent = state.file ? state.file.name : ui('noFile');
}

function renderStatement(s) {
  const row = el('div', { class: `statement basis-${s.basis.replace(' ', '-')}`, 'data-basis': s.basis });
  row.append(el('div', { class: 'label', text: s.label }));
  const value = el('div', { class: 'value' });
  const text = el('span', { class: 'text' });
  if (s.mono && s.basis === 'record') {
    text.classList.add('mono'); // the record's own digests (attachments), every line
    text.textContent = s.text;
  } else if (s.mono) {
    // A digest or address, then (after a line break) words about it in the text face.
    const [code, ...words] = s.text.split('\n');
    text.append(el('span', { class: 'mono', text: code }));
    if (words.length > 0) text.append(`\n${words.join('\n')}`);
  } else {
    text.textContent = s.text;
  }
  value.append(text);
  const tag = BASIS_TAGS[s.basis];
  if (tag) value.append(el('span', { class: 'tag', text: pick(state.lang, ...tag) }));
  row.append(value);
  return row;
}

function renderSteps(steps) {
  const list = el('ol', { class: 'steps', id: 'steps' });
  for (const s of steps) {
    const item = el('li', { class: `step step-${s.status}`, 'data-step': s.name, 'data-status': s.status });
    const head = el('div', { class: 'step-head' });
    head.append(el('span', { class: 'step-name', text: s.label }), el('span', { class: 'step-status', text: s.statusText }));
    item.append(head, el('div', { class: 'step-what', text: ui('checks') + s.what }));
    if (s.detail) item.append(el('div', { class: 'step-detail mono', text: s.detail }));
    list.append(item);
  }
  return list;
}

function renderResult() {
  const out = $('result');
  out.replaceChildren();
  const result = state.result;
  if (!result) return;
  const view = describe({ ...result, lang: state.lang });
  const banner = el('div', { id: 'outcome', class: `outcome tone-${view.tone}`, 'data-outcome': view.outcome });
  banner.append(el('div', { class: 'headline', text: view.headline }), el('div', { class: 'lead', text: view.lead }));
  out.append(banner);
  for (const s of view.sections) {
    const part = el('section', { class: `part part-${s.key}`, 'data-section': s.key });
    part.append(el('h2', { text: s.title }));
    if (s.note) part.append(el('p', { class: 'note', text: s.note }));
    if (s.steps) {
      part.append(renderSteps(s.steps));
      if (s.steps.some((step) => step.status === 'failed')) part.append(el('p', { class: 'note', text: ui('notRun') }));
    } else if (s.ordered) {
      const list = el('ol', { class: 'guide' });
      for (const st of s.statements) list.append(el('li', { class: 'statement-guide', 'data-basis': st.basis, text: st.text }));
      part.append(list);
    } else {
      for (const st of s.statements) part.append(renderStatement(st));
    }
    out.append(part);
  }
  const technical = el('details', { class: 'technical' });
  technical.append(el('summary', { text: ui('technical') }), el('pre', { class: 'mono', id: 'summary', text: [view.technical.summary, ...view.technical.notes].join('\n') }));
  out.append(technical, el('button', { type: 'button', class: 'print', id: 'print', text: ui('print') }));
  $('print').addEventListener('click', () => window.print());
}

function showError(key, detail = '') {
  const line = $('input-error');
  line.textContent = key ? ui(key) + detail : '';
  line.hidden = !key;
}

/** The keys and policy typed, checked as the verifier will use them: { trust } or { error, detail }. */
function witnessOptions() {
  const logKeys = $('log-key').value.split(/\s+/).filter(Boolean);
  const witnessKeys = $('witness-keys').value.split(/\s+/).filter(Boolean);
  const policyText = $('witness-policy').value.trim();
  if (policyText && !/^[1-9][0-9]{0,3}$/.test(policyText)) return { error: 'badPolicy' };
  try {
    const now = Math.floor(Date.now() / 1000);
    return { trust: witnessTrust({ logKeys, witnessKeys, policy: policyText ? Number(policyText) : undefined, now }) };
  } catch (error) {
    if (error instanceof WitnessTrustInvalid) return { error: error.option, detail: pick(state.lang, `（技术细节：${error.reason}）`, error.reason) };
    throw error;
  }
}

function chainOptions() {
  const rpc = $('rpc').value.trim();
  const blockHash = $('block-hash').value.trim().toLowerCase().replace(/^0x/, '');
  if (rpc && blockHash) return { error: 'both' };
  if (rpc && !/^https?:\/\/\S+$/i.test(rpc)) return { error: 'badUrl' };
  if (blockHash && !/^[0-9a-f]{64}$/.test(blockHash)) return { error: 'badHash' };
  return { rpc: rpc || undefined, blockHash: blockHash || undefined };
}

function parseForDisplay(bytes) {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined; // the verifier's report names what is wrong with it
  }
}

async function run() {
  showError(null);
  if (!state.file) return showError('needFile');
  const chain = chainOptions();
  if (chain.error) return showError(chain.error);
  const witness = witnessOptions();
  if (witness.error) return showError(witness.error, witness.detail ?? '');
  document.body.dataset.state = 'running';
  $('verify').disabled = true;
  $('running').hidden = false;
  try {
    const { name, bytes } = state.file;
    // One client for the file and each of a case bundle's records: its answers are shared.
    const options = { rpc: chain.rpc ? jsonRpcClient(chain.rpc) : undefined, trustedBlockHash: chain.blockHash, trust: witness.trust };
    const report = await verify(bytes, options);
    const bundle = parseForDisplay(bytes);
    let records = [];
    if (report.outcome === 'VERIFIED' && bundle?.format === 'evanchor/case-bundle' && Array.isArray(bundle.records)) {
      for (const record of bundle.records) {
        // A shredded record (a later protocol's) has a leaf and no text: nothing to show.
        const shredded = record?.format === 'evanchor/shredded-record';
        // The case bundle carries the checkpoint note and its report says what it established.
        records.push({ bundle: record, report: shredded ? null : await verifyBundle(record, { ...options, noteStep: false }), shredded });
      }
    } else if (report.outcome === 'VERIFIED') {
      records = [{ bundle, report }];
    }
    state.result = { report, bundle, records, file: { name, sha256: toHex(sha256(bytes)) }, source: { rpc: chain.rpc, blockHash: chain.blockHash, logKeys: witness.trust.logKeys.length, witnessKeys: witness.trust.witnessKeys.length } };
    renderResult();
  } catch (error) {
    state.result = null;
    renderResult();
    $('input-error').textContent = ui('crash') + String(error?.message ?? error);
    $('input-error').hidden = false;
  } finally {
    $('verify').disabled = false;
    $('running').hidden = true;
    document.body.dataset.state = 'done';
  }
}

async function choose(file) {
  if (!file) return;
  state.file = { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  state.result = null;
  renderStatic();
  renderResult();
  await run();
}

function start() {
  $('language').addEventListener('click', () => {
    state.lang = state.lang === ZH ? EN : ZH;
    renderStatic();
    renderResult();
  });
  $('file').addEventListener('change', (event) => choose(event.target.files[0]));
  $('verify').addEventListener('click', () => run());
  const zone = $('drop');
  for (const name of ['dragenter', 'dragover']) {
    document.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
  }
  document.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    choose(event.dataTransfer?.files?.[0]);
  });
  renderStatic();
  document.body.dataset.state = 'ready';
}

start();
