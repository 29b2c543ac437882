// `list-stream [-s STREAM] [--stream-base-url URL] [--json]` (SPEC 1.4, 2.4).

import { lazy, leaf } from './spec.js';
import { streamBaseUrlOption, streamOption } from './options.js';
import type { ListStreamConfig } from '../commands/list-stream.js';
import { invokedFamily } from '../util/family.js';

export const listStream = leaf<ListStreamConfig>({
  name: 'list-stream',
  about: `List available images in a ${invokedFamily().streamOsName} stream`,
  longAbout:
    `The stream metadata is fetched from ${invokedFamily().streamBaseUrl}, or from ` +
    '--stream-base-url, which may be an http(s) URL, a file:// URL or a directory.',
  options: [streamOption(undefined, 'stable'), streamBaseUrlOption(), { long: 'json', help: 'Print the rows as JSON' }],
  positionals: [],
  toConfig: (a) => {
    const config: ListStreamConfig = { stream: a.string('stream') ?? 'stable', json: a.flag('json') };
    const base = a.string('stream-base-url');
    if (base !== undefined) config.streamBaseUrl = base;
    return config;
  },
  load: lazy(() => import('../commands/list-stream.js'), 'listStream'),
});
