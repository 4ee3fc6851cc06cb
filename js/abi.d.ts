// Types of abi.js, the mirror of Go's internal/abi (docs/abi.md).
export declare const VERSION: number;
export declare const exports: Readonly<{
  initialize: string; version: string; bufPtr: string; bufCap: string; bufReserve: string;
  call: string; dial: string; dialBatch: string; tableIndex: string; fault: string;
}>;
export declare const IMPORT_MODULE: string;
export declare const imports: Readonly<{ regexCompile: string; regexMatch: string }>;
export declare const regex: Readonly<{ NO_MATCH: number; MATCH: number; TIMEOUT: number; NO_ID: number; TIMEOUT_MS: number }>;
export declare const regexModule: Readonly<{
  VERSION: number; FILE: string; MAX_PATTERNS: number; MAX_PER_INSTANCE: number;
  exports: Readonly<{
    initialize: string; version: string; bufPtr: string; bufCap: string; bufReserve: string;
    compile: string; match: string; count: string;
  }>;
}>;
export declare const status: Readonly<{
  OK: number; OP_ERROR: number; BAD_ARGS: number; TOO_LARGE: number; PANIC: number; NO_HANDLE: number;
}>;
export declare const statusNames: readonly string[];
export declare const fault: Readonly<{ PANIC: number; MEMORY: number }>;
export declare const INITIAL_BUF: number;
export declare const LEN_BITS: number;
export declare const MAX_BUF: number;
export declare function unpackCall(r: number): [status: number, length: number];
export declare const dial: Readonly<{
  MATCHED: number; TOO_SHORT: number; TOO_LONG: number; INVALID: number; NO_MATCH: number; TIMEOUT: number;
  ALLOWED_BIT: number; REASON_SHIFT: number; REASON_MASK: number; NORMALIZED_BIT: number;
  ALT_SHIFT: number; ALT_MASK: number; ROW_SHIFT: number; MAX_ROW: number;
}>;
export declare const dialReasonNames: readonly string[];
export declare function unpackDial(r: number): { allowed: boolean; reason: string; normalized: boolean; alt: number; row: number };
