// Where in a --policy or --tables file an error is, as the Go command says
// it (cmd/tollgate/docpos.go): "--tables FILE: line L, column C: " before
// the module's message, the line and column of the value the error's field
// path names. The module's error carries the path; a tables row's path is
// inside its table, which the message names.

/**
 * docError renders err, an error the module gave about the document doc
 * ({flag, name, text}: the file's text, which the command read), with the
 * file's name and, where its path is found in the text, the value's line
 * and column. null when err is not about such a document.
 */
export function docError(doc, err) {
  if (!doc || err?.name !== 'TollgateError' || !err.detail) return null;
  let path = err.field ?? '';
  let column = 0;
  if (doc.flag === '--tables') {
    const at = tablesPath(doc.text, err.detail, path);
    path = at.path;
    column = at.column;
  }
  let where = `${doc.flag} ${doc.name}`;
  let off = path ? locate(doc.text, path) : -1;
  if (off >= 0) {
    if (column > 0) off = intoString(doc.text, off, column);
    where += `: ${position(doc.text, off)}`;
  }
  return `${where}: ${err.detail}`;
}

// The head of a tables row's error (dialplan.ParseError): its table's name
// (JSON-quoted), row and the column in the row's pattern.
const rowHead = /^dialplan: table ("(?:[^"\\]|\\.)*")(?: row (\d+))?(?: column (\d+))?: /;

// tablesPath is the document path of a tables error whose field is within
// its table ("rows[3].pattern" of table "Default Outdial"), found by the
// table's name; a field from the document's top ("tables[0]...") is one
// already.
function tablesPath(text, detail, field) {
  const m = rowHead.exec(detail);
  if (!m || field.startsWith('tables')) return { path: field, column: 0 };
  let name;
  try {
    name = JSON.parse(m[1]);
  } catch {
    return { path: '', column: 0 };
  }
  const i = tableIndex(text, name);
  if (i < 0) return { path: '', column: 0 };
  let path = `tables[${i}]`;
  if (field) path += `.${field}`;
  else if (m[2] !== undefined) path += `.rows[${m[2]}]`;
  return { path, column: m[3] === undefined ? 0 : Number(m[3]) };
}

// tableIndex is the index of the first table named name, or -1.
function tableIndex(text, name) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return -1;
  }
  const tables = doc?.tables;
  return Array.isArray(tables) ? tables.findIndex((t) => t !== null && typeof t === 'object' && t.name === name) : -1;
}

// A path's keys are field names; any other key (an error shows it by its
// length only) is not looked for.
const safeKey = /^[A-Za-z0-9_-]+$/;

/**
 * locate is the offset in text of the value a path names ("tables[2].rows[10].pattern",
 * the form errors give it), or -1 when the path names no value of text.
 */
export function locate(text, path) {
  const steps = [];
  let read = 0;
  for (const m of path.matchAll(/\[(\d+)\]|(^|\.)([^.[\]]+)/gy)) {
    if (m[1] !== undefined) steps.push(Number(m[1]));
    else if (safeKey.test(m[3])) steps.push(m[3]);
    else return -1;
    read += m[0].length;
  }
  if (steps.length === 0 || read !== path.length || path[0] === '.') return -1;
  let i = ws(text, 0);
  for (const step of steps) {
    i = typeof step === 'number' ? element(text, i, step) : member(text, i, step);
    if (i < 0) return -1;
  }
  return skipValue(text, i) < 0 ? -1 : i;
}

// element is the offset of the n'th element of the array at i, or -1.
function element(t, i, n) {
  if (t[i] !== '[') return -1;
  i = ws(t, i + 1);
  if (t[i] === ']') return -1;
  for (let k = 0; ; k++) {
    if (k === n) return i;
    i = skipValue(t, i);
    if (i < 0) return -1;
    i = ws(t, i);
    if (t[i] !== ',') return -1;
    i = ws(t, i + 1);
  }
}

// member is the offset of the value of key in the object at i, or -1.
function member(t, i, key) {
  if (t[i] !== '{') return -1;
  i = ws(t, i + 1);
  if (t[i] === '}') return -1;
  for (;;) {
    if (t[i] !== '"') return -1;
    const end = skipString(t, i);
    if (end < 0) return -1;
    let k;
    try {
      k = JSON.parse(t.slice(i, end));
    } catch {
      return -1;
    }
    i = ws(t, end);
    if (t[i] !== ':') return -1;
    i = ws(t, i + 1);
    if (k === key) return i;
    i = skipValue(t, i);
    if (i < 0) return -1;
    i = ws(t, i);
    if (t[i] !== ',') return -1;
    i = ws(t, i + 1);
  }
}

function ws(t, i) {
  while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  return i;
}

function skipString(t, i) {
  for (i++; i < t.length; i++) {
    if (t[i] === '\\') i++;
    else if (t[i] === '"') return i + 1;
  }
  return -1;
}

const scalar = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

// skipValue is the offset just past the value at i, or -1.
function skipValue(t, i) {
  const c = t[i];
  if (c === '"') return skipString(t, i);
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    i = ws(t, i + 1);
    if (t[i] === close) return i + 1;
    for (;;) {
      if (c === '{') {
        if (t[i] !== '"') return -1;
        i = skipString(t, i);
        if (i < 0) return -1;
        i = ws(t, i);
        if (t[i] !== ':') return -1;
        i = ws(t, i + 1);
      }
      i = skipValue(t, i);
      if (i < 0) return -1;
      i = ws(t, i);
      if (t[i] === close) return i + 1;
      if (t[i] !== ',') return -1;
      i = ws(t, i + 1);
    }
  }
  scalar.lastIndex = i;
  return scalar.test(t) ? scalar.lastIndex : -1;
}

// intoString moves off, a string literal's, to the column'th byte of its
// content when nothing before it is escaped or outside ASCII (then the
// literal's characters are its bytes); else the literal's start is the
// closest honest place.
function intoString(t, off, column) {
  if (t[off] !== '"') return off;
  for (let i = off + 1; i < off + column; i++) {
    if (i >= t.length || t[i] === '\\' || t[i] === '"' || t.charCodeAt(i) > 0x7f) return off;
  }
  return off + column;
}

/** "line L, column C" of offset off in text, as jsonx.Position (columns count characters). */
export function position(text, off) {
  const before = text.slice(0, off);
  const start = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  return `line ${line}, column ${[...before.slice(start)].length + 1}`;
}
