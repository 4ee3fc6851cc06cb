// The Web Worker of audit() (audit.js): it loads the module, runs the audit
// of the file it is given and posts progress, records (when asked) and the
// result back. The page's thread does no audit work, and the file's bytes
// go nowhere but into this worker's module instance.

import { load } from './tollgate.js';
import { auditWith, auditLoadOptions } from './audit.js';

self.onmessage = async ({ data: { input, options } }) => {
  const { wantRecords, wantProgress, wantNotes, load: loadOptions, ...opts } = options;
  try {
    const tg = await load(auditLoadOptions(loadOptions));
    const result = await auditWith(tg, input, {
      ...opts,
      onProgress: wantProgress ? (progress) => self.postMessage({ type: 'progress', progress }) : undefined,
      onRecords: wantRecords ? (records) => self.postMessage({ type: 'records', records }) : undefined,
      onNote: wantNotes ? (text) => self.postMessage({ type: 'note', text }) : undefined,
    });
    self.postMessage({ type: 'done', result });
  } catch (e) {
    self.postMessage({ type: 'error', code: e.code ?? e.name ?? 'error', message: String(e.message ?? e), field: e.field, detail: e.detail });
  }
};
