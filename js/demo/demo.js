// The demo page: a PIN change form, a password form and a call-forwarding
// number, each checked on every keystroke by the committed module through
// ../tollgate.js. No framework, no build step, no request beyond this
// page's own files.
//
// Hooks the browser tests rely on: #pin, #pin-confirm, #extension,
// #first-name, #last-name, #password, #alias, #forward-number; verdicts
// #pin-verdict, #password-verdict, #forward-verdict with data-accepted and
// one [data-code] child per reason ([data-start]/[data-end] where a reason
// points at part of the input; [data-row], 0-based, where a table row
// decided a number); .cell.hl marks those characters.

import { load } from '../tollgate.js';

// Words of the page itself. Reason messages come from the module's
// catalogues (messages.*.json); the two codes below are the page's own: the
// confirmation field, and a number that cannot be checked.
// Rows are numbered from 0, as the CLI, the API, the audit and Kamailio's
// X-Tollgate-Reason number them, so an administrator reading the page and
// the table sees the same row number.
const words = {
  en: {
    title: 'Voicemail and calls',
    lede: 'Choose a new PIN and password, and where your calls go. Each choice is checked as you type, by the same rules the phone system applies.',
    you: 'About you',
    you_hint: 'Used only to spot choices that are easy to guess from who you are.',
    extension: 'Extension', first_name: 'First name', last_name: 'Last name',
    pin_title: 'Voicemail PIN', pin_hint: 'The digits you key in to hear your messages by phone.',
    new_pin: 'New PIN', confirm_pin: 'Confirm new PIN', show: 'Show digits',
    pw_title: 'Web password', pw_hint: 'For signing in to your messages on the web.',
    alias: 'Alias (user name)', new_password: 'New password', show_pw: 'Show password',
    fwd_title: 'Forward my calls to',
    fwd_hint: 'A number in your office or at home. Some destinations are blocked to prevent toll fraud.',
    number: 'Number, as you would dial it',
    loading: 'Loading the checker…',
    ready: (ms) => `Checks run in your browser, by the same WebAssembly module as the server (loaded in ${ms} ms). Nothing you type leaves this page.`,
    failed: 'The checker could not be loaded; your choices will be checked when you save.',
    type_pin: 'Type a PIN of digits only.',
    type_pw: 'Type a password.',
    type_number: 'Type the number the way you would dial it from your desk phone.',
    good_pin: 'Good choice: this PIN follows every rule.',
    good_pw: 'Good choice: this password follows every rule.',
    confirm_mismatch: 'The two PINs do not match yet.',
    allowed: (r) => `Allowed: calls can be forwarded to this number (row ${r.row} of “${r.table}”, ${r.pattern}).`,
    matched: (r) => `Blocked: this destination is restricted to prevent toll fraud (row ${r.row} of “${r.table}”, ${r.pattern}).`,
    too_short: () => 'Too short to be a number you can forward to.',
    too_long: () => 'Too long: check the number.',
    invalid: () => 'Use only the digits 0–9, * and #.',
    no_match: () => 'No rule allows this number.',
    timeout: () => 'This number could not be checked in time; try again.',
    no_dial: 'Number checks are not available in this version of the checker.',
  },
  fr: {
    title: 'Messagerie vocale et appels',
    lede: 'Choisissez un nouveau code PIN, un mot de passe et la destination de vos appels. Chaque choix est vérifié pendant la saisie, avec les règles mêmes du système téléphonique.',
    you: 'Vous',
    you_hint: 'Sert uniquement à repérer les choix faciles à deviner à partir de votre identité.',
    extension: 'Poste', first_name: 'Prénom', last_name: 'Nom',
    pin_title: 'Code PIN de messagerie', pin_hint: 'Les chiffres que vous tapez pour écouter vos messages par téléphone.',
    new_pin: 'Nouveau code PIN', confirm_pin: 'Confirmez le code PIN', show: 'Afficher les chiffres',
    pw_title: 'Mot de passe web', pw_hint: 'Pour consulter vos messages sur le web.',
    alias: 'Alias (nom d’utilisateur)', new_password: 'Nouveau mot de passe', show_pw: 'Afficher le mot de passe',
    fwd_title: 'Renvoyer mes appels vers',
    fwd_hint: 'Un numéro au bureau ou à la maison. Certaines destinations sont bloquées contre la fraude téléphonique.',
    number: 'Numéro, tel que vous le composez',
    loading: 'Chargement du vérificateur…',
    ready: (ms) => `Les vérifications s’exécutent dans votre navigateur, avec le même module WebAssembly que le serveur (chargé en ${ms} ms). Rien de ce que vous tapez ne quitte cette page.`,
    failed: 'Le vérificateur n’a pas pu être chargé ; vos choix seront vérifiés à l’enregistrement.',
    type_pin: 'Tapez un code PIN composé uniquement de chiffres.',
    type_pw: 'Tapez un mot de passe.',
    type_number: 'Tapez le numéro comme vous le composeriez depuis votre poste.',
    good_pin: 'Bon choix : ce code PIN respecte toutes les règles.',
    good_pw: 'Bon choix : ce mot de passe respecte toutes les règles.',
    confirm_mismatch: 'Les deux codes PIN ne correspondent pas encore.',
    allowed: (r) => `Autorisé : vos appels peuvent être renvoyés vers ce numéro (ligne ${r.row} de « ${r.table} », ${r.pattern}).`,
    matched: (r) => `Bloqué : cette destination est restreinte contre la fraude téléphonique (ligne ${r.row} de « ${r.table} », ${r.pattern}).`,
    too_short: () => 'Trop court pour être un numéro de renvoi.',
    too_long: () => 'Trop long : vérifiez le numéro.',
    invalid: () => 'Utilisez uniquement les chiffres 0 à 9, * et #.',
    no_match: () => 'Aucune règle n’autorise ce numéro.',
    timeout: () => 'Ce numéro n’a pas pu être vérifié à temps ; réessayez.',
    no_dial: 'La vérification des numéros n’est pas disponible dans cette version du vérificateur.',
  },
};

