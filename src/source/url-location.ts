// An image at a URL with its signature at <url>.sig, or a URL given by the
// stream document (SPEC 2.5). http(s) bodies resume after drops (E6);
// file:// URLs are read from disk (E7: air-gapped mirrors).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BUFFER_SIZE } from '../util/constants.js';
import { CliError, ContextError, context } from '../util/errors.js';
import { info } from '../util/log.js';
import { httpGetBuffer, statusText, type Retries } from './http.js';
import { openResumableGet } from './http-stream.js';
import type { ImageLocation, ImageSource } from './location.js';

export interface UrlLocationOptions {
  /** Default: the image URL with ".sig" appended to its path. */
  signatureUrl?: URL;
  /** Default: 'disk'. */
  artifactType?: string;
  retries: Retries;
  /** From the stream document (E3). */
  sha256?: string;
  uncompressedSha256?: string;
}

/** `https://h/a.xz?x=1` → `https://h/a.xz.sig?x=1` (SPEC 2.5). */
export function defaultSignatureUrl(url: URL): URL {
  const sig = new URL(url.href);
  sig.pathname += '.sig';
  return sig;
}

/** Last path segment, as stored in the URL (not percent-decoded, like upstream). */
function lastSegment(url: URL): string {
  const name = url.pathname.split('/').pop() ?? '';
  if (name === '') throw new CliError(`couldn't find a file name in URL '${url.href}'`);
  return name;
}

interface OpenedImage {
  stream: ImageSource['stream'];
  length?: number;
  finalUrl: URL;
}

export class UrlLocation implements ImageLocation {
  private readonly signatureUrl: URL;

  constructor(
    private readonly url: URL,
    private readonly opts: UrlLocationOptions,
  ) {
    this.signatureUrl = opts.signatureUrl ?? defaultSignatureUrl(url);
  }

  describe(): string {
    return `Downloading image from ${this.url.href}\nDownloading signature from ${this.signatureUrl.href}`;
  }

  requiresSignature(): boolean {
    return true;
  }

  async sources(): Promise<ImageSource[]> {
    // The signature first, whole, in memory; failing to get it is not fatal here (SPEC 2.6 decides).
    let signature: Buffer | undefined;
    try {
      signature = (await httpGetBuffer(this.signatureUrl, this.opts.retries)).body;
    } catch {
      info('Failed to fetch signature: fetching signature URL');
    }
    const image = await this.openImage();
    let filename: string;
    try {
      filename = lastSegment(image.finalUrl);
    } catch (err) {
      image.stream.destroy();
      throw err;
    }
    const source: ImageSource = {
      stream: image.stream,
      filename,
      artifactType: this.opts.artifactType ?? 'disk',
    };
    if (image.length !== undefined) source.lengthHint = image.length;
    if (signature !== undefined) source.signature = signature;
    if (this.opts.sha256 !== undefined) source.sha256 = this.opts.sha256;
    if (this.opts.uncompressedSha256 !== undefined) source.uncompressedSha256 = this.opts.uncompressedSha256;
    return [source];
  }

  private async openImage(): Promise<OpenedImage> {
    if (this.url.protocol === 'file:') {
      const path = fileURLToPath(this.url);
      const info = await stat(path).catch(context('fetching image URL'));
      const stream = createReadStream(path, { highWaterMark: BUFFER_SIZE });
      return { stream, length: info.size, finalUrl: this.url };
    }
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new ContextError('fetching image URL', new CliError(`unknown protocol for URL '${this.url.href}'`));
    }
    let response;
    try {
      response = await openResumableGet(this.url, this.opts.retries);
    } catch (err) {
      throw new ContextError('fetching image URL', err);
    }
    if (response.status !== 200) {
      response.body.destroy();
      throw new CliError(`image fetch failed: ${statusText(response.status, response.statusMessage)}`);
    }
    return {
      stream: response.body,
      ...(response.length !== undefined ? { length: response.length } : {}),
      finalUrl: response.url,
    };
  }
}
