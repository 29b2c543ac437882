import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_COREOS, cliShell, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const CONFIG = Buffer.from('{"ignition": {"version": "3.0.0"}}\n');
const configPath = join(dir, 'config.ign');
writeFileSync(configPath, CONFIG);

describe('pxe ignition wrap | unwrap', () => {
  it('wrap → unwrap returns the config byte for byte, via files and via stdin/stdout', async () => {
    const out = join(dir, 'wrapped.img');
    const wrapFile = await runCli(['pxe', 'ignition', 'wrap', '-i', configPath, '-o', out]);
    expect(wrapFile).toMatchObject({ status: 0, stderr: '' });
    expect(wrapFile.stdout.length).toBe(0);
    const wrapped = readFileSync(out);
    const unwrapFile = await runCli(['pxe', 'ignition', 'unwrap', out]);
    expect(unwrapFile.status).toBe(0);
    expect(unwrapFile.stdout).toEqual(CONFIG);

    const wrapStdio = await runCli(['pxe', 'ignition', 'wrap'], { input: CONFIG });
    expect(wrapStdio.status).toBe(0);
    expect(wrapStdio.stdout).toEqual(wrapped);
    const unwrapStdio = await runCli(['pxe', 'ignition', 'unwrap'], { input: wrapStdio.stdout });
    expect(unwrapStdio.stdout).toEqual(CONFIG);
  });

  it('the output is xz with a CRC32 check and upstream header, mode 0666 & ~umask', async () => {
    const out = join(dir, 'mode.img');
    writeFileSync(out, 'previous contents, replaced');
    expect((await runCli(['pxe', 'ignition', 'wrap', '-i', configPath, '-o', out])).status).toBe(0);
    const data = readFileSync(out);
    expect(data.subarray(0, 12).toString('hex')).toBe('fd377a585a0000016922de36');
    expect(statSync(out).mode & 0o777).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir).filter((f) => f.startsWith('.nestos-installer-temp-'))).toEqual([]);
  });

  it.skipIf(needs({ tools: ['cpio', 'xz'] }))('cpio -it lists config.ign, xz reports CRC32', async () => {
    const out = join(dir, 'listed.img');
    await runCli(['pxe', 'ignition', 'wrap', '-i', configPath, '-o', out]);
    expect(execFileSync('sh', ['-c', `xz -dc '${out}' | cpio -it --quiet`]).toString()).toBe('config.ign\n');
    expect(execFileSync('xz', ['-lvv', out]).toString()).toMatch(/Check:\s+CRC32/);
  });

  it.skipIf(needs({ tools: ['cpio', 'gzip', 'zstd', 'xz'] }))(
    'unwrap finds the config after an xz + gzip pair, in zstd and in an uncompressed archive',
    async () => {
      const tree = join(dir, 'tree');
      mkdirSync(join(tree, 'etc'), { recursive: true });
      writeFileSync(join(tree, 'etc', 'other'), 'other');
      const other = execFileSync('sh', ['-c', 'find . | cpio -o -H newc --quiet'], { cwd: tree });
      writeFileSync(join(tree, 'config.ign'), CONFIG);
      const withConfig = execFileSync('sh', ['-c', 'find . | cpio -o -H newc --quiet'], { cwd: tree });
      const cases = [
        Buffer.concat([execFileSync('xz', ['-c', '--check=crc32'], { input: other }), execFileSync('gzip', ['-c'], { input: withConfig })]),
        execFileSync('zstd', ['-c', '-q'], { input: withConfig }),
        withConfig,
      ];
      for (const initrd of cases) {
        const r = await runCli(['pxe', 'ignition', 'unwrap'], { input: initrd });
        expect(r.stderr).toBe('');
        expect(r.stdout).toEqual(CONFIG);
      }
      const none = await runCli(['pxe', 'ignition', 'unwrap'], { input: other });
      expect(none).toMatchObject({ status: 1, stderr: "Error: couldn't find Ignition config in archive\n" });
    },
  );

  it('E9: warns about a 2.x config, unknown keys and junk, and wraps the exact bytes', async () => {
    const v2in = '{"ignition": {"version": "2.2.0"}}';
    const v2 = await runCli(['pxe', 'ignition', 'wrap'], { input: v2in });
    expect(v2.status).toBe(0);
    expect(v2.stderr).toBe('Warning parsing stdin: ignition.version: unsupported config version: 2.2.0\n');
    const back = await runCli(['pxe', 'ignition', 'unwrap'], { input: v2.stdout });
    expect(back.out).toBe(v2in);
    const extra = await runCli(['pxe', 'ignition', 'wrap'], { input: '{"ignition": {"version": "3.4.0"}, "foo": 1}' });
    expect(extra.status).toBe(0);
    expect(extra.stderr).toBe('Warning parsing stdin: unused key: foo\n');
    const empty = await runCli(['pxe', 'ignition', 'wrap', '-i', '/dev/null']);
    expect(empty.status).toBe(0);
    const junk = await runCli(['pxe', 'ignition', 'wrap'], { input: 'not json' });
    expect(junk.status).toBe(0);
    expect(junk.stderr).toMatch(/^Warning parsing stdin: serialization error: [^\n]*\n$/);
    expect((await runCli(['pxe', 'ignition', 'unwrap'], { input: junk.stdout })).out).toBe('not json');
  });

  it('junk input to unwrap gives one clear error and no stack trace', async () => {
    const r = await runCli(['pxe', 'ignition', 'unwrap'], { input: 'this is certainly not an initrd image\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: reading CPIO entry\n\nCaused by:\n    Invalid magic number\n');
    const missing = await runCli(['pxe', 'ignition', 'unwrap', join(dir, 'nope')]);
    expect(missing.stderr).toBe(`Error: opening ${join(dir, 'nope')}\n\nCaused by:\n    No such file or directory (os error 2)\n`);
  });
});

