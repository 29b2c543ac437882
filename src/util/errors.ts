// Errors the coreos-installer way: a chain of context messages around a root
// cause, printed by main.ts as "Error: <outer>" plus a "Caused by:" block.
// Only formatErrorChain turns errno codes into text (SPEC 0.4, 9).

import { constants as osConstants } from 'node:os';

/** An expected refusal or failure: one sentence, worded as upstream. */
export class CliError extends Error {
  override name = 'CliError';
}

/** A context layer ("reading <path>") wrapped around its cause. */
export class ContextError extends Error {
  override name = 'ContextError';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/** "Not found" kind: ISO lookups use it to mean "feature absent" (SPEC 4.1.4). */
export class NotFoundError extends CliError {
  override name = 'NotFoundError';
}

/** A command-line usage error: printed as clap prints it, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The text after "error: " (may span lines). */
  readonly detail: string;
  /** The usage line of the command, e.g. "nestos-installer iso ignition embed [OPTIONS] <ISO>". */
  readonly usage: string;
  constructor(detail: string, usage: string) {
    super(detail);
    this.detail = detail;
    this.usage = usage;
  }
}

/** The user pressed Ctrl-C: exit 130 after cleanup. */
export class InterruptedError extends CliError {
  override name = 'InterruptedError';
  constructor() {
    super('interrupted');
  }
}

/** Reading an exact amount hit EOF first (Rust's read_exact wording). */
export class ShortReadError extends Error {
  override name = 'ShortReadError';
  constructor() {
    super('failed to fill whole buffer');
  }
}

/** For promise chains: `await fs.readFile(p).catch(context(`reading ${p}`))`. */
export function context(message: string): (err: unknown) => never {
  return (err: unknown) => {
    throw new ContextError(message, err);
  };
}

/** Run fn and wrap any error it throws in a context layer. */
export async function withContext<T>(message: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ContextError(message, err);
  }
}

/** Synchronous twin of withContext. */
export function withContextSync<T>(message: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ContextError(message, err);
  }
}

/** glibc strerror texts, as Rust prints them (SPEC 9). */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOTTY: 'Inappropriate ioctl for device',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRINUSE: 'Address already in use',
};

interface SystemErrorLike {
  code: string;
  syscall?: string;
  message: string;
}

function isSystemError(err: unknown): err is SystemErrorLike {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { syscall?: unknown }).syscall === 'string'
  );
}

/** "No such file or directory (os error 2)" for a Node system error. */
export function osErrorText(code: string, fallback: string): string {
  const errno = (osConstants.errno as Record<string, number | undefined>)[code];
  const text = STRERROR[code];
  if (errno !== undefined && text !== undefined) return `${text} (os error ${errno})`;
  if (errno !== undefined) return `${fallback} (os error ${errno})`;
  return fallback;
}

/** The message of one layer, with OS errors rendered the Rust way. */
export function layerMessage(err: unknown): string {
  if (isSystemError(err)) return osErrorText(err.code, err.message);
  // Node refuses a path with a NUL before any system call; say it as Rust's std does.
  if (err instanceof Error && (err as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE' && err.message.includes('null bytes')) {
    return 'file name contained an unexpected NUL byte';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The messages of the chain, outermost first. */
export function errorChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  const seen = new Set<unknown>();
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    out.push(layerMessage(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/** The report upstream's main prints (SPEC 0.4), ending with a newline. */
export function formatErrorChain(err: unknown): string {
  const [outer = 'unknown error', ...causes] = errorChain(err);
  let text = `Error: ${outer}\n`;
  if (causes.length === 1) {
    text += `\nCaused by:\n    ${indent(causes[0] ?? '', 4)}\n`;
  } else if (causes.length > 1) {
    text += '\nCaused by:\n';
    causes.forEach((c, i) => {
      text += `${String(i).padStart(5)}: ${indent(c, 7)}\n`;
    });
  }
  return text;
}

function indent(text: string, width: number): string {
  return text.split('\n').join('\n' + ' '.repeat(width));
}

/** True when any layer of the chain is a NotFoundError. */
export function isNotFound(err: unknown): boolean {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof NotFoundError) return true;
    cur = cur.cause;
  }
  return false;
}

/** True when the error (or any cause) is a Node system error with this code. */
export function hasErrorCode(err: unknown, code: string): boolean {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if ((cur as { code?: unknown }).code === code) return true;
    cur = cur.cause;
  }
  return false;
}
