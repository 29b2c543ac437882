// One temporary root per test run. Every worker, every CLI child and every
// temp file the program itself makes (TMPDIR) lives under it; at teardown the
// run must have left nothing behind: no file under the root or in /tmp, no
// loop device, mount or process that belongs to the run. A leak fails `npm test`.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SYSTEM_TMP = '/tmp';
/** Names the program puts in a temp dir or beside an output (TEMP_FILE_PREFIX, TEMP_DIR_PREFIX, both families). */
const OURS = /^\.?(nestos|coreos)-installer/;
const RUN_ROOT_PREFIX = 'nestos-test-run-';

let root = '';
let tmpBefore = new Set<string>();
let loopsBefore = new Set<string>();

/**
 * The program's names in /tmp. Everything the tests make is under the run
 * root (checked whole); /tmp is shared with other processes on this machine,
 * so only names the program itself uses are attributed to the run.
 */
function tmpEntries(): Set<string> {
  return new Set(readdirSync(SYSTEM_TMP).filter((n) => OURS.test(n)));
}

/** `losetup -a` lines (device: backing file); empty without losetup or root. */
function loopDevices(): Set<string> {
  try {
    const out = execFileSync('losetup', ['-a', '--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
    return new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
  } catch {
    return new Set();
  }
}

/** Mount points under the run root. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Processes (other than this one) started with TMPDIR set to the run root. */
function processesOfRun(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!env.includes(`TMPDIR=${dir}`)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        // gone meanwhile
      }
      found.push(`${pid} ${cmd || exe}`);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** One fuzz target's result, as test/fuzz/fuzz.test.ts records it for the summary. */
export interface FuzzOutcome {
  target: string;
  cases: number;
  crashes: number;
  hangs: number;
  seed: string;
  first?: string;
}

/** The fuzz targets' results (test/fuzz), one line each and the total, printed last. */
function printFuzzSummary(dir: string): void {
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return;
  }
  const results = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as FuzzOutcome);
  const lines = results.map(
    (r) => `fuzz ${r.target}: ${r.cases} cases, ${r.crashes} crashes, ${r.hangs} hangs${r.first ? ` (first: ${r.first})` : ''}`,
  );
  const sum = (k: 'cases' | 'crashes' | 'hangs'): number => results.reduce((n, r) => n + r[k], 0);
  lines.push(`fuzz seed: ${results[0]?.seed ?? '-'}`);
  lines.push(`fuzz: ${results.length} targets, ${sum('cases')} cases, ${sum('crashes')} crashes, ${sum('hangs')} hangs`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (sum('crashes') + sum('hangs') > 0) process.exitCode = 1;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function setup(): void {
  tmpBefore = tmpEntries();
  loopsBefore = loopDevices();
  root = mkdtempSync(join(SYSTEM_TMP, RUN_ROOT_PREFIX));
  // Workers and every child they spawn inherit it, so os.tmpdir() is the run root.
  process.env['TMPDIR'] = root;
  process.env['NESTOS_TEST_RUN_ROOT'] = root;
}

export function teardown(): void {
  const problems: string[] = [];
  // Workers may take a moment to exit after the last file.
  let procs = processesOfRun(root);
  for (let i = 0; i < 20 && procs.length > 0; i++) {
    sleep(100);
    procs = processesOfRun(root);
  }
  if (procs.length > 0) {
    problems.push(`processes outlived the suite:\n  ${procs.join('\n  ')}`);
    for (const p of procs) {
      try {
        process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const mounts = mountsUnder(root);
  if (mounts.length > 0) problems.push(`mounts outlived the suite:\n  ${mounts.join('\n  ')}`);
  const loops = [...loopDevices()].filter(
    (l) => !loopsBefore.has(l) && (l.includes(root) || OURS.test(l.split(/\s+/)[1]?.split('/').pop() ?? '')),
  );
  if (loops.length > 0) problems.push(`loop devices outlived the suite:\n  ${loops.join('\n  ')}`);
  // Files the run's own caches keep (pristine ISOs) are removed here; anything else is a leak.
  const cache = join(root, 'cache');
  printFuzzSummary(join(cache, 'fuzz'));
  rmSync(cache, { recursive: true, force: true });
  const left = readdirSync(root);
  if (left.length > 0) problems.push(`files left in the run's temp root ${root}:\n  ${left.join('\n  ')}`);
  const gained = [...tmpEntries()].filter((n) => !tmpBefore.has(n));
  if (gained.length > 0) problems.push(`files left in ${SYSTEM_TMP}:\n  ${gained.join('\n  ')}`);
  if (mounts.length === 0) rmSync(root, { recursive: true, force: true });
  if (problems.length > 0) {
    // vitest reports a throwing teardown but still exits 0: set the status too.
    process.exitCode = 1;
    throw new Error(`the test run left things behind:\n${problems.join('\n')}`);
  }
}
