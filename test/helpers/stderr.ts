// Capture what in-process code writes to stderr (retry messages, banners).

import { afterEach, vi } from 'vitest';

/** Lines written to stderr since capture() in the current test; cleared after each test. */
export function stderrCapture(): { lines: string[]; capture(): void } {
  const lines: string[] = [];
  afterEach(() => {
    lines.length = 0;
    vi.restoreAllMocks();
  });
  return {
    lines,
    capture() {
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    },
  };
}
