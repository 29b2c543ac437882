import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Initrd } from '../../src/initrd/initrd.js';
import { addNetworkKeyfiles, anyNetworkFilter, networkFilter, writeNetworkSettings } from '../../src/initrd/network.js';
import { COREOS, NESTOS } from '../../src/util/family.js';
import { hasTraversal, rustFileName, rustFileStem, rustJoin } from '../../src/util/paths.js';
import { errorChain } from '../../src/util/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

describe('network keyfiles (SPEC 4.8, 5.3, 5.4)', () => {
  it('adds basenames under etc/coreos-firstboot-network and refuses duplicates', async () => {
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'a.nmconnection'), 'A');
    writeFileSync(join(dir, 'x', 'a.nmconnection'), 'A2');
    const initrd = new Initrd();
    await addNetworkKeyfiles(initrd, [join(dir, 'a.nmconnection')], COREOS);
    expect(initrd.names()).toEqual(['etc/coreos-firstboot-network/a.nmconnection']);
    await expect(addNetworkKeyfiles(initrd, [join(dir, 'x', 'a.nmconnection')], COREOS)).rejects.toThrow(
      "multiple input files named 'a.nmconnection'",
    );
    const missing = await addNetworkKeyfiles(initrd, [join(dir, 'nope')], COREOS).catch((e: unknown) => errorChain(e));
    expect(missing).toEqual([`reading ${join(dir, 'nope')}`, 'No such file or directory (os error 2)']);
    await expect(addNetworkKeyfiles(new Initrd(), [`${dir}/..`], COREOS)).rejects.toThrow(/^reading|missing filename in/);
  });

  it('stdout format: banners, blank line between, nested members by basename, byte order', async () => {
    const initrd = new Initrd(
      new Map([
        ['etc/coreos-firstboot-network/b', Buffer.from('B\n')],
        ['etc/coreos-firstboot-network/sub/a', Buffer.from('A')],
        ['config.ign', Buffer.from('{}')],
      ]),
    );
    const out: string[] = [];
    await writeNetworkSettings(initrd, networkFilter([COREOS]), undefined, async (d) => {
      out.push(d.toString());
    });
    expect(out.join('')).toBe('########## b ##########\nB\n\n########## a ##########\nA');
  });

  it('directory mode prints Rust-joined paths; no members is an error', async () => {
    const initrd = new Initrd(new Map([['etc/coreos-firstboot-network/k', Buffer.from('K')]]));
    const out: string[] = [];
    const target = join(dir, 'out') + '/';
    await writeNetworkSettings(initrd, networkFilter([COREOS]), target, async (d) => {
      out.push(d.toString());
    });
    expect(out).toEqual([`${target}k\n`]);
    expect(readFileSync(join(target, 'k'), 'utf8')).toBe('K');
    await expect(writeNetworkSettings(new Initrd(), anyNetworkFilter(), undefined, async () => undefined)).rejects.toThrow(
      'No embedded network settings.',
    );
  });
});

describe('network keyfiles by family (NESTOS.md)', () => {
  it('a NestOS medium takes etc/nestos-firstboot-network; the any-family filter takes both', async () => {
    writeFileSync(join(dir, 'n.nmconnection'), 'N');
    const initrd = new Initrd();
    await addNetworkKeyfiles(initrd, [join(dir, 'n.nmconnection')], NESTOS);
    expect(initrd.names()).toEqual(['etc/nestos-firstboot-network/n.nmconnection']);
    initrd.set('etc/coreos-firstboot-network/c', Buffer.from('C'));
    expect(initrd.find(networkFilter([NESTOS]))).toEqual(['etc/nestos-firstboot-network/n.nmconnection']);
    expect(initrd.find(networkFilter([COREOS]))).toEqual(['etc/coreos-firstboot-network/c']);
    expect(initrd.find(anyNetworkFilter())).toEqual(['etc/coreos-firstboot-network/c', 'etc/nestos-firstboot-network/n.nmconnection']);
  });
});

describe('Rust path helpers', () => {
  it.each([
    ['.', 'a/b', './a/b'],
    ['d/', 'x', 'd/x'],
    ['./d', './x', './d/./x'],
  ])('rustJoin(%s, %s) = %s', (a, b, want) => expect(rustJoin(a, b)).toBe(want));

  it.each([
    ['a/b.nmconnection', 'b.nmconnection'],
    ['b/', 'b'],
    ['/', undefined],
    ['..', undefined],
    ['a/..', undefined],
    ['', undefined],
  ])('rustFileName(%s) = %s', (p, want) => expect(rustFileName(p)).toBe(want));

  it.each([
    ['dir/fedora-coreos-38-live.x86_64.iso', 'fedora-coreos-38-live.x86_64'],
    ['live', 'live'],
    ['.iso', '.iso'],
    ['.a.iso', '.a'],
    ['a.', 'a'],
    ['..', undefined],
  ])('rustFileStem(%s) = %s', (p, want) => expect(rustFileStem(p)).toBe(want));

  it.each([
    ['/etc/adjtime', true],
    ['../f', true],
    ['a/../b', true],
    ['./a/b', false],
    ['a..b/c', false],
  ])('hasTraversal(%s) = %s', (p, want) => expect(hasTraversal(p)).toBe(want));
});