const $ = (id) => document.getElementById(id);
// Timings the browser tests report: module load, and keystroke to verdict.
const timings = (window.__tollgate = { loadMillis: null, verdictMillis: [], ready: false, error: null });

let tg = null;
let lang = 'en';
let tables = null; // {handle, table} for the forwarding check, or an error
const w = (key, ...args) => {
  const v = words[lang][key];
  return typeof v === 'function' ? v(...args) : v;
};

function context() {
  const ext = $('extension').value.trim();
  return {
    extensions: ext ? ext.split(/[\s,]+/) : [],
    first_name: $('first-name').value.trim(),
    last_name: $('last-name').value.trim(),
  };
}

function item(text, cls, attrs = {}) {
  const li = document.createElement('li');
  li.textContent = text;
  if (cls) li.className = cls;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) li.setAttribute(k, String(v));
  return li;
}

// strip shows one cell per character (masked unless "show" is on) and marks
// the characters any reason points at.
function drawStrip(strip, value, reasons, show) {
  const chars = Array.from(value);
  const marked = new Set();
  for (const r of reasons) if (r.start !== undefined) for (let i = r.start; i < r.end; i++) marked.add(i);
  strip.replaceChildren(...chars.map((ch, i) => {
    const cell = document.createElement('span');
    cell.className = marked.has(i) ? 'cell hl' : 'cell';
    cell.dataset.index = String(i);
    cell.textContent = show ? ch : '•';
    return cell;
  }));
}

// A reason pointing at part of the input lights those cells up on hover.
function linkReasons(list, strip) {
  for (const li of list.querySelectorAll('li[data-start]')) {
    const on = (yes) => {
      for (let i = +li.dataset.start; i < +li.dataset.end; i++) strip.children[i]?.classList.toggle('focus', yes);
    };
    li.addEventListener('mouseenter', () => on(true));
    li.addEventListener('mouseleave', () => on(false));
  }
}

function showVerdict(list, reasons, goodText) {
  list.dataset.accepted = String(reasons.length === 0);
  if (reasons.length === 0) {
    list.replaceChildren(item(goodText, 'ok'));
    return;
  }
  list.replaceChildren(...reasons.map((r) => item(r.message, '', {
    'data-code': r.code, 'data-start': r.start, 'data-end': r.end,
  })));
}

function idle(list, strip, text) {
  delete list.dataset.accepted;
  list.replaceChildren(item(text, 'note'));
  if (strip) strip.replaceChildren();
}

function checkPin() {
  const pin = $('pin').value;
  const confirm = $('pin-confirm').value;
  const list = $('pin-verdict');
  const strip = $('pin-strip');
  if (!tg) return;
  if (pin === '') return idle(list, strip, w('type_pin'));
  const v = tg.checkPin(pin, context());
  const reasons = [...v.reasons];
  if (confirm !== '' && confirm !== pin) reasons.push({ code: 'confirm_mismatch', message: w('confirm_mismatch') });
  showVerdict(list, reasons, w('good_pin'));
  drawStrip(strip, pin, v.reasons, $('pin-show').checked);
  linkReasons(list, strip);
}

// pwSeq numbers password checks: an answer that arrives after a newer
// check started is dropped (checkPasswordAsync may wait for passwords.tgd,
// which a policy with the blocklist on reads on its first check).
let pwSeq = 0;

async function checkPassword() {
  const pw = $('password').value;
  const list = $('password-verdict');
  const strip = $('password-strip');
  if (!tg) return;
  const seq = ++pwSeq;
  if (pw === '') return idle(list, strip, w('type_pw'));
  const ctx = { alias: $('alias').value.trim(), extensions: context().extensions };
  const v = await tg.checkPasswordAsync(pw, ctx);
  if (seq !== pwSeq) return;
  showVerdict(list, v.reasons, w('good_pw'));
  drawStrip(strip, pw, v.reasons, $('password-show').checked);
  linkReasons(list, strip);
}

