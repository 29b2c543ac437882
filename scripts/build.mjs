#!/usr/bin/env node
// Builds the CLI with esbuild.
//
//   node scripts/build.mjs        dist/main.js: the bin, a small CommonJS
//                                 script (src/bin.ts) that answers --version
//                                 and otherwise loads dist/main.mjs: the
//                                 program, one ES module with lazily loaded
//                                 chunks beside it (dist/*.mjs); source maps
//                                 (*.map). The native codecs stay external:
//                                 npm installs them.
//   node scripts/build.mjs --sea  dist/sea/main.cjs: the whole CLI as one
//                                 CommonJS script for the standalone
//                                 executable (scripts/build-exe.mjs), the
//                                 native codecs loaded from its assets.
//
// Type checking is separate (`tsc --noEmit` in `npm test`).

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The native codec packages: installed by npm beside the bundle, carried as assets by the executable. */
export const NATIVE_PACKAGES = ['node-liblzma', 'zstd-napi'];

/**
 * Worker entry points (src path → output name in dist/). A module starts a
 * worker with `new URL('./<name>.mjs', import.meta.url)`; every chunk sits
 * directly in dist/, so that URL resolves to the file emitted here.
 */
export function workerEntries() {
  return ['xz-worker', 'stream-worker'].map((out) => ({ in: join(ROOT, 'src', 'io', 'codec', `${out}.ts`), out }));
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
  define: {
    __NESTOS_PACKAGE_VERSION__: JSON.stringify(pkg.version),
  },
};

/** Options of the npm/bin build (also used by tests that bundle a module alone). */
export function esmOptions(entryPoints, outdir) {
  return {
    ...common,
    entryPoints,
    outdir,
    format: 'esm',
    // .mjs: dist/package.json makes dist/*.js CommonJS, for the bin (binOptions).
    outExtension: { '.js': '.mjs' },
    splitting: true,
    sourcemap: 'linked',
    sourcesContent: false,
    chunkNames: '[name]-[hash]',
    external: NATIVE_PACKAGES,
    plugins: [esmBuilds, plainStringWidth],
    define: { ...common.define, __NESTOS_RESOURCE_ROOT__: JSON.stringify('../') },
    // Bundled CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __nestosCreateRequire } from 'node:module';\nconst require = __nestosCreateRequire(import.meta.url);",
    },
  };
}

/**
 * The bin, dist/main.js: src/bin.ts as one CommonJS script (the few util
 * modules it needs bundled in), its import of main.ts left to dist/main.mjs.
 */
function binOptions(outfile, topHelp) {
  return {
    ...common,
    entryPoints: [join(ROOT, 'src', 'bin.ts')],
    outfile,
    format: 'cjs',
    sourcemap: 'linked',
    sourcesContent: false,
    // resources.ts finds files from import.meta.url: here, this script's own URL.
    banner: { js: "var __nestosImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: {
      ...common.define,
      __NESTOS_RESOURCE_ROOT__: JSON.stringify('../'),
      __NESTOS_TOP_HELP__: JSON.stringify(topHelp),
      'import.meta.url': '__nestosImportMetaUrl',
    },
    plugins: [
      {
        name: 'program-module',
        setup(build) {
          build.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './main.mjs', external: true }));
        },
      },
    ],
  };
}

/**
 * With code splitting, esbuild gives a dynamically imported CommonJS package
 * only a default export (`const { parse } = await import('yaml')` would get
 * undefined). Packages that ship an ES module build are resolved to it;
 * buildEsm() refuses any other CommonJS chunk.
 */
const esmBuilds = {
  name: 'esm-builds',
  setup(build) {
    // yaml: "node" → CommonJS dist/, "default" → the same code as ES modules.
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: join(ROOT, 'node_modules', 'yaml', 'browser', 'index.js') }));
  },
};

/**
 * yargs, cliui and wrap-ansi measure text with `string-width`, which builds an
 * Intl.Segmenter and a \p{RGI_Emoji} regular expression as it loads (~30 ms
 * of every start-up), for a help layout we never print: see
 * src/cli/yargs-string-width.ts, which the bundles use instead.
 */
const plainStringWidth = {
  name: 'plain-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, () => ({ path: join(ROOT, 'src', 'cli', 'yargs-string-width.ts') }));
  },
};

const NATIVE_ADDON_LOADER = join(ROOT, 'src', 'util', 'native-addon.ts');

/**
 * Inside the executable there is no node_modules: the codec packages' own
 * loaders (node-gyp-build, a computed require of build/Release/binding.node)
 * are replaced by loadEmbeddedAddon() of the asset of the same name.
 */
