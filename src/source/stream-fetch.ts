// Fetch and decode a stream document (SPEC 2.3 "Stream fetch").

import { ContextError } from '../util/errors.js';
import { invokedFamily } from '../util/family.js';
import { httpGetBuffer, type Retries } from './http.js';
import { buildStreamUrl, parseStreamMetadata, type StreamMetadata } from './stream-metadata.js';

export interface FetchedStream {
  url: URL;
  metadata: StreamMetadata;
}

export async function fetchStream(stream: string, baseUrl: string | undefined, retries: Retries): Promise<FetchedStream> {
  const url = buildStreamUrl(baseUrl ?? invokedFamily().streamBaseUrl, stream);
  let body: Buffer;
  try {
    body = (await httpGetBuffer(url, retries)).body;
  } catch (err) {
    throw new ContextError('fetching stream metadata', err);
  }
  try {
    return { url, metadata: parseStreamMetadata(body.toString('utf8')) };
  } catch (err) {
    throw new ContextError('decoding stream metadata', err);
  }
}
