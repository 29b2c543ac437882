// Progress text (SPEC 2.11): pure formatters, unit-tested. The reporter in
// io/progress.ts decides when to print them.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * Binary units with one decimal, as upstream prints them: the largest unit
 * not above the value, rounded half to even like Rust's `{:.1}`; below
 * 1024 the integer and " B".
 */
export function formatBytes(count: number): string {
  const n = BigInt(Math.max(0, Math.floor(count)));
  if (n < 1024n) return `${n} B`;
  let unit = 0;
  let scale = 1024n;
  while (unit < UNITS.length - 1 && n >= scale * 1024n) {
    unit++;
    scale *= 1024n;
  }
  const scaled = n * 10n;
  let tenths = scaled / scale;
  const rest = scaled % scale;
  if (rest * 2n > scale || (rest * 2n === scale && tenths % 2n === 1n)) tenths++;
  return `${tenths / 10n}.${tenths % 10n} ${UNITS[unit]}`;
}

/** "Read disk 1.5 GiB/3.4 GiB (45%)" or "Read disk 1.5 GiB" when the total is unknown (0 or undefined). */
export function formatReport(artifactType: string, position: number, total?: number): string {
  if (total === undefined || total <= 0) return `Read ${artifactType} ${formatBytes(position)}`;
  const pct = Math.floor((100 * position) / total);
  return `Read ${artifactType} ${formatBytes(position)}/${formatBytes(total)} (${pct}%)`;
}

/** "0:07", "12:34", "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface TtyProgress {
  artifactType: string;
  position: number;
  total?: number;
  /** Bytes per second, recent average; undefined until known. */
  rate?: number;
}

/**
 * The TTY status line: upstream's report plus the rate and, when the total
 * is known, the time left. Without prologue/epilogue (the renderer adds them).
 */
export function formatTtyLine(p: TtyProgress): string {
  let line = formatReport(p.artifactType, p.position, p.total);
  if (p.rate !== undefined && p.rate > 0) {
    line += `  ${formatBytes(p.rate)}/s`;
    if (p.total !== undefined && p.total > 0 && p.position < p.total) {
      line += `  ETA ${formatDuration((p.total - p.position) / p.rate)}`;
    }
  }
  return line;
}
