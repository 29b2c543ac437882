// Fuzzing every user-input parser (issue 16 item 1). `npm test` runs a few
// hundred cases per target; `npm run fuzz` runs FUZZ_CASES (10,000) each.
// Property: a result, or an error the CLI prints as a clear message: never a
// JavaScript error (TypeError, RangeError: "Maximum call stack", "out of
// range", ...), a hang, or memory that grows without bound.
//
// Reproduce a failure: FUZZ_SEED=<seed> FUZZ_TARGET='<name>' FUZZ_CASE=<n> npm run fuzz

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorChain } from '../../src/util/errors.js';
import type { FuzzOutcome } from '../global-setup.js';
import { cacheRoot } from '../helpers/tmp.js';
import { Rng, mutate } from './mutator.js';
import { TARGETS, type Seed } from './targets.js';

const CASES = Number(process.env['FUZZ_CASES'] ?? 300);
const SEED = process.env['FUZZ_SEED'] ?? randomBytes(6).toString('hex');
const ONLY_TARGET = process.env['FUZZ_TARGET'];
const ONLY_CASE = process.env['FUZZ_CASE'] === undefined ? undefined : Number(process.env['FUZZ_CASE']);
/** A case slower than this counts as a hang. */
const HANG_MS = 5_000;
/** Resident memory above the start by more than this counts as unbounded. */
const MEMORY_BOUND = 1 << 30;

const JS_WORDING =
  /Maximum call stack|out of range|Cannot read propert|Cannot set propert|is not a function|is not iterable|Invalid array length|Invalid string length|must be of type|ERR_[A-Z_]{3,}|\bundefined\b|\bNaN\b|\[object /;

/** Why an error is not a clean CLI error, or undefined when it is. */
export function dirtiness(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 32; depth++) {
    if (!(cur instanceof Error)) return `threw a non-Error: ${String(cur)}`;
    if (cur instanceof TypeError || cur instanceof RangeError || cur instanceof ReferenceError || cur instanceof EvalError) {
      return `${cur.name}: ${cur.message}`;
    }
    cur = cur.cause;
  }
  const text = errorChain(err).join(': ');
  return JS_WORDING.test(text) ? `JavaScript wording: ${text}` : undefined;
}

/** Results go under the run's cache; test/global-setup.ts prints the summary at teardown. */
function record(outcome: FuzzOutcome): void {
  const dir = join(cacheRoot(), 'cache', 'fuzz');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${outcome.target.replace(/[^a-z0-9]+/gi, '-')}.json`), JSON.stringify(outcome));
}

describe('fuzz', () => {
  for (const target of TARGETS) {
    if (ONLY_TARGET !== undefined && ONLY_TARGET !== target.name) continue;
    it(`${target.name}`, { timeout: 3_600_000 }, async () => {
      const seeds: Seed[] = await target.seeds();
      // The seeds themselves must pass (a clean refusal counts: some seeds are bad inputs on purpose).
      for (const seed of seeds) {
        const problem = await target.run(seed.data).then(() => undefined, dirtiness);
        expect(problem, 'a seed').toBeUndefined();
      }
      const outcome: FuzzOutcome = { target: target.name, cases: 0, crashes: 0, hangs: 0, seed: SEED };
      const baseline = process.memoryUsage().rss;
      const first = ONLY_CASE ?? 0;
      const last = ONLY_CASE ?? CASES - 1;
      for (let n = first; n <= last; n++) {
        const rng = new Rng(`${SEED}/${target.name}/${n}`);
        const seed = rng.pick(seeds);
        const input = mutate(seed.data, rng, seed.focus);
        const started = performance.now();
        let problem: string | undefined;
        try {
          await target.run(input);
        } catch (err) {
          problem = dirtiness(err);
        }
        const took = performance.now() - started;
        outcome.cases++;
        if (took > HANG_MS) {
          outcome.hangs++;
          problem ??= `took ${Math.round(took)} ms`;
        } else if (problem !== undefined) outcome.crashes++;
        if (problem === undefined && process.memoryUsage().rss - baseline > MEMORY_BOUND) {
          outcome.crashes++;
          problem = `resident memory grew by ${process.memoryUsage().rss - baseline} bytes`;
        }
        if (problem !== undefined && outcome.first === undefined) {
          outcome.first = `case ${n}: ${problem} (FUZZ_SEED=${SEED} FUZZ_TARGET='${target.name}' FUZZ_CASE=${n})`;
        }
      }
      record(outcome);
      expect(outcome.first, outcome.first).toBeUndefined();
    });
  }
});
