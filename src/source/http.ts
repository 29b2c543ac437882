// The HTTP client (got, per the design card): timeouts, upstream's retry
// policy (SPEC 2.3), a User-Agent, and one-line causes for the usual
// failures. file:// URLs are read from disk (E7: air-gapped stream bases).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ContextError, CliError, context } from '../util/errors.js';
import { info } from '../util/log.js';
import { invokedFamily } from '../util/family.js';
import { packageVersion } from '../util/version.js';

export type Retries = number | 'infinite';

/** Status codes worth retrying, as curl and upstream do. */
export const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Upstream's backoff: 1 s doubling, capped at 600 s. */
export const MAX_DELAY_S = 600;

/**
 * Scale of the backoff sleep, for tests only: NESTOS_INSTALLER_RETRY_DELAY_MS
 * replaces the 1000 ms of one nominal second. The printed seconds stay nominal.
 */
export function msPerSecond(): number {
  const v = Number(process.env['NESTOS_INSTALLER_RETRY_DELAY_MS']);
  return Number.isFinite(v) && v >= 0 && process.env['NESTOS_INSTALLER_RETRY_DELAY_MS'] !== undefined ? v : 1000;
}

export const USER_AGENT = `${invokedFamily().programName}/${packageVersion()}`;

/** got options shared by every request. */
export const GOT_OPTIONS = {
  followRedirect: true,
  maxRedirects: 10,
  throwHttpErrors: false,
  retry: { limit: 0 },
  decompress: false,
  headers: { 'user-agent': USER_AGENT },
  timeout: {
    lookup: 30_000,
    connect: 30_000,
    secureConnect: 30_000,
    response: 120_000,
    // A body that stalls this long is retried (resumed). Tests shorten it.
    socket: Number(process.env['NESTOS_INSTALLER_SOCKET_TIMEOUT_MS'] ?? 300_000),
    request: 4 * 3600_000,
  },
} as const;

/** A failure worth another attempt (transport error or a RETRY_STATUS). */
export class RetryableError extends Error {
  override name = 'RetryableError';
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  410: 'Gone',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** "404 Not Found" */
export function statusText(status: number, reason?: string): string {
  return `${status} ${reason || REASONS[status] || ''}`.trimEnd();
}

/** Turn a non-2xx status into upstream's error (retryable or final). */
export function statusError(status: number, url: string, reason?: string): Error {
  if (RETRY_STATUS.has(status)) return new RetryableError(`HTTP ${statusText(status, reason)}`);
  const kind = status >= 500 ? 'server' : 'client';
  return new CliError(`HTTP status ${kind} error (${statusText(status, reason)}) for url (${url})`);
}

/** A one-line cause for a transport failure (DNS, refused, reset, timeout). */
export function transportError(err: unknown, url: URL): RetryableError {
  const code = (err as { code?: string }).code;
  const host = url.host;
  const text =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `could not resolve host '${url.hostname}'`
      : code === 'ECONNREFUSED'
        ? `connection refused by ${host}`
        : code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE'
          ? `connection to ${host} was closed before the response was complete`
          : code === 'ETIMEDOUT'
            ? `timed out talking to ${host}`
            : err instanceof Error
              ? err.message
              : String(err);
  return new RetryableError(text);
}

/**
 * Run `attempt` with upstream's retry loop: retryable failures print
 * "Error fetching '<url>': <error>" and "Sleeping <d>s and retrying...".
 * The final error is wrapped as "fetching '<url>'".
 */
export async function withRetries<T>(url: URL, retries: Retries, attempt: (n: number) => Promise<T>): Promise<T> {
  let delay = 1;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const more = retries === 'infinite' || n < retries;
      if (!(err instanceof RetryableError) || !more) throw new ContextError(`fetching '${url.href}'`, err);
      info(`Error fetching '${url.href}': ${err.message}`);
      info(`Sleeping ${delay}s and retrying...`);
      await new Promise((r) => setTimeout(r, delay * msPerSecond()));
      delay = Math.min(delay * 2, MAX_DELAY_S);
    }
  }
}

export interface FetchedBuffer {
  body: Buffer;
  /** Final URL after redirects. */
  url: URL;
}

/** GET a small document into memory (stream metadata, signatures). */
export async function httpGetBuffer(url: URL, retries: Retries): Promise<FetchedBuffer> {
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    const body = await readFile(path).catch(context(`reading ${path}`));
    return { body, url };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`unknown protocol for URL '${url.href}'`);
  }
  const { got } = await import('got');
  return withRetries(url, retries, async () => {
    let response;
    try {
      response = await got(url, { ...GOT_OPTIONS, responseType: 'buffer' });
    } catch (err) {
      throw transportError(err, url);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw statusError(response.statusCode, response.url, response.statusMessage);
    }
    return { body: response.body, url: new URL(response.url) };
  });
}
