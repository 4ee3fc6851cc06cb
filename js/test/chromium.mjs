// Debian's Chromium for the browser tests: where it is, whether it must be
// there (make test-js sets TOLLGATE_REQUIRE_BROWSER=1, any make run
// TOLLGATE_REQUIRE_TOOLS=1: then a missing Chromium fails), and the flags of a
// headless Chromium that makes no request of its own.

import { existsSync } from 'node:fs';
import { required as requireTools } from './env.mjs';

export const chromiumPath = process.env.TOLLGATE_CHROMIUM || '/usr/bin/chromium';
export const required = process.env.TOLLGATE_REQUIRE_BROWSER === '1' || requireTools;
export const haveBrowser = existsSync(chromiumPath);

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--metrics-recording-only', '--no-default-browser-check',
];

/** A skip reason for node:test, or false when the browser tests must run. */
export const skipBrowser = !haveBrowser && !required ? `no Chromium at ${chromiumPath} (make js-deps installs it)` : false;
