#!/usr/bin/env node
// `npm run build:exe`: the standalone executable dist/nestos-installer-linux-<arch>.
// A Node single executable application: this Node binary with the whole CLI
// (dist/sea/main.cjs, scripts/build.mjs --sea) injected by postject, and as
// assets the native codecs (loaded with process.dlopen, src/util/native-addon.ts)
// and the signing keyring. It needs nothing but the kernel and the C/C++
// runtime libraries this Node binary links (glibc, libstdc++, libgcc_s).

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildSea, nativeAddonFiles, workerEntries } from './build.mjs';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export function executableName(arch = process.arch) {
  return `nestos-installer-linux-${arch}`;
}

export async function buildExe() {
  const seaDir = await buildSea();
  const blob = join(seaDir, 'sea-prep.blob');
  const config = {
    main: join(seaDir, 'main.cjs'),
    output: blob,
    disableExperimentalSEAWarning: true,
    // V8's compiled code cache of the script: start-up without reparsing it.
    useCodeCache: true,
    assets: {
      ...nativeAddonFiles(),
      'keys/signing-keys.asc': join(ROOT, 'keys', 'signing-keys.asc'),
      // Worker threads start from their code (new Worker(code, { eval: true })).
      ...Object.fromEntries(workerEntries().map((w) => [`workers/${w.out}.js`, join(seaDir, `${w.out}.cjs`)])),
    },
  };
  const configFile = join(seaDir, 'sea-config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });

  const out = join(ROOT, 'dist', executableName());
  const temp = `${out}.tmp`;
  rmSync(temp, { force: true });
  copyFileSync(process.execPath, temp);
  chmodSync(temp, 0o755);
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), temp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  renameSync(temp, out);
  return out;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const out = await buildExe();
  process.stdout.write(`${out}\n`);
}
