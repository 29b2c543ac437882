// The bytes of one image as a location found them: what write-image consumes.
// (Defined below source/ so io/ never imports a domain module.)

import type { Readable } from 'node:stream';

export interface ImageSource {
  /** Raw bytes as stored (compressed); URL streams resume by themselves. */
  stream: Readable;
  /** File size / Content-Length; 0 or undefined = unknown. */
  lengthHint?: number;
  /** Detached binary OpenPGP signature, if one was found. */
  signature?: Buffer;
  filename: string;
  /** 'disk' unless the source comes from stream metadata. */
  artifactType: string;
  /** sha256 of the stored bytes, from the stream document (E3). */
  sha256?: string;
  /** sha256 after decompression, from the stream document (E3). */
  uncompressedSha256?: string;
}
