// `iso network embed | extract | remove` (SPEC 4.8).

import { addNetworkKeyfiles, networkFilter, writeNetworkSettings } from '../initrd/network.js';
import { readFeatures } from '../live/features.js';
import { openLiveIso } from '../live/live-output.js';
import { CliError } from '../util/errors.js';
import { writeStdout } from '../util/stdio.js';
import { editLiveIso, type IsoOutputConfig } from './iso-edit.js';

export interface IsoNetworkEmbedConfig {
  keyfiles: string[];
  force: boolean;
  output?: string;
  input: string;
}

export interface IsoNetworkExtractConfig {
  directory?: string;
  input: string;
}

export async function isoNetworkEmbed(config: IsoNetworkEmbedConfig): Promise<void> {
  await editLiveIso(config.input, config.output, async (iso, live) => {
    const features = await readFeatures(live.iso, iso.family);
    if (!features.liveInitrdNetwork) {
      throw new CliError('This OS image does not support customizing network settings.');
    }
    if (!config.force && iso.networkMembers().length > 0) {
      throw new CliError('This ISO image already has embedded network settings; use -f to force.');
    }
    iso.removeNetwork();
    await addNetworkKeyfiles(iso.initrdMut(), config.keyfiles, iso.family);
  });
}

export async function isoNetworkExtract(config: IsoNetworkExtractConfig): Promise<void> {
  const live = await openLiveIso(config.input, { writable: false });
  try {
    await writeNetworkSettings(live.config.members(), networkFilter([live.config.family]), config.directory, writeStdout);
  } finally {
    await live.close();
  }
}

export async function isoNetworkRemove(config: IsoOutputConfig): Promise<void> {
  await editLiveIso(config.input, config.output, (iso) => iso.removeNetwork());
}
