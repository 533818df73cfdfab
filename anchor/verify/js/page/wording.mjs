// What the page says about a verification, in plain words: built from the JavaScript
// verifier's report ({ outcome, steps, summary, proven, assurance?, notes? }) and nothing
// else, so that no sentence is stronger than what the verifier established.
//
// It follows the certificate (anchor/report, docs/CERTIFICATE.md): numbered parts, each
// statement tagged by its basis: verified (established by this verification), claim
// (someone's statement it could not check; the text says whose), not proven (what it does
// not establish), or none for the record's own words and for guidance. A bundle that does not
// verify gets its outcome and its steps, never its content.
//
//   describe({ report, bundle, records, lang, file, source }) → view
//     report   the verifier's report of the file (verify()); its `witnessing` is what the
//              checkpoint note step established (checked only with the keys the user gave)
//     bundle   the file's parsed JSON, or undefined when it is not JSON
//     records  [{ bundle, report }] per record: a proof bundle's own; a case bundle's records,
//              each verified by verifyBundle (only when the case bundle is VERIFIED)
//     file     { name, sha256 }: the file as read, its SHA-256 computed in the browser
//     source   { rpc?: URL, blockHash?: hex, logKeys?: n, witnessKeys?: n }: what the user asked
//              the anchor be checked against, and how many keys were given
//   view: { outcome, tone, headline, lead, sections: [{ key, title, note, statements?, steps?, ordered? }] }
//     (ordered: the statements are numbered guidance, to be shown as a list)
//     statement: { label, text, basis, mono }
//     step: { number, name, label, status, statusText, what, detail }

import { dualEpoch, dualTimestamp, pick } from './language.mjs';
import { recordRows, recordTitle } from './record_view.mjs';

export const OUTCOMES = Object.freeze({ VERIFIED: 'VERIFIED', NOT_VERIFIED: 'NOT VERIFIED', CANNOT_VERIFY: 'CANNOT VERIFY' });

export const BASIS = Object.freeze({ VERIFIED: 'verified', CLAIM: 'claim', NOT_PROVEN: 'not proven', RECORD: 'record', GUIDE: 'guide' });
/** The tag shown beside a statement; record content and guidance carry none. */
export const BASIS_TAGS = {
  verified: ['已核验', 'verified'],
  claim: ['仅为声明', 'claim only'],
  'not proven': ['未证明', 'not proven'],
};

// The verifier's steps in words: anchor/report/integrity.py's tables, and the steps of a
// later protocol (seal, case index, case chain, completeness) so that a newer verifier's
// report still reads in words.
export const STEP_NAMES = {
  format: ['格式', 'Format'],
  record: ['记录内容', 'Record'],
  commitment: ['承诺值', 'Commitment'],
  leaf: ['日志叶', 'Leaf'],
  inclusion: ['包含证明', 'Inclusion'],
  'case link': ['案件链接', 'Case link'],
  seal: ['检查点封存叶', 'Seal leaf'],
  'case index': ['案件索引', 'Case index'],
  'case chain': ['案件链接', 'Case chain'],
  completeness: ['完整性', 'Completeness'],
  anchor: ['区块链锚定', 'Anchor'],
  signature: ['提交方签名', 'Signature'],
  'checkpoint note': ['检查点签名与见证', 'Checkpoint signature and witnesses'],
};
export const STEP_CHECKS = {
  format: ['证据包的格式与版本可识别，各项齐全', "the bundle's format and version are known"],
  record: ['记录符合其数据格式（字段、类型、统一社会信用代码校验位）', "the record is valid under its schema (fields, types, the credit code's check character)"],
  commitment: ['由记录原文与随机盐重新计算承诺值，与证据包所载一致', "the commitment, recomputed from the record and its salt, is the bundle's"],
  leaf: ['日志叶（承诺值、记录类型、机构、案件、节点接收时间、前一条记录）的哈希与证据包一致', "the log leaf (commitment, kind, agency, case, acceptance time, previous record) hashes to the bundle's leaf hash"],
  inclusion: ['由包含证明从叶哈希算出检查点的根（RFC 9162 默克尔树）', "the inclusion proof leads from the leaf hash to the checkpoint's root (RFC 9162)"],
  'case link': ['叶中的案件链接与证据包一致', "the leaf's case link is the bundle's"],
  seal: ['检查点的最后一个叶是其封存叶，所载序号、大小与封存时间与检查点一致', "the checkpoint's last leaf is its seal leaf, with the checkpoint's number, size and sealing time"],
  'case index': ['案件在检查点案件索引中的条目（记录数与最后一条）包含在封存叶所载的根中', "the case's entry in the checkpoint's case index (record count, last record) is under the root the seal leaf holds"],
  'case chain': ['各条记录依次相连，第一条之前没有记录', 'the records link one to the next, the first to none'],
  completeness: ['所示记录数与最后一条与案件索引一致', 'the records shown are as many as the case index says, ending at its last'],
  anchor: ['检查点（树大小与根）存于锚定合约在该区块的状态中（区块头、账户证明、存储证明）', "the checkpoint (size and root) is in the anchor contract's state at the block (header, account and storage proofs)"],
  signature: ['提交方对承诺值的签名可恢复出签名密钥地址', "the submitter's signature over the commitment recovers to the signing key's address"],
  'checkpoint note': ['证据包附带的检查点签名说明（signed note）所载的检查点正是本证据包的检查点；填写了公钥时，再核验日志的签名、各受信任见证人的联署（C2SP cosignature/v1）及见证策略', "the bundle's signed checkpoint is this bundle's checkpoint; with the keys you gave, also the log's signature, each trusted witness's cosignature (C2SP cosignature/v1) and the witness policy"],
};
export const SKIPPED = {
  anchor: ['证据包中没有区块链锚定证据', 'the bundle has no chain evidence'],
  signature: ['证据包中没有提交方签名', "the bundle has no submitter's signature"],
  'checkpoint note': ['证据包未附带检查点的签名说明（signed note）：检查点的见证情况未核验', "the bundle carries no signed checkpoint note: the checkpoint's witnessing was not checked"],
};
/** The assurance level a verifier reports (when it reports one), as the certificate words it. */
export const LEVELS = {
  'log-only': ['仅日志（log-only）：检查点未与任何区块链核对，只说明证据包自身一致', 'log-only: the checkpoint was checked against no chain; the bundle is only shown consistent in itself'],
  anchored: ['已锚定（anchored）：检查点已与区块链核对', 'anchored: the checkpoint was checked against the chain'],
  'anchored+signed': ['已锚定并签名（anchored+signed）：另有提交方签名；签名密钥是否为登记机构未核对', "anchored+signed: and signed by the submitter's key; whether that key was the registered agency's was not checked"],
  'anchored+signed+registered': ['已锚定、签名并登记（anchored+signed+registered）：签名密钥在锚定区块时为该机构登记的密钥', "anchored+signed+registered: the signing key was the agency's registered key at the anchoring block"],
};

