import { describe, expect, it } from 'vitest';
import { checkIgnitionConfig, validateIgnition } from '../../src/ignition/validate.js';
import { errorChain } from '../../src/util/errors.js';

const warnings = (text: string): string[] => {
  const out: string[] = [];
  validateIgnition(Buffer.from(text), 'cfg.ign', (w) => out.push(w));
  return out;
};

const chain = (text: string): string[] => {
  try {
    checkIgnitionConfig(Buffer.from(text));
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
    ['{"ignition": {"version": "2.2.0"}}', 'unsupported config version: 2.2.0', 'ignition.version: '],
    ['{"ignition": {"version": "3.0.0-experimental"}}', 'unsupported config version: 3.0.0-experimental', 'ignition.version: '],
    ['{"ignition": {"version": "3.7.0"}}', 'unsupported config version: 3.7.0', 'ignition.version: '],
    ['{"ignition": {"version": "three"}}', "couldn't parse config version: unexpected version syntax 'three'", 'ignition.version: '],
    ['{"ignition": {}}', 'serialization error: missing field `version`', 'ignition.version: '],
    ['{"storage": {}}', 'serialization error: missing field `ignition`', 'ignition: '],
    ['[1]', 'serialization error: invalid type: expected struct Config', ''],
  ])('%s: customize refuses it; embed/wrap only warn, with the JSON path', (text, message, path) => {
    expect(chain(text)).toEqual([message]);
    expect(warnings(text)).toEqual([`Warning parsing cfg.ign: ${path}${message.replace('serialization error: missing', 'missing')}`]);
  });

  it('invalid JSON (SPEC 4.5.1 test config) is a warning, no path', () => {
    const [w, ...rest] = warnings('{"ignition": {"version": "3.0.0"}\n');
    expect(rest).toEqual([]);
    expect(w).toMatch(/^Warning parsing cfg.ign: serialization error: /);
    expect(chain('{"ignition": {"version": "3.0.0"}\n')[0]).toMatch(/^serialization error: /);
  });

  it('a future spec version is never refused, and its keys are not judged', () => {
    expect(warnings('{"ignition": {"version": "3.9.0"}, "newSection": {}}')).toEqual([
      'Warning parsing cfg.ign: ignition.version: unsupported config version: 3.9.0',
    ]);
  });

  it('warns about unknown top-level keys; kernelArguments is known from 3.3.0', () => {
    const warnings: string[] = [];
    const cfg = { ignition: { version: '3.3.0' }, kernelArguments: {}, storage: {}, foo: 1 };
    validateIgnition(Buffer.from(JSON.stringify(cfg)), 'x.ign', (w) => warnings.push(w));
    expect(warnings).toEqual(['Warning parsing x.ign: unused key: foo']);
    expect(checkIgnitionConfig(Buffer.from('{"ignition":{"version":"3.2.0"},"kernelArguments":{}}'))).toEqual(['kernelArguments']);
  });

  it('an empty input finds nothing (Ignition: no config)', () => {
    expect(warnings('')).toEqual([]);
    expect(warnings(' \n')).toEqual([]);
  });
});