describe('pxe network wrap | unwrap', () => {
  const a = join(dir, 'a.nmconnection');
  const b = join(dir, 'b.nmconnection');
  writeFileSync(a, '[connection]\nid=a\n');
  writeFileSync(b, '[connection]\nid=b\n');

  it('wraps with directory entries and unwraps in the ########## format', async () => {
    const out = join(dir, 'net.img');
    expect((await runCli(['pxe', 'network', 'wrap', '-k', b, '-k', a, '-o', out], AS_COREOS)).status).toBe(0);
    const listed = execFileSync('sh', ['-c', `xz -dc '${out}' | cpio -it --quiet`]).toString();
    expect(listed).toBe(
      'etc\netc/coreos-firstboot-network\netc/coreos-firstboot-network/a.nmconnection\netc/coreos-firstboot-network/b.nmconnection\n',
    );
    // As nestos-installer the keyfiles go where NestOS reads them; unwrap takes either.
    const nestosOut = join(dir, 'net-nestos.img');
    expect((await runCli(['pxe', 'network', 'wrap', '-k', a, '-o', nestosOut])).status).toBe(0);
    expect(execFileSync('sh', ['-c', `xz -dc '${nestosOut}' | cpio -it --quiet`]).toString()).toBe(
      'etc\netc/nestos-firstboot-network\netc/nestos-firstboot-network/a.nmconnection\n',
    );
    expect((await runCli(['pxe', 'network', 'unwrap', nestosOut])).out).toBe('########## a.nmconnection ##########\n[connection]\nid=a\n');
    const r = await runCli(['pxe', 'network', 'unwrap', out]);
    expect(r.out).toBe(
      '########## a.nmconnection ##########\n[connection]\nid=a\n\n########## b.nmconnection ##########\n[connection]\nid=b\n',
    );
  });

  it('unwrap -C writes the files exclusively and prints their paths', async () => {
    const wrapped = (await runCli(['pxe', 'network', 'wrap', '-k', a])).stdout;
    const target = join(dir, 'net-out', 'sub');
    const r = await runCli(['pxe', 'network', 'unwrap', '-C', target], { input: wrapped });
    expect(r.out).toBe(`${target}/a.nmconnection\n`);
    expect(readFileSync(join(target, 'a.nmconnection'), 'utf8')).toBe('[connection]\nid=a\n');
    const again = await runCli(['pxe', 'network', 'unwrap', '-C', target], { input: wrapped });
    expect(again.stderr).toBe(`Error: opening ${target}/a.nmconnection\n\nCaused by:\n    File exists (os error 17)\n`);
  });

  it('errors: duplicate basenames, no settings, missing --keyfile', async () => {
    const sub = join(dir, 'dup');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'a.nmconnection'), 'x');
    const dup = await runCli(['pxe', 'network', 'wrap', '-k', a, '-k', join(sub, 'a.nmconnection'), '-o', join(dir, 'x.img')]);
    expect(dup.stderr).toBe("Error: multiple input files named 'a.nmconnection'\n");
    const ign = (await runCli(['pxe', 'ignition', 'wrap', '-i', configPath])).stdout;
    const none = await runCli(['pxe', 'network', 'unwrap'], { input: ign });
    expect(none.stderr).toBe('Error: No embedded network settings.\n');
    const usage = await runCli(['pxe', 'network', 'wrap']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('  --keyfile <path>');
  });
});

describe.skipIf(needs({ tools: ['script'] }))('binary output to a terminal', () => {
  it('wrap without -o refuses a TTY before reading stdin', () => {
    // script(1) gives the command a pseudo-terminal as stdin and stdout; stdin is never read.
    const out = execFileSync('script', ['-qec', `${cliShell()} pxe ignition wrap; echo rc=$?`, '/dev/null'], {
      input: '',
      timeout: 20_000,
    }).toString();
    expect(out).toContain('Error: Refusing to write binary data to terminal');
    expect(out).toContain('rc=1');
  });
});
