// Shared pieces of the ISO e2e tests: the fixtures plus our own xorriso-built
// layout and a NestOS ISO as nestos-assembler lays it out (genisoimage), and
// the three output modes of an ISO-modifying command.

import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js';
import { ISO_FIXTURES, runCacheDir, isoCopy, pristineIso, sha256, type IsoFixture } from '../live/fixture-iso.js';
import { buildNestosIso } from '../live/build-iso.js';
import { nestosIso } from '../helpers/nestos-iso.js';

/** Our own xorriso layout (NESTOS/ metadata, an igninfo slice, pad/end variants). */
export const NESTOS = 'nestos-xorriso';
/** A real NestOS layout: NESTOS/ metadata, level 1 with Rock Ridge, EFI/openEuler (test/helpers/nestos-iso.ts). */
export const NESTOS_GENISO = 'nestos-genisoimage';
export type IsoUnderTest = IsoFixture | typeof NESTOS | typeof NESTOS_GENISO;

/** True for the committed fixtures (which have goldens). */
export function isFixture(name: IsoUnderTest): name is IsoFixture {
  return name !== NESTOS && name !== NESTOS_GENISO;
}

let built: string | undefined;

/** The pristine image of a fixture or of our own xorriso layout (built once per test file). */
export function pristine(name: IsoUnderTest): string {
  if (name === NESTOS_GENISO) return nestosIso().path;
  if (name !== NESTOS) return pristineIso(name);
  built ??= buildNestosIso(runCacheDir('nestos-xorriso-')).path;
  return built;
}

export function copyOf(name: IsoUnderTest, dir: string, as: string): string {
  if (isFixture(name)) return isoCopy(name, dir, as);
  const dest = join(dir, as);
  copyFileSync(pristine(name), dest);
  return dest;
}

export const ALL_ISOS: IsoUnderTest[] = [...ISO_FIXTURES, NESTOS, NESTOS_GENISO];

export function ok(r: CliResult): CliResult {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r;
}

export function failsWith(r: CliResult, text: string): void {
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(text);
  expect(r.stderr).toMatch(/^Error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

export interface ModeResults {
  stream: CliResult;
  file: CliResult;
  inPlace: CliResult;
  /** sha256 of each output (undefined when the command failed). */
  hashes: (string | undefined)[];
}

/**
 * Run `args... ISO` in the three modes on fresh copies of `source`:
 * `-o -` (stdout), `-o FILE`, and in place. Returns the results and output hashes.
 */
export async function threeModes(
  source: string,
  dir: string,
  tag: string,
  args: string[],
  input?: Buffer | string,
  cli: CliOptions = {},
): Promise<ModeResults> {
  const a = join(dir, `${tag}-stream.iso`);
  const b = join(dir, `${tag}-file-in.iso`);
  const out = join(dir, `${tag}-file-out.iso`);
  const c = join(dir, `${tag}-inplace.iso`);
  for (const p of [a, b, c]) writeFileSync(p, readFileSync(source));
  const opts = input === undefined ? cli : { ...cli, input };
  const stream = await runCli([...args, a, '-o', '-'], opts);
  const file = await runCli([...args, b, '-o', out], opts);
  const inPlace = await runCli([...args, c], opts);
  const before = sha256(readFileSync(source));
  const hashes = [
    stream.status === 0 ? sha256(stream.stdout) : undefined,
    file.status === 0 ? sha256(readFileSync(out)) : undefined,
    inPlace.status === 0 ? sha256(readFileSync(c)) : undefined,
  ];
  // Inputs of the -o modes never change; a failed command changes nothing and creates nothing.
  expect(sha256(readFileSync(a))).toBe(before);
  expect(sha256(readFileSync(b))).toBe(before);
  if (file.status === 0) expect(statSync(out).mode & 0o777).toBe(0o600);
  else expect(existsSync(out)).toBe(false);
  if (stream.status !== 0) expect(stream.stdout.length).toBe(0);
  if (inPlace.status !== 0) expect(sha256(readFileSync(c))).toBe(before);
  return { stream, file, inPlace, hashes };
}

/**
 * The guides' Must-show `iso customize` (SPEC 4.10), run in a directory holding
 * d.ign and k.nmconnection: install to /dev/sda with them, a live karg, out.iso.
 */
export function mustShowCustomize(input: string): string[] {
  return [
    'iso',
    'customize',
    '--dest-device',
    '/dev/sda',
    '--dest-ignition',
    'd.ign',
    '--network-keyfile',
    'k.nmconnection',
    '--live-karg-append',
    'x=1',
    '-o',
    'out.iso',
    input,
  ];
}

/** Write the stdout of a result to a file (to chain commands). */
export function saveStdout(r: CliResult, path: string): string {
  writeFileSync(path, ok(r).stdout);
  return path;
}
