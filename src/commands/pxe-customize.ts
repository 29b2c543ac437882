// `pxe customize` (SPEC 5.5): copy a live initramfs unchanged and append an
// archive with the generated customizations. The input's own members decide
// its family (NestOS or CoreOS stamps and features); the wording of the
// "not a … live initramfs image" refusal comes from the invoked name.

import { open } from 'node:fs/promises';
import { generateLiveInitrd, type CustomizeOptions, type InstallerConfigCheck } from '../customize/live-initrd.js';
import { scanLiveInitramfs } from '../initrd/live-initramfs.js';
import { parseFeatures, NO_FEATURES } from '../live/features.js';
import { createAtomicFile, type AtomicFile } from '../util/atomic-file.js';
import { INITRD_IGNITION_PATH } from '../util/constants.js';
import { CliError, context, withContextSync } from '../util/errors.js';
import { invokedFamily } from '../util/family.js';
import { info } from '../util/log.js';
import { refuseTtyStdout, writeStdout } from '../util/stdio.js';
import { generatorEnv } from './customize-env.js';

export interface PxeCustomizeConfig {
  customize: CustomizeOptions;
  checkInstallerConfig: InstallerConfigCheck;
  output: string;
  input: string;
}

export async function pxeCustomize(config: PxeCustomizeConfig): Promise<void> {
  const input = await open(config.input, 'r').catch(context(`opening ${config.input}`));
  let file: AtomicFile | undefined;
  try {
    let write: (chunk: Buffer) => Promise<void>;
    if (config.output === '-') {
      refuseTtyStdout();
      write = writeStdout;
    } else {
      // Rust's Path::parent is None only for the empty path and the root.
      if (/^\/*$/.test(config.output)) throw new CliError(`no parent directory of ${config.output}`);
      const out = await createAtomicFile(config.output, { noClobber: true, mode: 0o600 });
      file = out;
      let position = 0;
      write = async (chunk) => {
        for (let done = 0; done < chunk.length; ) {
          const { bytesWritten } = await out.handle.write(chunk, done, chunk.length - done, position);
          done += bytesWritten;
          position += bytesWritten;
        }
      };
    }
    const scan = await scanLiveInitramfs(input, write);
    if (scan.family === undefined) throw new CliError(invokedFamily().notLiveInitramfs);
    const family = scan.family;
    if (scan.members.has(INITRD_IGNITION_PATH) || scan.members.names().some((n) => n.startsWith(`${family.initrdNetworkDir}/`))) {
      throw new CliError('input is already customized');
    }
    const featuresData = scan.members.get(family.initrdFeaturesPath);
    const features = featuresData === undefined ? NO_FEATURES : withContextSync('parsing OS features', () => parseFeatures(featuresData));
    const initrd = await generateLiveInitrd(config.customize, generatorEnv(family, features, config.checkInstallerConfig));
    if (initrd.has(INITRD_IGNITION_PATH)) {
      info('PXE configuration must include kernel arguments:\n\tignition.firstboot ignition.platform.id=metal');
    }
    await write(await initrd.toXz()).catch(context('writing output'));
    await file?.commit();
  } finally {
    await file?.discard();
    await input.close();
  }
}
