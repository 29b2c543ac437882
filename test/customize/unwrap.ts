// Unwrapping a customized ISO with the tool's own read-side commands, the way
// a user checks what an ISO will do: `dev show iso --ignition` for the embed
// area, `dev show initrd` for its members (contents
// through our initrd reader), `iso
// ignition show` for the live config, `dev show iso --kargs` for the karg
// regions of every bootloader config.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Initrd } from '../../src/initrd/initrd.js';
import { runCli } from '../helpers/cli.js';
import { decodeConfig, type GeneratedConfig } from './decode.js';

export interface UnwrappedIso {
  /** Members of the embed area, byte-sorted (empty when the area is all zeros). */
  members: string[];
  /** Contents of each member. */
  contents: Map<string, Buffer>;
  /** The live Ignition config, decoded, when config.ign is present. */
  live: GeneratedConfig | undefined;
  /** `iso kargs show` (undefined without karg areas). */
  kargs: string | undefined;
  /** The text of every karg region, with pad and end stripped. */
  kargRegions: string[];
}

function must(r: { status: number | null; stderr: string }, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`);
}

export async function unwrapIso(iso: string, scratch: string): Promise<UnwrappedIso> {
  const info = await runCli(['dev', 'show', 'iso', '--ignition', iso]);
  must(info, 'dev show iso --ignition');
  const { offset, length } = JSON.parse(info.out) as { offset: number; length: number };
  const area = readFileSync(iso).subarray(offset, offset + length);
  const members: string[] = [];
  const contents = new Map<string, Buffer>();
  if (area.some((b) => b !== 0)) {
    const dir = mkdtempSync(join(scratch, 'area-'));
    const file = join(dir, 'area.img');
    writeFileSync(file, area);
    const shown = await runCli(['dev', 'show', 'initrd', file]);
    must(shown, 'dev show initrd');
    members.push(...shown.out.split('\n').filter((l) => l !== ''));
    const initrd = await Initrd.fromBuffer(area);
    for (const m of members) contents.set(m, initrd.get(m) ?? Buffer.alloc(0));
  }
  const shown = await runCli(['iso', 'ignition', 'show', iso]);
  const live = shown.status === 0 ? decodeConfig(shown.stdout) : undefined;
  if (shown.status !== 0 && !shown.stderr.includes('No embedded Ignition config.')) throw new Error(shown.stderr);

  const kargInfo = await runCli(['dev', 'show', 'iso', '--kargs', iso]);
  must(kargInfo, 'dev show iso --kargs');
  const areas = JSON.parse(kargInfo.out) as { kargs: { offset: number; length: number; pad?: string; end?: string }[] } | null;
  const kargRegions: string[] = [];
  let kargs: string | undefined;
  if (areas !== null) {
    const data = readFileSync(iso);
    for (const r of areas.kargs) {
      const text = data.toString('utf8', r.offset, r.offset + r.length);
      const pad = r.pad ?? '#';
      const end = r.end ?? '\n';
      let t = text;
      while (t.endsWith(pad)) t = t.slice(0, -pad.length);
      while (t.endsWith(end)) t = t.slice(0, -end.length);
      kargRegions.push(t.trim());
    }
    const k = await runCli(['iso', 'kargs', 'show', iso]);
    must(k, 'iso kargs show');
    kargs = k.out.trimEnd();
  }
  return { members, contents, live, kargs, kargRegions };
}