const RECORD_STEP = /^record (\d+)$/;

/** A verifier step's name in words; a case bundle's "record 0" is "第 1 条记录". */
export function stepName(name, lang) {
  const m = RECORD_STEP.exec(name);
  if (m) return pick(lang, `第 ${Number(m[1]) + 1} 条记录`, `Record ${Number(m[1]) + 1}`);
  return Object.hasOwn(STEP_NAMES, name) ? pick(lang, ...STEP_NAMES[name]) : name;
}

const CHINESE_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二'];
const statement = (label, text, basis, mono = false) => ({ label, text, basis, mono });

/** The certificate number of a file: "EA-" and the first 20 hex digits of its SHA-256. */
export function certificateNumber(sha256Hex) {
  const digits = sha256Hex.slice(0, 20);
  return `EA-${digits.match(/.{4}/g).join('-')}`;
}

// -- the steps ---------------------------------------------------------------------------------

function stepWhat(step, lang) {
  const t = (zh, en) => pick(lang, zh, en);
  if (step.status === 'skipped') return pick(lang, ...(SKIPPED[step.step] ?? ['不适用', 'not applicable']));
  const m = RECORD_STEP.exec(step.step);
  if (m) {
    if (step.status === 'ok') return t('该条记录逐项核验（格式、内容、承诺值、日志叶、包含证明、锚定、签名）并与前一条相连', 'this record verified step by step (format, content, commitment, leaf, inclusion, anchor, signature) and linked to the one before');
    const inner = /^([a-z ]+):/.exec(step.detail ?? '');
    if (inner && Object.hasOwn(STEP_NAMES, inner[1])) {
      const name = stepName(inner[1], lang);
      return step.status === 'cannot' ? t(`该条记录的“${name}”一步需要区块链作答，未能完成`, `this record's ${name.toLowerCase()} step needs the chain and could not be completed`) : t(`该条记录在“${name}”一步不符`, `this record does not match at its ${name.toLowerCase()} step`);
    }
    return step.status === 'cannot' ? t('该条记录的核验需要区块链作答，未能完成', "this record's check needs the chain and could not be completed") : t('该条记录与案件证据包的其他部分不符', 'this record does not fit the rest of the case bundle');
  }
  return Object.hasOwn(STEP_CHECKS, step.step) ? pick(lang, ...STEP_CHECKS[step.step]) : step.detail;
}

const STATUS_TEXT = {
  ok: ['通过', 'passed'],
  failed: ['不符', 'failed'],
  cannot: ['无法完成（需要区块链作答）', 'could not be completed (needs the chain)'],
  skipped: ['未做', 'not done'],
};

/** The verifier's steps as a numbered list a non-engineer reads; the technical detail apart. */
export function stepList(report, lang) {
  return report.steps.map((s, i) => ({
    number: i + 1,
    name: s.step,
    label: stepName(s.step, lang),
    status: s.status,
    statusText: pick(lang, ...(STATUS_TEXT[s.status] ?? [s.status, s.status])),
    what: stepWhat(s, lang),
    detail: s.detail ?? '',
  }));
}

// -- the verdicts ----------------------------------------------------------------------------

const HEADLINES = {
  VERIFIED: ['核验结论：已验证（VERIFIED）', 'Outcome: VERIFIED'],
  'NOT VERIFIED': ['核验结论：未通过核验（NOT VERIFIED）', 'Outcome: NOT VERIFIED'],
  'CANNOT VERIFY': ['核验结论：无法核验（CANNOT VERIFY）', 'Outcome: CANNOT VERIFY'],
};
const TONES = { VERIFIED: 'ok', 'NOT VERIFIED': 'bad', 'CANNOT VERIFY': 'cannot' };

function fileStatements(ctx) {
  const t = ctx.t;
  return [
    statement(t('证据包文件', 'Bundle file'), ctx.file.name, BASIS.RECORD),
    statement(t('文件 SHA-256（在本浏览器中计算）', 'File SHA-256 (computed in this browser)'), ctx.file.sha256, BASIS.VERIFIED, true),
    statement(t('对应的证书编号', 'Matching certificate number'), t(`${certificateNumber(ctx.file.sha256)}（同一文件的存证证书载有同一编号）`, `${certificateNumber(ctx.file.sha256)} (an evidence certificate of this same file bears this number)`), BASIS.GUIDE),
  ];
}

function whereStatement(ctx) {
  const t = ctx.t;
  const text = ctx.source.rpc
    ? t(`核验在本浏览器中完成，证据包文件没有上传到任何地方；本页面只向您填写的区块链节点 ${ctx.source.rpc} 发送了标准的只读查询。`, `The verification ran in this browser; the bundle file was not uploaded anywhere. The page sent only standard read-only queries to the chain node you named, ${ctx.source.rpc}.`)
    : t('核验在本浏览器中完成，证据包文件没有上传到任何地方，也没有连接任何网络。', 'The verification ran in this browser; the bundle file was not uploaded anywhere, and no network was used.');
  return statement(t('在哪里核验', 'Where it was checked'), text, BASIS.GUIDE);
}

