// `install [OPTIONS] [DEST_DEVICE]` (SPEC 1.2) plus --signing-key (E2).
// The option table's order is also the config-file serialization order
// (SPEC 3.1 step 2); install-only "last occurrence wins" (overrideSelf).

import { leaf, type LeafSpec, type OptionSpec, type ParsedArgs } from './spec.js';
import { architectureOption, fetchRetriesOption, insecureOption, signingKeyOption, streamBaseUrlOption } from './options.js';
import { defaultArchitecture, formatFetchRetries, parseFetchRetries, parseUrl, type FetchRetries } from './types.js';
import type { InstallValues, SerializeRules } from './config-file.js';
import type { InstallConfig } from '../commands/install.js';
import { formatConsole, parseConsole, type Console } from '../install/console.js';
import { formatIgnitionHash, parseIgnitionHash, type IgnitionHash } from '../install/ignition-hash.js';
import { invokedFamily } from '../util/family.js';

const ADVANCED = 'Advanced Options';
export const DEFAULT_NETWORK_DIR = '/etc/NetworkManager/system-connections/';

/** install's parsed arguments: a config plus what --config-file expansion needs. */
export interface InstallArgs extends InstallConfig {
  configFiles: string[];
  /** The command line as values, for re-serialization when config files are used. */
  given: InstallValues;
}

/** Canonical values and dropped defaults for the config-file serialization (SPEC 3.1 step 2). */
export const SERIALIZE_RULES: SerializeRules = {
  defaults: { architecture: defaultArchitecture(), 'network-dir': DEFAULT_NETWORK_DIR, 'fetch-retries': '0' },
  canonical: (long, value) => {
    try {
      if (long === 'console') return formatConsole(parseConsole(value));
      if (long === 'ignition-hash') return formatIgnitionHash(parseIgnitionHash(value));
      if (long === 'image-url' || long === 'ignition-url') return new URL(value).href;
      if (long === 'stream-base-url' && /^[a-z][a-z0-9+.-]*:/i.test(value)) return new URL(value).href;
      if (long === 'fetch-retries') return formatFetchRetries(parseFetchRetries(value));
    } catch {
      // Invalid values are passed through; the re-parse reports them.
    }
    return value;
  },
};

export const INSTALL_OPTIONS: OptionSpec[] = [
  { long: 'config-file', short: 'c', value: 'path', help: 'YAML config file with install options', multiple: true },
  { long: 'stream', short: 's', value: 'name', help: `${invokedFamily().streamOsName} stream`, conflicts: ['image-url', 'image-file'] },
  {
    long: 'image-url',
    short: 'u',
    value: 'URL',
    help: 'Manually specify the image URL',
    parse: parseUrl,
    conflicts: ['stream', 'image-file'],
  },
  { long: 'image-file', short: 'f', value: 'path', help: 'Manually specify a local image file', conflicts: ['stream', 'image-url'] },
  {
    long: 'ignition-file',
    short: 'i',
    value: 'path',
    help: 'Embed an Ignition config from a file',
    aliases: ['ignition'],
    conflicts: ['ignition-url'],
  },
  {
    long: 'ignition-url',
    short: 'I',
    value: 'URL',
    help: 'Embed an Ignition config from a URL',
    parse: parseUrl,
    conflicts: ['ignition-file'],
  },
  { long: 'ignition-hash', value: 'digest', help: 'Digest (type-value) of the Ignition config', parse: parseIgnitionHash },
  architectureOption(),
  { long: 'platform', short: 'p', value: 'name', help: 'Override the Ignition platform ID' },
  { long: 'console', value: 'spec', help: 'Kernel and bootloader console', multiple: true, parse: parseConsole },
  { long: 'firstboot-args', value: 'args', help: 'Additional kernel args for the first boot', hidden: true },
  { long: 'append-karg', value: 'arg', help: 'Append default kernel arg', multiple: true },
  { long: 'delete-karg', value: 'arg', help: 'Delete default kernel arg', multiple: true },
  { long: 'copy-network', short: 'n', help: 'Copy network config from install environment' },
  { long: 'network-dir', value: 'path', help: 'Override NetworkManager keyfile dir for -n' },
  { long: 'save-partlabel', value: 'lx', help: 'Save partitions with this label glob', multiple: true, split: ',' },
  { long: 'save-partindex', value: 'id', help: 'Save partitions with this number or range', multiple: true, split: ',' },
  { long: 'offline', help: 'Force offline installation', heading: ADVANCED },
  insecureOption(ADVANCED),
  signingKeyOption(ADVANCED),
  { long: 'insecure-ignition', help: 'Allow Ignition URL without HTTPS or hash', heading: ADVANCED },
  streamBaseUrlOption(`Base URL for ${invokedFamily().osName} stream metadata`, ADVANCED),
  { long: 'preserve-on-error', help: "Don't clear partition table on error", heading: ADVANCED },
  fetchRetriesOption(ADVANCED),
  { long: 'secure-ipl', help: 'Enable IBM Secure IPL', heading: ADVANCED },
];

