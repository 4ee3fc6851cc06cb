// The module's ABI as JS constants: a mirror of Go's internal/abi (see
// docs/abi.md). test/abi.test.mjs checks every value here against Go's, so
// the two cannot drift apart silently.

/** ABI version this package speaks; a module exporting another is refused. */
export const VERSION = 2;

/** Export names. */
export const exports = Object.freeze({
  initialize: '_initialize',
  version: 'abi_version',
  bufPtr: 'buf_ptr',
  bufCap: 'buf_cap',
  bufReserve: 'buf_reserve',
  call: 'call',
  dial: 'dial',
  dialBatch: 'dial_batch',
  tableIndex: 'table_index',
  fault: 'fault',
  dataLoad: 'data_load',
});

/**
 * Host imports (ABI 2): functions the module imports from module
 * IMPORT_MODULE; regular expressions run in the host (docs/abi.md).
 */
export const IMPORT_MODULE = 'tollgate_host';
export const imports = Object.freeze({
  regexCompile: 'regex_compile',
  regexMatch: 'regex_match',
});

/** Results of regex_match, and the match timeout hosts apply. */
export const regex = Object.freeze({
  NO_MATCH: 0,
  MATCH: 1,
  TIMEOUT: 2,
  NO_ID: 3,
  TIMEOUT_MS: 50,
});

/**
 * The regex module, wasm/regex.wasm (Go's abi.RegexMod*, mirrored from
 * internal/abi/regexmod.json): regexp2 compiled to a module of its own, with
 * which this package answers the imports above.
 */
export const regexModule = Object.freeze({
  VERSION: 1,
  FILE: 'wasm/regex.wasm',
  MAX_PATTERNS: 4096,
  MAX_PER_INSTANCE: 4096,
  exports: Object.freeze({
    initialize: '_initialize',
    version: 'version',
    bufPtr: 'buf_ptr',
    bufCap: 'buf_cap',
    bufReserve: 'buf_reserve',
    compile: 'compile',
    match: 'match',
    count: 'count',
  }),
});

/** Status codes: call packs one into its result, buf_reserve returns one. */
export const status = Object.freeze({
  OK: 0,
  OP_ERROR: 1,
  BAD_ARGS: 2,
  TOO_LARGE: 3,
  PANIC: 4,
  NO_HANDLE: 5,
});

/** Stable status names, as Go's abi.StatusName gives them. */
export const statusNames = Object.freeze(['ok', 'op_error', 'bad_args', 'too_large', 'panic', 'no_handle']);

/** Fault kinds for the fault export (host fault tests). */
export const fault = Object.freeze({ PANIC: 1, MEMORY: 2 });

/** Limits and the packing of call's result: status << LEN_BITS | length. */
export const INITIAL_BUF = 64 << 10;
export const LEN_BITS = 24;
export const MAX_BUF = 2 ** LEN_BITS - 1;

/** Splits call's result into [status, length]. */
export function unpackCall(r) {
  r >>>= 0;
  return [r >>> LEN_BITS, r & MAX_BUF];
}

/** Dial result packing (the scalar dial export). */
export const dial = Object.freeze({
  MATCHED: 0,
  TOO_SHORT: 1,
  TOO_LONG: 2,
  INVALID: 3,
  NO_MATCH: 4,
  TIMEOUT: 5,
  ALLOWED_BIT: 1 << 0,
  REASON_SHIFT: 1,
  REASON_MASK: 7,
  NORMALIZED_BIT: 1 << 4,
  ALT_SHIFT: 5,
  ALT_MASK: 127,
  ROW_SHIFT: 12,
  MAX_ROW: 2 ** 19 - 2,
});

/** The api's reason names, indexed by dial reason. */
export const dialReasonNames = Object.freeze(['matched', 'too_short', 'too_long', 'invalid', 'no_match', 'timeout']);

/**
 * Splits a non-negative dial result: row is -1 when no row decided; alt is 0
 * for the row's own pattern, k for its twin behind trunk access code k-1.
 */
export function unpackDial(r) {
  return {
    allowed: (r & dial.ALLOWED_BIT) !== 0,
    reason: dialReasonNames[(r >>> dial.REASON_SHIFT) & dial.REASON_MASK] ?? 'unknown',
    normalized: (r & dial.NORMALIZED_BIT) !== 0,
    alt: (r >>> dial.ALT_SHIFT) & dial.ALT_MASK,
    row: (r >>> dial.ROW_SHIFT) - 1,
  };
}
