// OS features advertised by a live ISO in <FAMILY>/FEATURES.JSO (SPEC 4.8).

import { ContextError, isNotFound, withContext, withContextSync } from '../util/errors.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import type { OsFamily } from '../util/family.js';
import { optionalBool, parseJsonObject, type JsonObject } from './json-fields.js';

export interface OsFeatures {
  installerConfig: boolean;
  installerConfigDirectives: { console: boolean };
  liveInitrdNetwork: boolean;
}

export const NO_FEATURES: OsFeatures = {
  installerConfig: false,
  installerConfigDirectives: { console: false },
  liveInitrdNetwork: false,
};

/** PURE: decode features.json; missing keys are false, unknown keys ignored. */
export function parseFeatures(data: Buffer): OsFeatures {
  const obj = parseJsonObject(data);
  const directives = obj['installer-config-directives'];
  let console = false;
  if (directives !== undefined && directives !== null) {
    if (typeof directives !== 'object' || Array.isArray(directives)) {
      throw new Error('invalid type for field `installer-config-directives`: expected a map');
    }
    console = optionalBool(directives as JsonObject, 'console');
  }
  return {
    installerConfig: optionalBool(obj, 'installer-config'),
    installerConfigDirectives: { console },
    liveInitrdNetwork: optionalBool(obj, 'live-initrd-network'),
  };
}

/** Read the features of an ISO of `family`; a missing file means no features. */
export async function readFeatures(iso: IsoFs, family: OsFamily): Promise<OsFeatures> {
  let record;
  try {
    record = await iso.getFile(family.featuresPath);
  } catch (err) {
    if (isNotFound(err)) return NO_FEATURES;
    throw new ContextError('looking up OS features', err);
  }
  const found = record;
  const data = await withContext('reading OS features', () => iso.readFile(found));
  return withContextSync('parsing OS features', () => parseFeatures(data));
}
