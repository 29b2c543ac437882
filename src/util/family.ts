// The two OS families this tool serves (NESTOS.md, SPEC E10): every name that
// differs between NestOS and CoreOS media, and between the nestos-installer and
// coreos-installer wording, lives here and nowhere else. Other modules ask a
// family value for a path or a word; none spells "coreos" or "nestos" itself.
//
// Two ways a family is chosen:
//  - the media decide where edits go (an ISO's NESTOS/ or COREOS/ metadata, a
//    live initramfs's stamp or features path, a boot partition's nestos/ or
//    coreos/ directory): see `familyOfIsoMetaDir()` and friends;
//  - where no medium decides (wording, temp names, stream URL, osmet
//    directory, `pxe … wrap`), the name the tool was invoked under decides:
//    `invokedFamily()`.

import { basename } from 'node:path';

export type FamilyId = 'nestos' | 'coreos';

export interface OsFamily {
  readonly id: FamilyId;
  /** The program's own name: usage lines, `--version`, advice texts, customize headers. */
  readonly programName: string;
  /** Short OS name in messages: "Unrecognized NestOS ISO image.", "not a CoreOS live initramfs image". */
  readonly osName: string;
  /** OS name in the stream download banner: "Downloading Fedora CoreOS stable …". */
  readonly streamOsName: string;
  /** Top-level `--help` about line. */
  readonly about: string;
  /** Top-level `--help` paragraph (none as coreos-installer, whose help is upstream's). */
  readonly longAbout?: string;
  /** `install` about line: "Install NestOS" / "Install Fedora CoreOS or RHEL CoreOS". */
  readonly installAbout: string;
  /** Default stream metadata base URL (SPEC 2.1). */
  readonly streamBaseUrl: string;

  // --- messages (SPEC 0.1, NESTOS.md "wording") ---
  /** "Unrecognized NestOS ISO image." */
  readonly unrecognizedIso: string;
  /** "No karg embed areas found; old or corrupted NestOS ISO image." */
  readonly noKargAreas: string;
  /** "Reset it with `nestos-installer iso reset` and try again." */
  readonly resetAdvice: string;
  /** "not a NestOS live initramfs image" */
  readonly notLiveInitramfs: string;

  // --- live ISO (ISO 9660 primary-volume names) ---
  /** Metadata directory in the ISO 9660 namespace: "NESTOS" / "COREOS". */
  readonly isoMetaDir: string;
  readonly igninfoPath: string;
  readonly kargsJsonPath: string;
  readonly featuresPath: string;
  readonly minisoPath: string;
  /** EFI vendor directory by its long name. */
  readonly efiVendorDir: string;
  /** Build-time karg embed-area marker in the bootloader configs. */
  readonly kargEmbedMarker: string;

  // --- kernel arguments ---
  /** `nestos.liveiso` / `coreos.liveiso` (without `=`). */
  readonly liveIsoKarg: string;
  /** `nestos.live.rootfs_url` / `coreos.live.rootfs_url` (without `=`). */
  readonly rootfsUrlKarg: string;
  /** `nestos.inst.` / `coreos.inst.` (prefix of the PXE install kargs). */
  readonly instKargPrefix: string;

  // --- live initramfs / rootfs members (cpio paths, no leading slash) ---
  readonly liveInitramfsStamp: string;
  readonly liveWantRootfsStamp: string;
  readonly liveRootfsStamp: string;
  readonly initrdFeaturesPath: string;
  /** Keyfile directory in the live initrd and the ISO embed area. */
  readonly initrdNetworkDir: string;

  // --- customize ---
  /** `/etc/<family>/installer.d` (absolute, in the live system). */
  readonly installerConfigDir: string;
  /** `/etc/<family>/dest.ign`. */
  readonly destIgnitionPath: string;
  /** `<family>-installer` (units `.service`, `-pre.target`, `-post.target`, `.target`). */
  readonly installerUnit: string;
  /**
   * Documentation= of the generated install-hook units. NestOS publishes no
   * page of its own for this, so both families point at upstream's, which
   * describes the same hooks.
   */
  readonly hookDocsUrl: string;

  // --- installed boot partition (paths relative to its root) ---
  readonly bootPlatformsJson: string;
  readonly bootNetworkDir: string;
  readonly bootfsUuidFile: string;
  readonly rootflagsHelper: string;
  /** The directory whose presence marks a boot partition of this family. */
  readonly bootMarkerDir: string;

  // --- live system ---
  readonly osmetDir: string;

  // --- temporary names ---
  readonly tempFilePrefix: string;
  readonly tempDirPrefix: string;
  readonly partitionStashPrefix: string;
}

const HOOK_DOCS_URL = 'https://coreos.github.io/coreos-installer/customizing-install/';

interface Words {
  osName: string;
  streamOsName: string;
  about: string;
  longAbout?: string;
  installAbout: string;
  streamBaseUrl: string;
  efiVendorDir: string;
}

