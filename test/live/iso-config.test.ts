// The customization model against the SPEC 4.5.1 reference hashes, with bytes
// embedded through the model directly (the 34-byte test config is not valid
// JSON, so the CLI's E9 check would refuse it).

import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { openLiveIso, writeLiveIso } from '../../src/live/live-output.js';
import { errorChain } from '../../src/util/errors.js';
import { COREOS, setInvokedFamilyForTests } from '../../src/util/family.js';
import { tmpDir } from '../helpers/tmp.js';
import { ISO_FIXTURES, isoCopy, pristineIso, sha256 } from './fixture-iso.js';

const TEST_CONFIG = Buffer.from('{"ignition": {"version": "3.0.0"}\n');

async function embedInPlace(path: string, config: Buffer): Promise<void> {
  const live = await openLiveIso(path, { writable: true });
  try {
    live.config.setIgnition(config);
    await writeLiveIso(live, await live.config.toRegions(), { kind: 'in-place' });
  } finally {
    await live.close();
  }
}

describe('IsoConfig', () => {
  const dir = tmpDir();

  it('the test config is 34 bytes', () => {
    expect(TEST_CONFIG.length).toBe(34);
  });

  it.each([
    ['embed-areas-2021-09', '9bc57be2f6b1c78e2c234b26652452ae54f1dfd2e94c692763a2401a9f3060f2'],
    ['embed-areas-2023-07.x86_64', '15d8c0f07ea38b3c0d74530fdaba8955f63d6eb9d262072def6b2032c2d9fd31'],
  ] as const)('embedding the SPEC test config into %s gives the SPEC hash', async (name, hash) => {
    const path = isoCopy(name, dir, `${name}-spec.iso`);
    await embedInPlace(path, TEST_CONFIG);
    expect(sha256(readFileSync(path))).toBe(hash);
    const live = await openLiveIso(path, { writable: false });
    expect(live.config.ignition()?.equals(TEST_CONFIG)).toBe(true);
    const area = live.config.initrdArea;
    await live.close();
    const bytes = readFileSync(path).subarray(area.offset, area.offset + area.length);
    expect(bytes.subarray(0, 12).toString('hex')).toBe('fd377a585a000001' + '6922de36');
    expect(bytes.subarray(144, 148).toString('hex')).toBe('0001595a');
    expect(bytes.subarray(148).every((b) => b === 0)).toBe(true);
  });

  it('streams the same bytes it writes in place, and reset restores pristine', async () => {
    for (const name of ISO_FIXTURES) {
      const path = isoCopy(name, dir, `${name}-a.iso`);
      await embedInPlace(path, TEST_CONFIG);
      const live = await openLiveIso(pristineIso(name), { writable: false });
      live.config.setIgnition(TEST_CONFIG);
      if (live.config.hasKargs()) live.config.setKargs(live.config.kargsCurrent());
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await writeLiveIso(live, await live.config.toRegions(), { kind: 'stream', stream: out });
      await live.close();
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(readFileSync(path)));

      const again = await openLiveIso(path, { writable: true });
      expect(again.config.isCustomized()).toBe(true);
      again.config.clearInitrd();
      await writeLiveIso(again, await again.config.toRegions(), { kind: 'in-place' });
      await again.close();
      expect(sha256(readFileSync(path))).toBe(sha256(readFileSync(pristineIso(name))));
    }
  });

  it('unrecognized ISOs carry the cause chain, worded for the invoked name', async () => {
    const err = await openLiveIso(pristineIso('synthetic'), { writable: false }).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual([
      'Unrecognized NestOS ISO image.',
      'finding initrd embed area',
      'intermediate directory IMAGES does not exist',
    ]);
    setInvokedFamilyForTests(COREOS);
    try {
      const asCoreos = await openLiveIso(pristineIso('synthetic'), { writable: false }).catch((e: unknown) => e);
      expect(errorChain(asCoreos)[0]).toBe('Unrecognized CoreOS ISO image.');
    } finally {
      setInvokedFamilyForTests(undefined);
    }
  });

  it('a non-zero area that is not an initrd fails to decode', async () => {
    const path = isoCopy('embed-areas-2022-09', dir, 'garbage.iso');
    const data = readFileSync(path);
    data.write('garbage!', 159744);
    writeFileSync(path, data);
    const err = await openLiveIso(path, { writable: false }).catch((e: unknown) => e);
    const chain = errorChain(err);
    expect(chain.slice(0, 2)).toEqual(['Unrecognized NestOS ISO image.', 'decoding initrd embed area']);
  });
});
