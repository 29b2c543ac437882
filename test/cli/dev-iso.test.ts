// `dev show iso [--ignition|--kargs]` against the goldens (SPEC 4.15, A.1-A.2).

import { describe, expect, it } from 'vitest';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { ISO_FIXTURES, golden, pristineIso } from '../live/fixture-iso.js';

describe.skipIf(needs({ tools: ['xz'] }))('dev show iso', () => {
  for (const name of ISO_FIXTURES) {
    it(name, async () => {
      const iso = pristineIso(name);
      const plain = await runCli(['dev', 'show', 'iso', iso]);
      expect(plain.stderr).toBe('');
      expect(plain.out).toBe(golden(`${name}.dev-show-iso.json`));
      expect((await runCli(['dev', 'show', 'iso', '--ignition', iso])).out).toBe(golden(`${name}.dev-show-iso-ignition.json`));
      expect((await runCli(['dev', 'show', 'iso', '--kargs', iso])).out).toBe(golden(`${name}.dev-show-iso-kargs.json`));
    });
  }

  it('synthetic', async () => {
    const iso = pristineIso('synthetic');
    expect((await runCli(['dev', 'show', 'iso', iso])).out).toBe(golden('synthetic.dev-show-iso.json'));
    const expected = golden('synthetic.dev-show-iso-ignition-and-kargs.ERROR.txt').split('\n').slice(1).join('\n');
    for (const flag of ['--ignition', '--kargs']) {
      // The golden is upstream's wording: coreos-installer's; nestos-installer says NestOS.
      const r = await runCli(['dev', 'show', 'iso', flag, iso], AS_COREOS);
      expect(r.status).toBe(1);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toBe(expected);
      const n = await runCli(['dev', 'show', 'iso', flag, iso]);
      expect(n.status).toBe(1);
      expect(n.stderr).toBe(expected.replace('CoreOS', 'NestOS'));
    }
  });

  it('--ignition and --kargs conflict', async () => {
    const r = await runCli(['dev', 'show', 'iso', '--ignition', '--kargs', pristineIso('synthetic')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: the argument '--ignition' cannot be used with '--kargs'");
  });
});
