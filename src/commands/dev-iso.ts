// `dev show iso` (SPEC 4.15): the ISO 9660 layout, or the embed-area parameters.

import { describeInitrdArea, describeIsoLayout, describeKargAreas, prettyJson } from '../live/iso-info.js';
import { openIso, openLiveIso } from '../live/live-output.js';
import { writeStdout } from '../util/stdio.js';

export interface DevShowIsoConfig {
  ignition: boolean;
  kargs: boolean;
  input: string;
}

export async function devShowIso(config: DevShowIsoConfig): Promise<void> {
  if (config.ignition || config.kargs) {
    // Both load the whole model, so a damaged area fails as in the other iso commands.
    const live = await openLiveIso(config.input, { writable: false });
    try {
      const info = config.ignition ? describeInitrdArea(live.config.initrdArea) : describeKargAreas(live.config.kargAreas);
      await writeStdout(prettyJson(info));
    } finally {
      await live.close();
    }
    return;
  }
  const live = await openIso(config.input, { writable: false });
  try {
    await writeStdout(prettyJson(await describeIsoLayout(live.iso)));
  } finally {
    await live.close();
  }
}
