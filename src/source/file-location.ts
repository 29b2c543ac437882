// A local image file with its signature at <path>.sig (SPEC 2.5; install --image-file).

import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { context, layerMessage } from '../util/errors.js';
import { info } from '../util/log.js';
import type { ImageLocation, ImageSource } from './location.js';

/** Reads of 1 MiB keep the read-ahead of a local image ahead of the decoder. */
const READ_CHUNK = DECOMPRESS_CHUNK_SIZE;

export class FileLocation implements ImageLocation {
  constructor(private readonly path: string) {}

  describe(): string {
    return `Copying image from ${this.path}\nReading signature from ${this.path}.sig`;
  }

  requiresSignature(): boolean {
    return true;
  }

  async sources(): Promise<ImageSource[]> {
    const handle = await open(this.path, 'r').catch(context('opening source image file'));
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close();
      return context('opening source image file')(err);
    }
    let signature: Buffer | undefined;
    try {
      signature = await readFile(`${this.path}.sig`);
    } catch (err) {
      info(`Couldn't read signature file: ${layerMessage(err)}`);
    }
    const source: ImageSource = {
      stream: handle.createReadStream({ highWaterMark: READ_CHUNK }),
      lengthHint: size,
      filename: basename(this.path),
      artifactType: 'disk',
    };
    if (signature !== undefined) source.signature = signature;
    return [source];
  }
}
