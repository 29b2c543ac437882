#!/usr/bin/env node
// Start-up time, measured as paired runs: each round runs `node -e 0` and
// then every command once, in alternating order, so a busy machine slows
// both sides of a pair alike. Prints medians and the median of the per-round
// ratios. Usage: node scripts/startup-time.mjs [rounds] (build first).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './build.mjs';

const rounds = Number(process.argv[2] ?? 40);
const main = join(ROOT, 'dist', 'main.js');
const exe = join(ROOT, 'dist', `nestos-installer-linux-${process.arch}`);
const baseline = { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] };
const subjects = [
  { name: 'node dist/main.js --version', cmd: [process.execPath, main, '--version'] },
  { name: 'node dist/main.js --help', cmd: [process.execPath, main, '--help'] },
  ...(existsSync(exe)
    ? [
        { name: 'executable --version', cmd: [exe, '--version'] },
        { name: 'executable --help', cmd: [exe, '--help'] },
      ]
    : []),
];

function time([file, ...args]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const s of [baseline, ...subjects]) time(s.cmd); // warm the page cache
const base = [];
const samples = subjects.map(() => []);
const ratios = subjects.map(() => []);
for (let i = 0; i < rounds; i++) {
  subjects.forEach((s, j) => {
    const first = i % 2 === 0;
    const b1 = first ? time(baseline.cmd) : undefined;
    const t = time(s.cmd);
    const b = first ? b1 : time(baseline.cmd);
    base.push(b);
    samples[j].push(t);
    ratios[j].push(t / b);
  });
}
const rows = [
  [baseline.name, median(base).toFixed(1), ''],
  ...subjects.map((s, j) => [s.name, median(samples[j]).toFixed(1), `${median(ratios[j]).toFixed(2)}×`]),
];
process.stdout.write(`| command | median ms (${rounds} paired rounds) | ratio to node -e 0 |\n| --- | --- | --- |\n`);
for (const r of rows) process.stdout.write(`| \`${r[0]}\` | ${r[1]} | ${r[2]} |\n`);
