// Data artifacts (docs/abi.md, "Data artifacts"): named, versioned,
// checksummed files the module needs but does not carry — the
// breached-password list of the password blocklist, passwords.tgd, and
// libphonenumber's metadata for destinations, destinations.tgd. The
// Tollgate reads each (beside tollgate.js by default, like the module) the
// first time an operation needs it, checks the container and its SHA-256
// here, and hands the payload to the module through its data_load export,
// as the Go host does.

const MAGIC = 'TGDATA1\n';

/** Raised for a file that is not a valid artifact; the message says what and where. */
export class DataError extends Error {}

/**
 * Parses and verifies an artifact file.
 * @param {Uint8Array} b
 * @returns {Promise<{name: string, version: string, payload: Uint8Array}>}
 */
export async function parseArtifact(b) {
  const a = parseHeader(b);
  return check(a, await sha256(a.input));
}

/**
 * parseArtifact with a synchronous SHA-256 (digest(bytes) -> Uint8Array,
 * default sha256js): what a synchronous call uses to load an artifact it
 * has just found it needs (Node reads the file synchronously).
 */
export function parseArtifactSync(b, digest = sha256js) {
  const a = parseHeader(b);
  return check(a, digest(a.input));
}

function check(a, sum) {
  for (let i = 0; i < 32; i++) {
    if (sum[i] !== a.sum[i]) throw new DataError(`data artifact "${a.name}" ${a.version}: checksum mismatch (the file is corrupt)`);
  }
  return { name: a.name, version: a.version, payload: a.payload };
}

function parseHeader(b) {
  const ascii = (from, to) => String.fromCharCode(...b.subarray(from, to));
  if (b.length < MAGIC.length || ascii(0, MAGIC.length) !== MAGIC) {
    throw new DataError('data artifact: no TGDATA1 magic at offset 0 (not an artifact, or a newer container version)');
  }
  let off = MAGIC.length;
  const field = (maxLen, ok) => {
    const n = b[off];
    if (off >= b.length || n === 0 || n > maxLen || off + 1 + n > b.length) {
      throw new DataError(`data artifact: bad name or version length at offset ${off}`);
    }
    for (let i = off + 1; i < off + 1 + n; i++) {
      if (!ok(b[i])) throw new DataError(`data artifact: forbidden byte in name or version at offset ${i}`);
    }
    const s = ascii(off + 1, off + 1 + n);
    off += 1 + n;
    return s;
  };
  const name = field(32, (c) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d);
  const version = field(64, (c) => c > 0x20 && c < 0x7f);
  if (b.length < off + 36) throw new DataError(`data artifact: truncated header at offset ${b.length}`);
  const n = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
  const head = off + 4;
  if (b.length !== head + 32 + n) {
    throw new DataError(`data artifact: payload length does not match the file's (truncated or padded) at offset ${off}`);
  }
  const payload = b.subarray(head + 32);
  const input = new Uint8Array(head + n);
  input.set(b.subarray(0, head));
  input.set(payload, head);
  return { name, version, payload, input, sum: b.subarray(head, head + 32) };
}

// sha256 uses WebCrypto where there is one (Node, secure browser
// contexts) and a plain implementation elsewhere (pages served over http).
async function sha256(data) {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', data));
  return sha256js(data);
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of data (FIPS 180-4), for hosts without WebCrypto. */
export function sha256js(data) {
  const len = data.length;
  const blocks = Math.ceil((len + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(data);
  m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(m.length - 8, Math.floor(len / 0x20000000));
  dv.setUint32(m.length - 4, (len << 3) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let o = 0; o < m.length; o += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(o + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      w[i] = w[i - 16] + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7] + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i]);
  return out;
}
