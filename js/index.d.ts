// Types of @tollgate/tollgate (tollgate.js). Hand-written: keep in step with
// tollgate.js and docs/architecture.md; test/types.test.mjs type-checks an
// example program against this file.

import { WASI } from './wasi.js';
export { WASI } from './wasi.js';

/** Bundled message catalogue languages. */
export type Lang = 'en' | 'fr';
export declare const languages: readonly Lang[];

/**
 * Where load() finds the module when no `module` option is given:
 * tollgate.wasm beside tollgate.js, as the package ships it (in a checkout of
 * the repository, where it stays in wasm/, Node reads wasm/tollgate.wasm).
 */
export declare const defaultModuleURL: URL;
/** Where the regex module is found when no `regexModule` option is given: regex.wasm beside tollgate.js (likewise). */
export declare const defaultRegexModuleURL: URL;
/**
 * The data artifacts a Tollgate reads by default, by name, beside
 * tollgate.js: passwords.tgd and destinations.tgd. Each is read the first
 * time an operation needs it.
 */
export declare const defaultDataURLs: Readonly<{ passwords: URL; destinations: URL }>;

/** Where a data artifact is read from. */
export type DataSource = string | URL | BufferSource | Response | Promise<Response>;

/** A policy reference: a profile name, an inline policy object, or a handle from loadPolicy. */
export type PolicyRef = string | number | PolicyDocument;
/** A restriction-tables reference: a built-in set name, an inline object, or a handle from loadTables. */
export type TablesRef = string | number | Record<string, unknown>;

/** A policy document (docs/policy.md); any field may be omitted to keep the profile's value. */
export interface PolicyDocument {
  name?: string;
  extends?: string;
  pin?: Record<string, number | boolean>;
  password?: Record<string, number | boolean>;
  account?: Record<string, number | boolean>;
  [field: string]: unknown;
}

export interface LoadOptions {
  /**
   * The module: a URL (fetched and compiled while streaming in browsers, read
   * from disk in Node for file: URLs and paths), its bytes, a compiled
   * WebAssembly.Module, or a fetch Response. Default: defaultModuleURL.
   */
  module?: string | URL | BufferSource | WebAssembly.Module | Response | Promise<Response>;
  /** Language of reason messages (default 'en'); codes never change. */
  lang?: Lang;
  /** Receives, line by line, what the Go runtime writes to stderr (crash reports); dropped by default. */
  stderr?: (line: string) => void;
  /**
   * Environment of the module, added to the default { GOGC: 'off' } (which
   * speeds up initialisation; the module sets its own collector afterwards).
   * E.g. { GOMEMLIMIT: '1610612736' }.
   */
  env?: Record<string, string>;
  /**
   * Regular expressions (the regex dialect of restriction tables) run in a
   * second module, regex.wasm (regexp2, for verdicts equal to Go's).
   * 'auto' (default): Node reads it on first use; browsers download it on
   * enableRegex() or an async entry point (loadTablesAsync, lintAsync,
   * dialAsync, callAsync) given a document with regex rows, never otherwise.
   * true: load() loads it too. false: never; regex rows fail to load.
   */
  regex?: 'auto' | boolean;
  /** The regex module: same forms as `module`. Default: defaultRegexModuleURL. */
  regexModule?: string | URL | BufferSource | WebAssembly.Module | Response | Promise<Response>;
  /**
   * The data artifacts to load into the module (docs/abi.md, "Data
   * artifacts"): URLs or paths (read as `module` is), bytes, or fetch
   * Responses. Each is verified (container, SHA-256) before the module
   * sees it. An object names them ({passwords, destinations}): each is
   * read the first time an operation needs it (in Node within the
   * synchronous call; in browsers by the async entry points). An array is
   * read now. Default: defaultDataURLs, lazily. false loads none: a
   * password check whose policy turns the blocklist on, or a tables
   * document with a region, then fails with code 'data_missing'.
   */
  data?: Array<DataSource> | Record<string, DataSource> | false;
  /**
   * Caps the module's memory, in bytes (rounded down to 64 KiB pages), as
   * the Go host caps each instance (128 MiB there by default; here no cap
   * unless given). An instance that outgrows it traps and is replaced. Sets
   * GOMEMLIMIT to three quarters of it unless `env` names one. Needs the
   * module as a URL, a path, bytes or a Response (not a compiled
   * WebAssembly.Module), and at least what the module needs to start.
   */
  memoryLimit?: number;
}

/** Counters of a Tollgate (diagnostics). */
export interface TollgateStats {
  /** Instances made: the first, and one per replacement. */
  instances: number;
  /** Calls into the module's call export (operations, and the loads and unloads the handles need). */
  calls: number;
  /** Documents loaded into instances: first loads, and lazy loads into a replacement. */
  loads: number;
  /** Documents loaded (handles that are valid). */
  documents: number;
  /** Of those, the documents the current instance holds. */
  resident: number;
}

