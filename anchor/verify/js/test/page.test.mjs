// The verification page's wording (page/wording.mjs) follows the verifier's report alone:
// what is tagged verified is what the report proves, the tail of a case is complete only if
// a completeness step passed, an assurance level is shown only when the report has one, and
// no content is shown unless the outcome is VERIFIED. Reports here are made by hand, shaped
// as verify.mjs makes them; tests/verify_page runs the page on real bundles in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateNumber, describe, stepList } from '../page/wording.mjs';

const RECORD = {
  kind: 'collection_checkpoint',
  case_id: 'C-1',
  agency: '91310115MA1K3TQ00E',
  debtor_ref: 'dbt:1',
  event: 'payment',
  occurred_at: '2026-11-19T08:31:07Z',
  channel: 'app',
  operator_id: 'op-1',
  amount: { minor_units: 500000, currency: 'CNY' },
};
const BUNDLE = {
  format: 'evanchor/proof-bundle',
  record: RECORD,
  commitment: 'aa'.repeat(32),
  leaf_hash: 'bb'.repeat(32),
  leaf_index: 4,
  leaf: { agency: RECORD.agency, case: 'collection/C-1', prev: 3, accepted_at: '2026-11-19T08:31:08.000Z' },
  checkpoint: { seq: 0, size: 7, root: 'cc'.repeat(32), sealed_at: '2026-11-19T08:31:09.000Z' },
  anchor: { tx_hash: 'dd'.repeat(32) },
};
const FILE = { name: 'b.json', sha256: 'ef'.repeat(32) };
const STEPS = ['format', 'record', 'commitment', 'leaf', 'inclusion', 'case link', 'anchor', 'signature'];
const ok = (names) => names.map((step) => ({ step, status: 'ok', ok: true, detail: `${step} detail` }));

function verified(tiedTo, extra = {}) {
  const proven = {
    record_id: '11'.repeat(32),
    included: { leaf_index: 4, size: 7, root: 'cc'.repeat(32) },
    anchored: { chain_id: 7, contract: '0xC0', writer: '0xW', block_number: 9, block_hash: '22'.repeat(32), block_timestamp: 1764900000, tied_to: tiedTo },
    signer: '0xS',
    agency_registered: tiedTo === 'chain' ? true : null,
    claims: { accepted_at: BUNDLE.leaf.accepted_at, sealed_at: BUNDLE.checkpoint.sealed_at, seq: 0 },
  };
  return { outcome: 'VERIFIED', valid: true, steps: ok(STEPS), summary: 'VERIFIED: …', proven, ...extra };
}

const view = (report, lang = 'zh-CN', bundle = BUNDLE, records = [{ bundle, report }], source = {}) => describe({ report, bundle, records, lang, file: FILE, source });
const said = (v, key) => Object.fromEntries(v.sections.filter((s) => s.key === key).flatMap((s) => s.statements).map((s) => [s.label, s]));

test('against the chain: the block and its time verified, the time itself the sealer\'s claim', () => {
  const v = view(verified('chain'), 'zh-CN', BUNDLE, undefined, { rpc: 'http://127.0.0.1:1' });
  assert.equal(v.headline, '核验结论：已验证（VERIFIED）');
  assert.equal(said(v, 'outcome')['核验依据'].basis, 'verified');
  assert.equal(said(v, 'time')['最迟存在时间'].basis, 'verified');
  assert.match(said(v, 'time')['最迟存在时间'].text, /^2025-12-05 10:00:00 北京时间（UTC 2025-12-05 02:00:00）/);
  assert.equal(said(v, 'time')['谁担保这一时间'].basis, 'claim');
  assert.equal(said(v, 'submitter')['密钥登记'].basis, 'verified');
  assert.equal(said(v, 'chain')['锚定交易'].basis, 'verified');
  assert.equal(said(v, 'record')['金额'].text, '人民币 5,000.00 元');
  assert.equal(v.sections.map((s) => s.title)[0], '一、核验结论');
});