function notVerified(ctx) {
  const t = ctx.t;
  const failed = ctx.report.steps.find((s) => s.status === 'failed') ?? { step: 'format', detail: '' };
  const number = ctx.report.steps.indexOf(failed) + 1;
  const words = stepName(failed.step, ctx.lang);
  const unreadable = ctx.bundle === undefined;
  const verdict = unreadable
    ? t('未通过核验（NOT VERIFIED）：该文件不是可读取的证据包（不是有效的 JSON 文本）。', 'NOT VERIFIED: this file is not a readable bundle (not valid JSON text).')
    : failed.step === 'checkpoint note'
    ? noteVerdict(ctx, failed, number, words)
    : t(`未通过核验（NOT VERIFIED）：第 ${number} 步“${words}”不符（这一步检查：${stepWhat(failed, ctx.lang)}）。证据包的内容与其自身所载的证明不一致：文件已被改动、已损坏，或不是 evanchor 出具的证据。证据包中的任何内容都不能据此视为已证明。`, `NOT VERIFIED: step ${number}, ${words.toLowerCase()}, failed (it checks that ${stepWhat(failed, ctx.lang)}). The bundle's content does not match its own proofs: the file was altered or damaged, or is not evidence issued by evanchor. Nothing in this bundle can be taken as proven.`);
  const statements = [
    statement(t('结论', 'Outcome'), verdict, BASIS.VERIFIED),
    statement(t('不符之处（技术细节）', 'What does not match (technical)'), failed.detail, BASIS.VERIFIED, true),
    ...fileStatements(ctx),
    failed.check === 'witness policy'
      ? statement(t('下一步', 'What next'), t('请核对您设定的见证策略与所填写的见证人公钥是否正确；或向出具该证据的一方索取载有更多见证人联署的证据包（节点会持续向见证人收集联署），并重新核验。本页面不展示未通过核验的证据内容。', 'Check the witness policy you set and the witness keys you entered; or ask whoever issued the evidence for a bundle carrying more witnesses\' cosignatures (the node keeps collecting them), and verify it again. This page does not show the content of evidence that does not verify.'), BASIS.GUIDE)
      : statement(t('下一步', 'What next'), t('请向出具或提交该证据的一方索取原始证据包文件，并重新核验。本页面不展示未通过核验的证据内容。', 'Ask whoever issued or submitted the evidence for the original bundle file, and verify it again. This page does not show the content of evidence that does not verify.'), BASIS.GUIDE),
  ];
  return [section(ctx, 'outcome', t('核验结论', 'Outcome'), statements)];
}

const ordinal = (k) => `${k}${k % 100 >= 10 && k % 100 <= 20 ? 'th' : { 1: 'st', 2: 'nd', 3: 'rd' }[k % 10] ?? 'th'}`;

/** A failed checkpoint note step: an unmet witness policy is not an altered bundle. */
function noteVerdict(ctx, failed, number, words) {
  const t = ctx.t;
  if (failed.check === 'witness policy') {
    return t(`未通过核验（NOT VERIFIED）：第 ${number} 步“${words}”未达到您设定的见证策略：您信任的见证人中，联署了该检查点的不够所要求的人数（或证据包未附带检查点签名说明）。这本身不说明证据被改动，而是为该检查点担保的独立见证人不够；按您设定的策略，证据包中的任何内容都不能据此视为已证明。`, `NOT VERIFIED: step ${number}, ${words.toLowerCase()}: the witness policy you set is not met: fewer of the witnesses you trust cosigned this checkpoint than you require (or the bundle carries no signed checkpoint). That alone does not show the bundle was altered, only that too few independent witnesses vouch for its checkpoint; under your policy nothing in this bundle can be taken as proven.`);
  }
  const key = failed.check === 'log signature' ? t('若您填写的日志公钥不是该日志的，也会如此：请核对公钥的来源。', 'It also fails so if the log key you entered is not this log\'s: check where the key came from.') : '';
  return t(`未通过核验（NOT VERIFIED）：第 ${number} 步“${words}”不符（这一步检查：${stepWhat(failed, ctx.lang)}）。证据包附带的检查点签名说明与本证据包不一致或其中的签名无效：文件已被改动、已损坏，或不是 evanchor 出具的证据。${key}证据包中的任何内容都不能据此视为已证明。`, `NOT VERIFIED: step ${number}, ${words.toLowerCase()}, failed (it checks that ${stepWhat(failed, ctx.lang)}). The signed checkpoint the bundle carries does not fit the bundle, or a signature on it is invalid: the file was altered or damaged, or is not evidence issued by evanchor. ${key}${key ? ' ' : ''}Nothing in this bundle can be taken as proven.`);
}

function cannotVerify(ctx) {
  const t = ctx.t;
  const cannot = ctx.report.steps.find((s) => s.status === 'cannot');
  const number = ctx.report.steps.indexOf(cannot) + 1;
  const words = stepName(cannot.step, ctx.lang);
  const offline = ctx.report.steps.filter((s) => s.status === 'ok').map((s) => stepName(s.step, ctx.lang));
  const statements = [
    statement(
      t('结论', 'Outcome'),
      t(`无法核验（CANNOT VERIFY）：第 ${number} 步“${words}”需要区块链作答，而您填写的区块链节点无法访问、属于另一条链或未能作答。这不是对证据的否定，也不能视为已证明。`, `CANNOT VERIFY: step ${number}, ${words.toLowerCase()}, needs the chain, and the chain node you named could not be reached, is another chain, or could not answer. This is no verdict on the evidence, and nothing in it can be taken as proven.`),
      BASIS.VERIFIED,
    ),
    statement(t('原因（技术细节）', 'Reason (technical)'), cannot.detail, BASIS.VERIFIED, true),
  ];
  if (offline.length > 0) {
    statements.push(statement(t('不需要区块链的检查', 'The checks that need no chain'), t(`以下各步已通过：${offline.join('、')}。这只说明证据包自身一致，不说明它已写入区块链。`, `These steps passed: ${offline.join(', ')}. That shows only that the bundle is consistent in itself, not that it is on a chain.`), BASIS.VERIFIED));
  }
  statements.push(
    statement(t('下一步', 'What next'), t('请核对节点地址是否正确、该节点是否在运行、是否为该证据所在的链（见证据包中的链标识 chain id），然后重新核验；或填写从可信来源取得的区块哈希。', 'Check that the node address is right, that the node is running and that it is the chain of this evidence (the chain id in the bundle), then verify again; or enter a block hash from a source you trust.'), BASIS.GUIDE),
    ...fileStatements(ctx),
  );
  return [section(ctx, 'outcome', t('核验结论', 'Outcome'), statements)];
}

// -- a verified bundle -----------------------------------------------------------------------

