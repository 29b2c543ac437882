import { describe, expect, it } from 'vitest';
import { outputName } from '../../src/commands/download.js';
import { rustJoin } from '../../src/util/paths.js';

describe('download -d naming (SPEC 2.7 step 3.2)', () => {
  it.each([
    ['img.raw.xz', false, false, 'img.raw.xz'],
    ['img.raw.xz', true, true, 'img.raw'],
    ['img.raw.gz', true, true, 'img.raw'],
    ['rootfs.tar.gz', true, false, 'rootfs.tar.gz'],
    ['rootfs.tar.xz', true, false, 'rootfs.tar.xz'],
    ['img.raw.zst', true, false, 'img.raw.zst'],
    ['img.raw.bz2', true, false, 'img.raw.bz2'],
    ['live.iso', true, false, 'live.iso'],
    ['.xz', true, true, ''],
  ])('%s with -d=%s → decompress %s, %s', (name, flag, decompress, filename) => {
    expect(outputName(name, flag)).toEqual({ decompress, filename });
  });

  it('joins the directory like Rust Path::join', () => {
    expect(rustJoin('.', 'a.xz')).toBe('./a.xz');
    expect(rustJoin('dir/', 'a.xz')).toBe('dir/a.xz');
    expect(rustJoin('/abs/dir', 'a.xz')).toBe('/abs/dir/a.xz');
  });
});
