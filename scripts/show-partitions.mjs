// `node scripts/show-partitions.mjs DISK`: the GPT of a disk or disk image,
// read with the installer's own GPT reader (no sgdisk needed).
// dist/ holds only the bundled CLI, so the two modules are bundled from src/
// here (esbuild, a dev dependency: the demo runs after `npm ci`).
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = await esbuild.build({
  stdin: {
    contents: "export { readGpt } from './src/blockdev/gpt.ts';\nexport { handleReader } from './src/blockdev/saved-partitions.ts';\n",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'error',
});
const { readGpt, handleReader } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);

const path = process.argv[2];
const handle = await open(path, 'r');
try {
  const { size } = await handle.stat();
  const gpt = await readGpt(handleReader(handle, size));
  if (gpt === undefined) {
    console.log(`${path}: no GPT`);
  } else {
    console.log(`${path}: GPT, ${gpt.sectorSize}-byte sectors, ${gpt.entries.length} partitions`);
    console.log('Number  Start (sector)    End (sector)  Size        Name');
    for (const e of gpt.entries) {
      const sectors = e.lastLba - e.firstLba + 1;
      const mib = ((sectors * gpt.sectorSize) / 2 ** 20).toFixed(1);
      console.log(
        `${String(e.index).padStart(4)}  ${String(e.firstLba).padStart(14)}  ${String(e.lastLba).padStart(14)}  ${`${mib} MiB`.padEnd(10)}  ${e.name}`,
      );
    }
  }
} finally {
  await handle.close();
}