/** Records (by position) that share `key`, in order of first appearance. */
function groups(items, key) {
  const found = new Map();
  items.forEach((item, position) => {
    const k = key(item);
    if (!found.has(k)) found.set(k, []);
    found.get(k).push(position);
  });
  return [...found.entries()].map(([k, positions]) => [positions, k]);
}

function anchorOf(item) {
  return item.proven.anchored ?? null;
}

/** Whether the anchoring block was checked against something beyond the bundle itself. */
const tied = (anchored) => anchored !== null && (anchored.tied_to === 'chain' || anchored.tied_to === 'trusted block hash');

function checkedAgainst(ctx, positions, item) {
  const t = ctx.t;
  const label = ctx.who(positions, t('核验依据', 'Checked against'));
  const anchored = anchorOf(item);
  if (!item.bundle.anchor) {
    if (ctx.report.witnessing?.checked) return statement(label, t('该记录未锚定到区块链：证明其内容在日志检查点中；该检查点何时已存在，由您信任的见证人的联署担保（见第四部分），而非区块链。', "Not anchored on a chain: the record is shown to be in the log's checkpoint; when that checkpoint existed is vouched for by the cosignatures of the witnesses you trust (part 4), not by a chain."), BASIS.NOT_PROVEN);
    return statement(label, t('该记录未锚定到区块链：只证明其内容与日志检查点一致；其时间与存在只有节点运营方的声明，没有独立证明。', "Not anchored on a chain: the record is shown to be in the log's checkpoint, but its time and existence rest only on the node operator's word."), BASIS.NOT_PROVEN);
  }
  if (!tied(anchored)) {
    return statement(label, t('仅离线核验：锚定证据与证据包自带的区块头相符，但未与任何区块链或可信区块哈希比对，因此尚不能证明该区块属于一条真实的链。请在上方填写您信任的区块链节点地址或区块哈希后重新核验。', "Offline only: the anchor evidence fits the bundle's own block header, but was not compared with any chain or trusted block hash, so it is not yet shown that this block is on a real chain. Enter a chain node you trust, or a trusted block hash, above and verify again."), BASIS.NOT_PROVEN);
  }
  if (anchored.tied_to === 'trusted block hash') {
    return statement(label, t(`锚定区块的哈希与您提供的可信区块哈希一致（${anchored.block_hash}）。未连接区块链：写入者权限与提交机构的登记未核验。`, `The anchoring block's hash equals the trusted block hash you gave (${anchored.block_hash}). No chain was asked: the writer's role and the agency's registration were not checked.`), BASIS.VERIFIED);
  }
  const registered = item.proven.agency_registered === true || Number.isInteger(item.proven.agency_registered_at);
  const what = registered ? t('区块哈希、锚定交易及其事件、写入者在该区块的权限、提交机构在该区块的登记', "the block's hash, the anchoring transaction and its event, the writer's role and the agency's registration at that block") : t('区块哈希、锚定交易及其事件、写入者在该区块的权限', "the block's hash, the anchoring transaction and its event, the writer's role at that block");
  return statement(label, t(`已在本浏览器中与链节点 ${ctx.source.rpc} 核对：${what}。`, `Checked from this browser with the chain node at ${ctx.source.rpc}: ${what}.`), BASIS.VERIFIED);
}

function outcomeSection(ctx) {
  const t = ctx.t;
  const count = ctx.items.length;
  const statements = [
    statement(t('结论', 'Outcome'), t(`已验证（VERIFIED）：证据包中 ${count} 条记录的每一项哈希均已在本浏览器中重新计算，与所载数值一致，全部核验步骤通过。`, `VERIFIED: every hash of the bundle's ${count === 1 ? '1 record' : `${count} records`} was recomputed in this browser and matches; every verification step passed.`), BASIS.VERIFIED),
  ];
  if (typeof ctx.report.assurance === 'string') {
    statements.push(statement(t('保证级别', 'Assurance level'), pick(ctx.lang, ...(LEVELS[ctx.report.assurance] ?? [ctx.report.assurance, ctx.report.assurance])), BASIS.VERIFIED));
  }
  for (const [positions] of groups(ctx.items, (item) => JSON.stringify([anchorOf(item), item.proven.agency_registered ?? item.proven.agency_registered_at ?? null, Boolean(item.bundle.anchor)]))) {
    statements.push(checkedAgainst(ctx, positions, ctx.items[positions[0]]));
  }
  statements.push(
    whereStatement(ctx),
    statement(t('证明范围', 'What this proves'), t('记录内容自不晚于第四部分所述时间起即已存在、此后未被改动；不证明记录所述事实本身属实。', 'That the record existed no later than the time in part 4 and has not been altered since; not that the facts it states are true.'), BASIS.NOT_PROVEN),
  );
  return section(ctx, 'outcome', t('核验结论', 'Outcome'), statements);
}

function recordSections(ctx) {
  const t = ctx.t;
  const count = ctx.items.length;
  const note = t('以下为记录原文所载内容，由提交方陈述。本核验证明这些内容未被改动，不证明其属实。', 'As the record states it, in the submitter\'s words. The verification shows the content is unaltered, not that it is true.');
  return ctx.items.map((item, i) => {
    const record = item.bundle.record;
    const rows = recordRows(record, ctx.lang).map((row) => statement(row.label, row.value, BASIS.RECORD, row.name === 'attachments'));
    const title = recordTitle(record, ctx.lang);
    const heading = count > 1 ? t(`存证内容（第 ${i + 1} 条，共 ${count} 条）：${title}`, `What the record says (record ${i + 1} of ${count}): ${title}`) : t(`存证内容：${title}`, `What the record says: ${title}`);
    return { key: 'record', title: heading, note, statements: rows, part: 2 };
  });
}

