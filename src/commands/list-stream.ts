// list-stream: fetch the stream, print the sorted table (or JSON rows).

import { fetchStream } from '../source/stream-fetch.js';
import { formatStreamTable, listFormats } from '../source/stream-metadata.js';
import { writeStdout } from '../util/stdio.js';

export interface ListStreamConfig {
  stream: string;
  streamBaseUrl?: string;
  json: boolean;
}

export async function listStream(config: ListStreamConfig): Promise<void> {
  // list-stream never retries (SPEC 2.3).
  const { metadata } = await fetchStream(config.stream, config.streamBaseUrl, 0);
  const rows = listFormats(metadata);
  if (config.json) {
    const objects = rows.map(([architecture, platform, format]) => ({ architecture, platform, format }));
    await writeStdout(JSON.stringify(objects, null, 2) + '\n');
  } else {
    await writeStdout(formatStreamTable(rows));
  }
}
