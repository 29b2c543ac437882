// Build-time constants shared by several modules (SPEC 0.7). Names that differ
// between NestOS and CoreOS live in util/family.ts.

/** Bulk copy buffer size (SPEC 0.7). */
export const BUFFER_SIZE = 256 * 1024;

/** Decompression output chunk size (DEPENDENCIES: 1 MiB chunks are 3-4x faster). */
export const DECOMPRESS_CHUNK_SIZE = 1 << 20;

/**
 * While an image is written, a datasync is started each time this much more
 * has been written (one in flight at a time), so the disk writes back while
 * the image is still decoding instead of all at the final fsync
 * (test/bench/install-bench.sh: 64 and 128 MiB were best, 16 MiB slower).
 */
export const WRITEBACK_INTERVAL = 64 << 20;

/** The first MiB of an image is held back until it is verified (SPEC 2.9, E4). */
export const FIRST_MIB = 1 << 20;

/** Member path of the Ignition config inside an initrd (SPEC 4.7). */
export const INITRD_IGNITION_PATH = 'config.ign';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
/** A closed stdout pipe ends the program quietly, like the default SIGPIPE (SPEC 0.3). */
export const EXIT_BROKEN_PIPE = 141;
