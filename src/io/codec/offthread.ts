// A streaming codec on a worker thread (issue 14): one more MemberDecoder.
//
// zstd decodes an image as fast as the disk takes it, but on the main thread
// it ran in turn with the SHA-256 of the input, the copies and the writes;
// here the worker (stream-worker.ts) decodes while the main thread does the
// rest. The main thread still walks the member's framing (MemberBounds), so
// where the member ends, trailing data and premature EOF are decided exactly
// as in the codec's own decoder; only the decoding moves.
//
// Memory stays bounded: at most MAX_INPUTS input buffers are out with the
// worker, and it decodes into RESERVE empty 1 MiB buffers, getting one back
// each time the main thread has passed a piece on to its reader.

import type { Worker } from 'node:worker_threads';
import { DECOMPRESS_CHUNK_SIZE } from '../../util/constants.js';
import { adoptChunk, takeChunk } from '../chunk-pool.js';
import { MemberBounds, SteppedDecoder, type DecodeOutput, type Framer, type MemberDecoder } from './member-decoder.js';
import type { StreamCodec, StreamMessage, StreamRequest } from './stream-worker.js';
import { startWorker } from './worker-script.js';

/** Input is handed over in buffers of this size (the last one of a member may be shorter). */
const INPUT_SIZE = DECOMPRESS_CHUNK_SIZE;
/** Input buffers out with the worker at once. */
const MAX_INPUTS = 4;
/** Empty output buffers the worker holds at most. */
const RESERVE = 4;

class OffThreadDecoder extends SteppedDecoder {
  private readonly bounds: MemberBounds;
  private worker: Worker | undefined;
  private staging: Buffer | undefined;
  private staged = 0;
  private readonly spareInputs: ArrayBuffer[] = [];
  private inputsOut = 0;
  private readonly pieces: Buffer[] = [];
  private workerEnded = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    codec: StreamCodec,
    framer: Framer,
    eofMessage: string,
    private readonly out: DecodeOutput,
  ) {
    super();
    this.bounds = new MemberBounds(framer, eofMessage);
    const worker = startWorker('stream-worker', { workerData: { codec } });
    this.worker = worker;
    worker.on('message', (m: StreamMessage) => this.receive(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => {
      if (!this.workerEnded) this.fail(new Error('decoder worker exited'));
    });
    // Referenced only while we wait for it (wait()).
    worker.unref();
    this.give(RESERVE);
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    this.workerEnded = true;
    const close: StreamRequest = 'close';
    worker.postMessage(close);
  }

  private receive(m: StreamMessage): void {
    switch (m.kind) {
      case 'piece':
        this.pieces.push(adoptChunk(m.buffer).subarray(0, m.length));
        break;
      case 'used':
        this.inputsOut--;
        this.spareInputs.push(m.buffer);
        break;
      case 'ended':
        this.workerEnded = true;
        break;
      case 'failed':
        this.fail(new Error(m.message));
        break;
    }
    this.poke();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private post(request: StreamRequest, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(request, transfer);
  }

  private give(count: number): void {
    const buffers: ArrayBuffer[] = [];
    for (let i = 0; i < count; i++) buffers.push(takeChunk().buffer as ArrayBuffer);
    this.post({ kind: 'spare', buffers }, buffers);
  }

  /** Wait for the worker's next message; the process stays up meanwhile. */
  private async wait(): Promise<void> {
    if (this.failure) throw this.failure;
    const worker = this.worker;
    worker?.ref();
    try {
      await new Promise<void>((resolve) => (this.wake = resolve));
    } finally {
      worker?.unref();
    }
  }

  /** Pass on the pieces received so far, in order; then report a failure, if any. */
  private async emitReady(): Promise<void> {
    for (let piece = this.pieces.shift(); piece !== undefined; piece = this.pieces.shift()) {
      await this.out.emit(piece);
      this.give(1);
    }
    if (this.failure) throw this.failure;
  }

  protected async step(input: Buffer, eof: boolean): Promise<number> {
    if (this.ended) return input.length;
    const { forward, trailing } = this.bounds.take(input, eof);
    await this.send(forward);
    await this.emitReady();
    if (!this.bounds.done) return 0;
    await this.flushInput();
    this.post({ kind: 'end' });
    while (!this.workerEnded) {
      await this.wait();
      await this.emitReady();
    }
    await this.emitReady();
    this.ended = true;
    this.close();
    return trailing;
  }

  /** Copy `data` into input buffers, handing each full one to the worker. */
  private async send(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; ) {
      this.staging ??= Buffer.from(this.spareInputs.pop() ?? new ArrayBuffer(INPUT_SIZE));
      const n = data.copy(this.staging, this.staged, off);
      this.staged += n;
      off += n;
      if (this.staged === INPUT_SIZE) await this.flushInput();
    }
  }

  /** Hand the staged input to the worker once it has room for it. */
  private async flushInput(): Promise<void> {
    const staging = this.staging;
    if (staging === undefined || this.staged === 0) return;
    while (this.inputsOut >= MAX_INPUTS) {
      await this.emitReady();
      if (this.inputsOut < MAX_INPUTS) break;
      await this.wait();
    }
    const buffer = staging.buffer as ArrayBuffer;
    this.post({ kind: 'input', buffer, length: this.staged }, [buffer]);
    this.inputsOut++;
    this.staging = undefined;
    this.staged = 0;
  }
}

/** A MemberDecoder that runs `codec` on a worker thread, `framer` deciding where the member ends. */
export function openOffThreadDecoder(codec: StreamCodec, framer: Framer, eofMessage: string, out: DecodeOutput): MemberDecoder {
  return new OffThreadDecoder(codec, framer, eofMessage, out);
}
