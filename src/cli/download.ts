// `download [OPTIONS]` (SPEC 1.3) plus --signing-key (E2).

import { lazy, leaf } from './spec.js';
import { architectureOption, fetchRetriesOption, insecureOption, signingKeyOption, streamBaseUrlOption, streamOption } from './options.js';
import { defaultArchitecture, parseUrl, type FetchRetries } from './types.js';
import type { DownloadConfig } from '../commands/download.js';
import { invokedFamily } from '../util/family.js';

export const download = leaf<DownloadConfig>({
  name: 'download',
  about: `Download a ${invokedFamily().osName} image`,
  longAbout:
    'The image and its signature are verified while they download (OpenPGP, and the ' +
    "stream's sha256 when it gives one), written to a temporary file in the destination " +
    'directory and renamed only when every check passed. Retries after a dropped ' +
    'connection resume with an HTTP Range request when the server allows it.',
  options: [
    streamOption(undefined, 'stable'),
    architectureOption(),
    { long: 'platform', short: 'p', value: 'name', help: `${invokedFamily().streamOsName} platform name`, default: 'metal' },
    { long: 'format', short: 'f', value: 'name', help: 'Image format', default: 'raw.xz' },
    { long: 'image-url', short: 'u', value: 'URL', help: 'Manually specify the image URL', parse: parseUrl },
    { long: 'directory', short: 'C', value: 'path', help: 'Destination directory', default: '.' },
    { long: 'decompress', short: 'd', help: "Decompress image and don't save signature" },
    insecureOption(),
    streamBaseUrlOption(),
    fetchRetriesOption(),
    signingKeyOption(),
  ],
  positionals: [],
  toConfig: (a) => {
    const config: DownloadConfig = {
      stream: a.string('stream') ?? 'stable',
      architecture: a.string('architecture') ?? defaultArchitecture(),
      platform: a.string('platform') ?? 'metal',
      format: a.string('format') ?? 'raw.xz',
      directory: a.string('directory') ?? '.',
      decompress: a.flag('decompress'),
      insecure: a.flag('insecure'),
      fetchRetries: a.parsed<FetchRetries>('fetch-retries') ?? 0,
      signingKeys: a.strings('signing-key'),
    };
    const imageUrl = a.parsed<URL>('image-url');
    if (imageUrl !== undefined) config.imageUrl = imageUrl;
    const base = a.string('stream-base-url');
    if (base !== undefined) config.streamBaseUrl = base;
    return config;
  },
  load: lazy(() => import('../commands/download.js'), 'download'),
});
