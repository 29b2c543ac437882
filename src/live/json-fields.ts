// PURE: typed field access over small JSON documents read from an ISO
// (igninfo.json, kargs.json, features.json), with serde-like messages.

import { parseJson } from '../util/json.js';

export type JsonObject = Record<string, unknown>;

/** Parse bytes as a JSON object. */
export function parseJsonObject(data: Buffer): JsonObject {
  const value = parseJson(data.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('invalid type: expected a JSON object');
  }
  return value as JsonObject;
}

export function field(obj: JsonObject, name: string): unknown {
  if (!(name in obj)) throw new Error(`missing field \`${name}\``);
  return obj[name];
}

export function requiredString(obj: JsonObject, name: string): string {
  const value = field(obj, name);
  if (typeof value !== 'string') throw new Error(`invalid type for field \`${name}\`: expected a string`);
  return value;
}

function asU64(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`invalid value for field \`${name}\`: expected u64`);
  }
  return value;
}

export function requiredU64(obj: JsonObject, name: string): number {
  return asU64(field(obj, name), name);
}

export function optionalU64(obj: JsonObject, name: string): number | undefined {
  const value = obj[name];
  return value === undefined || value === null ? undefined : asU64(value, name);
}

/** A one-character string (serde's `char`). */
export function optionalChar(obj: JsonObject, name: string): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || [...value].length !== 1) {
    throw new Error(`invalid value for field \`${name}\`: expected a character`);
  }
  return value;
}

/** An optional boolean; absent means false. */
export function optionalBool(obj: JsonObject, name: string): boolean {
  const value = obj[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new Error(`invalid type for field \`${name}\`: expected a boolean`);
  return value;
}
