// A real HTTP server on 127.0.0.1 for tests: serves a directory with
// Range/ETag support, and can misbehave on purpose (drop a body half-way,
// ignore Range, answer with a status).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface ServeOptions {
  /** Ignore Range headers (always 200 with the whole body). */
  ignoreRange?: boolean;
  /** With ignoreRange: still answer `Accept-Ranges: bytes` (a server that lies). */
  advertiseRanges?: boolean;
  /** Cut the connection after this many body bytes, for the first N matching requests. */
  dropAfterBytes?: number;
  dropCount?: number;
  /** Only requests whose path ends with this are dropped (default: any). */
  dropPathSuffix?: string;
  /** Send this many body bytes, then nothing more while keeping the connection open (a stalled transfer). */
  stallAfterBytes?: number;
  /** Stall only the first N requests that would stall (default: all). */
  stallCount?: number;
  /** Fixed status answers for paths (e.g. {'/stable.json': 404}). */
  status?: Record<string, number>;
  /** Answer the first N requests of a path with this status, then normally. */
  failFirst?: { path: string; status: number; count: number };
}

export interface ServedDir {
  url: string;
  /** Every request seen: method, path and Range header. */
  requests: { path: string; range?: string; ifRange?: string }[];
  close(): Promise<void>;
}

const stalled = new WeakMap<ServeOptions, number>();

/** Count this stall against `stallCount`. */
function stallNow(opts: ServeOptions): boolean {
  const n = stalled.get(opts) ?? 0;
  if (opts.stallCount !== undefined && n >= opts.stallCount) return false;
  stalled.set(opts, n + 1);
  return true;
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: string, opts: ServeOptions, drop: () => boolean): void {
  const size = statSync(file).size;
  const etag = `"${size.toString(16)}"`;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (!opts.ignoreRange && range && (ifRange === undefined || ifRange === etag)) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
    }
  }
  const headers: Record<string, string> = {
    'content-length': String(end - start + 1),
    'content-type': 'application/octet-stream',
    etag,
  };
  if (!opts.ignoreRange || opts.advertiseRanges) headers['accept-ranges'] = 'bytes';
  if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (opts.stallAfterBytes !== undefined && opts.stallAfterBytes < end - start + 1 && stallNow(opts)) {
    createReadStream(file, { start, end: start + opts.stallAfterBytes - 1 }).on('data', (chunk) => res.write(chunk));
    return;
  }
  const stream = createReadStream(file, { start, end, highWaterMark: 64 * 1024 });
  if (drop() && opts.dropAfterBytes !== undefined) {
    let sent = 0;
    const limit = opts.dropAfterBytes;
    stream.on('data', (chunk) => {
      const buf = chunk as Buffer;
      if (sent + buf.length >= limit) {
        stream.destroy();
        res.write(buf.subarray(0, limit - sent), () => res.socket?.destroy());
        sent = limit;
        return;
      }
      sent += buf.length;
      if (!res.write(buf)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => res.end());
    return;
  }
  stream.pipe(res);
}

/** Serve `dir` on 127.0.0.1 (random port) until close(). */
export async function serveDir(dir: string, opts: ServeOptions = {}): Promise<ServedDir> {
  const requests: ServedDir['requests'] = [];
  let drops = 0;
  const failed = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const ifRange = req.headers['if-range'];
    requests.push({
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(typeof ifRange === 'string' ? { ifRange } : {}),
    });
    const fixed = opts.status?.[path];
    if (fixed !== undefined) {
      res.writeHead(fixed).end();
      return;
    }
    if (opts.failFirst && opts.failFirst.path === path) {
      const n = failed.get(path) ?? 0;
      if (n < opts.failFirst.count) {
        failed.set(path, n + 1);
        res.writeHead(opts.failFirst.status).end();
        return;
      }
    }
    const file = join(dir, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) {
      res.writeHead(404).end();
      return;
    }
    const drop = (): boolean => {
      if (opts.dropAfterBytes === undefined) return false;
      if (opts.dropPathSuffix !== undefined && !path.endsWith(opts.dropPathSuffix)) return false;
      if (drops >= (opts.dropCount ?? 1)) return false;
      drops++;
      return true;
    };
    serveFile(req, res, file, opts, drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
