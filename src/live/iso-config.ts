// The customizable state of a live ISO (SPEC 4.2): the initrd embed area with
// its member map, and the karg areas. Edits mark areas modified; toRegions()
// computes every region's new bytes (and the capacity checks) up front.

import { CliError, ContextError, withContext } from '../util/errors.js';
import { INITRD_IGNITION_PATH } from '../util/constants.js';
import { invokedFamily, type OsFamily } from '../util/family.js';
import { networkFilter } from '../initrd/network.js';
import { Initrd, MAX_CONFIG_DECODED } from '../initrd/initrd.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import { formatKargArea, locateInitrdArea, locateKargAreas, type AreaLocation, type KargAreas } from './embed-areas.js';
import type { Region } from './region.js';
import { isoFamily } from './iso-family.js';

async function readInitrd(iso: IsoFs, area: AreaLocation): Promise<Initrd> {
  const data = await withContext('reading initrd embed area', () => iso.readAt(area.offset, area.length));
  if (data.every((b) => b === 0)) return new Initrd();
  return withContext('decoding initrd embed area', () => Initrd.fromBuffer(data, undefined, MAX_CONFIG_DECODED));
}

export class IsoConfig {
  private initrdModified = false;
  private kargs: string | undefined;
  private kargsModified = false;

  private constructor(
    /** The ISO's family (its NESTOS/ or COREOS/ directory): where keyfiles and features live. */
    readonly family: OsFamily,
    readonly initrdArea: AreaLocation,
    private readonly initrd: Initrd,
    readonly kargAreas: KargAreas | undefined,
  ) {
    this.kargs = kargAreas?.current;
  }

  /** Find and decode the areas; initrd failures become "Unrecognized <OS> ISO image." (invoked wording). */
  static async load(iso: IsoFs): Promise<IsoConfig> {
    let family: OsFamily;
    let area: AreaLocation;
    let initrd: Initrd;
    try {
      family = await isoFamily(iso);
      area = await locateInitrdArea(iso, family);
      initrd = await readInitrd(iso, area);
    } catch (err) {
      throw new ContextError(invokedFamily().unrecognizedIso, err);
    }
    return new IsoConfig(family, area, initrd, await locateKargAreas(iso, family));
  }

  // --- initrd members ---

  /** Read-only view of the members. */
  members(): Initrd {
    return this.initrd;
  }

  /** The members, marked modified (the area is rewritten even if nothing changes). */
  initrdMut(): Initrd {
    this.initrdModified = true;
    return this.initrd;
  }

  ignition(): Buffer | undefined {
    return this.initrd.get(INITRD_IGNITION_PATH);
  }

  haveIgnition(): boolean {
    return this.initrd.has(INITRD_IGNITION_PATH);
  }

  setIgnition(config: Buffer): void {
    this.initrdMut().set(INITRD_IGNITION_PATH, config);
  }

  removeIgnition(): void {
    this.initrdMut().delete(INITRD_IGNITION_PATH);
  }

  /** Names of the network keyfile members, byte-sorted. */
  networkMembers(): string[] {
    return this.initrd.find(networkFilter([this.family]));
  }

  removeNetwork(): void {
    const initrd = this.initrdMut();
    for (const name of initrd.find(networkFilter([this.family]))) initrd.delete(name);
  }

  /** Drop every member (reset). */
  clearInitrd(): void {
    const initrd = this.initrdMut();
    for (const name of initrd.names()) initrd.delete(name);
  }

  // --- kargs ---

  hasKargs(): boolean {
    return this.kargAreas !== undefined;
  }

  private requireKargs(): KargAreas {
    if (this.kargAreas === undefined) throw new CliError(invokedFamily().noKargAreas);
    return this.kargAreas;
  }

  kargsCurrent(): string {
    this.requireKargs();
    return this.kargs ?? '';
  }

  kargsDefault(): string {
    return this.requireKargs().default;
  }

  /** Set new kargs (SPEC 4.4.4); L-1 bytes at most. */
  setKargs(kargs: string): void {
    const areas = this.requireKargs();
    const k = kargs.trim();
    const length = Buffer.byteLength(k);
    if (length >= areas.length) throw new CliError(`kargs too large for area: ${length + 1} vs ${areas.length}`);
    this.kargs = k;
    this.kargsModified = true;
  }

  /** True when config.ign, network members or non-default kargs are present. */
  isCustomized(): boolean {
    if (this.initrd.size > 0 && (this.haveIgnition() || this.networkMembers().length > 0)) return true;
    return this.kargAreas !== undefined && this.kargs !== this.kargAreas.default;
  }

  /** Every region with its new contents; throws before anything is written. */
  async toRegions(): Promise<Region[]> {
    const regions: Region[] = [];
    const area = this.initrdArea;
    if (this.initrdModified) {
      let contents = Buffer.alloc(area.length);
      if (this.initrd.size > 0) {
        const data = await this.initrd.toXz();
        if (data.length > area.length) {
          throw new CliError(`Compressed initramfs is too large: ${data.length} > ${area.length}`);
        }
        contents = Buffer.concat([data, Buffer.alloc(area.length - data.length)]);
      }
      regions.push({ offset: area.offset, length: area.length, contents, modified: true });
    }
    if (this.kargAreas !== undefined) {
      for (const region of this.kargAreas.regions) {
        const contents = this.kargsModified ? formatKargArea(this.kargs ?? '', region) : region.contents;
        regions.push({ offset: region.offset, length: region.length, contents, modified: this.kargsModified });
      }
    }
    return regions;
  }
}