function make(id: FamilyId, w: Words): OsFamily {
  const upper = id.toUpperCase();
  const program = `${id}-installer`;
  return Object.freeze({
    id,
    programName: program,
    osName: w.osName,
    streamOsName: w.streamOsName,
    about: w.about,
    ...(w.longAbout !== undefined ? { longAbout: w.longAbout } : {}),
    installAbout: w.installAbout,
    streamBaseUrl: w.streamBaseUrl,
    unrecognizedIso: `Unrecognized ${w.osName} ISO image.`,
    noKargAreas: `No karg embed areas found; old or corrupted ${w.osName} ISO image.`,
    resetAdvice: `Reset it with \`${program} iso reset\` and try again.`,
    notLiveInitramfs: `not a ${w.osName} live initramfs image`,
    isoMetaDir: upper,
    igninfoPath: `${upper}/IGNINFO.JSO`,
    kargsJsonPath: `${upper}/KARGS.JSO`,
    featuresPath: `${upper}/FEATURES.JSO`,
    minisoPath: `${upper}/MINISO.DAT`,
    efiVendorDir: w.efiVendorDir,
    kargEmbedMarker: `${upper}_KARG_EMBED_AREA`,
    liveIsoKarg: `${id}.liveiso`,
    rootfsUrlKarg: `${id}.live.rootfs_url`,
    instKargPrefix: `${id}.inst.`,
    liveInitramfsStamp: `etc/${id}-live-initramfs`,
    liveWantRootfsStamp: `etc/${id}-live-want-rootfs`,
    liveRootfsStamp: `etc/${id}-live-rootfs`,
    initrdFeaturesPath: `etc/${id}/features.json`,
    initrdNetworkDir: `etc/${id}-firstboot-network`,
    installerConfigDir: `/etc/${id}/installer.d`,
    destIgnitionPath: `/etc/${id}/dest.ign`,
    installerUnit: program,
    hookDocsUrl: HOOK_DOCS_URL,
    bootPlatformsJson: `${id}/platforms.json`,
    bootNetworkDir: `${id}-firstboot-network`,
    bootfsUuidFile: `/run/${id}/bootfs_uuid`,
    rootflagsHelper: `${id}-rootflags`,
    bootMarkerDir: id,
    osmetDir: `/run/${program}/osmet`,
    tempFilePrefix: `.${program}-temp-`,
    tempDirPrefix: `${program}-`,
    partitionStashPrefix: `${program}-partitions.`,
  });
}

export const NESTOS: OsFamily = make('nestos', {
  osName: 'NestOS',
  streamOsName: 'NestOS',
  about: 'Installer for NestOS',
  longAbout:
    'Serves NestOS and CoreOS media alike: each live ISO, live initramfs and boot partition is ' +
    "edited in its own family's paths (NESTOS/ or COREOS/, etc/nestos-… or etc/coreos-…, nestos/ or " +
    'coreos/). Messages, defaults and the stream server follow the name the tool is run under: ' +
    'run through a link named coreos-installer it speaks exactly as coreos-installer does.',
  installAbout: 'Install NestOS',
  streamBaseUrl: 'https://nestos.org.cn/NestOS-release/streams/',
  efiVendorDir: 'EFI/openEuler',
});

export const COREOS: OsFamily = make('coreos', {
  osName: 'CoreOS',
  streamOsName: 'Fedora CoreOS',
  about: 'Installer for Fedora CoreOS and RHEL CoreOS',
  installAbout: 'Install Fedora CoreOS or RHEL CoreOS',
  streamBaseUrl: 'https://builds.coreos.fedoraproject.org/streams/',
  efiVendorDir: 'EFI/fedora',
});

export const FAMILIES: readonly OsFamily[] = [NESTOS, COREOS];

/** PURE: the family a program name selects: `coreos-installer…` is CoreOS, anything else NestOS. */
export function familyOfProgramName(name: string): OsFamily {
  return basename(name).startsWith(COREOS.programName) ? COREOS : NESTOS;
}

let invoked: OsFamily | undefined;

/**
 * The family of the name this process was invoked under (argv[1] for
 * `node dist/main.js`, the executable itself for a standalone build).
 */
export function invokedFamily(): OsFamily {
  if (invoked === undefined) {
    const names = [process.argv[1], process.argv0].filter((n): n is string => n !== undefined);
    invoked = names.some((n) => familyOfProgramName(n) === COREOS) ? COREOS : NESTOS;
  }
  return invoked;
}

/** Tests only: forget the cached invoked family (or pin one). */
export function setInvokedFamilyForTests(family: OsFamily | undefined): void {
  invoked = family;
}

/** PURE: the family whose ISO 9660 metadata directory this is ("NESTOS", "COREOS"), if any. */
export function familyOfIsoMetaDir(name: string): OsFamily | undefined {
  return FAMILIES.find((f) => f.isoMetaDir === name.toUpperCase());
}

/** PURE: the family a live initramfs belongs to, from its member paths (stamp or features). */
export function familyOfInitrdMembers(has: (path: string) => boolean): OsFamily | undefined {
  return FAMILIES.find((f) => has(f.initrdFeaturesPath) || has(f.liveInitramfsStamp));
}

/** PURE: the family of a boot partition, from the names in its root directory (`nestos/`, `coreos/`). */
export function familyOfBootEntries(names: readonly string[]): OsFamily | undefined {
  return FAMILIES.find((f) => names.includes(f.bootMarkerDir));
}

/** PURE: the family of an ISO from its root directory's primary names, if it has NESTOS/ or COREOS/. */
export function familyOfIsoRoot(names: readonly string[]): OsFamily | undefined {
  return FAMILIES.find((f) => names.includes(f.isoMetaDir));
}

/** Every family's network keyfile directory, for readers that take keyfiles from any family. */
export function allInitrdNetworkDirs(): string[] {
  return FAMILIES.map((f) => f.initrdNetworkDir);
}
