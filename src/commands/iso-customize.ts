// `iso customize` (SPEC 4.10): the live-initrd generator's members replace
// the ISO's embed area, and the live kargs are edited from the defaults.
// Paths follow the ISO's own family (its NESTOS/ or COREOS/ metadata).

import { generateLiveInitrd, type CustomizeOptions, type InstallerConfigCheck } from '../customize/live-initrd.js';
import { readFeatures } from '../live/features.js';
import { KargsEditor } from '../live/kargs.js';
import { CliError } from '../util/errors.js';
import { editLiveIso } from './iso-edit.js';
import { generatorEnv } from './customize-env.js';

export interface IsoCustomizeConfig {
  customize: CustomizeOptions;
  checkInstallerConfig: InstallerConfigCheck;
  liveKargAppend: string[];
  liveKargDelete: string[];
  liveKargReplace: string[];
  force: boolean;
  output?: string;
  input: string;
}

export async function isoCustomize(config: IsoCustomizeConfig): Promise<void> {
  const editor = new KargsEditor({
    append: config.liveKargAppend,
    replace: config.liveKargReplace,
    delete: config.liveKargDelete,
  });
  await editLiveIso(config.input, config.output, async (iso, live) => {
    if (!config.force && iso.isCustomized()) throw new CliError('This ISO image is already customized; use -f to force.');
    const features = await readFeatures(live.iso, iso.family);
    const initrd = await generateLiveInitrd(config.customize, generatorEnv(iso.family, features, config.checkInstallerConfig));
    iso.clearInitrd();
    const area = iso.initrdMut();
    for (const name of initrd.names()) area.set(name, initrd.get(name) ?? Buffer.alloc(0));
    if (!editor.isEmpty()) {
      if (!iso.hasKargs()) throw new CliError('This OS image does not support customizing live kernel arguments.');
      iso.setKargs(editor.apply(iso.kargsDefault()));
    }
  });
}
