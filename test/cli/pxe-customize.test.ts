import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COREOS, NESTOS } from '../../src/util/family.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256 } from '../live/fixture-iso.js';
import { decodeConfig } from '../customize/decode.js';
import { DRACUT_FILES, buildLiveInitramfs } from '../customize/live-media.js';
import { failsWith, ok } from './iso-helpers.js';

const dir = tmpDir('nestos-pxe-customize-');
const destIgn = join(dir, 'd.ign');
writeFileSync(destIgn, '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core"}]}}\n');
const keyfile = join(dir, 'k.nmconnection');
writeFileSync(keyfile, '[connection]\nid=site\ntype=ethernet\n');
const PXE_NOTE = 'PXE configuration must include kernel arguments:\n\tignition.firstboot ignition.platform.id=metal\n';

function showInitrd(path: string): Promise<string[]> {
  return runCli(['dev', 'show', 'initrd', path]).then((r) =>
    ok(r)
      .out.split('\n')
      .filter((l) => l !== ''),
  );
}

describe.skipIf(needs({ tools: ['cpio', 'gzip', 'xz'] }))('pxe customize (SPEC 5.5)', () => {
  const nestosInitrd = buildLiveInitramfs(dir, 'nestos-initrd.img', NESTOS);
  const coreosInitrd = buildLiveInitramfs(dir, 'coreos-initrd.img', COREOS);
  const original = readFileSync(nestosInitrd);
  const originalMembers = [
    'etc/nestos-live-initramfs',
    'etc/nestos-live-want-rootfs',
    'etc/nestos/features.json',
    ...Object.keys(DRACUT_FILES),
  ].sort();

  it('Must show: the output keeps the original initramfs and adds ours (pxe ignition unwrap, dev show initrd)', async () => {
    const out = join(dir, 'custom-initrd.img');
    const r = ok(
      await runCli([
        'pxe',
        'customize',
        '--dest-device',
        '/dev/sda',
        '--dest-ignition',
        destIgn,
        '--network-keyfile',
        keyfile,
        nestosInitrd,
        '--output',
        out,
      ]),
    );
    expect(r.stderr).toBe(`Boot media will automatically install to /dev/sda without confirmation.\n${PXE_NOTE}`);
    const result = readFileSync(out);
    expect(result.subarray(0, original.length).equals(original)).toBe(true);
    expect(result.toString('latin1', original.length + 1, original.length + 5)).toBe('7zXZ');
    expect(sha256(nestosInitrd)).toBe(sha256(original));

    expect(await showInitrd(out)).toEqual([...originalMembers, 'config.ign', 'etc/nestos-firstboot-network/k.nmconnection'].sort());
    const live = decodeConfig(ok(await runCli(['pxe', 'ignition', 'unwrap', out])).stdout);
    expect([...live.files.keys()]).toEqual(['/etc/nestos/dest.ign', '/etc/nestos/installer.d/0000-customize.yaml']);
    expect(live.files.get('/etc/nestos/dest.ign')?.data.toString()).toBe(
      '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core"}]}}\n',
    );
    expect(live.files.get('/etc/nestos/installer.d/0000-customize.yaml')?.data.toString()).toBe(
      'ignition-file: /etc/nestos/dest.ign\ncopy-network: true\ndest-device: /dev/sda\n',
    );
    const extracted = join(dir, 'extracted');
    ok(await runCli(['dev', 'extract', 'initrd', '-C', extracted, out, 'etc/nestos-firstboot-network/*']));
    expect(readFileSync(join(extracted, 'etc/nestos-firstboot-network/k.nmconnection'))).toEqual(readFileSync(keyfile));
  });

  it('-o - and -o FILE give the same bytes; hooks, CA and live config included', async () => {
    const hook = join(dir, 'post-install-1');
    writeFileSync(hook, '#!/bin/sh\necho done\n');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const args = ['pxe', 'customize', '--post-install', hook, '--ignition-ca', ca, '--live-ignition', destIgn, nestosInitrd];
    const file = join(dir, 'both.img');
    ok(await runCli([...args, '-o', file]));
    const stream = ok(await runCli([...args, '-o', '-']));
    expect(sha256(stream.stdout)).toBe(sha256(file));
    const live = decodeConfig(ok(await runCli(['pxe', 'ignition', 'unwrap', file])).stdout);
    expect(live.units.get('post-install-post-install-1.service')).toContain('RequiredBy=nestos-installer.target');
    expect(live.cas.map(String)).toEqual([readFileSync(ca, 'utf8')]);
    expect(live.merges.map(String)).toEqual(['{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core"}]}}']);
  });

  it('no options: the input plus the 84-byte empty archive', async () => {
    const out = join(dir, 'noop.img');
    const r = ok(await runCli(['pxe', 'customize', '-o', out, nestosInitrd]));
    expect(r.stderr).toBe('');
    expect(readFileSync(out).length).toBe(original.length + 84);
    expect(await showInitrd(out)).toEqual(originalMembers);
  });

  it('the same on a CoreOS initramfs through the coreos-installer name gives CoreOS paths', async () => {
    const out = join(dir, 'coreos-custom.img');
    ok(
      await runCli(
        [
          'pxe',
          'customize',
          '--dest-device',
          '/dev/vda',
          '--dest-ignition',
          destIgn,
          '--network-keyfile',
          keyfile,
          '-o',
          out,
          coreosInitrd,
        ],
        { as: 'coreos-installer' },
      ),
    );
    const names = await showInitrd(out);
    expect(names).toContain('etc/coreos-firstboot-network/k.nmconnection');
    expect(names).toContain('etc/coreos-live-initramfs');
    const live = decodeConfig(ok(await runCli(['pxe', 'ignition', 'unwrap', out])).stdout);
    expect([...live.files.keys()]).toEqual(['/etc/coreos/dest.ign', '/etc/coreos/installer.d/0000-customize.yaml']);
  });

  it('refusals leave the input unchanged and create nothing', async () => {
    const before = sha256(nestosInitrd);
    // Existing output.
    const existing = join(dir, 'existing.img');
    writeFileSync(existing, 'keep me');
    failsWith(await runCli(['pxe', 'customize', '-o', existing, nestosInitrd]), 'File exists');
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    // Already customized.
    const custom = join(dir, 'custom-again.img');
    ok(await runCli(['pxe', 'customize', '--network-keyfile', keyfile, '-o', custom, nestosInitrd]));
    failsWith(await runCli(['pxe', 'customize', '-o', join(dir, 'twice.img'), custom]), 'input is already customized');
    // Not a live initramfs: a wrapped empty config.
    const wrapped = join(dir, 'wrapped.img');
    ok(await runCli(['pxe', 'ignition', 'wrap', '-i', '/dev/null', '-o', wrapped]));
    failsWith(await runCli(['pxe', 'customize', '-o', join(dir, 'x.img'), wrapped]), 'not a NestOS live initramfs image');
    failsWith(
      await runCli(['pxe', 'customize', '-o', join(dir, 'x.img'), wrapped], { as: 'coreos-installer' }),
      'not a CoreOS live initramfs image',
    );
    // Destination option without a device.
    failsWith(
      await runCli(['pxe', 'customize', '--dest-ignition', destIgn, '-o', join(dir, 'x.img'), nestosInitrd]),
      '--dest-ignition needs --dest-device',
    );
    expect(existsSync(join(dir, 'x.img'))).toBe(false);
    expect(existsSync(join(dir, 'twice.img'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.nestos-installer-temp-'))).toEqual([]);
    expect(sha256(nestosInitrd)).toBe(before);
  });

  it('features decide: no features.json means no installer configuration and no network', async () => {
    const bare = buildLiveInitramfs(dir, 'bare-initrd.img', NESTOS, null);
    failsWith(
      await runCli(['pxe', 'customize', '--dest-device', '/dev/sda', '-o', join(dir, 'y.img'), bare]),
      'This OS image does not support customizing installer configuration.',
    );
    failsWith(
      await runCli(['pxe', 'customize', '--network-keyfile', keyfile, '-o', join(dir, 'y.img'), bare]),
      'This OS image does not support customizing network settings.',
    );
    const noConsole = buildLiveInitramfs(dir, 'noconsole-initrd.img', NESTOS, { 'installer-config': true });
    failsWith(
      await runCli(['pxe', 'customize', '--dest-device', '/dev/sda', '--dest-console', 'ttyS0', '-o', join(dir, 'y.img'), noConsole]),
      'This OS image does not support customizing the destination console.',
    );
    expect(existsSync(join(dir, 'y.img'))).toBe(false);
  });

  it('-o is required', async () => {
    const r = await runCli(['pxe', 'customize', nestosInitrd]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the following required arguments were not provided:\n  --output <path>');
  });
});
