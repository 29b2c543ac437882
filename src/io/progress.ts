// Progress on the raw (stored) bytes (SPEC 2.11): a counting pass-through
// and the reporter that prints at most once a second, and once at 100%.

import { Transform } from 'node:stream';
import { formatReport, formatTtyLine } from '../util/progress-bar.js';

/** Where reports go: stderr by default; tests pass their own. */
export interface ProgressOutput {
  write(text: string): void;
  isTTY: boolean;
}

export interface ProgressOptions {
  artifactType: string;
  /** Length hint; 0 or undefined = unknown. */
  total?: number;
  output?: ProgressOutput;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

const INTERVAL_MS = 1000;
/** Samples kept for the TTY rate (the last few seconds). */
const RATE_WINDOW_MS = 5000;

function stderrOutput(): ProgressOutput {
  return { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true };
}

export class ProgressReporter {
  private readonly type: string;
  private readonly total: number | undefined;
  private readonly out: ProgressOutput;
  private readonly now: () => number;
  private position = 0;
  private lastReport: number;
  private reportedEnd = false;
  private printed = false;
  private finished = false;
  private width = 0;
  private samples: { t: number; pos: number }[] = [];

  constructor(opts: ProgressOptions) {
    this.type = opts.artifactType;
    this.total = opts.total !== undefined && opts.total > 0 ? opts.total : undefined;
    this.out = opts.output ?? stderrOutput();
    this.now = opts.now ?? Date.now;
    this.lastReport = this.now();
    this.samples.push({ t: this.lastReport, pos: 0 });
  }

  /** Count `bytes` more and print if a report is due. */
  add(bytes: number): void {
    this.position += bytes;
    const t = this.now();
    const atEnd = this.total !== undefined && this.position === this.total;
    if (t - this.lastReport >= INTERVAL_MS || (atEnd && !this.reportedEnd)) {
      this.lastReport = t;
      if (atEnd) this.reportedEnd = true;
      this.report(t);
    }
  }

  /** End the line on a TTY (only if something was printed). Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.out.isTTY && this.printed) this.out.write('\n');
  }

  private report(t: number): void {
    this.printed = true;
    if (!this.out.isTTY) {
      this.out.write(formatReport(this.type, this.position, this.total) + '\n');
      return;
    }
    this.samples.push({ t, pos: this.position });
    while (this.samples.length > 2 && t - (this.samples[1]?.t ?? t) >= RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0] ?? { t, pos: 0 };
    const rate = t > first.t ? ((this.position - first.pos) * 1000) / (t - first.t) : undefined;
    const line = formatTtyLine({
      artifactType: this.type,
      position: this.position,
      ...(this.total !== undefined ? { total: this.total } : {}),
      ...(rate !== undefined ? { rate } : {}),
    });
    this.width = Math.max(this.width, line.length);
    this.out.write(`> ${line.padEnd(this.width)}   \r`);
  }
}

/** A pass-through Transform that counts bytes into `reporter`. */
export function createProgressTransform(reporter: ProgressReporter): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      reporter.add(chunk.length);
      callback(null, chunk);
    },
  });
}
