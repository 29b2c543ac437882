// Files shipped beside the code (the keyring, package.json's version), found
// the same way from the sources (src/util/), the bundle (dist/*.js, one level
// below the package root) and the standalone executable (SEA assets, no
// files at all). scripts/build.mjs defines the two build-time constants.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Replaced by esbuild's `define`; undeclared when the sources run directly (tests).
declare const __NESTOS_RESOURCE_ROOT__: string | undefined;
declare const __NESTOS_PACKAGE_VERSION__: string | undefined;
declare const __NESTOS_SEA__: boolean | undefined;

/** True inside the standalone executable (Node single executable application). */
export function isStandalone(): boolean {
  return typeof __NESTOS_SEA__ === 'boolean' && __NESTOS_SEA__;
}

/** node:sea, loaded only in the standalone executable (absent from older Node releases). */
function seaModule(): { getAsset(key: string): ArrayBuffer } {
  // A CommonJS require: the standalone build is one CommonJS script.
  const req = typeof require === 'function' ? require : createRequire(process.execPath);
  return req('node:sea') as { getAsset(key: string): ArrayBuffer };
}

/** The package version (package.json), baked in at build time. */
export function bakedPackageVersion(): string | undefined {
  return typeof __NESTOS_PACKAGE_VERSION__ === 'string' ? __NESTOS_PACKAGE_VERSION__ : undefined;
}

/**
 * Absolute path of a file at the package root ("keys/signing-keys.asc"), or
 * undefined in the standalone executable, which carries it as an asset.
 */
export function resourcePath(relative: string): string | undefined {
  if (isStandalone()) return undefined;
  const root = typeof __NESTOS_RESOURCE_ROOT__ === 'string' ? __NESTOS_RESOURCE_ROOT__ : '../../';
  return fileURLToPath(new URL(root + relative, import.meta.url));
}

/** The bytes of a shipped file: from the package root, or the executable's assets. */
export function readResource(relative: string): Buffer {
  const path = resourcePath(relative);
  if (path !== undefined) return readFileSync(path);
  return Buffer.from(seaModule().getAsset(relative));
}

/** A native addon carried by the standalone executable (see scripts/build.mjs). */
export function seaAsset(key: string): Buffer {
  return Buffer.from(seaModule().getAsset(key));
}