test('offline: the bundle\'s own block proves no chain, no time and no registration', () => {
  const v = view(verified('own block hash'));
  assert.equal(said(v, 'outcome')['核验依据'].basis, 'not proven');
  assert.equal(said(v, 'time')['最迟存在时间'].basis, 'not proven');
  assert.equal(said(v, 'submitter')['密钥登记'].basis, 'not proven');
  assert.equal(said(v, 'chain')['区块哈希'].basis, 'not proven');
  assert.equal(said(v, 'chain')['链标识（chain id）'].basis, 'claim');
  assert.equal(said(v, 'chain')['锚定交易'].basis, 'claim');
});

test('an assurance level is shown when, and as, the report gives it', () => {
  assert.equal(said(view(verified('chain')), 'outcome')['保证级别'], undefined);
  const level = said(view(verified('chain', { assurance: 'anchored+signed+registered' })), 'outcome')['保证级别'];
  assert.equal(level.basis, 'verified');
  assert.match(level.text, /^已锚定、签名并登记（anchored\+signed\+registered）/);
  const lower = view({ ...verified('chain', { assurance: 'log-only' }), proven: { ...verified('chain').proven, anchored: null } });
  assert.match(said(lower, 'outcome')['保证级别'].text, /^仅日志（log-only）/);
  assert.equal(said(lower, 'outcome')['核验依据'].basis, 'not proven'); // anchor present, not tied
  assert.equal(said(lower, 'time')['最迟存在时间'].basis, 'not proven');
});

test("a case's tail is complete only if the verifier's completeness step passed", () => {
  const caseBundle = { format: 'evanchor/case-bundle', case: 'collection/C-1', checkpoint: BUNDLE.checkpoint, records: [BUNDLE, BUNDLE] };
  const records = caseBundle.records.map((bundle) => ({ bundle, report: verified('chain') }));
  const v1 = { outcome: 'VERIFIED', steps: ok(['format', 'record 0', 'record 1']), summary: '', proven: null };
  const tail = said(view(v1, 'zh-CN', caseBundle, records), 'completeness');
  assert.equal(tail['未证明'].basis, 'not proven');
  assert.equal(tail['直至检查点'], undefined);
  const v2 = { ...v1, steps: ok(['format', 'seal', 'case index', 'record 0', 'record 1', 'case chain', 'completeness']) };
  const complete = said(view(v2, 'zh-CN', caseBundle, records), 'completeness');
  assert.equal(complete['直至检查点'].basis, 'verified');
  assert.equal(complete['封存时是否如实计入'].basis, 'not proven'); // PROTOCOL.md §6.5: the audit's to show
  const titles = view(v2, 'en', caseBundle, records).sections.map((s) => s.title);
  assert.deepEqual(titles.filter((t) => t.includes('What the record says')), ['2. What the record says (record 1 of 2): Debt-collection record: payment', '2. What the record says (record 2 of 2): Debt-collection record: payment']);
  assert.equal(titles.at(-1), '9. How anyone can check it');
});

test('no content of a bundle that does not verify, and the three outcomes worded apart', () => {
  const failed = { outcome: 'NOT VERIFIED', steps: [...ok(['format', 'record']), { step: 'commitment', status: 'failed', detail: 'x' }], summary: '', proven: null };
  const cannot = { outcome: 'CANNOT VERIFY', steps: [...ok(STEPS.slice(0, 6)), { step: 'anchor', status: 'cannot', detail: 'y' }], summary: '', proven: null };
  for (const report of [failed, cannot]) {
    for (const lang of ['zh-CN', 'en']) {
      const v = view(report, lang);
      assert.deepEqual(v.sections.map((s) => s.key), ['outcome', 'checks']);
      assert.ok(!JSON.stringify(v).includes('op-1'));
    }
  }
  assert.equal(view(failed).tone, 'bad');
  assert.equal(view(cannot).tone, 'cannot');
  assert.match(said(view(failed), 'outcome')['结论'].text, /^未通过核验（NOT VERIFIED）：第 3 步“承诺值”不符/);
  assert.match(said(view(cannot), 'outcome')['结论'].text, /^无法核验（CANNOT VERIFY）：第 7 步“区块链锚定”需要区块链作答/);
  assert.equal(said(view(cannot), 'outcome')['对应的证书编号'].text.slice(0, 27), 'EA-efef-efef-efef-efef-efef');
});

