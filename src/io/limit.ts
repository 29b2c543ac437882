// At most `limit` bytes may pass (SPEC 2.9 step 6): install stops the image
// before the first saved partition. Exactly `limit` bytes then EOF is fine.

import { Transform } from 'node:stream';
import { CliError } from '../util/errors.js';

/** `describe` names what lies at the limit, e.g. 'partition 4 ("data")'. */
export function createLimitTransform(limit: number, describe: string): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (passed + chunk.length > limit) {
        callback(new CliError(`collision with ${describe} at offset ${limit}`));
        return;
      }
      passed += chunk.length;
      callback(null, chunk);
    },
  });
}