const embeddedAddons = {
  name: 'embedded-native-addons',
  setup(build) {
    build.onLoad({ filter: /node-liblzma[\\/]lib[\\/]lzma\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const loader = "const liblzma = require('node-gyp-build')(bindingPath);";
      if (!src.includes(loader)) throw new Error(`node-liblzma changed its loader; update ${fileURLToPath(import.meta.url)}`);
      const contents = src
        .replace(
          loader,
          `import { loadEmbeddedAddon as __nestosLoadAddon } from ${JSON.stringify(NATIVE_ADDON_LOADER)};\nconst liblzma = __nestosLoadAddon('node-liblzma.node');`,
        )
        .replace(/^const (__filename|__dirname|require|bindingPath) = .*$/gm, '');
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
    build.onLoad({ filter: /zstd-napi[\\/]binding\.js$/ }, () => ({
      contents: `module.exports = require(${JSON.stringify(NATIVE_ADDON_LOADER)}).loadEmbeddedAddon('zstd-napi.node');`,
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

/** The native addon files the executable carries (asset name → file). */
export function nativeAddonFiles() {
  const arch = process.arch;
  const nm = join(ROOT, 'node_modules');
  return {
    'node-liblzma.node': firstExisting([
      // The prebuilt addon links liblzma statically: one library fewer for the live system to have.
      join(nm, 'node-liblzma', 'prebuilds', `linux-${arch}`, 'node-liblzma.node'),
      join(nm, 'node-liblzma', 'build', 'Release', 'node_lzma.node'),
    ]),
    'zstd-napi.node': firstExisting([join(nm, 'zstd-napi', 'build', 'Release', 'binding.node')]),
  };
}

function firstExisting(paths) {
  for (const p of paths) {
    try {
      readFileSync(p, { flag: 'r' }).subarray(0, 0);
      return p;
    } catch {
      // try the next
    }
  }
  throw new Error(`none of these exist: ${paths.join(', ')}`);
}

export async function buildEsm() {
  const dist = join(ROOT, 'dist');
  for (const name of ['main.js', 'main.js.map', 'package.json']) rmSync(join(dist, name), { force: true });
  // Old chunks and the tsc-era tree go; dist/sea and executables stay.
  try {
    for (const entry of readdirSync(dist)) {
      if (
        /\.m?js(\.map)?$/.test(entry) ||
        ['cli', 'commands', 'io', 'util', 'source', 'install', 'live', 'initrd', 'iso9660', 'blockdev', 'ignition'].includes(entry)
      ) {
        rmSync(join(dist, entry), { recursive: true, force: true });
      }
    }
  } catch (err) {
    if (err.code !== 'ENOENT') throw err; // no dist yet
  }
  const entryPoints = [{ in: join(ROOT, 'src', 'main.ts'), out: 'main' }, ...workerEntries()];
  const result = await esbuild.build({ ...esmOptions(entryPoints, dist), metafile: true });
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.mjs')) continue;
    if (
      out.exports.length === 1 &&
      out.exports[0] === 'default' &&
      /\bexport default require_\w+\(\);?$/m.test(readFileSync(join(ROOT, file), 'utf8'))
    ) {
      throw new Error(
        `${file}: a CommonJS package is imported dynamically and would lose its named exports; resolve it to its ES module build (esmBuilds in ${fileURLToPath(import.meta.url)})`,
      );
    }
  }
  writeFileSync(join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  await esbuild.build(binOptions(join(dist, 'main.js'), topHelp(dist)));
  chmodSync(join(dist, 'main.js'), 0o755);
  return result;
}

/**
 * `--help` as the program just built prints it, under each name (argv0 is
 * one of the two names invokedFamily() reads), for the bin to print without
 * loading it (src/bin.ts).
 */
function topHelp(dist) {
  const run = (argv0) => execFileSync(process.execPath, [join(dist, 'main.mjs'), '--help'], { argv0, encoding: 'utf8' });
  return { nestos: run('nestos-installer'), coreos: run('coreos-installer') };
}

/** The executable's script cannot import() at all (no dynamic import callback in Node 20's SEA). */
function refuseDynamicImports(outdir) {
  for (const name of readdirSync(outdir).filter((n) => n.endsWith('.cjs'))) {
    const left = readFileSync(join(outdir, name), 'utf8').match(/\bimport\(\s*["'][^"']+["']\s*\)/g);
    if (left) throw new Error(`${name}: import() left in the executable's script (${left.join(', ')}); use a static import`);
  }
}

export async function buildSea() {
  const outdir = join(ROOT, 'dist', 'sea');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const entryPoints = [{ in: join(ROOT, 'src', 'main.ts'), out: 'main' }, ...workerEntries()];
  // Each entry (main and every worker) becomes one self-contained script;
  // scripts/build-exe.mjs carries the workers as assets "workers/<name>.js".
  await esbuild.build({
    ...common,
    entryPoints,
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // Prefer the packages' CommonJS builds where they ship both (openpgp).
    mainFields: ['main', 'module'],
    conditions: ['require'],
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [embeddedAddons, plainStringWidth],
    // Bundled ES modules (yargs-parser, resources.ts) use import.meta.url for
    // createRequire() and relative files; in the executable it names the
    // executable itself (no files lie beside it; resources come from assets).
    banner: { js: "var __nestosImportMetaUrl = require('node:url').pathToFileURL(process.execPath).href;" },
    define: {
      ...common.define,
      __NESTOS_SEA__: 'true',
      __NESTOS_RESOURCE_ROOT__: JSON.stringify(''),
      'import.meta.url': '__nestosImportMetaUrl',
    },
  });
  refuseDynamicImports(outdir);
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--sea')) await buildSea();
  else await buildEsm();
}
