// A streaming GET whose body survives dropped connections (SPEC 2.3, E6).
//
// The body is one Readable over the whole file. When the connection drops
// mid-body and retries are left, upstream's two messages are printed, then
// the next request asks for the rest: `Range: bytes=<n>-` with `If-Range`
// (when the first answer offered `Accept-Ranges: bytes` and a validator).
// A 206 continues at byte n; a 200 (Range ignored, or the file changed)
// starts over and its first n bytes are skipped, so every byte is delivered
// exactly once and whatever verifies the stream sees the file once, in order.

import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, ContextError } from '../util/errors.js';
import { info } from '../util/log.js';
import { GOT_OPTIONS, MAX_DELAY_S, RetryableError, msPerSecond, statusError, statusText, transportError, type Retries } from './http.js';

export interface ResumableResponse {
  /** Status of the first answer (2xx). */
  status: number;
  statusMessage?: string;
  /** Final URL after redirects. */
  url: URL;
  /** Content-Length of the whole body, when given. */
  length?: number;
  body: Readable;
}

interface Attempt {
  stream: Duplex;
  status: number;
  statusMessage?: string;
  headers: IncomingHttpHeaders;
  url: URL;
}

async function request(url: URL, headers: Record<string, string>): Promise<Attempt> {
  const { got } = await import('got');
  const stream = got.stream(url, { ...GOT_OPTIONS, headers: { ...GOT_OPTIONS.headers, ...headers } });
  // Errors before and after the response are read from the stream's state.
  stream.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.once('response', (res: { statusCode: number; statusMessage?: string; headers: IncomingHttpHeaders; url: string }) => {
      stream.off('error', reject);
      resolve({
        stream,
        status: res.statusCode,
        ...(res.statusMessage ? { statusMessage: res.statusMessage } : {}),
        headers: res.headers,
        url: new URL(res.url),
      });
    });
  });
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The If-Range value: a strong ETag, else Last-Modified; undefined = don't resume. */
function validator(headers: IncomingHttpHeaders): string | undefined {
  if (!/\bbytes\b/i.test(headers['accept-ranges'] ?? '')) return undefined;
  const etag = headers.etag;
  if (etag && !etag.startsWith('W/')) return etag;
  return headers['last-modified'];
}

/** Upstream's retry loop state, shared by the first request and every resumption. */
class RetryBudget {
  private used = 0;
  private delay = 1;
  constructor(
    private readonly url: URL,
    private readonly retries: Retries,
  ) {}

  /** Print and sleep before another attempt, or throw the final error. */
  async fail(err: unknown, signal?: AbortSignal): Promise<void> {
    const more = this.retries === 'infinite' || this.used < this.retries;
    if (!(err instanceof RetryableError) || !more) throw new ContextError(`fetching '${this.url.href}'`, err);
    this.used++;
    info(`Error fetching '${this.url.href}': ${err.message}`);
    info(`Sleeping ${this.delay}s and retrying...`);
    await sleep(this.delay * msPerSecond(), undefined, signal ? { signal } : {});
    this.delay = Math.min(this.delay * 2, MAX_DELAY_S);
  }
}

function asRetryable(err: unknown, url: URL): unknown {
  return err instanceof RetryableError || err instanceof CliError ? err : transportError(err, url);
}

/**
 * GET `url` with upstream's retries; resolves once a 2xx answer arrived.
 * Non-2xx answers fail as SPEC 2.3 says (wrapped in "fetching '<url>'").
 */
export async function openResumableGet(url: URL, retries: Retries): Promise<ResumableResponse> {
  const budget = new RetryBudget(url, retries);
  for (;;) {
    try {
      const first = await request(url, {});
      if (first.status < 200 || first.status >= 300) {
        first.stream.destroy();
        throw statusError(first.status, first.url.href, first.statusMessage);
      }
      const length = first.status === 200 ? contentLength(first.headers) : undefined;
      return {
        status: first.status,
        ...(first.statusMessage ? { statusMessage: first.statusMessage } : {}),
        url: first.url,
        ...(length !== undefined ? { length } : {}),
        body: new ResumableBody(url, budget, first, length),
      };
    } catch (err) {
      await budget.fail(asRetryable(err, url));
    }
  }
}

