// Byte-order helpers: paths and labels sort by UTF-8 bytes, not UTF-16 units (SPEC 10.5).

/** Compare two strings by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sort a copy of `items` by UTF-8 byte order. */
export function sortUtf8(items: Iterable<string>): string[] {
  return [...items].sort(compareUtf8);
}
