// Writing a stream into an open FileHandle at explicit positions. (A stream
// from handle.createWriteStream({autoClose: false}) keeps a reference on the
// handle, and handle.close() then never resolves.)

import type { FileHandle } from 'node:fs/promises';
import { writeFully } from './file-io.js';

/** A pipeline destination: writes every chunk at `start` onwards; resolves to the byte count. */
export function handleSink(handle: FileHandle, start = 0): (source: AsyncIterable<Buffer>) => Promise<number> {
  return async (source) => {
    let position = start;
    for await (const chunk of source) {
      await writeFully(handle, chunk, position);
      position += chunk.length;
    }
    return position - start;
  };
}
