// The package's prepack and postpack steps (package.json scripts).
//
//   node internal/pack.mjs copy    copies ../wasm/tollgate.wasm, ../wasm/tollgate-audit.wasm, ../wasm/regex.wasm,
//                                  ../wasm/passwords.tgd, ../wasm/destinations.tgd, ../LICENSE and ../NOTICE into js/
//   node internal/pack.mjs clean   removes those copies again
//
// The repository keeps one copy of each module, in wasm/ (the Go host
// embeds it; `make wasm` rebuilds it byte for byte), and one LICENSE, at
// its root. npm packs only the package's own directory and drops symlinks,
// so `npm pack` and `npm publish` copy them beside tollgate.js for the
// tarball and remove them afterwards: in the package tollgate.js finds
// tollgate.wasm beside itself, where bundlers and Node look for it.
// test/package.test.mjs checks that the packed files equal these.

import { copyFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const jsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(jsDir, '..');

/** What is copied: [source in the repository, name in the package]. */
export const copies = [
  [join(root, 'wasm', 'tollgate.wasm'), 'tollgate.wasm'],
  [join(root, 'wasm', 'tollgate-audit.wasm'), 'tollgate-audit.wasm'],
  [join(root, 'wasm', 'regex.wasm'), 'regex.wasm'],
  [join(root, 'wasm', 'passwords.tgd'), 'passwords.tgd'],
  [join(root, 'wasm', 'destinations.tgd'), 'destinations.tgd'],
  [join(root, 'LICENSE'), 'LICENSE'],
  [join(root, 'NOTICE'), 'NOTICE'],
];

function copy() {
  for (const [src, name] of copies) {
    if (!existsSync(src)) {
      throw new Error(`prepack: ${src} is missing: pack from a checkout of the repository (make wasm builds the module)`);
    }
    // Through a temporary name and a rename, so that nothing ever reads a
    // half-written module.
    const dst = join(jsDir, name);
    const tmp = `${dst}.${process.pid}.tmp`;
    copyFileSync(src, tmp);
    renameSync(tmp, dst);
  }
}

function clean() {
  for (const [, name] of copies) rmSync(join(jsDir, name), { force: true });
}

const step = process.argv[2];
if (step === 'copy') copy();
else if (step === 'clean') clean();
else {
  console.error('usage: node internal/pack.mjs copy|clean');
  process.exit(2);
}
