// `--network-nmstate` (SPEC 4.10.1 step 7): nmstate turns a declarative
// network state (YAML or JSON) into NetworkManager keyfiles. Upstream links
// the nmstate library; we run its CLI, `nmstatectl gc FILE`, which prints
// `NetworkManager: [[<name>.nmconnection, <keyfile text>], …]`.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { CliError, ContextError, hasErrorCode, withContext, withContextSync } from '../util/errors.js';

export const NMSTATECTL = 'nmstatectl';

/** Why nmstatectl could not be run (ENOENT is a missing tool, said so plainly). */
function spawnFailure(err: unknown): Error {
  if (hasErrorCode(err, 'ENOENT')) {
    return new CliError(`${NMSTATECTL} not found: --network-nmstate runs \`${NMSTATECTL} gc\`; install nmstate to use it`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function runGc(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(NMSTATECTL, ['gc', path], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve(stdout);
        return;
      }
      if (typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(spawnFailure(err));
        return;
      }
      const detail =
        stderr
          .trim()
          .split('\n')
          .filter((l) => l.trim() !== '')
          .pop() ?? `exit status ${err.code ?? '?'}`;
      reject(new CliError(`${NMSTATECTL} gc failed: ${detail}`));
    });
  });
}

function keyfilePairs(doc: unknown): [string, Buffer][] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CliError('expected a map from nmstatectl gc');
  }
  const list = (doc as Record<string, unknown>)['NetworkManager'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new CliError('NetworkManager: expected a sequence');
  return list.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new CliError('NetworkManager: expected [filename, content] pairs');
    }
    return [pair[0], Buffer.from(pair[1], 'utf8')];
  });
}

/** The keyfiles nmstate generates for the state file at `path`, in its order. */
export async function nmstateKeyfiles(path: string): Promise<[string, Buffer][]> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ContextError('opening nmstate file', err);
  });
  const { parse } = await import('yaml');
  withContextSync('parsing nmstate', () => {
    const doc: unknown = parse(text);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError('invalid type: expected a map');
  });
  const output = await withContext('generating configuration from nmstate', () => runGc(path));
  return withContextSync('extracting NetworkManager generated config', () => keyfilePairs(parse(output)));
}
