import { describe, expect, it } from 'vitest';
import {
  COREOS,
  FAMILIES,
  NESTOS,
  familyOfBootEntries,
  familyOfInitrdMembers,
  familyOfIsoMetaDir,
  familyOfIsoRoot,
  familyOfProgramName,
} from '../../src/util/family.js';

describe('OsFamily (NESTOS.md)', () => {
  it('holds the NestOS names of NESTOS.md', () => {
    expect(NESTOS).toMatchObject({
      programName: 'nestos-installer',
      igninfoPath: 'NESTOS/IGNINFO.JSO',
      kargsJsonPath: 'NESTOS/KARGS.JSO',
      featuresPath: 'NESTOS/FEATURES.JSO',
      efiVendorDir: 'EFI/openEuler',
      initrdFeaturesPath: 'etc/nestos/features.json',
      initrdNetworkDir: 'etc/nestos-firstboot-network',
      bootPlatformsJson: 'nestos/platforms.json',
      bootNetworkDir: 'nestos-firstboot-network',
      osmetDir: '/run/nestos-installer/osmet',
      tempFilePrefix: '.nestos-installer-temp-',
      streamBaseUrl: 'https://nestos.org.cn/NestOS-release/streams/',
      unrecognizedIso: 'Unrecognized NestOS ISO image.',
      noKargAreas: 'No karg embed areas found; old or corrupted NestOS ISO image.',
      resetAdvice: 'Reset it with `nestos-installer iso reset` and try again.',
      notLiveInitramfs: 'not a NestOS live initramfs image',
    });
  });

  it('holds upstream CoreOS names (SPEC 0.1)', () => {
    expect(COREOS).toMatchObject({
      programName: 'coreos-installer',
      igninfoPath: 'COREOS/IGNINFO.JSO',
      initrdNetworkDir: 'etc/coreos-firstboot-network',
      bootPlatformsJson: 'coreos/platforms.json',
      streamBaseUrl: 'https://builds.coreos.fedoraproject.org/streams/',
      about: 'Installer for Fedora CoreOS and RHEL CoreOS',
      unrecognizedIso: 'Unrecognized CoreOS ISO image.',
      resetAdvice: 'Reset it with `coreos-installer iso reset` and try again.',
    });
    expect(COREOS.longAbout).toBeUndefined();
  });

  it('the program name picks the family', () => {
    expect(familyOfProgramName('/usr/bin/coreos-installer')).toBe(COREOS);
    expect(familyOfProgramName('/usr/local/bin/nestos-installer')).toBe(NESTOS);
    expect(familyOfProgramName('/opt/x/dist/main.js')).toBe(NESTOS);
  });

  it('media pick the family: ISO root, ISO metadata dir, boot partition, initrd members', () => {
    expect(familyOfIsoRoot(['EFI', 'IMAGES', 'NESTOS', 'ISOLINUX'])).toBe(NESTOS);
    expect(familyOfIsoRoot(['COREOS', 'IMAGES'])).toBe(COREOS);
    expect(familyOfIsoRoot(['IMAGES'])).toBeUndefined();
    expect(familyOfIsoMetaDir('nestos')).toBe(NESTOS);
    expect(familyOfBootEntries(['loader', 'grub2', 'nestos'])).toBe(NESTOS);
    expect(familyOfBootEntries(['coreos', 'loader'])).toBe(COREOS);
    expect(familyOfBootEntries(['loader'])).toBeUndefined();
    const members = new Set(['etc/nestos-live-initramfs']);
    expect(familyOfInitrdMembers((p) => members.has(p))).toBe(NESTOS);
    expect(familyOfInitrdMembers((p) => p === 'etc/coreos/features.json')).toBe(COREOS);
    expect(FAMILIES).toEqual([NESTOS, COREOS]);
  });
});