function submitterSection(ctx) {
  const t = ctx.t;
  const statements = [];
  const agencyOf = (item) => item.bundle.leaf.agency;
  for (const [positions] of groups(ctx.items, (item) => JSON.stringify([agencyOf(item), item.proven.signer ?? null, item.proven.agency_registered ?? null, item.proven.agency_registered_at ?? null]))) {
    const item = ctx.items[positions[0]];
    const agency = agencyOf(item);
    statements.push(
      statement(ctx.who(positions, t('提交机构（统一社会信用代码）', 'Agency (credit code)')), t(`${agency}（记录中载明）`, `${agency} (as the record names it)`), BASIS.RECORD),
      statement(ctx.who(positions, t('机构名称', 'Agency name')), t('证据包不含机构名称。可凭上述统一社会信用代码在国家企业信用信息公示系统查询。', 'The bundle holds no name. Look the credit code up in the National Enterprise Credit Information Publicity System.'), BASIS.NOT_PROVEN),
    );
    const signer = item.proven.signer ?? null;
    if (signer === null) {
      statements.push(statement(ctx.who(positions, t('签名密钥', 'Signing key')), t('证据包中没有提交方的签名（或本次核验未达到签名这一级）：不能证明记录由谁提交。', "The bundle carries no submitter's signature (or this verification did not reach that level): who submitted the record is not shown."), BASIS.NOT_PROVEN));
      continue;
    }
    statements.push(statement(ctx.who(positions, t('签名密钥地址', 'Signing key address')), t(`${signer}\n记录的承诺值由该密钥签名。`, `${signer}\nThe record's commitment is signed with this key.`), BASIS.VERIFIED, true));
    const block = Number.isInteger(item.proven.agency_registered_at) ? item.proven.agency_registered_at : item.proven.agency_registered === true ? anchorOf(item)?.block_number : undefined;
    const label = ctx.who(positions, t('密钥登记', 'Key registration'));
    if (block === undefined) {
      statements.push(statement(label, t('该密钥在锚定时是否登记为该机构：未核验（需与区块链核对：请在上方填写区块链节点地址）。', 'Whether this key was registered to the agency when anchored: not checked (needs a chain: enter a chain node above).'), BASIS.NOT_PROVEN));
    } else {
      statements.push(statement(label, t(`在第 ${block} 号区块（锚定时），锚定合约的机构登记簿将该密钥登记为统一社会信用代码 ${agency} 的机构。登记簿由节点运营方维护：密钥属于该机构，是运营方登记时的认定。`, `At block ${block} (when anchored) the anchor contract's agency registry listed this key for credit code ${agency}. The registry is kept by the node's operator: that the key belongs to the agency is the operator's finding when it registered the key.`), BASIS.VERIFIED));
    }
  }
  return section(ctx, 'submitter', t('提交方', 'Who submitted it'), statements);
}

function timeSection(ctx) {
  const t = ctx.t;
  const statements = [];
  for (const [positions] of groups(ctx.items, (item) => JSON.stringify([anchorOf(item), Boolean(item.bundle.anchor)]))) {
    const item = ctx.items[positions[0]];
    const anchored = anchorOf(item);
    const label = ctx.who(positions, t('最迟存在时间', 'Existed no later than'));
    if (anchored === null) {
      const witnessed = ctx.report.witnessing?.checked;
      const why = item.bundle.anchor ? t('锚定区块未与链核对：没有经核验的区块时间（见第一部分）。', 'The anchoring block was not checked against a chain: no verified block time (part 1).') : witnessed ? t('未锚定：没有区块时间（见证人担保的时间见下）。', 'Not anchored: no block time (the time the witnesses vouch for is below).') : t('未锚定：没有区块时间，也没有任何独立于节点的时间证明。', 'Not anchored: no block time, and no proof of time independent of the node.');
      statements.push(statement(label, why, BASIS.NOT_PROVEN));
    } else {
      let text = t(`${dualEpoch(anchored.block_timestamp, ctx.lang)}\n包含该记录的检查点写入第 ${anchored.block_number} 号区块的时间（区块时间，精确到秒）。`, `${dualEpoch(anchored.block_timestamp, ctx.lang)}\nWhen the checkpoint holding the record was written in block ${anchored.block_number} (the block's time, in whole seconds).`);
      if (!tied(anchored)) text += t('该区块尚未与链核对（见第一部分）。', ' This block has not been checked against a chain (part 1).');
      statements.push(
        statement(label, text, tied(anchored) ? BASIS.VERIFIED : BASIS.NOT_PROVEN),
        statement(ctx.who(positions, t('谁担保这一时间', 'Who vouches for this time')), t('区块时间由出块方（该链的封装节点）写入区块头。evanchor 内置链只有一个出块方，即节点运营方本身：对运营方而言，这一时间只是运营方自己的声明。只有当该链由独立于运营方的多方共同出块时，这一时间才构成针对运营方的独立证明；独立见证人担保的是其联署时间（见下）。', "The block's time is written into its header by the block's sealer. The embedded evanchor chain has one sealer, the node's operator itself: against the operator, this time is only the operator's own claim. It is independent of the operator only if the chain is sealed by parties independent of the operator; independent witnesses vouch for the times of their cosignatures (below)."), BASIS.CLAIM),
      );
    }
  }
  statements.push(...witnessStatements(ctx));
  for (const [positions, sealedAt] of groups(ctx.items, (item) => item.proven.claims?.sealed_at ?? item.bundle.checkpoint.sealed_at)) {
    statements.push(statement(ctx.who(positions, t('检查点封存时间', 'Checkpoint sealed')), t(`${dualTimestamp(sealedAt, ctx.lang)}（节点时钟，仅为节点的声明）`, `${dualTimestamp(sealedAt, ctx.lang)} (the node's clock: the node's claim only)`), BASIS.CLAIM));
  }
  for (const [positions, acceptedAt] of groups(ctx.items, (item) => item.proven.claims?.accepted_at ?? item.bundle.leaf.accepted_at)) {
    statements.push(statement(ctx.who(positions, t('节点接收时间', 'Accepted by the node')), t(`${dualTimestamp(acceptedAt, ctx.lang)}（节点时钟，运营方的声明；该值包含在日志叶中，受检查点的根保护，未被改动）`, `${dualTimestamp(acceptedAt, ctx.lang)} (the node's clock: the operator's claim; it is in the leaf, covered by the checkpoint's root, unaltered)`), BASIS.CLAIM));
  }
  const note = t('记录所载的发生时间是提交方的陈述（见第二部分）。下列各时间注明由谁担保。', 'The time a record says it happened is the submitter\'s statement (part 2). Each time below says who vouches for it.');
  return section(ctx, 'time', t('存在时间及其担保方', 'When it existed, at the latest, and who vouches'), statements, note);
}

