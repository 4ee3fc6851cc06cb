// Types of @tollgate/tollgate/audit (audit.js, audit-report.js). Hand-written:
// keep in step with audit.js and docs/audit.md; test/types.test.mjs
// type-checks an example program against this file.

import type { LoadOptions, PolicyDocument, Tollgate } from './index.js';

/** One problem in one row (audit.Finding): never holds the PIN, password or hash. */
export interface AuditFinding {
  code: string;
  /** The column it is about ("pin", "transfer_number"), "" for the row as a whole. */
  field: string;
  message: string;
}

/** The outcome for one data row (audit.Record): one per row, in input order, bad rows included. */
export interface AuditRecord {
  /** The row's first physical line in the file (the header is line 1). */
  line: number;
  alias: string;
  cos?: string;
  findings: AuditFinding[];
}

/** What the shared-PIN first pass's PBKDF2 records cost (audit.PBKDF2Cost). */
export interface PBKDF2Cost {
  records: number;
  min_iterations: number;
  max_iterations: number;
  verifications: number;
  estimated_seconds: number;
  workers: number;
}

/** The audit's summary, as `tollgate audit --summary` writes it (audit.Summary). */
export interface AuditSummary {
  input: string;
  encoding: string;
  engine: string;
  policy: string;
  tables: string;
  rows: number;
  rows_with_findings: number;
  bad_rows: number;
  findings: number;
  by_code: Record<string, number>;
  by_field: Record<string, number>;
  by_cos: Record<string, number>;
  users_by_cos: Record<string, number>;
  /** high_tier_destination findings by the country they reach ("001": the international networks); absent when none. */
  high_tier_by_country?: Record<string, number>;
  distinct_pins: number;
  shared_pins: number;
  shared_pin_records: number;
  users_sharing_pins: number;
  ignored_columns?: string[];
  unknown_columns?: number[];
  skipped_checks?: string[];
  pbkdf2?: PBKDF2Cost;
  interrupted: boolean;
  seconds: number;
}

export interface AuditProgress {
  /** "count" (the shared-PIN first pass), "check" (the second) or "once" (a stream, read once). */
  pass: 'count' | 'check' | 'once';
  /** Records produced so far. */
  rows: number;
  /** Bytes read so far, over both passes. */
  bytes: number;
  /** How far the audit is, 0..1 (1 only at the end); -1 when the input's size is unknown. */
  fraction: number;
}

export type ReportFormat = 'json' | 'csv' | 'html';

/** An input that can be read twice (both passes): what fileInput() returns. */
export interface ReopenableInput {
  name?: string;
  size?: number;
  open(): AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>;
}

export type AuditInput = Blob | ReadableStream<Uint8Array> | ArrayBuffer | ArrayBufferView | string
  | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | ReopenableInput;

export interface AuditOptions {
  /** A profile name or a policy document (not a handle); default "cuc". */
  policy?: string | PolicyDocument;
  /** A built-in restriction-table set or a tables document; default "default". */
  tables?: string | Record<string, unknown>;
  /** What the summary calls the policy and tables (a file's name); default the profile or set name. */
  policyName?: string;
  tablesName?: string;
  fips?: boolean;
  exhaustive?: boolean;
  /** The input's encoding (auto, utf-8, utf-16, utf-16le, utf-16be, windows-1252, latin-1); default auto. */
  encoding?: string;
  /** The current year, for the date rule's window (0 skips it); default this year. */
  year?: number;
  /** The summary's input name; default the File's name. */
  name?: string;
  /** Bytes handed to the module per crossing, a whole number of at least 1 (else TollgateError bad_option); default 256 KiB. */
  chunkSize?: number;
  /** "once" reads a rereadable input once (shared PINs flagged from their second holder on). */
  pass?: 'once';
  /** Keep every record in the result (default true; false for large files, with onRecords). */
  records?: boolean;
  /** Which records onRecords and records get: all (the default) or only those with findings. */
  recordFilter?: 'all' | 'findings';
  /** At most this many records to onRecords and records (the summary and reports count every row). */
  recordLimit?: number;
  /** Reports to write as Blobs, in the page or process that runs the audit. */
  reports?: ReportFormat[];
  signal?: AbortSignal;
  /** About ten times a second and once at the end. */
  onProgress?: (p: AuditProgress) => void;
  /** Each chunk's records, in order. */
  onRecords?: (records: AuditRecord[]) => void;
  /** Notes for the person running the audit (what `tollgate audit` writes to stderr). */
  onNote?: (text: string) => void;
  /** Run in a Web Worker (the browser default) or in this thread (Node's). */
  worker?: boolean;
  /** How to load the module (in the worker, too): load()'s options, without functions. */
  load?: LoadOptions;
  /** A Tollgate to run on (this thread only). */
  tollgate?: Tollgate;
}

export interface AuditResult {
  summary: AuditSummary;
  /** Every record, in order (absent with records: false). */
  records?: AuditRecord[];
  notes: string[];
  reports?: Partial<Record<ReportFormat, Blob>>;
}

/** Audits a user export in the module (docs/audit.md); in a browser in a Web Worker. */
export declare function audit(input: AuditInput, options?: AuditOptions): Promise<AuditResult>;
/** The same audit in this thread on a given Tollgate. */
export declare function auditWith(tg: Tollgate, input: AuditInput, options?: AuditOptions): Promise<AuditResult>;
/** Node: a file path as an input both passes can read. */
export declare function fileInput(path: string): Promise<ReopenableInput & { name: string; size: number }>;

/** The summary as `tollgate audit --summary` writes it. */
export declare function summaryJSON(summary: AuditSummary): string;
/** One record as a line of the JSON Lines report. */
export declare function recordJSON(record: AuditRecord): string;
/** Entries of a count map, largest first, then by key. */
export declare function sorted(m: Record<string, number>): { key: string; n: number }[];
/** The HTML report's bar chart (inline SVG) of counts; key is "code" or "cos". */
export declare function barChart(title: string, key: 'code' | 'cos', counts: { key: string; n: number }[]): string;

/** A report writer: records in order, then the summary; write receives the text. */
export interface ReportWriter {
  record(r: AuditRecord): void;
  end(summary: AuditSummary): void;
}
export declare const JSONLinesReport: new (write: (text: string) => void) => ReportWriter;
export declare const CSVReport: new (write: (text: string) => void) => ReportWriter;
export declare const HTMLReport: new (write: (text: string) => void, options?: { script?: string; scriptHash?: string }) => ReportWriter;

export declare const NO_COS: '(none)';
export declare const codes: Readonly<Record<string, string>>;
export declare const DEFAULT_CHUNK: number;
/** The GOMEMLIMIT audit() gives the audit module ('16MiB'); options.load.env overrides it. */
export declare const AUDIT_MEMORY_LIMIT: string;
/** The load options audit() uses for the audit module, given the caller's (options.load). */
export declare function auditLoadOptions(load?: LoadOptions): LoadOptions;
