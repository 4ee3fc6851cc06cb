// The conformance corpus (testdata/vectors/*.json) for the Node tests, read
// by the rules of Go's internal/conformance: strict decoding (an unknown
// field is an error), unique case names per file, requests kept as the exact
// text of the file so the module sees the bytes Go's runner passes, and the
// same matching of want against a response.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const vectorsDir = join(root, 'testdata', 'vectors');
export const EXCEPTIONS_FILE = 'exceptions.json';
// The engines that run the corpus (Go's conformance.Engines).
export const ENGINES = ['native', 'wasm', 'node'];

const CASE_FIELDS = new Set(['name', 'op', 'request', 'want', 'note']);

// skipValue returns the index just past the JSON value starting at i.
function skipValue(s, i) {
  i = skipSpace(s, i);
  const c = s[i];
  if (c === '"') {
    for (i++; s[i] !== '"'; i++) if (s[i] === '\\') i++;
    return i + 1;
  }
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      const d = s[i];
      if (d === '"') {
        i = skipValue(s, i) - 1;
      } else if (d === '{' || d === '[') {
        depth++;
      } else if (d === '}' || d === ']') {
        if (--depth === 0) return i + 1;
      }
    }
    throw new SyntaxError('unterminated value');
  }
  const m = /^[^\s,\]}]+/.exec(s.slice(i, i + 64));
  return i + m[0].length;
}

function skipSpace(s, i) {
  while (i < s.length && /\s/.test(s[i])) i++;
  return i;
}

function lineAt(s, off) {
  let n = 1;
  for (let i = 0; i < off; i++) if (s[i] === '\n') n++;
  return n;
}

// members walks the object starting at i and yields [key, valueStart, valueEnd].
function* members(s, i) {
  i = skipSpace(s, i);
  if (s[i] !== '{') throw new SyntaxError(`want an object at line ${lineAt(s, i)}`);
  i = skipSpace(s, i + 1);
  while (s[i] !== '}') {
    const kEnd = skipValue(s, i);
    const key = JSON.parse(s.slice(i, kEnd));
    i = skipSpace(s, kEnd);
    if (s[i] !== ':') throw new SyntaxError(`want ':' at line ${lineAt(s, i)}`);
    const vStart = skipSpace(s, i + 1);
    const vEnd = skipValue(s, vStart);
    yield [key, vStart, vEnd];
    i = skipSpace(s, vEnd);
    if (s[i] === ',') i = skipSpace(s, i + 1);
  }
}

/** Parses one corpus file's text; throws "file:line: ..." on any violation. */
export function parseCorpusFile(name, text) {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: ${e.message}`);
  }
  const cases = [];
  const seen = new Set();
  let sawCases = false;
  for (const [key, start, end] of members(text, 0)) {
    if (key !== 'cases') throw new Error(`${name}:${lineAt(text, start)}: unknown field "${key}" (a corpus file holds only "cases")`);
    sawCases = true;
    let i = skipSpace(text, start + 1);
    while (i < end - 1) {
      const cEnd = skipValue(text, i);
      const line = lineAt(text, i);
      const c = { file: name, line };
      for (const [k, vs, ve] of members(text, i)) {
        if (!CASE_FIELDS.has(k)) throw new Error(`${name}:${line}: json: unknown field "${k}"`);
        const raw = text.slice(vs, ve);
        if (k === 'request' || k === 'want') c[k] = raw;
        else c[k] = JSON.parse(raw);
      }
      if (!c.name) throw new Error(`${name}:${line}: case without a name`);
      if (!c.op) throw new Error(`${name}:${line}: case "${c.name}" without an op`);
      if (!c.request || !c.want) throw new Error(`${name}:${line}: case "${c.name}" needs request and want`);
      if (seen.has(c.name)) throw new Error(`${name}:${line}: duplicate case name "${c.name}"`);
      seen.add(c.name);
      c.id = `${name}/${c.name}`;
      cases.push(c);
      i = skipSpace(text, cEnd);
      if (text[i] === ',') i = skipSpace(text, i + 1);
    }
  }
  if (!sawCases) throw new Error(`${name}: no "cases" field`);
  return cases;
}

/** Every case of every corpus file, files in name order (as Go's Load). */
export function loadCorpus(dir = vectorsDir) {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => n.endsWith('.json') && n !== EXCEPTIONS_FILE).sort();
  return names.flatMap((n) => parseCorpusFile(n, readFileSync(join(dir, n), 'utf8')));
}

/** Exceptions for engine (a map case id -> reason), strictly decoded and checked as Go's LoadExceptions checks them. */
export function loadExceptions(engine, dir = vectorsDir) {
  const p = join(dir, EXCEPTIONS_FILE);
  const out = new Map();
  if (!existsSync(p)) return out;
  const doc = JSON.parse(readFileSync(p, 'utf8'));
  for (const k of Object.keys(doc)) if (k !== 'exceptions') throw new Error(`${EXCEPTIONS_FILE}: unknown field "${k}"`);
  const seen = new Set();
  for (const [i, x] of (doc.exceptions ?? []).entries()) {
    for (const k of Object.keys(x)) if (!['engine', 'case', 'reason'].includes(k)) throw new Error(`${EXCEPTIONS_FILE}: unknown field "${k}"`);
    if (!ENGINES.includes(x.engine)) throw new Error(`${EXCEPTIONS_FILE}: exception ${i}: engine ${JSON.stringify(x.engine)} is not one of ${JSON.stringify(ENGINES)}`);
    if (!x.case) throw new Error(`${EXCEPTIONS_FILE}: exception ${i}: no case (write "file.json/case name")`);
    if (!x.reason) throw new Error(`${EXCEPTIONS_FILE}: exception ${i} (${x.case} on ${x.engine}): no reason`);
    const key = `${x.engine}\0${x.case}`;
    if (seen.has(key)) throw new Error(`${EXCEPTIONS_FILE}: exception ${i}: ${x.case} on ${x.engine} is listed twice`);
    seen.add(key);
    if (x.engine === engine) out.set(x.case, x.reason);
  }
  return out;
}

/**
 * Returns null when got matches want under the corpus rules (keys want names
 * must be equal, arrays the same length, keys it omits not compared), or a
 * description "$.path: want X, got Y" of the first difference.
 */
export function match(want, got, path = '$') {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return `${path}: want an object, got ${show(got)}`;
    for (const k of Object.keys(want).sort()) {
      if (!(k in got)) return `${path}.${k}: missing (want ${show(want[k])})`;
      const d = match(want[k], got[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `${path}: want an array, got ${show(got)}`;
    if (want.length !== got.length) return `${path}: want ${want.length} elements ${show(want)}, got ${got.length} ${show(got)}`;
    for (let i = 0; i < want.length; i++) {
      const d = match(want[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  return show(want) === show(got) ? null : `${path}: want ${show(want)}, got ${show(got)}`;
}

function show(v) {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 300 ? s.slice(0, 300) + '…' : s;
}