function givenValues(a: ParsedArgs): InstallValues {
  const out: InstallValues = {};
  for (const o of INSTALL_OPTIONS) {
    if (o.value === undefined) out[o.long] = a.flag(o.long);
    else if (o.multiple) out[o.long] = a.strings(o.long);
    else {
      const v = a.string(o.long);
      if (v !== undefined) out[o.long] = v;
    }
  }
  const dest = a.positional('DEST_DEVICE');
  if (dest !== undefined) out['dest-device'] = dest;
  return out;
}

function toConfig(a: ParsedArgs): InstallArgs {
  const config: InstallArgs = {
    configFiles: a.strings('config-file'),
    architecture: a.string('architecture') ?? defaultArchitecture(),
    consoles: a.parsedAll<Console>('console'),
    appendKargs: a.strings('append-karg'),
    deleteKargs: a.strings('delete-karg'),
    copyNetwork: a.flag('copy-network'),
    networkDir: a.string('network-dir') ?? DEFAULT_NETWORK_DIR,
    savePartlabels: a.strings('save-partlabel'),
    savePartindexes: a.strings('save-partindex'),
    offline: a.flag('offline'),
    insecure: a.flag('insecure'),
    signingKeys: a.strings('signing-key'),
    insecureIgnition: a.flag('insecure-ignition'),
    preserveOnError: a.flag('preserve-on-error'),
    fetchRetries: a.parsed<FetchRetries>('fetch-retries') ?? 0,
    secureIpl: a.flag('secure-ipl'),
    given: givenValues(a),
  };
  const optional = {
    stream: a.string('stream'),
    imageUrl: a.parsed<URL>('image-url'),
    imageFile: a.string('image-file'),
    ignitionFile: a.string('ignition-file'),
    ignitionUrl: a.parsed<URL>('ignition-url'),
    ignitionHash: a.parsed<IgnitionHash>('ignition-hash'),
    platform: a.string('platform'),
    firstbootArgs: a.string('firstboot-args'),
    streamBaseUrl: a.string('stream-base-url'),
    destDevice: a.positional('DEST_DEVICE'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(config, { [key]: value });
  }
  return config;
}

/** The finished config: what the command gets. */
function finished(args: InstallArgs): InstallConfig {
  const { configFiles: _files, given: _given, ...config } = args;
  return config;
}

export const install: LeafSpec<InstallArgs> = leaf<InstallArgs>({
  name: 'install',
  about: invokedFamily().installAbout,
  longAbout:
    `Writes a verified ${invokedFamily().osName} image to DEST_DEVICE, a block device or an existing ` +
    'disk-image file (never created). The first MiB is written only after the ' +
    'signature and checksums passed; on failure the partition table is reset ' +
    '(keeping --save-partlabel/--save-partindex partitions) unless --preserve-on-error. ' +
    'The default --network-dir is /etc/NetworkManager/system-connections/.',
  options: INSTALL_OPTIONS,
  positionals: [{ name: 'DEST_DEVICE', help: 'Destination device', required: true, requiredUnless: 'config-file' }],
  overrideSelf: true,
  toConfig,
  // With --config-file, the files are expanded and the whole command line parsed
  // again here, so the command only ever receives a finished config.
  load: async () => {
    const { install: run } = await import('../commands/install.js');
    return async (args: InstallArgs): Promise<void> => {
      if (args.configFiles.length === 0) return run(finished(args));
      const { runWithConfigFiles } = await import('./config-file.js');
      return runWithConfigFiles(args.configFiles, args.given, install, SERIALIZE_RULES);
    };
  },
});