/** One reason a credential is refused. */
export interface Reason {
  /** Stable code, e.g. 'keypad_line', 'contains_extension'. */
  code: string;
  /** Human message in the current language; never contains the input. */
  message: string;
  /** Start of the part of the input the reason concerns (characters), when one applies. */
  start?: number;
  /** End of that part, exclusive. */
  end?: number;
  /** The numeric parameter of the message (a minimum length, a history depth). */
  limit?: number;
  /** A short non-secret word (a class name, a context field). */
  detail?: string;
}

export interface Verdict {
  accepted: boolean;
  reasons: Reason[];
}

/** What a PIN check knows about the user (api JSON names). */
export interface PinContext {
  /** Primary extension first, then alternates. */
  extensions?: string[];
  first_name?: string;
  last_name?: string;
  /** Date of birth, YYYY-MM-DD. */
  dob?: string;
  /** Current year, for the date rule's window. */
  year?: number;
  /** Earlier PINs in plaintext, newest first. */
  previous?: string[];
  /** Earlier PINs as stored-credential records, newest first. */
  previous_records?: string[];
}

/** What a password check knows about the user (api JSON names). */
export interface PasswordContext {
  alias?: string;
  extensions?: string[];
  /** The password being replaced, for the character-changes rule. */
  old?: string;
  previous?: string[];
  previous_records?: string[];
}

export interface CheckOptions {
  /** Default: the 'cuc' profile. */
  policy?: PolicyRef;
  /** Language of this verdict's messages (default: the instance's). */
  lang?: Lang;
}

export interface DialOptions {
  /** Default: 'default'. */
  tables?: TablesRef;
  /** A table by name... */
  table?: string;
  /** ...or a class of service and feature ('transfer', 'outdial', 'fax', 'system_transfer'). */
  cos?: string;
  feature?: string;
}

export interface DialResult {
  /** The number as matched (separators dropped). */
  number: string;
  allowed: boolean;
  /** 'matched': a row decided (see allowed); the others refuse the number before or without a row. */
  reason: 'matched' | 'too_short' | 'too_long' | 'invalid' | 'no_match' | 'timeout';
  table?: string;
  /** Index (from 0) of the deciding row in the table. */
  row?: number;
  /** The deciding row's dial string. */
  pattern?: string;
  /** How many separators (space - ( ) .) were dropped from the input. */
  dropped?: number;
  /** Where the number goes: only when the tables document declares a region (docs/tables.md, "Destinations"). */
  destination?: Destination;
}

/** A dialed number's destination and its risk tier. */
export interface Destination {
  /** ISO 3166 region code ('DO'), or '001' for the international networks. */
  country: string;
  /** The calling code ('+1'). */
  region: string;
  /** 'fixed', 'mobile', 'fixed_or_mobile', 'toll_free', 'premium_rate', 'shared_cost', 'voip', 'personal', 'pager', 'uan', 'voicemail', 'satellite', 'international_network', 'unknown', 'internal'. */
  type: string;
  tier: 'low' | 'medium' | 'high';
}

/** The scalar dial result: no table name, pattern or normalized number. */
export interface ScalarDial {
  allowed: boolean;
  reason: DialResult['reason'] | 'unknown';
  /** Separators were dropped from the number. */
  normalized: boolean;
  /** 0: the row's own pattern decided; k: its twin behind trunk access code k-1. */
  alt: number;
  /** The deciding row, or -1. */
  row: number;
}

export interface LintFinding {
  code: string;
  severity: string;
  table?: string;
  row?: number;
  message: string;
  /** Destination findings: a number the table allows, and where it goes. */
  example?: string;
  destination?: Destination;
}

export interface HashVerifyOptions {
  /** Refuse legacy (MD5) records as under FIPS mode. */
  fips?: boolean;
  /** Expected scheme, when the record does not name one. */
  scheme?: string;
}

export interface HashVerifyResult {
  verified: boolean;
  reason: 'ok' | 'mismatch' | 'fips_legacy_hash' | 'unknown_scheme' | 'malformed';
  scheme?: string;
  /** Present when a legacy record verified and should be re-hashed. */
  rehash?: boolean;
}

/** An operation that could not run, or a fault of the module. Its message never holds the input. */
export declare class TollgateError extends Error {
  /** The api's error code ('bad_request', 'invalid_policy', ...) or a fault ('trap', 'panic', 'too_large'). */
  code: string;
  /** The offending request field, when known. */
  field?: string;
  /** The message alone, without the code and field (what a command line prints). */
  detail: string;
}

