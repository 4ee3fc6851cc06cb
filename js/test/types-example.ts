// Type-checked (never run) by types.test.mjs against index.d.ts: the README's
// use of the package, and misuses that must not compile.
import { load, TollgateError, type Verdict, type DialResult, type Lang } from '@tollgate/tollgate';
import { WASI, errno } from '@tollgate/tollgate/wasi';

async function main(): Promise<void> {
  const tg = await load({ lang: 'fr', stderr: (line: string) => void line });
  const v: Verdict = tg.checkPin('2580', { extensions: ['4021'], first_name: 'Ada' }, { policy: 'cuc' });
  const first: string | undefined = v.reasons[0]?.code;
  const span: number | undefined = v.reasons[0]?.start;
  const pw = tg.checkPassword('Lovelace1815', { alias: 'alovelace' }, { lang: 'en' });
  const { handle } = tg.loadPolicy('cuc-esm');
  tg.checkPassword('x', {}, { policy: handle });
  tg.unload(handle);
  const loads: number = tg.stats.loads + tg.stats.instances + tg.stats.resident;
  const byDefault = tg.dialer(tg.loadTables('default').handle);
  const capped = await load({ memoryLimit: 64 << 20 });
  const d: DialResult = tg.dial('9011441234567', { tables: 'default', table: 'Default Transfer' });
  const tier: 'low' | 'medium' | 'high' | undefined = d.destination?.tier;
  const nist: Verdict = await tg.checkPasswordAsync('x', {}, { policy: 'nist-800-63b-4' });
  await tg.loadData('destinations');
  const pending: string[] = tg.dataPending;
  const lazy = await load({ data: { passwords: new URL('https://example.com/passwords.tgd') } });
  void [tier, nist, pending, lazy];
  const blocked: boolean = !d.allowed && d.reason === 'matched';
  const h = tg.verifyHash('{SSHA}abc', 'secret', { fips: true });
  const ok: boolean = h.verified;
  const lang: Lang = tg.lang;
  await tg.setLang('en');
  const shim = new WASI({ sleep: false });
  const bad: number = errno.BADF;
  try {
    tg.lint('default');
  } catch (e) {
    if (e instanceof TollgateError) console.log(e.code, e.field);
  }
  const rg = await load({ regex: 'auto', regexModule: new URL('https://example.test/regex.wasm') });
  await rg.enableRegex();
  const ready: boolean = rg.regexReady;
  const t = await rg.loadTablesAsync({ tables: [{ name: 'r', dialect: 'regex', rows: [{ pattern: '^9011', blocked: true }] }] });
  const rd: DialResult = await rg.dialAsync('9011', { tables: t.handle, table: 'r' });
  console.log(ready, rd.allowed, (await rg.lintAsync()).findings.length);
  // @ts-expect-error regex is 'auto', true or false
  await load({ regex: 'lazy' });
  console.log(first, span, pw.accepted, blocked, ok, lang, shim.calls, bad, tg.loadMillis, loads, byDefault('9011').allowed, capped.abiVersion);
  // @ts-expect-error unload takes a handle, not a name
  tg.unload('cuc-esm');
  // @ts-expect-error memoryLimit is a number of bytes
  await load({ memoryLimit: '64 MiB' });

  // @ts-expect-error a PIN is a string
  tg.checkPin(2580);
  // @ts-expect-error context fields use the api's JSON names
  tg.checkPin('1', { firstName: 'Ada' });
  // @ts-expect-error only the bundled languages
  await load({ lang: 'de' });
  // @ts-expect-error a verdict has no score
  console.log(v.score);
}

void main;

// The audit (audit.d.ts).
import { audit, fileInput, summaryJSON, type AuditRecord, type AuditSummary } from '@tollgate/tollgate/audit';

async function auditExample(file: Blob): Promise<void> {
  const ctl = new AbortController();
  const { records, summary, reports } = await audit(file, {
    policy: 'cuc', reports: ['json', 'csv'], signal: ctl.signal,
    onProgress: (p) => void (p.fraction + p.rows + p.bytes),
  });
  const first: AuditRecord | undefined = records?.[0];
  const codes: number = Object.keys(summary.by_code).length + (first?.findings.length ?? 0);
  const json: Blob | undefined = reports?.json;
  const s: AuditSummary = (await audit(await fileInput('users.csv'), { records: false, onRecords: (rs) => void rs.length })).summary;
  void [codes, json, summaryJSON(s)];
  // @ts-expect-error a handle is not a policy the audit can read
  await audit(file, { policy: 3 });
  // @ts-expect-error no such report format
  await audit(file, { reports: ['pdf'] });
}
void auditExample;
