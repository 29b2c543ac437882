// `node scripts/show-partitions.mjs DISK`: the GPT of a disk or disk image,
// read with the installer's own GPT reader (no sgdisk needed).
import { open } from 'node:fs/promises';
import { readGpt } from '../dist/blockdev/gpt.js';
import { handleReader } from '../dist/blockdev/saved-partitions.js';

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
      console.log(`${String(e.index).padStart(4)}  ${String(e.firstLba).padStart(14)}  ${String(e.lastLba).padStart(14)}  ${`${mib} MiB`.padEnd(10)}  ${e.name}`);
    }
  }
} finally {
  await handle.close();
}
