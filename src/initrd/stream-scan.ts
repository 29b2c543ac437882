// Reading a kernel-style initrd as a stream (SPEC 4.5.2), with flat memory:
// concatenated archives, each uncompressed or one gzip member / xz stream /
// run of zstd frames, zero padding between them. Compressed members are
// decoded as they arrive and their cpio is parsed as it decodes; only the
// kept members' bytes are held. For live initramfs images of any size
// (`pxe customize`), where Initrd.fromBuffer would hold the whole archive.
//
// Members are decoded by the strict decoder's codecs (io/codec/), which also
// find where each member ends; what follows goes back to the input.

import { CliError, ContextError } from '../util/errors.js';
import { openMemberDecoder } from '../io/codecs.js';
import { sniffCompression, type Codec } from '../io/compression.js';
import type { NewcEntry } from './newc.js';
import { NewcPushParser } from './newc-stream.js';

/** Sequential chunks of input with push-back of what a stage did not use. */
export class ChunkSource {
  private readonly pushedBack: Buffer[] = [];

  constructor(private readonly read: () => Promise<Buffer | undefined>) {}

  async next(): Promise<Buffer | undefined> {
    const back = this.pushedBack.pop();
    if (back !== undefined) return back;
    return this.read();
  }

  /** Return bytes to the front of the input. */
  unread(chunk: Buffer): void {
    if (chunk.length > 0) this.pushedBack.push(chunk);
  }
}

const GARBAGE = 'found trailing garbage inside compressed archive';

/** A failure of the consumer inside a codec callback: rethrown as is, not as a codec error. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Read every archive of the input, calling `onFile` for each regular file
 * whose name `keep` accepts (later entries replace earlier ones at the caller).
 */
export async function scanInitrd(source: ChunkSource, keep: (name: string) => boolean, onFile: (entry: NewcEntry) => void): Promise<void> {
  for (;;) {
    let chunk = await source.next();
    if (chunk === undefined) return;
    const start = chunk.findIndex((b) => b !== 0);
    if (start < 0) continue;
    chunk = chunk.subarray(start);
    const parts = [chunk];
    let length = chunk.length;
    while (length < 6) {
      const more = await source.next();
      if (more === undefined) break;
      parts.push(more);
      length += more.length;
    }
    const head = parts.length === 1 ? chunk : Buffer.concat(parts);
    source.unread(head);
    const kind = sniffCompression(head.subarray(0, 6));
    const parser = new NewcPushParser(keep, onFile);
    if (kind === 'none') {
      await feedRaw(source, parser);
      continue;
    }
    const sink = (decoded: Buffer): void => {
      const used = parser.done ? 0 : parser.feed(decoded);
      if (decoded.subarray(used).some((b) => b !== 0)) throw new CliError(GARBAGE);
    };
    try {
      await decodeOne(kind, source, sink);
    } catch (err) {
      if (err instanceof SinkFailure) throw err.error;
      throw new ContextError('reading CPIO entry', err);
    }
    parser.finish();
  }
}

async function feedRaw(source: ChunkSource, parser: NewcPushParser): Promise<void> {
  while (!parser.done) {
    const chunk = await source.next();
    if (chunk === undefined) {
      parser.finish();
      return;
    }
    const used = parser.feed(chunk);
    source.unread(chunk.subarray(used));
  }
}

/** Bytes past a member's end that a decoder may have held from earlier chunks (zstd's 4-byte lookahead). */
const LOOKBACK = 16;

/**
 * One compressed member through the codec's streaming MemberDecoder
 * (io/codecs.ts): its decoded bytes go to the sink as they come; the input
 * after the member's end goes back to the source.
 */
async function decodeOne(kind: Codec, source: ChunkSource, sink: (b: Buffer) => void): Promise<void> {
  const decoder = await openMemberDecoder(kind, {
    emit: async (b) => {
      try {
        sink(b);
      } catch (err) {
        throw new SinkFailure(err);
      }
    },
  });
  try {
    // The last bytes given before `chunk`, for trailing bytes the decoder held back.
    let before = Buffer.alloc(0);
    for (;;) {
      const chunk = (await source.next()) ?? Buffer.alloc(0);
      const trailing = chunk.length === 0 ? await decoder.end() : await decoder.write(chunk);
      if (trailing > chunk.length) {
        source.unread(Buffer.concat([before.subarray(before.length - (trailing - chunk.length)), chunk]));
      } else if (trailing > 0) {
        source.unread(chunk.subarray(chunk.length - trailing));
      }
      if (decoder.done || chunk.length === 0) return;
      before = Buffer.from(Buffer.concat([before, chunk.subarray(-LOOKBACK)]).subarray(-LOOKBACK));
    }
  } finally {
    decoder.close();
  }
}
