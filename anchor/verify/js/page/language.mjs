// The two languages of the verification page, and how times, amounts and sizes read in them:
// the same wording as the certificate and `evanchor verify` (anchor/report/language.py), held
// equal to it by tests/verify_page.
//
// Chinese (zh-CN) is the default: the readers are Chinese courts. Times are shown in Beijing
// time (UTC+8; China has kept no daylight saving time since 1991, so a fixed offset is exact)
// with the UTC value beside it, because records are written in +08:00 while chains and the
// node's clock speak UTC. Amounts are converted from the integer minor units a record holds,
// only for currencies whose ISO 4217 exponent is known here; any other amount is shown in
// minor units, never guessed.

export const ZH = 'zh-CN';
export const EN = 'en';

/** The wording of `lang`: both are written side by side where they are used. */
export const pick = (lang, zh, en) => (lang === EN ? en : zh);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BEIJING_MS = 8 * 3600 * 1000;

const pad = (n, width = 2) => String(n).padStart(width, '0');

function clock(ms, fraction) {
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction}`;
}

/** Milliseconds since the epoch in Beijing time and in UTC, side by side. */
function dualMs(ms, lang, fraction = '') {
  const local = clock(ms + BEIJING_MS, fraction);
  const utc = clock(ms, fraction);
  return pick(lang, `${local} 北京时间（UTC ${utc}）`, `${local} Beijing time (UTC ${utc})`);
}

/** Seconds since the epoch (a block's timestamp), in Beijing time with UTC beside it. */
export const dualEpoch = (seconds, lang) => dualMs(Number(seconds) * 1000, lang);

/**
 * An RFC 3339 timestamp (a record's `occurred_at`, the node's `accepted_at`) in Beijing time
 * with UTC beside it; the fraction is kept as written, and the text as written is added when
 * its offset is neither +08:00 nor Z. Text that is not such a timestamp is shown as written.
 */
export function dualTimestamp(text, lang) {
  const m = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (m === null) return String(text);
  const [, y, mo, d, h, mi, s, fraction = '', offset] = m;
  const base = new Date(0);
  base.setUTCFullYear(Number(y), Number(mo) - 1, Number(d)); // years 0–99 stay themselves
  base.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const sign = offset === 'Z' ? 0 : offset[0] === '-' ? -1 : 1;
  const offsetMs = offset === 'Z' ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60000;
  const shown = dualMs(base.getTime() - offsetMs, lang, fraction);
  if (offset === 'Z' || offset === '+08:00') return shown;
  return shown + pick(lang, `；原文 ${text}`, `; as written ${text}`);
}

/** ISO 4217 minor-unit exponents of the currencies whose amounts are converted. */
export const CURRENCY_EXPONENTS = { CNY: 2, HKD: 2, MOP: 2, TWD: 2, USD: 2, EUR: 2, GBP: 2 };
const CURRENCY_NAMES_ZH = { CNY: '人民币', HKD: '港元', MOP: '澳门元', TWD: '新台币', USD: '美元', EUR: '欧元', GBP: '英镑' };

/** A non-negative integer with thousands separators, exactly (BigInt: amounts reach 2^53). */
export const grouped = (n) => BigInt(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** An amount in major units ("人民币 12,500.00 元", "CNY 12,500.00") from minor units. */
export function money(minorUnits, currency, lang) {
  const exponent = CURRENCY_EXPONENTS[currency];
  if (exponent === undefined) {
    return pick(lang, `${grouped(minorUnits)} 个最小货币单位（${currency}）`, `${grouped(minorUnits)} minor units of ${currency}`);
  }
  const scale = 10n ** BigInt(exponent);
  const units = BigInt(minorUnits);
  const amount = `${grouped(units / scale)}.${(units % scale).toString().padStart(exponent, '0')}`;
  if (currency === 'CNY') return pick(lang, `人民币 ${amount} 元`, `CNY ${amount}`);
  return pick(lang, `${CURRENCY_NAMES_ZH[currency]} ${amount}（${currency}）`, `${currency} ${amount}`);
}

export const byteSize = (size, lang) => pick(lang, `${grouped(size)} 字节`, `${grouped(size)} bytes`);
