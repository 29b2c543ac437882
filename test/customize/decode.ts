// Reading back what customize generated: the live Ignition config's files
// (gzip'd data URLs), units and merged configs.

import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';

export interface GeneratedConfig {
  json: Record<string, any>;
  /** File path → decoded contents. */
  files: Map<string, { data: Buffer; mode: number }>;
  /** Unit name → contents. */
  units: Map<string, string>;
  /** Decoded merge resources, in order. */
  merges: Buffer[];
  /** Decoded CA resources, in order. */
  cas: Buffer[];
}

export function decodeResource(r: { compression: string | null; source: string | null }): Buffer {
  expect(r.compression).toBe('gzip');
  const prefix = 'data:;base64,';
  expect(r.source?.startsWith(prefix)).toBe(true);
  return gunzipSync(Buffer.from((r.source ?? '').slice(prefix.length), 'base64'));
}

export function decodeConfig(bytes: Buffer): GeneratedConfig {
  const text = bytes.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const json = JSON.parse(text) as Record<string, any>;
  expect(json['ignition']['version']).toBe('3.3.0');
  const files = new Map<string, { data: Buffer; mode: number }>();
  for (const f of json['storage']?.['files'] ?? []) {
    expect(f.overwrite).toBeNull();
    files.set(f.path, { data: decodeResource(f.contents), mode: f.mode });
  }
  const units = new Map<string, string>();
  for (const u of json['systemd']?.['units'] ?? []) {
    expect(u.enabled).toBe(true);
    expect(u.mask).toBeNull();
    units.set(u.name, u.contents);
  }
  const merges = (json['ignition']['config']?.['merge'] ?? []).map(decodeResource);
  const cas = (json['ignition']['security']?.['tls']?.['certificateAuthorities'] ?? []).map(decodeResource);
  return { json, files, units, merges, cas };
}
