// `node scripts/unxz.mjs IN OUT`: xz -dc with the project's own decoder
// (node-liblzma), for the demos on a machine without xz-utils.
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createUnxz } from 'node-liblzma';

const [input, output] = process.argv.slice(2);
await pipeline(createReadStream(input), createUnxz(), createWriteStream(output));