/** A catalogue of message templates keyed by reason code. */
export interface Catalogue {
  lang: string;
  messages: Record<string, string>;
  details?: Record<string, string>;
}

export declare function loadCatalogue(lang: Lang): Promise<Catalogue>;
/** Fills {limit} and {detail} of template from a reason, as Go's core.Render does. */
export declare function render(template: string, reason: Reason, details?: Record<string, string>): string;

/** Loads the module; resolves to a ready instance. */
export declare function load(options?: LoadOptions): Promise<Tollgate>;

/**
 * The module, one instance of it at a time (replaced after a fault), and
 * the policies and tables loaded into it by handle. Calls are synchronous.
 */
export declare class Tollgate {
  readonly module: WebAssembly.Module;
  readonly wasi: WASI;
  /** Current message language. */
  readonly lang: Lang;
  /** Milliseconds load() took (fetch, compile, instantiate, initialise). */
  loadMillis: number;
  /** The module's ABI version. */
  readonly abiVersion: number;
  /** The data artifacts loaded into the module. */
  readonly data: { name: string; version: string }[];
  /** The names of the data artifacts not read yet (read when an operation first needs one). */
  readonly dataPending: string[];
  /** Reads, verifies and loads a data artifact now (resolves at once when it is loaded). */
  loadData(name: string): Promise<void>;
  /** Counters: instances, calls, document loads. */
  readonly stats: TollgateStats;
  /** Whether the regex module is compiled, so that regex rows work in synchronous calls. */
  readonly regexReady: boolean;

  /**
   * Loads the regex module once (fetched in browsers). Rejects with
   * TollgateError 'bad_option' under { regex: false }, 'load' if it cannot
   * be fetched.
   */
  enableRegex(): Promise<void>;
  /** loadTables, after loading the regex module when the tables use regex rows, and destinations.tgd when they declare a region. */
  loadTablesAsync(tables: TablesRef): Promise<{ handle: number; tables: string[] }>;
  /** lint, likewise. */
  lintAsync(tables?: TablesRef): Promise<{ findings: LintFinding[] }>;
  /** dial, likewise for inline tables. */
  dialAsync(number: string, options?: DialOptions): Promise<DialResult>;
  /** checkPassword, after reading passwords.tgd when the policy's blocklist needs it. */
  checkPasswordAsync(password: string, context?: PasswordContext, options?: CheckOptions): Promise<Verdict>;
  /** call, likewise (any data artifact the request needs). */
  callAsync(op: string, request?: unknown): Promise<any>;

  checkPin(pin: string, context?: PinContext, options?: CheckOptions): Verdict;
  checkPassword(password: string, context?: PasswordContext, options?: CheckOptions): Verdict;
  /**
   * Loads a policy and returns its handle. The same policy (the same text,
   * or the same profile name) loaded again is the same handle, counted once
   * more, without a call into the module.
   */
  loadPolicy(policy: PolicyRef): { handle: number; name: string };
  /** Loads restriction tables and returns their handle; likewise. */
  loadTables(tables: TablesRef): { handle: number; tables: string[] };
  /**
   * Drops one load of a handle; the document goes with the last, and the
   * handle is then unknown (TollgateError 'bad_request': "no loaded tables
   * with handle N"). Handles are never reused.
   */
  unload(handle: number): void;
  dial(number: string, options?: DialOptions): DialResult;
  /**
   * A matcher for one table through the scalar dial export (no JSON). tables
   * is a handle from loadTables; table a table's name, or omitted (or '')
   * for the set's default table, as a dial naming none. Throws TollgateError
   * 'no_handle' for an unknown handle or table, at once and on a later call
   * once the tables were unloaded.
   */
  dialer(tables: number, table?: string): (number: string) => ScalarDial;
  lint(tables?: TablesRef): { findings: LintFinding[] };
  verifyHash(record: string, secret: string, options?: HashVerifyOptions): HashVerifyResult;
  makeHash(scheme: string, secret: string, salt?: string): { record: string };
  signin(request: { policy?: PolicyRef; kind: string; state?: unknown; event: unknown }): { state: unknown; decision: unknown };

  /** Switches the message language, loading its catalogue when needed. */
  setLang(lang: Lang): Promise<void>;
  /** Re-renders a verdict's messages in lang; codes and spans are unchanged. */
  translate<V extends Verdict>(verdict: V, lang?: Lang): V;

  /** Any api operation by name; error responses are returned, not thrown. */
  call(op: string, request?: unknown): any;
  /** Same, with the request and response as JSON text exactly as the module sees them. */
  callText(op: string, requestText: string): string;
  /** For fault tests only: makes the module panic (1) or exhaust its memory (2); the instance is replaced. */
  debugFault(kind: number): number;
}

/** The ABI mirror (see abi.js and docs/abi.md). */
export * as abi from './abi.js';
