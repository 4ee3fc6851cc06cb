// Types of wasi.js, the WASI preview1 shim.
export declare const errno: Readonly<{
  SUCCESS: 0; BADF: 8; FAULT: 21; INVAL: 28; NOSYS: 52; NOTSUP: 58;
}>;
/** All function names of wasi_snapshot_preview1. */
export declare const PREVIEW1_FUNCTIONS: readonly string[];

/** Thrown by proc_exit: the instance has ended. */
export declare class WasiExit extends Error {
  code: number;
}

export interface WASIOptions {
  /** Receives what the module writes to fd 1, line by line. */
  stdout?: (line: string) => void;
  /** Receives what the module writes to fd 2, line by line. */
  stderr?: (line: string) => void;
  /** Honour poll_oneoff timeouts by blocking where the platform allows (default true). */
  sleep?: boolean;
  /** The environment the module sees (GOGC, GOMEMLIMIT, ...); empty by default. */
  env?: Record<string, string>;
}

/** One module instance's view of the system. */
export declare class WASI {
  constructor(options?: WASIOptions);
  /** The instance's memory, once initialize() bound it. */
  memory: WebAssembly.Memory | null;
  /** Calls per import name. */
  readonly calls: Record<string, number>;
  /** The status passed to proc_exit, if it was called. */
  exitCode: number | null;
  /** The wasi_snapshot_preview1 functions. */
  readonly imports: Record<string, (...args: any[]) => number>;
  /** { wasi_snapshot_preview1: imports }, for WebAssembly.instantiate. */
  readonly importObject: WebAssembly.Imports;
  /** Binds the instance's memory and runs its _initialize. */
  initialize(instance: WebAssembly.Instance): void;
}