/**
 * The checkpoint's witnessing, as far as the checkpoint note step established it (the file's
 * report: a case bundle's note is the case bundle's): who cosigned and when, and the k-th
 * earliest time as the one the witnesses vouch for; never "witnessed" unless the policy was met.
 */
function witnessStatements(ctx) {
  const t = ctx.t;
  const w = ctx.report.witnessing ?? { checked: false, note: false };
  const rows = [];
  if (w.log_key) {
    rows.push(statement(t('日志签名', "The log's signature"), t(`${w.log_key}\n检查点（树大小与根）由该日志公钥签名（C2SP 检查点签名说明），签名已核验。公钥由您填写：它是否属于该日志，取决于您从何处取得。`, `${w.log_key}\nThe checkpoint (size and root) is signed with this log key (a C2SP signed checkpoint); the signature is verified. You entered the key: that it is this log's depends on where you got it.`), BASIS.VERIFIED, true));
  }
  if (!w.checked) {
    const why = !w.note
      ? t('证据包未附带检查点签名说明（没有日志签名，也没有见证人联署）：检查点的见证未核验；除区块时间外，没有第三方担保的时间。', 'The bundle carries no signed checkpoint (no log signature, no witness cosignature): the checkpoint\'s witnessing was not checked; apart from the block\'s time, no third party vouches for any time.')
      : w.log_key
      ? t('未填写见证人公钥：证据包所载的见证人联署未核验，不能说明有谁见证了该检查点。请在上方填写您从可信来源取得的见证人公钥后重新核验。', 'No witness keys were entered: the cosignatures the bundle carries were not checked, so nothing shows who witnessed the checkpoint. Enter witness keys you got from a source you trust above and verify again.')
      : t('证据包附带检查点签名说明，其所载检查点即本证据包的检查点；但未填写日志公钥与见证人公钥，其签名与见证均未核验，不能说明有谁见证了该检查点。请在上方填写您从可信来源取得的公钥后重新核验。', 'The bundle carries a signed checkpoint, and it is this bundle\'s checkpoint; but no log key or witness keys were entered, so its signatures and its witnessing were not checked, and nothing shows who witnessed it. Enter keys you got from a source you trust above and verify again.');
    rows.push(statement(t('独立见证', 'Independent witness'), why, BASIS.NOT_PROVEN));
    return rows;
  }
  const [k, n] = [w.policy, w.trusted.length];
  rows.push(statement(
    t('最迟存在时间（独立见证）', 'Existed no later than (witnessed)'),
    t(`${dualEpoch(w.witnessed_at, ctx.lang)}\n按您设定的见证策略（您信任的 ${n} 个见证人中至少 ${k} 个联署），取第 ${k} 早的联署时间：只要这 ${k} 个见证人中有一个诚实，包含该记录的检查点（及其中每条记录的内容）不晚于此时已存在。这一时间由见证人担保，不由节点运营方担保。`, `${dualEpoch(w.witnessed_at, ctx.lang)}\nUnder the witness policy you set (at least ${k} of the ${n} witnesses you trust), the ${ordinal(k)} earliest cosignature time: if any one of those ${k} witnesses is honest, the checkpoint holding the record (and so every record's content in it) existed no later than then. This time is vouched for by the witnesses, not by the node's operator.`),
    BASIS.VERIFIED,
  ));
  for (const c of w.cosignatures) {
    rows.push(statement(
      t('见证人联署', 'Witness cosignature'),
      t(`${c.witness}\n于 ${dualEpoch(c.timestamp, ctx.lang)}联署（公钥 ${c.key}，签名已核验）。该见证人以此声明：不晚于此时它已见到这一检查点，并核实其与它此前联署过的该日志各检查点一致（只增不改）。`, `${c.witness}\nCosigned at ${dualEpoch(c.timestamp, ctx.lang)} (key ${c.key}, signature verified). By this the witness states that no later than then it had seen this checkpoint and found it consistent with every earlier checkpoint of the log it had cosigned (append-only).`),
      BASIS.VERIFIED,
      true,
    ));
  }
  rows.push(statement(
    t('联署不证明什么', 'What a cosignature does not prove'),
    t('联署不证明记录所述内容属实，也不证明节点接收或封存的时间；见证人是谁、是否独立于运营方，取决于您从何处取得所填写的见证人公钥。', 'A cosignature does not show that the records are true, nor when the node accepted or sealed them; who the witnesses are, and whether they are independent of the operator, depends on where you got the witness keys you entered.'),
    BASIS.NOT_PROVEN,
  ));
  return rows;
}

function integritySection(ctx) {
  const t = ctx.t;
  const statements = fileStatements(ctx).slice(1);
  ctx.items.forEach((item, position) => {
    const b = item.bundle;
    statements.push(
      statement(ctx.who([position], t('记录标识', 'Record id')), item.proven.record_id, BASIS.VERIFIED, true),
      statement(ctx.who([position], t('承诺值', 'Commitment')), b.commitment, BASIS.VERIFIED, true),
      statement(ctx.who([position], t(`叶哈希（日志第 ${b.leaf_index} 条）`, `Leaf hash (leaf ${b.leaf_index})`)), b.leaf_hash, BASIS.VERIFIED, true),
    );
  });
  for (const [positions, key] of groups(ctx.items, (item) => JSON.stringify([item.proven.included.size, item.proven.included.root]))) {
    const [size, root] = JSON.parse(key);
    statements.push(statement(ctx.who(positions, t(`检查点的根（树大小 ${size}）`, `Checkpoint root (size ${size})`)), root, BASIS.VERIFIED, true));
  }
  const anchored = ctx.items.every((item) => tied(anchorOf(item)));
  const note = t(`记录原文经规范化后与随机盐一起计算出承诺值；承诺值进入日志叶，叶经包含证明得出检查点的根${anchored ? '，该根已写入区块链' : ''}。对记录的任何改动，哪怕一个字符，都会使这些数值不符而核验失败。`, `The record's canonical bytes and a random salt give the commitment; the commitment is in the log leaf, and the leaf's inclusion proof gives the checkpoint's root${anchored ? ', which is written on the chain' : ''}. Any change to the record, even of one character, breaks these values and the verification fails.`);
  return section(ctx, 'integrity', t('内容未被篡改', 'Unaltered'), statements, note);
}

