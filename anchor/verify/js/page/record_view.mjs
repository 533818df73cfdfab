// A verified record's fields, readably: labels and coded values in words, amounts in yuan,
// times in Beijing time with UTC beside them. The tables and the rows are those of
// anchor/report/record_view.py (the certificate's), held equal to it by tests/verify_page.
//
// Free text and identifiers are shown exactly as written: they are what the record says, in
// the submitter's words. Every member is shown; one without a label here is shown under its
// own name, so that a reader never misses part of what was committed.

import { byteSize, dualTimestamp, money, pick } from './language.mjs';

export const KINDS = {
  collection_checkpoint: ['催收过程记录', 'Debt-collection record'],
  auction_record: ['司法拍卖记录', 'Judicial-auction record'],
};
export const COLLECTION_EVENTS = {
  case_opened: ['接案', 'case opened'],
  call: ['电话联系', 'phone call'],
  sms: ['发送短信', 'text message'],
  letter: ['寄送信函', 'letter'],
  visit: ['上门走访', 'visit'],
  negotiation: ['协商', 'negotiation'],
  promise_to_pay: ['承诺还款', 'promise to pay'],
  payment: ['还款', 'payment'],
  settlement: ['和解', 'settlement'],
  dispute: ['债务人提出异议', 'dispute raised'],
  complaint: ['投诉', 'complaint'],
  legal_referral: ['转交法律程序', 'referred to legal proceedings'],
  case_closed: ['结案', 'case closed'],
};
export const CHANNELS = {
  phone: ['电话', 'phone'],
  sms: ['短信', 'text message'],
  letter: ['信函', 'letter'],
  email: ['电子邮件', 'e-mail'],
  in_person: ['当面', 'in person'],
  app: ['应用程序', 'app'],
  other: ['其他', 'other'],
};
export const AUCTION_EVENTS = {
  listed: ['挂拍', 'listed'],
  bid_placed: ['出价', 'bid placed'],
  closed: ['竞价结束', 'bidding closed'],
  sold: ['成交', 'sold'],
  unsold: ['流拍', 'unsold'],
  payment_received: ['收到价款', 'payment received'],
  transfer_completed: ['完成交付过户', 'transfer completed'],
  objection_filed: ['提出异议', 'objection filed'],
};
export const CONTACT_TARGETS = {
  debtor: ['债务人本人', 'the debtor'],
  guarantor: ['担保人', 'a guarantor'],
  third_party: ['第三方', 'a third party'],
};
export const DATA_CATEGORIES = {
  identity: ['身份信息', 'identity data'],
  contact: ['联系方式', 'contact details'],
  contact_list: ['通讯录', 'address book'],
  financial: ['财务信息', 'financial data'],
  location: ['位置信息', 'location'],
  voice_recording: ['录音', 'voice recording'],
  image: ['图像', 'images'],
  biometric: ['生物识别信息', 'biometric data'],
  health: ['健康信息', 'health data'],
};
export const FINDINGS = {
  impersonation_of_authority: ['冒充公检法等机关', 'impersonating the authorities'],
  synthetic_media: ['合成音视频', 'synthetic voice or video'],
  threat: ['威胁', 'threats'],
  abusive_language: ['辱骂', 'abusive language'],
  false_legal_claim: ['虚假法律后果', 'false legal claims'],
};
export const ITEM_CATEGORIES = {
  vehicle: ['机动车', 'vehicle'],
  equipment: ['机器设备', 'equipment'],
  real_estate: ['不动产', 'real estate'],
  equity: ['股权', 'equity'],
  other: ['其他', 'other'],
};