// prefixSpan maps the literal start of a blocking pattern (the keys before
// its first wildcard) back onto the typed number, separators skipped, so the
// page can mark the part of the number that made the row match.
function prefixSpan(typed, pattern) {
  const literal = pattern.split(/[*?]/)[0];
  let k = 0;
  const chars = Array.from(typed);
  for (let i = 0; i < chars.length && k < literal.length; i++) {
    if (' -().'.includes(chars[i])) continue;
    if (chars[i] !== literal[k]) return null;
    k++;
    if (k === literal.length) return { start: 0, end: i + 1 };
  }
  return null;
}

function checkForward() {
  const typed = $('forward-number').value;
  const number = typed.trim();
  const list = $('forward-verdict');
  const strip = $('forward-strip');
  if (!tg) return;
  strip.replaceChildren();
  if (number === '') return idle(list, strip, w('type_number'));
  if (!tables || tables.error) {
    delete list.dataset.accepted;
    list.replaceChildren(item(w('no_dial'), 'note', { 'data-error': tables?.error?.code ?? 'no_tables' }));
    return;
  }
  let r;
  try {
    r = tg.dial(number, { tables: tables.handle, table: tables.table });
  } catch (e) {
    delete list.dataset.accepted;
    list.replaceChildren(item(w('no_dial'), 'note', { 'data-error': e.code }));
    return;
  }
  list.dataset.accepted = String(r.allowed);
  if (r.allowed) {
    list.replaceChildren(item(w('allowed', r), 'ok', { 'data-pattern': r.pattern, 'data-row': r.row }));
    return;
  }
  const span = r.reason === 'matched' && r.pattern ? prefixSpan(typed, r.pattern) : null;
  list.replaceChildren(item(w(r.reason, r), '', {
    'data-code': r.reason, 'data-pattern': r.pattern, 'data-row': r.row, 'data-start': span?.start, 'data-end': span?.end,
  }));
  if (span) {
    drawStrip(strip, typed, [span], true);
    linkReasons(list, strip);
  }
}

function checkAll() {
  checkPin();
  checkPassword();
  checkForward();
}

// timed runs a check for an input event and records keystroke-to-verdict.
function timed(fn) {
  return async (ev) => {
    await fn();
    timings.verdictMillis.push(performance.now() - ev.timeStamp);
  };
}

function translatePage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) {
    const v = words[lang][el.dataset.t];
    if (typeof v === 'string') el.textContent = v;
  }
  const status = $('status');
  if (status.dataset.state === 'ready') status.textContent = w('ready', Math.round(timings.loadMillis));
  if (status.dataset.state === 'error') status.textContent = w('failed');
  for (const b of document.querySelectorAll('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

async function setLang(l) {
  if (tg) await tg.setLang(l);
  lang = l;
  translatePage();
  checkAll();
}

function wire() {
  for (const id of ['pin', 'pin-confirm']) $(id).addEventListener('input', timed(checkPin));
  for (const id of ['password', 'alias']) $(id).addEventListener('input', timed(checkPassword));
  $('forward-number').addEventListener('input', timed(checkForward));
  for (const id of ['extension', 'first-name', 'last-name']) {
    $(id).addEventListener('input', timed(() => { checkPin(); return checkPassword(); }));
  }
  $('pin-show').addEventListener('change', (e) => {
    $('pin').type = $('pin-confirm').type = e.target.checked ? 'text' : 'password';
    checkPin();
  });
  $('password-show').addEventListener('change', (e) => {
    $('password').type = e.target.checked ? 'text' : 'password';
    checkPassword();
  });
  for (const b of document.querySelectorAll('.lang button')) b.addEventListener('click', () => setLang(b.dataset.lang));
}

// Views: the settings form (#settings, the default) and the audit of an
// export (#audit), whose code loads only when it is first shown.
let auditView = null;
function showView() {
  const audit = location.hash === '#audit';
  $('audit-view').hidden = !audit;
  $('settings-view').hidden = audit;
  document.querySelector('.lede').hidden = audit; // the lede speaks to a user choosing a PIN
  document.querySelector('footer').hidden = audit; // and the footer of the settings' checker
  for (const [id, on] of [['view-audit', audit], ['view-settings', !audit]]) {
    if (on) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  if (audit && !auditView) auditView = import('./audit-view.js').then((m) => m.wireAudit());
  if (!audit) loadChecker();
}

// The settings view's checker loads when that view is first shown: the
// audit view runs its own module in its worker, and a tab auditing a large
// export should not hold a second instance it never uses.
let loading = null;
function loadChecker() {
  loading ??= (async () => {
    const status = $('status');
    const t0 = performance.now();
    try {
      tg = await load();
    } catch (e) {
      timings.error = String(e);
      status.dataset.state = 'error';
      status.textContent = w('failed');
      return;
    }
    timings.loadMillis = performance.now() - t0;
    try {
      const t = tg.loadTables('default');
      tables = { handle: t.handle, table: t.tables.find((n) => /transfer/i.test(n)) ?? t.tables[0] };
    } catch (e) {
      tables = { error: e };
    }
    status.dataset.state = 'ready';
    translatePage();
    checkAll();
    timings.ready = true;
  })();
}

function start() {
  wire();
  window.addEventListener('hashchange', showView);
  showView();
}

start();
