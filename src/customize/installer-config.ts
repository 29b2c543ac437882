// The install config that customize generates (`customize.yaml`, SPEC 4.10.4):
// the live installer reads it from installer.d and runs `install` with it.
// Keys in install's declaration order (Appendix B), non-default fields only,
// block style with sequence items at their key's indentation.

export interface GeneratedInstallerConfig {
  ignitionFile?: string;
  console: string[];
  appendKarg: string[];
  deleteKarg: string[];
  copyNetwork: boolean;
  destDevice?: string;
}

export function emptyInstallerConfig(): GeneratedInstallerConfig {
  return { console: [], appendKarg: [], deleteKarg: [], copyNetwork: false };
}

/** The YAML text, in Appendix B order. */
export async function installerConfigYaml(c: GeneratedInstallerConfig): Promise<string> {
  const doc: Record<string, unknown> = {};
  if (c.ignitionFile !== undefined) doc['ignition-file'] = c.ignitionFile;
  if (c.console.length > 0) doc['console'] = c.console;
  if (c.appendKarg.length > 0) doc['append-karg'] = c.appendKarg;
  if (c.deleteKarg.length > 0) doc['delete-karg'] = c.deleteKarg;
  if (c.copyNetwork) doc['copy-network'] = true;
  if (c.destDevice !== undefined) doc['dest-device'] = c.destDevice;
  const { stringify } = await import('yaml');
  return stringify(doc, { indentSeq: false });
}