/** Member name → [Chinese, English] label, in reading order. */
export const LABELS = {
  kind: ['记录类型', 'Record type'],
  case_id: ['催收案件编号', 'Collection case'],
  agency: ['催收机构统一社会信用代码', "Agency's credit code"],
  debtor_ref: ['债务人代号（化名）', 'Debtor (pseudonym)'],
  lot_id: ['拍品编号', 'Lot'],
  court_case_number: ['法院执行案号', 'Court enforcement case'],
  auction_house: ['拍卖机构统一社会信用代码', "Auction house's credit code"],
  event: ['事件', 'Event'],
  occurred_at: ['发生时间（记录所载）', 'When it happened (as recorded)'],
  debtor_time_zone: ['债务人所在时区（记录所载）', "Debtor's time zone (as recorded)"],
  channel: ['方式', 'Channel'],
  contact_target: ['联系对象', 'Who was contacted'],
  operator_id: ['经办人员编号', 'Staff member'],
  amount: ['金额', 'Amount'],
  reserve_price: ['保留价', 'Reserve price'],
  bid_amount: ['出价金额', 'Bid'],
  hammer_price: ['成交价', 'Hammer price'],
  bidder_ref: ['竞买人代号（化名）', 'Bidder (pseudonym)'],
  item: ['拍品', 'Item'],
  data_categories: ['涉及的债务人个人信息类别', "Debtor's personal data used"],
  findings: ['质检或投诉所指的问题', 'Findings (quality review or complaint)'],
  attachments: ['附件（以摘要登记，文件本身不在记录中）', 'Attachments (by digest)'],
  notes: ['备注', 'Notes'],
};

const known = (table, value) => (Object.hasOwn(table, value) ? table[value] : [String(value), String(value)]);

function coded(table) {
  return (value, lang) => {
    const [zh, en] = known(table, value);
    const english = en === String(value).replaceAll('_', ' ') ? en : `${en} (${value})`;
    return pick(lang, `${zh}（${value}）`, english);
  };
}

function codedList(table) {
  const one = coded(table);
  return (value, lang) => (value.length === 0 ? pick(lang, '无', 'none') : value.map((v) => one(v, lang)).join(pick(lang, '、', ', ')));
}

const amount = (value, lang) => money(value.minor_units, value.currency, lang);
const item = (value, lang) => coded(ITEM_CATEGORIES)(value.category, lang) + pick(lang, '：', ': ') + String(value.description);

function attachments(value, lang) {
  if (value.length === 0) return pick(lang, '无', 'none');
  return value.map((a, i) => `${i + 1}. ${a.media_type}, ${byteSize(a.size, lang)}, SHA-256 ${a.sha256}`).join('\n');
}

/** JSON text with sorted keys and no spaces (Python's sort_keys, separators (",", ":")). */
function sortedJson(value) {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
const asJson = (value) => (typeof value === 'string' ? value : sortedJson(value));

const RENDER = {
  kind: (value, lang) => pick(lang, ...known(KINDS, value)),
  occurred_at: dualTimestamp,
  channel: coded(CHANNELS),
  contact_target: coded(CONTACT_TARGETS),
  data_categories: codedList(DATA_CATEGORIES),
  findings: codedList(FINDINGS),
  amount,
  reserve_price: amount,
  bid_amount: amount,
  hammer_price: amount,
  item,
  attachments,
};

const eventsOf = (record) => (record.kind === 'collection_checkpoint' ? COLLECTION_EVENTS : AUCTION_EVENTS);

/**
 * Every field of `record` as [{ name, label, value }] in a fixed reading order, labelled and
 * rendered in `lang`; members without a label follow in the record's order.
 * Requires: a record the verifier accepted (every known member well-formed).
 */
export function recordRows(record, lang) {
  const render = { ...RENDER, event: coded(eventsOf(record)) };
  const rows = [];
  for (const name of Object.keys(LABELS)) {
    if (!Object.hasOwn(record, name)) continue;
    const value = (render[name] ?? ((v) => String(v)))(record[name], lang);
    rows.push({ name, label: pick(lang, ...LABELS[name]), value });
  }
  for (const name of Object.keys(record)) if (!Object.hasOwn(LABELS, name)) rows.push({ name, label: name, value: asJson(record[name]) });
  return rows;
}

/** One line naming the record: "司法拍卖记录：成交（sold）". */
export function recordTitle(record, lang) {
  const kind = pick(lang, ...known(KINDS, record.kind));
  return kind + pick(lang, '：', ': ') + coded(eventsOf(record))(record.event, lang);
}