class ResumableBody extends Readable {
  private readonly abort = new AbortController();
  private readonly validator: string | undefined;
  private current: Duplex | undefined;
  private first: Attempt | undefined;
  private position = 0;
  private started = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly url: URL,
    private readonly budget: RetryBudget,
    first: Attempt,
    private readonly total: number | undefined,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.first = first;
    this.current = first.stream;
    this.validator = validator(first.headers);
  }

  override _read(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (wake) wake();
    if (this.started) return;
    this.started = true;
    this.run().then(
      () => {
        if (!this.abort.signal.aborted) this.push(null);
      },
      (err: unknown) => {
        if (!this.abort.signal.aborted) this.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.abort.abort();
    this.current?.destroy();
    this.first?.stream.destroy();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    callback(err);
  }

  private get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = this.first;
    this.first = undefined;
    let skip = 0;
    for (;;) {
      try {
        if (!attempt) ({ attempt, skip } = await this.reopen());
        this.current = attempt.stream;
        for await (const chunk of attempt.stream as AsyncIterable<Buffer>) {
          if (this.aborted) return;
          let buf = chunk;
          if (skip > 0) {
            const n = Math.min(skip, buf.length);
            skip -= n;
            buf = buf.subarray(n);
            if (buf.length === 0) continue;
          }
          this.position += buf.length;
          if (!this.push(buf)) await new Promise<void>((resolve) => (this.wake = resolve));
        }
        if (this.aborted) return;
        if (this.total !== undefined && this.position < this.total) {
          throw new RetryableError(`connection to ${this.url.host} was closed before the response was complete`);
        }
        return;
      } catch (err) {
        if (this.aborted) return;
        attempt?.stream.destroy();
        attempt = undefined;
        await this.budget.fail(asRetryable(err, this.url), this.abort.signal);
      }
    }
  }

  /** Ask for the rest: 206 continues, 200 starts over (skip what was delivered). */
  private async reopen(): Promise<{ attempt: Attempt; skip: number }> {
    const resume = this.position > 0 && this.validator !== undefined;
    const headers: Record<string, string> = {};
    if (resume && this.validator !== undefined) {
      headers['range'] = `bytes=${this.position}-`;
      headers['if-range'] = this.validator;
    }
    const attempt = await request(this.url, headers);
    if (this.aborted) {
      attempt.stream.destroy();
      return { attempt, skip: 0 };
    }
    this.current = attempt.stream;
    if (attempt.status === 206 && resume) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(attempt.headers['content-range'] ?? '');
      const total = range?.[3] === '*' ? undefined : Number(range?.[3]);
      if (!range || Number(range[1]) !== this.position || (this.total !== undefined && total !== this.total)) {
        attempt.stream.destroy();
        throw new CliError(`unexpected Content-Range '${attempt.headers['content-range'] ?? ''}' resuming at byte ${this.position}`);
      }
      return { attempt, skip: 0 };
    }
    if (attempt.status === 200) {
      const length = contentLength(attempt.headers);
      if (this.total !== undefined && length !== undefined && length !== this.total) {
        attempt.stream.destroy();
        throw new CliError(`the size of '${this.url.href}' changed during the download`);
      }
      return { attempt, skip: this.position };
    }
    attempt.stream.destroy();
    if (attempt.status >= 200 && attempt.status < 300) {
      throw new CliError(`image fetch failed: ${statusText(attempt.status, attempt.statusMessage)}`);
    }
    throw statusError(attempt.status, attempt.url.href, attempt.statusMessage);
  }
}
