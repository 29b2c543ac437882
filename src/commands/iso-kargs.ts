// `iso kargs modify | reset | show` (SPEC 4.9).

import { KargsEditor } from '../live/kargs.js';
import { openLiveIso } from '../live/live-output.js';
import { writeStdout } from '../util/stdio.js';
import { editLiveIso, type IsoOutputConfig } from './iso-edit.js';

export interface IsoKargsModifyConfig {
  append: string[];
  delete: string[];
  replace: string[];
  output?: string;
  input: string;
}

export interface IsoKargsShowConfig {
  default: boolean;
  input: string;
}

export async function isoKargsModify(config: IsoKargsModifyConfig): Promise<void> {
  const editor = new KargsEditor({ append: config.append, replace: config.replace, delete: config.delete });
  await editLiveIso(config.input, config.output, (iso) => {
    iso.setKargs(editor.apply(iso.kargsCurrent()));
  });
}

export async function isoKargsReset(config: IsoOutputConfig): Promise<void> {
  await editLiveIso(config.input, config.output, (iso) => iso.setKargs(iso.kargsDefault()));
}

export async function isoKargsShow(config: IsoKargsShowConfig): Promise<void> {
  const live = await openLiveIso(config.input, { writable: false });
  try {
    const kargs = config.default ? live.config.kargsDefault() : live.config.kargsCurrent();
    await writeStdout(kargs + '\n');
  } finally {
    await live.close();
  }
}
