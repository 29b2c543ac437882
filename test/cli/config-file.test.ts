// SPEC 3.1 and Appendix B: config files become argument lists.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALL_OPTIONS, SERIALIZE_RULES } from '../../src/cli/install.js';
import { expandConfigFiles, readConfigFile, valuesToArgs } from '../../src/cli/config-file.js';
import { errorChain } from '../../src/util/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('config files', () => {
  it('serializes the Appendix B example in table order with canonical values', async () => {
    const p = file(
      'full.yaml',
      [
        'stream: c',
        'image-url: http://example.com/d',
        'image-file: e',
        'ignition-file: f',
        'ignition-url: http://example.com/g',
        'ignition-hash: sha256-E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
        'architecture: h',
        'platform: i',
        'console: [ttyS0, "ttyS1,115200n8"]',
        'append-karg: [k, l]',
        'delete-karg: [m, n]',
        'copy-network: true',
        'network-dir: o',
        'save-partlabel: [p, q]',
        'save-partindex: [r, s]',
        'offline: true',
        'insecure: true',
        'insecure-ignition: true',
        'stream-base-url: http://example.com/t',
        'preserve-on-error: true',
        'fetch-retries: 3',
        'secure-ipl: true',
        'dest-device: u',
      ].join('\n'),
    );
    const args = valuesToArgs(await readConfigFile(p, INSTALL_OPTIONS), INSTALL_OPTIONS, SERIALIZE_RULES);
    expect(args.join(' ')).toBe(
      '--stream c --image-url http://example.com/d --image-file e --ignition-file f --ignition-url http://example.com/g ' +
        '--ignition-hash sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 --architecture h --platform i ' +
        '--console ttyS0,9600n8 --console ttyS1,115200n8 --append-karg k --append-karg l --delete-karg m --delete-karg n ' +
        '--copy-network --network-dir o --save-partlabel p --save-partlabel q --save-partindex r --save-partindex s --offline ' +
        '--insecure --insecure-ignition --stream-base-url http://example.com/t --preserve-on-error --fetch-retries 3 --secure-ipl u',
    );
  });

  it('gives an empty list for defaults and a bare device for dest-device alone', async () => {
    const defaults = file('defaults.yaml', 'fetch-retries: 0\nnetwork-dir: /etc/NetworkManager/system-connections/\ncopy-network: false\n');
    expect(valuesToArgs(await readConfigFile(defaults, INSTALL_OPTIONS), INSTALL_OPTIONS, SERIALIZE_RULES)).toEqual([]);
    expect(
      valuesToArgs(await readConfigFile(file('dev.yaml', 'dest-device: foo\n'), INSTALL_OPTIONS), INSTALL_OPTIONS, SERIALIZE_RULES),
    ).toEqual(['foo']);
  });

  it('merges the worked example of SPEC 3.1 (files, then the command line)', async () => {
    const f2 = file('f2.yaml', 'append-karg: [c, d]\nfetch-retries: 2\ndest-device: /dev/missing\n');
    const f1 = file('f1.yaml', 'append-karg: [a, b]\nfetch-retries: 1\n');
    const commandLine = { 'append-karg': ['e', 'f'], 'fetch-retries': '3' };
    const args = await expandConfigFiles([f2, f1], commandLine, INSTALL_OPTIONS, SERIALIZE_RULES);
    expect(args.join(' ')).toBe(
      '--append-karg c --append-karg d --fetch-retries 2 /dev/missing --append-karg a --append-karg b --fetch-retries 1 --append-karg e --append-karg f --fetch-retries 3',
    );
  });

  it('drops command-line defaults (the quirk) and appends --firstboot-args last', async () => {
    const f = file('r.yaml', 'fetch-retries: 5\n');
    const args = await expandConfigFiles(
      [f],
      { 'fetch-retries': '0', 'firstboot-args': 'ip=dhcp', 'dest-device': '/dev/x' },
      INSTALL_OPTIONS,
      SERIALIZE_RULES,
    );
    expect(args).toEqual(['--fetch-retries', '5', '/dev/x', '--firstboot-args', 'ip=dhcp']);
  });

  it('rejects unknown keys, wrong types and missing files with context', async () => {
    const chain = async (p: string) => readConfigFile(p, INSTALL_OPTIONS).then(() => [], errorChain);
    const unknown = await chain(file('u.yaml', 'foo: 1\n'));
    expect(unknown[0]).toBe(`parsing config file ${join(dir, 'u.yaml')}`);
    expect(unknown[1]).toMatch(/^unknown field `foo`, expected one of `stream`, `image-url`, /);
    expect((await chain(file('t.yaml', 'append-karg: x\n')))[1]).toMatch(/append-karg: invalid type: string "x", expected a sequence/);
    expect((await chain(file('b.yaml', 'insecure: yes\n')))[1]).toMatch(/insecure: invalid type: string "yes", expected a boolean/);
    expect((await chain(file('n.yaml', 'firstboot-args: x\n')))[1]).toMatch(/unknown field `firstboot-args`/);
    expect(await chain(join(dir, 'absent.yaml'))).toEqual([
      `opening config file ${join(dir, 'absent.yaml')}`,
      'No such file or directory (os error 2)',
    ]);
  });
});
