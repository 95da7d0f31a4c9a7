// i18n.js: looks up user-facing text. Every string lives in ../i18n/<lang>.js; a translation is
// one more file there plus one line in `catalogs`.
import en from '../i18n/en.js';

const catalogs = { en };
const lang = (navigator.languages || [navigator.language || 'en'])
  .map((l) => l.slice(0, 2).toLowerCase())
  .find((l) => catalogs[l]) || 'en';
const table = catalogs[lang];
document.documentElement.lang = lang;

// t('key', {n: 3}) → the text with {n} filled in; a missing key shows itself so it gets noticed.
export function t(key, params) {
  let s = table[key] ?? en[key];
  if (s === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

export const has = (key) => table[key] !== undefined || en[key] !== undefined;
export const locale = lang;