test('steps in words, a case bundle\'s records numbered from 1', () => {
  const steps = stepList({ steps: [{ step: 'record 2', status: 'failed', detail: 'inclusion: the proof gives root …' }, { step: 'anchor', status: 'skipped', detail: 'not anchored' }] }, 'zh-CN');
  assert.deepEqual(steps.map((s) => [s.number, s.label, s.statusText, s.what]), [
    [1, '第 3 条记录', '不符', '该条记录在“包含证明”一步不符'],
    [2, '区块链锚定', '未做', '证据包中没有区块链锚定证据'],
  ]);
  assert.equal(certificateNumber('1aca2a8e699ff32ee53d8cd6fec755c1'), 'EA-1aca-2a8e-699f-f32e-e53d');
});

test('witnessing: stated only as the report establishes it; the k-th earliest time verified', () => {
  const cosignatures = [{ witness: 'b.example/w', key: 'b.example/w+00000002', timestamp: 1764900010 }, { witness: 'a.example/w', key: 'a.example/w+00000001', timestamp: 1764900020 }];
  const checked = { checked: true, note: true, log_key: 'log+0000000f', policy: 2, trusted: ['a.example/w', 'b.example/w'], cosignatures, witnessed_at: 1764900020 };
  const time = (witnessing, lang = 'zh-CN') => view(verified('chain', { witnessing }), lang).sections.find((s) => s.key === 'time').statements;
  const rows = time(checked);
  const vouched = rows.find((s) => s.label === '最迟存在时间（独立见证）');
  assert.equal(vouched.basis, 'verified');
  assert.match(vouched.text, /^2025-12-05 10:00:20 北京时间（UTC 2025-12-05 02:00:20）\n按您设定的见证策略（您信任的 2 个见证人中至少 2 个联署），取第 2 早的联署时间/);
  assert.deepEqual(rows.filter((s) => s.label === '见证人联署').map((s) => [s.text.split('\n')[0], s.basis]), [['b.example/w', 'verified'], ['a.example/w', 'verified']]);
  assert.equal(rows.find((s) => s.label === '联署不证明什么').basis, 'not proven');
  assert.equal(rows.find((s) => s.label === '日志签名').basis, 'verified');
  assert.ok(!rows.some((s) => s.label === '独立见证'));
  assert.match(time(checked, 'en').find((s) => s.label === 'Existed no later than (witnessed)').text, /the 2nd earliest cosignature time/);
  // Not checked: never worded as witnessed, whatever cosignatures the bundle carries.
  for (const [witnessing, words] of [[undefined, /未附带检查点签名说明/], [{ checked: false, note: true, log_key: null, policy: 0, trusted: [], cosignatures: [], witnessed_at: null }, /未填写日志公钥与见证人公钥/], [{ checked: false, note: true, log_key: 'log+0000000f', policy: 0, trusted: [], cosignatures: [], witnessed_at: null }, /未填写见证人公钥/]]) {
    const unchecked = time(witnessing);
    const row = unchecked.find((s) => s.label === '独立见证');
    assert.equal(row.basis, 'not proven');
    assert.match(row.text, words);
    assert.ok(!unchecked.some((s) => s.label === '见证人联署' || s.label === '最迟存在时间（独立见证）'));
  }
});

test('an unmet witness policy is NOT VERIFIED, not worded as an altered bundle', () => {
  const steps = [...ok(STEPS), { step: 'checkpoint note', status: 'failed', ok: false, check: 'witness policy', detail: 'witness policy: 2 of 2 trusted witnesses required, cosigned by a; no cosignature from b' }];
  const v = view({ outcome: 'NOT VERIFIED', valid: false, steps, summary: 'NOT VERIFIED', proven: null });
  const outcome = said(v, 'outcome');
  assert.match(outcome['结论'].text, /未达到您设定的见证策略/);
  assert.doesNotMatch(outcome['结论'].text, /已被改动/);
  assert.match(outcome['下一步'].text, /见证策略/);
  assert.deepEqual(v.sections.map((s) => s.key), ['outcome', 'checks']);
  const tampered = view({ outcome: 'NOT VERIFIED', valid: false, steps: [...ok(STEPS), { ...steps.at(-1), check: 'cosignature', detail: 'cosignature: b: does not verify' }], summary: 'NOT VERIFIED', proven: null });
  assert.match(said(tampered, 'outcome')['结论'].text, /文件已被改动/);
});
