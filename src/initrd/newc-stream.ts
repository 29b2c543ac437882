// A push parser for one newc archive (SPEC 4.5.2 step 2), fed in chunks of
// any size, for initrds too large to hold: only the kept members' data is
// buffered, everything else is skipped as it passes. The errors and their
// contexts are those of the buffer reader in newc.ts.

import { ContextError, ShortReadError } from '../util/errors.js';
import { parseNewcHeader, parseNewcName, type NewcEntry } from './newc.js';

const HEADER_SIZE = 110;
const TRAILER = 'TRAILER!!!';
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

type State =
  | { kind: 'header' }
  | { kind: 'name'; mode: number; filesize: number; namesize: number }
  | { kind: 'data'; name: string; mode: number; filesize: number; keep: boolean }
  | { kind: 'skip'; context: string; trailer: boolean }
  | { kind: 'done' };

export class NewcPushParser {
  private state: State = { kind: 'header' };
  /** Bytes wanted by the current state (collected) or to pass over (skip). */
  private want = HEADER_SIZE;
  private acc: Buffer[] = [];
  private accLen = 0;

  constructor(
    private readonly keep: (name: string) => boolean,
    private readonly onFile: (entry: NewcEntry) => void,
  ) {}

  /** True once the trailer (and its padding) has been read. */
  get done(): boolean {
    return this.state.kind === 'done';
  }

  /** Feed bytes; returns how many were used (fewer than given only once the archive is done). */
  feed(chunk: Buffer): number {
    let off = 0;
    while (this.state.kind !== 'done') {
      if (this.want === 0 || this.accLen === this.want) {
        this.step();
        continue;
      }
      if (off >= chunk.length) break;
      const n = Math.min(this.want - this.accLen, chunk.length - off);
      // Copied: the caller may reuse its buffer (zstd's output) before the entry is complete.
      if (this.collecting()) this.acc.push(Buffer.from(chunk.subarray(off, off + n)));
      this.accLen += n;
      off += n;
    }
    return off;
  }

  /** End of input: an unfinished archive is a short read, in the context of where it stopped. */
  finish(): void {
    if (this.state.kind === 'done') return;
    throw new ContextError(this.contextOf(), new ShortReadError());
  }

  private collecting(): boolean {
    const s = this.state;
    return s.kind === 'header' || s.kind === 'name' || (s.kind === 'data' && s.keep);
  }

  private contextOf(): string {
    const s = this.state;
    if (s.kind === 'data') return 'reading CPIO entry contents';
    if (s.kind === 'skip') return s.context;
    return 'reading CPIO entry';
  }

  private take(): Buffer {
    const buf = this.acc.length === 1 ? (this.acc[0] as Buffer) : Buffer.concat(this.acc, this.accLen);
    this.acc = [];
    this.accLen = 0;
    return buf;
  }

  private next(state: State, want: number): void {
    this.state = state;
    this.want = want;
    this.acc = [];
    this.accLen = 0;
  }

  private step(): void {
    const s = this.state;
    switch (s.kind) {
      case 'header': {
        const header = this.take();
        const fields = wrap('reading CPIO entry', () => parseNewcHeader(header));
        this.next({ kind: 'name', ...fields }, fields.namesize + pad4(HEADER_SIZE + fields.namesize));
        return;
      }
      case 'name': {
        const raw = this.take().subarray(0, s.namesize);
        const name = wrap('reading CPIO entry', () => parseNewcName(raw));
        if (name === TRAILER) {
          this.next({ kind: 'skip', context: 'finishing reading CPIO trailer', trailer: true }, s.filesize + pad4(s.filesize));
          return;
        }
        const keep = (s.mode & S_IFMT) === S_IFREG && this.keep(name);
        this.next({ kind: 'data', name, mode: s.mode, filesize: s.filesize, keep }, s.filesize);
        return;
      }
      case 'data': {
        if (s.keep) this.onFile({ name: s.name, mode: s.mode, data: this.take() });
        this.next({ kind: 'skip', context: 'finishing reading CPIO entry', trailer: false }, pad4(s.filesize));
        return;
      }
      case 'skip':
        if (s.trailer) this.next({ kind: 'done' }, 0);
        else this.next({ kind: 'header' }, HEADER_SIZE);
        return;
      case 'done':
        return;
    }
  }
}

function wrap<T>(message: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new ContextError(message, err);
  }
}
