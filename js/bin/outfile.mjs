// The files tollgate-audit writes (-o, --summary), as `tollgate audit`
// writes them (cmd/tollgate/outfile.go). An output is never one of the
// command's inputs (the same file by device and inode, so also through a
// link): `-o users.csv users.csv` would truncate the export before it is
// read. A regular file is written beside itself under a temporary name and
// renamed into place when whole, so a run that fails or is killed leaves
// the old file or none, never half of one. Anything else (a pipe, a FIFO,
// /dev/null, a terminal) is streamed to, and never created, truncated or
// removed: the only file ever removed is a temporary file this process made.

import { closeSync, constants, createWriteStream, fchmodSync, fstatSync, fsyncSync, openSync, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

const sameFile = (a, b) => a && b && a.dev === b.dev && a.ino === b.ino;

// fdStat is what a standard stream is, or null.
export function fdStat(fd) {
  try {
    return fstatSync(fd);
  } catch {
    return null;
  }
}

async function statOrNull(path, lstat = false) {
  try {
    return await (lstat ? fsp.lstat(path) : fsp.stat(path));
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  }
}

// resolveLink follows path while it is a symlink (a dangling one too), so
// the rename replaces the file a link points to and not the link.
async function resolveLink(path) {
  for (let i = 0; i < 40; i++) {
    const st = await statOrNull(path, true);
    if (!st?.isSymbolicLink()) return path;
    const to = await fsp.readlink(path);
    path = isAbsolute(to) ? to : join(dirname(path), to);
  }
  throw new Error(`${path}: too many levels of symbolic links`);
}

async function createTemp(target, mode) {
  for (let i = 0; i < 100; i++) {
    const tmp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      return { tmp, fd: openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode) };
    } catch (e) {
      if (e.code === 'EEXIST') continue;
      throw new Error(`cannot create a temporary file beside ${target} (the file is written there, then renamed into place): ${describe(e)}`);
    }
  }
  throw new Error(`cannot create a temporary file beside ${target}`);
}

// createOut opens path ('-' is standard output) for writing. inputs are the
// stats of the files the command reads; others the outputs already opened.
// It returns { write(text), commit(), abort(), flag, target, orig }.
export async function createOut(path, { flag, inputs = [], others = [], stdout = process.stdout }) {
  if (path === '-') return streamTo(flag, path, stdout, null, fdStat(1));
  const st = await statOrNull(path); // follows links: what would be written
  if (!st) {
    const target = resolve(await resolveLink(path));
    for (const o of others) {
      if (!o.orig && o.target === target) throw new Error(`${path} is also ${o.flag}`);
    }
    return tempOut(flag, target, 0o644, null);
  }
  if (inputs.some((i) => sameFile(i, st))) throw new Error(`${path} is the input file: refusing to overwrite it`);
  for (const o of others) {
    if (o.tmp && sameFile(o.orig, st)) throw new Error(`${path} is also ${o.flag}`);
  }
  if (st.isDirectory()) throw new Error(`${path} is a directory`);
  // /dev/stdout, /dev/fd/1, or the file standard output is: write to it
  // (opening it again would start at offset 0, over what came before).
  if (sameFile(fdStat(1), st)) return streamTo(flag, path, stdout, null, st);
  if (!st.isFile()) {
    // A pipe, FIFO, socket or device: no O_CREAT, no O_TRUNC.
    const fd = openSync(path, constants.O_WRONLY);
    return streamTo(flag, path, createWriteStream(null, { fd, autoClose: true }), fd, st);
  }
  const mode = st.mode & 0o777;
  const out = await tempOut(flag, resolve(await resolveLink(path)), mode, st);
  // The umask applied to the new file: the old one's bits exactly.
  try {
    fchmodSync(out.fd, mode);
  } catch (e) {
    await out.abort();
    throw e;
  }
  return out;
}

function streamTo(flag, target, stream, fd, orig) {
  let failed = null;
  stream.on?.('error', (e) => { failed ??= e; });
  return {
    flag, target, orig, tmp: null,
    write: (s) => { if (!failed) stream.write(s); },
    async commit() {
      if (fd !== null) await new Promise((ok) => stream.end(ok));
      if (failed) throw new Error(`${target}: ${describe(failed)}`);
    },
    async abort() { if (fd !== null) stream.destroy(); },
  };
}

async function tempOut(flag, target, mode, orig) {
  const { tmp, fd } = await createTemp(target, mode);
  const stream = createWriteStream(null, { fd, autoClose: false });
  let failed = null;
  let done = false;
  let open = true;
  const closeFd = () => {
    if (open) {
      open = false;
      try { closeSync(fd); } catch { /* already closed */ }
    }
  };
  stream.on('error', (e) => { failed ??= e; });
  return {
    flag, target, orig, tmp, fd,
    write: (s) => { if (!failed) stream.write(s); },
    async commit() {
      if (done) return;
      done = true;
      try {
        await new Promise((ok) => stream.end(ok));
        if (failed) throw failed;
        fsyncSync(fd);
        closeFd();
        await fsp.rename(tmp, target);
      } catch (e) {
        closeFd();
        await fsp.unlink(tmp).catch(() => {});
        throw new Error(`${target}: ${describe(e)}`);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      closeFd();
      await fsp.unlink(tmp).catch(() => {});
    },
  };
}

// describe words an error as the Go command does: a file error names the
// file and what went wrong, not Node's code and system call; the module's
// errors are their message alone.
export function describe(e) {
  if (e?.name === 'TollgateError' && e.detail) return e.detail;
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.message === 'string') {
    const what = e.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '[^']*'( -> '[^']*')?$/, '');
    return e.path !== undefined ? `${e.path}: ${what}` : what;
  }
  return e?.message ?? String(e);
}
