// Man pages: generated from the command tables (src/cli/manpage.ts), checked
// into man/ by `npm run build:man`. A stale page fails here; every page must
// render with groff without a warning.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT_COMMAND } from '../../src/cli/index.js';
import { renderManPages } from '../../src/cli/manpage.js';
import { packageVersion } from '../../src/util/version.js';
import { needs } from '../helpers/env.js';
import { ROOT } from '../helpers/tmp.js';

const MAN_DIR = join(ROOT, 'man');
const pages = renderManPages(ROOT_COMMAND, packageVersion());

describe('man pages', () => {
  it('man/ holds exactly the pages the command tables give (else: npm run build:man)', () => {
    const onDisk = readdirSync(MAN_DIR)
      .filter((f) => /\.\d$/.test(f))
      .sort();
    expect(onDisk, 'run `npm run build:man`').toEqual(pages.map((p) => p.file).sort());
    for (const page of pages) {
      expect(readFileSync(join(MAN_DIR, page.file), 'utf8'), `${page.file} is stale: run \`npm run build:man\``).toBe(page.text);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man?: string[] };
    expect(pkg.man, 'package.json "man" is stale: run `npm run build:man`').toEqual(pages.map((p) => `./man/${p.file}`));
  });

  it('one page per visible command, named like clap_mangen, with every visible option', () => {
    const files = pages.map((p) => p.file);
    expect(files).toContain('nestos-installer.8');
    expect(files).toContain('nestos-installer-install.8');
    expect(files).toContain('nestos-installer-iso-ignition-embed.8');
    expect(files.some((f) => f.startsWith('nestos-installer-dev'))).toBe(false);
    const install = pages.find((p) => p.file === 'nestos-installer-install.8')?.text ?? '';
    expect(install).toContain('\\fB\\-\\-ignition\\-file\\fR');
    expect(install).not.toContain('firstboot\\-args');
  });

  it.skipIf(needs({ tools: ['groff'] }))('every page renders with groff without warnings', () => {
    for (const page of readdirSync(MAN_DIR).filter((f) => /\.\d$/.test(f))) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', join(MAN_DIR, page)], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      });
      expect(r.status, page).toBe(0);
      expect(r.stderr, page).toBe('');
      expect(r.stdout.replace(/.\x08/g, ''), page).toContain('NAME');
    }
  });

  it.skipIf(needs({ tools: ['man'] }))('man -l shows the install page with its options', () => {
    const text = execFileSync('man', ['-l', join(MAN_DIR, 'nestos-installer-install.8')], {
      encoding: 'utf8',
      env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LC_ALL: 'C.UTF-8' },
    });
    expect(text).toContain('nestos-installer-install - Install NestOS');
    expect(text).toMatch(/-i, --ignition-file <path>\n\s+Embed an Ignition config from a file/);
    expect(text).toContain('ADVANCED OPTIONS');
  });
});
