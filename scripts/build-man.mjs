#!/usr/bin/env node
// `npm run build:man`: writes man/<command>.8 for every visible command from
// the command tables (src/cli/manpage.ts), the same tables --help renders,
// and lists them in package.json "man". Pages of commands that no longer
// exist are removed. test/cli/man.test.ts
// fails when a checked-in page is stale.

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { ROOT } from './build.mjs';

// The TypeScript tables, bundled into a temporary module inside the checkout
// (so any package import resolves from node_modules), imported, then removed.
const temp = join(ROOT, 'dist', `.build-man-${process.pid}.mjs`);
mkdirSync(join(ROOT, 'dist'), { recursive: true });
await esbuild.build({
  stdin: {
    contents:
      "export { ROOT_COMMAND } from './src/cli/index.ts';\n" +
      "export { renderManPages } from './src/cli/manpage.ts';\n" +
      "export { packageVersion } from './src/util/version.ts';\n",
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
  outfile: temp,
  define: { __NESTOS_RESOURCE_ROOT__: JSON.stringify('../') },
});
let pages;
try {
  const m = await import(pathToFileURL(temp).href);
  pages = m.renderManPages(m.ROOT_COMMAND, m.packageVersion());
} finally {
  rmSync(temp, { force: true });
}
const dir = join(ROOT, 'man');
mkdirSync(dir, { recursive: true });
const keep = new Set(pages.map((p) => p.file));
for (const old of readdirSync(dir)) if (/\.\d$/.test(old) && !keep.has(old)) rmSync(join(dir, old));
for (const page of pages) writeFileSync(join(dir, page.file), page.text);
// package.json "man" lists every page, so `npm install -g` links them into <prefix>/share/man.
const pkgFile = join(ROOT, 'package.json');
const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
pkg.man = pages.map((p) => `./man/${p.file}`);
writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
process.stdout.write(`${pages.length} pages in man/\n`);
