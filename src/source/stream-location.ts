// An artifact chosen from stream metadata by architecture, platform and
// format (SPEC 2.5). Each artifact type becomes a URL source with the
// document's signature URL and sha256 values (E3), sorted by type name.

import { invokedFamily } from '../util/family.js';
import { CliError, withContextSync } from '../util/errors.js';
import { compareUtf8 } from '../util/bytes.js';
import type { Retries } from './http.js';
import type { ImageLocation, ImageSource } from './location.js';
import { fetchStream } from './stream-fetch.js';
import { buildStreamUrl, findArtifacts } from './stream-metadata.js';
import { UrlLocation } from './url-location.js';

export interface StreamLocationOptions {
  stream: string;
  architecture: string;
  platform: string;
  format: string;
  /** http(s) URL, file:// URL or directory (E7); default: the invoked family's stream server. */
  baseUrl?: string;
  retries: Retries;
}

export class StreamLocation implements ImageLocation {
  /** Built up front, so a bad base fails before the banner ("building stream URL"). */
  private readonly streamUrl: URL;

  constructor(private readonly opts: StreamLocationOptions) {
    this.streamUrl = buildStreamUrl(opts.baseUrl ?? invokedFamily().streamBaseUrl, opts.stream);
  }

  describe(): string {
    const { stream, architecture, platform, format } = this.opts;
    if (this.opts.baseUrl === undefined) {
      return `Downloading ${invokedFamily().streamOsName} ${stream} ${architecture} ${platform} image (${format}) and signature`;
    }
    return `Downloading ${architecture} ${platform} image (${format}) and signature referenced from ${this.streamUrl.href}`;
  }

  requiresSignature(): boolean {
    return true;
  }

  async sources(): Promise<ImageSource[]> {
    const { architecture, platform, format, retries } = this.opts;
    const { metadata } = await fetchStream(this.opts.stream, this.opts.baseUrl, retries);
    const artifacts = findArtifacts(metadata, architecture, platform, format);
    if (!artifacts) {
      throw new CliError(`couldn't find architecture ${architecture}, platform ${platform}, format ${format} in stream metadata`);
    }
    const sources: ImageSource[] = [];
    const types = Object.keys(artifacts).sort(compareUtf8);
    try {
      for (const type of types) {
        const artifact = artifacts[type];
        if (!artifact) continue;
        const url = withContextSync('parsing artifact URL from stream metadata', () => new URL(artifact.location));
        const signatureUrl = withContextSync('parsing signature URL from stream metadata', () => new URL(artifact.signature));
        const location = new UrlLocation(url, {
          signatureUrl,
          artifactType: type,
          retries,
          ...(artifact.sha256 !== undefined ? { sha256: artifact.sha256 } : {}),
          ...(artifact.uncompressedSha256 !== undefined ? { uncompressedSha256: artifact.uncompressedSha256 } : {}),
        });
        sources.push(...(await location.sources()));
      }
    } catch (err) {
      for (const s of sources) s.stream.destroy();
      throw err;
    }
    return sources;
  }
}