function completenessSection(ctx) {
  const t = ctx.t;
  const statements = [];
  if (!ctx.isCase) {
    const item = ctx.items[0];
    const prev = item.bundle.leaf.prev;
    const link = prev === null || prev === undefined ? t('该记录是本案的第一条记录。', "It is the case's first record.") : t(`该记录的日志叶载明本案前一条记录为日志第 ${prev} 条。`, `Its leaf names leaf ${prev} as the case's previous record.`);
    statements.push(
      statement(t('案件链接', 'Case link'), t(`本证据包只涉及案件 ${item.bundle.leaf.case} 中的一条记录。${link}该链接包含在检查点中。`, `This bundle is about one record of case ${item.bundle.leaf.case}. ${link} The link is covered by the checkpoint.`), BASIS.VERIFIED),
      statement(t('本案其他记录', "The case's other records"), t('是否齐全：本证据包不能证明。如需证明，请取得该案的案件证据包（evanchor case prove）并核验。', 'Whether they are all there is not shown by this bundle. A case bundle (evanchor case prove) shows the case\'s records.'), BASIS.NOT_PROVEN),
    );
  } else {
    const cb = ctx.bundle;
    const count = cb.records.length;
    statements.push(statement(t('已证明', 'Proven'), t(`本证据包含案件 ${cb.case} 的 ${count} 条记录，按各条日志叶所载的链接，自本案第一条记录起逐条相连，中间没有缺失，也没有重排。`, `The bundle holds ${count} record(s) of case ${cb.case}; by the links their leaves carry, they follow one another from the case's first record with none missing in between and none reordered.`), BASIS.VERIFIED));
    if (ctx.shredded > 0) {
      statements.push(statement(t('无原文的记录', 'Records without text'), t(`其中 ${ctx.shredded} 条只有日志叶、没有原文：其在案件中的位置已核验，内容无从展示；原文已应删除请求粉碎，是节点的说法。`, `${ctx.shredded} of them are leaves without text: their place in the case is verified, their content cannot be shown; that the text was shredded on a deletion request is the node's word.`), BASIS.VERIFIED));
    }
    // Whether no record follows the last one shown is proven only if the verifier checked it.
    const complete = ctx.report.steps.some((s) => s.step === 'completeness' && s.status === 'ok');
    const size = cb.checkpoint.size;
    if (complete) {
      // docs/PROTOCOL.md §6.5: complete as the checkpoint's case index commits; whether the
      // node counted every record it had accepted when it sealed is the audit's to show.
      statements.push(
        statement(t('直至检查点', 'Up to the checkpoint'), t(`节点在检查点（树大小 ${size}）的案件索引中为案件 ${cb.case} 承诺了 ${count} 条记录：它们全部在此，次序相同，没有缺失、增加或重排。`, `In the checkpoint's (size ${size}) case index the node committed to ${count} record(s) of case ${cb.case}: they are all here, in that order, none missing, added or reordered.`), BASIS.VERIFIED),
        statement(t('封存时是否如实计入', 'Counted honestly at sealing'), t('节点封存该检查点时是否计入了它为本案接收的每一条记录：本证据包不能证明；evanchor audit 从日志重新计算每个检查点的案件索引。检查点之后的记录不在本证据包中。', 'Whether the node, when it sealed that checkpoint, counted every record it had accepted for the case: not shown by this bundle; evanchor audit recomputes every checkpoint\'s case index from the log. Records after the checkpoint are not in this bundle.'), BASIS.NOT_PROVEN),
      );
    } else {
      statements.push(statement(t('未证明', 'Not proven'), t(`最后一条之后、检查点（树大小 ${size}）之前，本案是否还有其他记录：本证据包的格式不包含案件在检查点时的最新记录，不能证明。`, `Whether the case has further records after the last one shown, up to the checkpoint (size ${size}): this bundle format does not commit to the case's latest record at the checkpoint, so it cannot show it.`), BASIS.NOT_PROVEN));
    }
  }
  return section(ctx, 'completeness', t('案件记录是否完整', "Is the case's history complete"), statements);
}

function chainSection(ctx) {
  const t = ctx.t;
  const statements = [];
  for (const [positions] of groups(ctx.items, (item) => JSON.stringify(anchorOf(item)))) {
    const item = ctx.items[positions[0]];
    const a = anchorOf(item);
    if (a === null) continue;
    const block = tied(a) ? BASIS.VERIFIED : BASIS.NOT_PROVEN;
    const withChain = a.tied_to === 'chain';
    const asked = withChain ? BASIS.VERIFIED : BASIS.CLAIM;
    const contract = t(`${a.contract}\n该地址的合约代码与 EvidenceAnchor 的发布构建一致：只有持有写入权限的账户能写入检查点，且每个新检查点须证明与上一个一致（只能追加，不能改写）。`, `${a.contract}\nIts code is EvidenceAnchor's published build: only an account holding the writer role can store a checkpoint, and each new one must be proven consistent with the last (append-only).`);
    const writer = a.writer + (withChain ? t(`\n在第 ${a.block_number} 号区块持有写入权限。`, `\nHeld the writer role at block ${a.block_number}.`) : '');
    const tx = item.bundle.anchor?.tx_hash;
    const rows = [
      [t('链标识（chain id）', 'Chain id'), String(a.chain_id), asked, false],
      [t('锚定合约', 'Anchor contract'), contract, block, true],
      [t('写入者（节点的锚定账户）', "Writer (the node's anchoring account)"), writer, asked, true],
    ];
    if (Number.isInteger(a.checkpoint_index)) rows.push([t('链上检查点序号', 'Checkpoint index on chain'), String(a.checkpoint_index), block, false]);
    rows.push([t('区块号', 'Block number'), String(a.block_number), block, false], [t('区块哈希', 'Block hash'), a.block_hash, block, true]);
    if (typeof tx === 'string') rows.push([t('锚定交易', 'Anchoring transaction'), withChain ? tx : tx + t('\n（仅为证据包所载；未与区块链核对）', '\n(as the bundle states; not checked with a chain)'), asked, true]);
    for (const [label, text, basis, mono] of rows) statements.push(statement(ctx.who(positions, label), text, basis, mono));
  }
  if (statements.length === 0) statements.push(statement(t('区块链', 'Chain'), t('本次核验未确认任何区块链锚定。', 'This verification confirmed no anchor on a chain.'), BASIS.NOT_PROVEN));
  return section(ctx, 'chain', t('区块链与合约', 'Chain and contract'), statements);
}

