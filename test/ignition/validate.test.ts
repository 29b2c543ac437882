import { describe, expect, it } from 'vitest';
import { checkIgnitionConfig, validateIgnition } from '../../src/ignition/validate.js';
import { errorChain } from '../../src/util/errors.js';

const chain = (text: string): string[] => {
  try {
    validateIgnition(Buffer.from(text), 'cfg.ign', () => undefined);
  } catch (err) {
    return errorChain(err);
  }
  return [];
};

describe('Ignition input check (E9)', () => {
  it.each(['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0', '3.5.0', '3.6.0'])('accepts version %s', (v) => {
    expect(checkIgnitionConfig(Buffer.from(JSON.stringify({ ignition: { version: v } })))).toEqual([]);
  });

  it.each([
    ['{"ignition": {"version": "2.2.0"}}', 'unsupported config version: 2.2.0'],
    ['{"ignition": {"version": "3.0.0-experimental"}}', 'unsupported config version: 3.0.0-experimental'],
    ['{"ignition": {"version": "3.7.0"}}', 'unsupported config version: 3.7.0'],
    ['{"ignition": {"version": "three"}}', "couldn't parse config version: unexpected version syntax 'three'"],
    ['{"ignition": {}}', 'serialization error: missing field `version`'],
    ['{"storage": {}}', 'serialization error: missing field `ignition`'],
    ['[1]', 'serialization error: invalid type: expected struct Config'],
  ])('refuses %s', (text, message) => {
    expect(chain(text)).toEqual(['parsing Ignition config cfg.ign', message]);
  });

  it('refuses invalid JSON, such as SPEC 4.5.1 test config', () => {
    const [outer, inner] = chain('{"ignition": {"version": "3.0.0"}\n');
    expect(outer).toBe('parsing Ignition config cfg.ign');
    expect(inner).toMatch(/^serialization error: /);
  });

  it('warns about unknown top-level keys; kernelArguments is known from 3.3.0', () => {
    const warnings: string[] = [];
    const cfg = { ignition: { version: '3.3.0' }, kernelArguments: {}, storage: {}, foo: 1 };
    validateIgnition(Buffer.from(JSON.stringify(cfg)), 'x.ign', (w) => warnings.push(w));
    expect(warnings).toEqual(['Warning parsing x.ign: unused key: foo']);
    expect(checkIgnitionConfig(Buffer.from('{"ignition":{"version":"3.2.0"},"kernelArguments":{}}'))).toEqual(['kernelArguments']);
  });

  it('an empty input is allowed (Ignition: no config)', () => {
    expect(chain('')).toEqual([]);
    expect(chain(' \n')).toEqual([]);
  });
});
