// install (SPEC 3.2): config files, Ignition source, partition filters,
// destination checks, image location, exclusive access, saved partitions,
// write_disk, and the failure path of 3.9.

import { open, readFile } from 'node:fs/promises';
import { inspectTarget, sectorSize, deviceSize, type Target } from '../blockdev/device.js';
import { parsePartitionFilters, type PartitionFilter } from '../blockdev/partition-filter.js';
import { SavedPartitions, handleReader } from '../blockdev/saved-partitions.js';
import type { Console } from '../install/console.js';
import { explainDeviceFault, handleFailure, noteOtherBootFilesystems } from '../install/failure.js';
import type { IgnitionHash } from '../install/ignition-hash.js';
import { checkExclusiveAccess } from '../install/preflight.js';
import { writeDisk, type DiskState } from '../install/write-disk.js';
import { prestartDecoders } from '../io/codecs.js';
import { loadTrustedKeys } from '../io/keys.js';
import { httpGetBuffer, type Retries } from '../source/http.js';
import { applySignaturePolicy, type ImageLocation, type ImageSource } from '../source/location.js';
import { chooseImageLocation } from '../source/select.js';
import { CliError, ContextError, InterruptedError, formatErrorChain, withContext } from '../util/errors.js';
import { parseJson } from '../util/json.js';
import { interruptSignal } from '../util/interrupt.js';
import { info } from '../util/log.js';

/** A finished install config: --config-file expansion happened in src/cli/ (SPEC 3.1). */
export interface InstallConfig {
  stream?: string;
  imageUrl?: URL;
  imageFile?: string;
  ignitionFile?: string;
  ignitionUrl?: URL;
  ignitionHash?: IgnitionHash;
  architecture: string;
  platform?: string;
  consoles: Console[];
  firstbootArgs?: string;
  appendKargs: string[];
  deleteKargs: string[];
  copyNetwork: boolean;
  networkDir: string;
  savePartlabels: string[];
  savePartindexes: string[];
  offline: boolean;
  insecure: boolean;
  signingKeys: string[];
  insecureIgnition: boolean;
  streamBaseUrl?: string;
  preserveOnError: boolean;
  fetchRetries: Retries;
  secureIpl: boolean;
  destDevice?: string;
}

/** `install failed` that still exits 130 when the failure was Ctrl-C. */
class InstallInterrupted extends InterruptedError {
  constructor() {
    super();
    this.message = 'install failed';
  }
}

/** SPEC 3.2 step 3. */
async function readIgnition(config: InstallConfig): Promise<Buffer | undefined> {
  let data: Buffer;
  if (config.ignitionFile !== undefined) {
    const path = config.ignitionFile;
    data = await withContext(`opening source Ignition config ${path}`, () => readFile(path));
  } else if (config.ignitionUrl !== undefined) {
    const url = config.ignitionUrl;
    if (url.protocol === 'http:') {
      if (config.ignitionHash === undefined && !config.insecureIgnition) {
        throw new CliError('refusing to fetch Ignition config over HTTP without --ignition-hash or --insecure-ignition');
      }
    } else if (url.protocol !== 'https:') {
      throw new CliError(`unknown protocol for URL '${url.href}'`);
    }
    data = (await withContext(`downloading source Ignition config ${url.href}`, () => httpGetBuffer(url, config.fetchRetries))).body;
  } else {
    return undefined;
  }
  try {
    parseJson(data.toString('utf8'));
  } catch (err) {
    throw new ContextError('parsing specified Ignition config', err);
  }
  return data;
}

async function fetchSource(location: ImageLocation, insecure: boolean): Promise<ImageSource> {
  info(location.describe());
  const sources = await location.sources();
  if (sources.length !== 1) {
    for (const s of sources) s.stream.destroy();
    throw new CliError(sources.length === 0 ? 'no artifacts found' : 'found multiple artifacts');
  }
  const source = sources[0] as ImageSource;
  try {
    if (location.requiresSignature()) applySignaturePolicy(source, insecure);
  } catch (err) {
    source.stream.destroy();
    throw err;
  }
  return source;
}

async function readSavedPartitions(target: Target, sector: number, filters: PartitionFilter[]): Promise<SavedPartitions> {
  const length = await deviceSize(target);
  const handle = await open(target.canonical, 'r');
  try {
    return await SavedPartitions.fromDisk(handleReader(handle, length), sector, filters, { isBlockDevice: target.kind === 'block' });
  } finally {
    await handle.close();
  }
}

export async function install(config: InstallConfig): Promise<void> {
  const dev = config.destDevice;
  if (dev === undefined) throw new CliError('destination device must be specified');
  // openpgp loads and the keyring parses while the device is inspected; errors still come in SPEC order.
  const keysLoading = loadTrustedKeys(config.signingKeys);
  keysLoading.catch(() => undefined);
  const ignition = await readIgnition(config);
  const filters = parsePartitionFilters(config.savePartlabels, config.savePartindexes);
  const target = await inspectTarget(dev);
  const sector = await sectorSize(target);
  const keys = await keysLoading;
  // The image's decoder threads start while the image and the disk are opened and checked
  // (not sooner: beside openpgp's loading they raised the peak RSS and gained nothing).
  const named = config.imageFile ?? config.imageUrl?.pathname;
  if (named !== undefined) prestartDecoders(named);
  const location = await chooseImageLocation({
    ...(config.imageFile !== undefined ? { imageFile: config.imageFile } : {}),
    ...(config.imageUrl !== undefined ? { imageUrl: config.imageUrl } : {}),
    ...(config.stream !== undefined ? { stream: config.stream } : {}),
    ...(config.streamBaseUrl !== undefined ? { streamBaseUrl: config.streamBaseUrl } : {}),
    offline: config.offline,
    architecture: config.architecture,
    fetchRetries: config.fetchRetries,
    sectorSize: sector,
    dev,
  });
  const source = await fetchSource(location, config.insecure);
  let saved: SavedPartitions;
  try {
    await withContext(`checking for exclusive access to ${dev}`, () => checkExclusiveAccess(target));
    saved = await withContext(`saving partitions from ${dev}`, () => readSavedPartitions(target, sector, filters));
  } catch (err) {
    source.stream.destroy();
    throw err;
  }

  const state: DiskState = { touched: false };
  const signal = interruptSignal();
  try {
    await writeDisk(
      {
        target,
        source,
        keys,
        saved,
        sectorSize: sector,
        signal,
        boot: {
          consoles: config.consoles,
          appendKargs: config.appendKargs,
          deleteKargs: config.deleteKargs,
          ...(ignition !== undefined ? { ignition } : {}),
          ...(config.ignitionHash !== undefined ? { ignitionHash: config.ignitionHash } : {}),
          ...(config.platform !== undefined ? { platform: config.platform } : {}),
          ...(config.firstbootArgs !== undefined ? { firstbootArgs: config.firstbootArgs } : {}),
          ...(config.copyNetwork ? { networkDir: config.networkDir } : {}),
        },
      },
      state,
    );
  } catch (err) {
    source.stream.destroy();
    process.stderr.write(`\n${formatErrorChain(await explainDeviceFault(target, err))}\n`);
    if (state.touched) await handleFailure(target, saved, config.preserveOnError);
    else info(`Nothing was written to ${dev}`);
    if (signal.aborted) throw new InstallInterrupted();
    throw new CliError('install failed');
  }
  await noteOtherBootFilesystems(target.canonical);
  info('Install complete.');
}
