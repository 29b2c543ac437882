// Plain-text helpers.

/** Greedy word wrap on ordinary spaces (textwrap's fill); '\n' starts a new paragraph. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ' ' + word;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8 decoding with Rust's Utf8Error wording ("invalid utf-8
 * sequence of 1 bytes from index 5"), not the TextDecoder's TypeError.
 */
export function decodeUtf8(data: Uint8Array): string {
  try {
    return utf8.decode(data);
  } catch {
    throw new Error(utf8ErrorText(data));
  }
}

function utf8ErrorText(data: Uint8Array): string {
  let i = 0;
  while (i < data.length) {
    const b = data[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return `invalid utf-8 sequence of 1 bytes from index ${i}`;
    for (let k = 1; k <= need; k++) {
      if (i + k >= data.length) return `incomplete utf-8 byte sequence from index ${i}`;
      const c = data[i + k] as number;
      const lo = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
      const hi = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
      if (c < lo || c > hi) return `invalid utf-8 sequence of ${k} bytes from index ${i}`;
    }
    i += need + 1;
  }
  return 'invalid utf-8';
}
