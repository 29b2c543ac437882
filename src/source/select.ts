// Choosing install's image location (SPEC 3.3): --image-file, --image-url,
// --offline (osmet or nothing), else osmet first unless --stream was given,
// then the stream with a format chosen by the destination's sector size.

import { CliError } from '../util/errors.js';
import { info } from '../util/log.js';
import type { Retries } from './http.js';
import type { ImageLocation } from './location.js';

export interface LocationChoice {
  imageFile?: string;
  imageUrl?: URL;
  offline: boolean;
  stream?: string;
  streamBaseUrl?: string;
  architecture: string;
  fetchRetries: Retries;
  /** Destination's logical sector size, and its name for the non-standard size note. */
  sectorSize: number;
  dev: string;
}

export async function chooseImageLocation(c: LocationChoice): Promise<ImageLocation> {
  if (c.imageFile !== undefined) {
    const { FileLocation } = await import('./file-location.js');
    return new FileLocation(c.imageFile);
  }
  if (c.imageUrl !== undefined) {
    const { UrlLocation } = await import('./url-location.js');
    return new UrlLocation(c.imageUrl, { retries: c.fetchRetries });
  }
  if (c.offline || c.stream === undefined) {
    const { OsmetLocation, findOsmet, osmetDir, ostreeRepo } = await import('./osmet-location.js');
    const match = await findOsmet(osmetDir(), c.architecture, c.sectorSize);
    if (match !== undefined) return new OsmetLocation(match, ostreeRepo());
    if (c.offline) throw new CliError('cannot perform offline install; metadata missing');
  }
  let format = 'raw.xz';
  if (c.sectorSize === 4096) format = '4k.raw.xz';
  else if (c.sectorSize !== 512) info(`Found non-standard sector size ${c.sectorSize} for ${c.dev}, assuming 512b-compatible`);
  const { StreamLocation } = await import('./stream-location.js');
  return new StreamLocation({
    stream: c.stream ?? 'stable',
    architecture: c.architecture,
    platform: 'metal',
    format,
    ...(c.streamBaseUrl !== undefined ? { baseUrl: c.streamBaseUrl } : {}),
    retries: c.fetchRetries,
  });
}
