// PURE: the Ignition configs that customize generates (SPEC 4.10.2): spec
// 3.3.0, compact JSON with upstream's key order and explicit nulls, every
// embedded blob a gzip'd `data:` URL. Same inputs give the same bytes, which
// is what makes the three ISO output modes byte-identical.

import { gzipSync } from 'node:zlib';
import { CliError } from '../util/errors.js';

export const GENERATED_IGNITION_VERSION = '3.3.0';

/** An Ignition Resource as upstream serializes it: `compression` and `source` always present. */
export interface Resource {
  compression: string | null;
  source: string | null;
}

/** `{"compression":"gzip","source":"data:;base64,<base64(gzip -9 bytes)>"}`. */
export function dataResource(bytes: Buffer): Resource {
  const gz = gzipSync(bytes, { level: 9 });
  return { compression: 'gzip', source: `data:;base64,${gz.toString('base64')}` };
}

interface FileEntry {
  contents: Resource;
  mode: number;
  path: string;
}

interface UnitEntry {
  contents: string;
  name: string;
}

/** An Ignition config under construction; serialize() gives the exact bytes (without the newline). */
export class IgnitionConfig {
  private readonly merges: Resource[] = [];
  private readonly cas: Resource[] = [];
  private readonly files: FileEntry[] = [];
  private readonly units: UnitEntry[] = [];

  /** Add a `ignition.config.merge` resource holding these config bytes. */
  addMerge(config: Buffer): void {
    this.merges.push(dataResource(config));
  }

  /** Add a PEM bundle to `ignition.security.tls.certificateAuthorities`. */
  addCa(pem: Buffer): void {
    this.cas.push(dataResource(pem));
  }

  /** Add a file; a path given twice is refused as upstream does. */
  addFile(path: string, contents: Buffer, mode: number): void {
    if (this.files.some((f) => f.path === path)) throw new CliError(`config already specifies path ${path}`);
    this.files.push({ contents: dataResource(contents), mode, path });
  }

  /** Add an enabled systemd unit; a name given twice is refused. */
  addUnit(name: string, contents: string): void {
    if (this.units.some((u) => u.name === name)) throw new CliError(`config already specifies unit ${name}`);
    this.units.push({ contents, name });
  }

  /** Compact JSON in upstream's field order (SPEC 4.10.2). */
  serialize(): string {
    const ignition: Record<string, unknown> = {};
    if (this.merges.length > 0) ignition['config'] = { merge: this.merges.map(resource) };
    if (this.cas.length > 0) ignition['security'] = { tls: { certificateAuthorities: this.cas.map(resource) } };
    ignition['version'] = GENERATED_IGNITION_VERSION;
    const config: Record<string, unknown> = { ignition };
    if (this.files.length > 0) {
      config['storage'] = {
        files: this.files.map((f) => ({ contents: resource(f.contents), mode: f.mode, overwrite: null, path: f.path })),
      };
    }
    if (this.units.length > 0) {
      config['systemd'] = {
        units: this.units.map((u) => ({ contents: u.contents, enabled: true, mask: null, name: u.name })),
      };
    }
    return JSON.stringify(config);
  }
}

function resource(r: Resource): Resource {
  return { compression: r.compression, source: r.source };
}
