// `iso ignition embed | show | remove` and the hidden deprecated aliases (SPEC 4.7, 1.11).

import { openLiveIso } from '../live/live-output.js';
import { CliError } from '../util/errors.js';
import { warn } from '../util/log.js';
import { readInput, writeStdout } from '../util/stdio.js';
import { validateIgnition } from '../ignition/validate.js';
import { editLiveIso, type IsoOutputConfig } from './iso-edit.js';

export interface IsoIgnitionEmbedConfig {
  force: boolean;
  ignitionFile?: string;
  output?: string;
  input: string;
}

export interface IsoIgnitionShowConfig {
  input: string;
}

export async function isoIgnitionEmbed(config: IsoIgnitionEmbedConfig): Promise<void> {
  const ignition = await readInput(config.ignitionFile);
  validateIgnition(ignition, config.ignitionFile ?? 'stdin');
  await editLiveIso(config.input, config.output, (iso) => {
    if (!config.force && iso.haveIgnition()) {
      throw new CliError('This ISO image already has an embedded Ignition config; use -f to force.');
    }
    iso.setIgnition(ignition);
  });
}

export async function isoIgnitionShow(config: IsoIgnitionShowConfig): Promise<void> {
  const live = await openLiveIso(config.input, { writable: false });
  try {
    const ignition = live.config.ignition();
    if (ignition === undefined) throw new CliError('No embedded Ignition config.');
    await writeStdout(ignition);
  } finally {
    await live.close();
  }
}

export async function isoIgnitionRemove(config: IsoOutputConfig): Promise<void> {
  await editLiveIso(config.input, config.output, (iso) => iso.removeIgnition());
}

export async function isoEmbedDeprecated(config: IsoIgnitionEmbedConfig): Promise<void> {
  warn('`iso embed` is deprecated; use `iso ignition embed`.  Continuing.');
  await isoIgnitionEmbed(config);
}

export async function isoShowDeprecated(config: IsoIgnitionShowConfig): Promise<void> {
  warn('`iso show` is deprecated; use `iso ignition show`.  Continuing.');
  await isoIgnitionShow(config);
}

export async function isoRemoveDeprecated(config: IsoOutputConfig): Promise<void> {
  warn('`iso remove` is deprecated; use `iso ignition remove`.  Continuing.');
  await isoIgnitionRemove(config);
}
