// Bad-input findings of issue 16 (5-7, 9-12): each one failed before its fix
// (a native abort, a stack overflow, unbounded memory or JavaScript wording).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bufferReader, readGpt } from '../../src/blockdev/gpt.js';
import { INSTALL_OPTIONS } from '../../src/cli/install.js';
import { parseConfigText } from '../../src/cli/config-file.js';
import { extractMembers } from '../../src/initrd/extract.js';
import { Initrd, MAX_CONFIG_DECODED } from '../../src/initrd/initrd.js';
import { openIsoFs } from '../../src/iso9660/iso-fs.js';
import { formatStreamTable, type StreamRow } from '../../src/source/stream-metadata.js';
import { errorChain, formatErrorChain } from '../../src/util/errors.js';
import { parseJson } from '../../src/util/json.js';
import { bufferHandle } from '../helpers/buffer-handle.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { fixture, tmpDir } from '../helpers/tmp.js';
import { pristineIso } from '../live/fixture-iso.js';
import { readFileSync } from 'node:fs';

const PVD = 0x8000;
const ROOT_RECORD = PVD + 156;

function isoBytes(): Buffer {
  return readFileSync(pristineIso('embed-areas-2022-09'));
}

describe('ISO 9660 records from a damaged image', () => {
  it('a directory length of 3 GiB is a short read, not a native abort (FINDINGS 5)', async () => {
    const iso = isoBytes();
    iso.writeUInt32LE(0xc0000000, ROOT_RECORD + 10);
    iso.writeUInt32BE(0xc0000000, ROOT_RECORD + 14);
    const fs = await openIsoFs(bufferHandle(iso));
    await expect(fs.listDirectory(fs.root())).rejects.toThrow('failed to fill whole buffer');
    const dir = tmpDir();
    const path = join(dir, 'long.iso');
    writeFileSync(path, iso);
    for (const args of [
      ['dev', 'show', 'iso', path],
      ['iso', 'kargs', 'show', path],
      ['iso', 'ignition', 'show', path],
    ]) {
      const r = await runCli(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^Error: /);
      expect(r.stderr).not.toMatch(/Assertion|at .*\.js:\d+/);
    }
  });

  it('a subdirectory that points back at the root ends with an error, not a stack overflow (FINDINGS 7)', async () => {
    const iso = isoBytes();
    const rootLba = iso.readUInt32LE(ROOT_RECORD + 2);
    const rootLen = iso.readUInt32LE(ROOT_RECORD + 10);
    // The first directory record after "." and ".." in the root that is a directory (flags bit 1).
    let pos = rootLba * 2048;
    const end = pos + rootLen;
    let patched = false;
    for (let n = 0; pos < end && !patched; n++) {
      const len = iso[pos] ?? 0;
      if (len === 0) break;
      if (n >= 2 && ((iso[pos + 25] ?? 0) & 2) !== 0) {
        iso.writeUInt32LE(rootLba, pos + 2);
        iso.writeUInt32BE(rootLba, pos + 6);
        patched = true;
      }
      pos += len;
    }
    expect(patched).toBe(true);
    const fs = await openIsoFs(bufferHandle(iso));
    const walk = async (): Promise<number> => {
      let n = 0;
      for await (const _ of fs.walk()) n++;
      return n;
    };
    await expect(walk()).rejects.toThrow(/loops back to a directory already visited/);
  });
});

describe('GPT with a corrupt entry array size (FINDINGS 6)', () => {
  function withEntrySize(size: number, count: number): Buffer {
    const disk = execFileSync('xz', ['-dc', fixture('disk', 'gpt-512.xz')], { maxBuffer: 64 << 20 });
    const header = disk.subarray(512, 1024);
    header.writeUInt32LE(count, 80);
    header.writeUInt32LE(size, 84);
    header.writeUInt32LE(0, 16);
    header.writeUInt32LE(crc32(header.subarray(0, header.readUInt32LE(12))), 16);
    return disk;
  }

  it.each([
    [0x10000000, 128, 'invalid partition entry size'],
    [0xffffff80, 4096, 'invalid partition entry size'],
    [384, 128, 'invalid partition entry size'],
    [128, 5000, 'invalid partition entry count'],
  ])('entry size %i, count %i: %s', async (size, count, message) => {
    await expect(readGpt(bufferReader(withEntrySize(size, count)), 512)).rejects.toThrow(message);
  });
});

describe.skipIf(needs({ tools: ['zstd', 'sh'] }))('decompression bombs (FINDINGS 9)', () => {
  it('a small zstd member that decodes past the bound fails', async () => {
    const bomb = execFileSync('sh', ['-c', `head -c ${MAX_CONFIG_DECODED + (1 << 20)} /dev/zero | zstd -q -19 -c`], { maxBuffer: 1 << 24 });
    expect(bomb.length).toBeLessThan(1 << 20);
    const err = await Initrd.fromBuffer(bomb, undefined, MAX_CONFIG_DECODED).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['reading CPIO entry', `compressed data decodes to more than ${MAX_CONFIG_DECODED} bytes`]);
    const dir = tmpDir();
    writeFileSync(join(dir, 'bomb.img'), bomb);
    const r = await runCli(['pxe', 'ignition', 'unwrap', join(dir, 'bomb.img')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('compressed data decodes to more than');
  });
});

describe('stack depth and wording', () => {
  it('list-stream formats 200,000 rows (FINDINGS 10)', () => {
    const rows: StreamRow[] = Array.from({ length: 200_000 }, (_, i) => ['x86_64', `p${i}`, 'raw.xz']);
    expect(formatStreamTable(rows).split('\n').length).toBe(200_002);
  });

  it('a config file nested 1000 deep, or with an unknown tag, is a clear error (FINDINGS 11, 12)', async () => {
    await expect(parseConfigText(`${'['.repeat(1000)}${']'.repeat(1000)}`, INSTALL_OPTIONS)).rejects.toThrow('recursion limit exceeded');
    const deep = Array.from({ length: 1000 }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n');
    await expect(parseConfigText(deep, INSTALL_OPTIONS)).rejects.toThrow('recursion limit exceeded');
    await expect(parseConfigText('stream: !foo stable\n', INSTALL_OPTIONS)).rejects.toThrow('Unresolved tag: !foo');
  });

  it('JSON errors are worded as serde_json, not V8 (FINDINGS 12)', () => {
    const cases: Array<[string, string]> = [
      ['', 'EOF while parsing a value at line 1 column 0'],
      ['{"a": 1,}', 'trailing comma at line 1 column 9'],
      ['{"a" 1}', 'expected `:` at line 1 column 6'],
      ['[1 2]', 'expected `,` or `]` at line 1 column 4'],
      ['{"a":1} x', 'trailing characters at line 1 column 9'],
      ['"abc', 'EOF while parsing a string at line 1 column 4'],
      ['{"a": tru}', 'expected ident at line 1 column 10'],
      ['{1:2}', 'key must be a string at line 1 column 2'],
    ];
    for (const [text, message] of cases) expect(() => parseJson(text)).toThrow(message);
  });

  it('a NUL in a member name is refused by name, escaped, never as a Node argument error (FINDINGS 12)', async () => {
    const initrd = new Initrd();
    initrd.set('a\0b', Buffer.from('x'));
    const dir = tmpDir();
    const printed: string[] = [];
    const err = await extractMembers(initrd, ['a\0b'], dir, async (p) => void printed.push(p)).catch((e: unknown) => e);
    expect(formatErrorChain(err)).toBe('Error: path a\\x00b contains a NUL byte\n');
    expect(printed).toEqual([]);
  });
});