function howToCheck(ctx) {
  const t = ctx.t;
  const name = ctx.file.name;
  const lines = [
    t(`取得证据包文件（${name}），计算其 SHA-256（Linux：sha256sum ${name}；Windows：certutil -hashfile ${name} SHA256），应为 ${ctx.file.sha256}。`, `Get the bundle file (${name}) and compute its SHA-256 (Linux: sha256sum ${name}; Windows: certutil -hashfile ${name} SHA256): it must be ${ctx.file.sha256}.`),
    t('从您信任的来源取得该链一个节点的地址（RPC URL）或锚定区块的哈希，填入本页面上方后重新核验。不要只依赖出具该证据的节点。', 'From a source you trust, get the address (RPC URL) of a node of the chain, or the anchoring block\'s hash, enter it above and verify again. Do not rely on the node that issued the evidence alone.'),
    t('本页面本身也应来自您信任的来源：用您自己安装的 evanchor 运行 evanchor verify-page -o verify.html 生成，或核对本页面文件的 SHA-256 与之相同。', 'This page should itself come from a source you trust: write it with evanchor verify-page -o verify.html from an evanchor you installed yourself, or check that this page file\'s SHA-256 is that one\'s.'),
    t(`也可运行 evanchor verify ${name} --rpc 节点地址，或按公开的 docs/PROTOCOL.md 用其他程序自行计算；结论应相同。`, `Or run evanchor verify ${name} --rpc NODE_URL, or recompute it with any other program from the published docs/PROTOCOL.md; the outcome must be the same.`),
    t('凭统一社会信用代码在国家企业信用信息公示系统核对提交机构。', "Look the agency's credit code up in the National Enterprise Credit Information Publicity System."),
  ];
  return { ...section(ctx, 'how_to_check', t('如何独立核验', 'How anyone can check it'), lines.map((text, i) => statement(`${i + 1}.`, text, BASIS.GUIDE))), ordered: true };
}

function section(ctx, key, title, statements, note = '') {
  return { key, title, note, statements };
}

/** Numbers the parts: "一、…" in Chinese, "1. …" in English (record parts share one number). */
function numbered(sections, lang) {
  let n = 0;
  let lastKey = null;
  return sections.map((s) => {
    if (!(s.key === 'record' && lastKey === 'record')) n += 1;
    lastKey = s.key;
    return { ...s, title: pick(lang, `${CHINESE_NUMBERS[n - 1]}、${s.title}`, `${n}. ${s.title}`) };
  });
}

/** The page's view of a verification (see the top of this file). */
export function describe({ report, bundle, records = [], lang, file, source = {} }) {
  const t = (zh, en) => pick(lang, zh, en);
  const ctx = {
    report,
    bundle,
    lang,
    file,
    source,
    t,
    isCase: bundle?.format === 'evanchor/case-bundle',
    items: records.filter((r) => r.report?.outcome === OUTCOMES.VERIFIED && r.report.proven).map((r) => ({ ...r, proven: r.report.proven })),
  };
  ctx.who = (positions, label) => {
    if (positions.length === ctx.items.length) return label;
    const numbers = positions.map((p) => String(p + 1));
    return t(`第 ${numbers.join('、')} 条 · ${label}`, `Record ${numbers.join(', ')} · ${label}`);
  };
  const outcome = report.outcome;
  const steps = { key: 'checks', title: t('核验所做的检查', 'The checks made'), note: t('每一步都在本浏览器中完成：先说明这一步检查什么，下方小字是核验程序的原话。', 'Every step ran in this browser: what it checks, and below it, in small type, the verifier\'s own words.'), steps: stepList(report, lang) };
  let sections;
  // Content is shown only when the verifier proved it: VERIFIED, with a `proven` for the file
  // (a proof bundle) or for every record (a case bundle).
  ctx.shredded = records.filter((r) => r.shredded).length;
  const shown = outcome === OUTCOMES.VERIFIED && ctx.items.length > 0 && (ctx.isCase ? ctx.items.length + ctx.shredded === (bundle.records?.length ?? -1) : Boolean(report.proven));
  if (outcome === OUTCOMES.NOT_VERIFIED || (outcome === OUTCOMES.VERIFIED && !shown)) {
    sections = outcome === OUTCOMES.NOT_VERIFIED ? notVerified(ctx) : [section(ctx, 'outcome', t('核验结论', 'Outcome'), [statement(t('结论', 'Outcome'), t('已验证（VERIFIED），但本页面无法展示其内容：请用 evanchor verify 查看。', 'VERIFIED, but this page cannot show its content: use evanchor verify.'), BASIS.VERIFIED), ...fileStatements(ctx)])];
    sections.push(steps);
  } else if (outcome === OUTCOMES.CANNOT_VERIFY) {
    sections = [...cannotVerify(ctx), steps];
  } else {
    sections = [outcomeSection(ctx), ...recordSections(ctx), submitterSection(ctx), timeSection(ctx), integritySection(ctx), completenessSection(ctx), chainSection(ctx), steps, howToCheck(ctx)];
  }
  const leads = {
    VERIFIED: t('证据包在本浏览器中逐项核验通过。下文逐项说明已证明的内容、仅为声明的内容和未证明的内容。', 'The bundle passed every check in this browser. Below: what is proven, what is only claimed, and what is not proven.'),
    'NOT VERIFIED': t('证据包与其自身的证明不符：不能作为证据采信其内容。', 'The bundle does not match its own proofs: its content cannot be relied on as evidence.'),
    'CANNOT VERIFY': t('未能得到区块链的答复，核验没有完成：既未证实，也未否定。', 'The chain did not answer, so the verification is not complete: neither confirmed nor refuted.'),
  };
  return {
    outcome,
    tone: TONES[outcome],
    headline: pick(lang, ...HEADLINES[outcome]),
    lead: leads[outcome],
    sections: numbered(sections, lang),
    technical: { summary: report.summary ?? '', notes: report.notes ?? [] },
  };
}
