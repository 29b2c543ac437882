// Path helpers with Rust's std::path behaviour, so printed paths match upstream.

/** Rust's Path::join for a relative `name`: no normalization ("./d" + "x" → "./d/x"). */
export function rustJoin(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Rust's Path::file_name: the last normal component, or undefined ("/", "..", ""). */
export function rustFileName(path: string): string | undefined {
  const parts = path.split('/').filter((c) => c !== '' && c !== '.');
  const last = parts[parts.length - 1];
  if (last === undefined || last === '..') return undefined;
  if (path.endsWith('/.')) return undefined;
  return last;
}

/** Rust's Path::file_stem: the file name without its last extension (".bashrc" stays whole). */
export function rustFileStem(path: string): string | undefined {
  const name = rustFileName(path);
  if (name === undefined) return undefined;
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(0, dot);
}

/** Rust's components(): true when the path is absolute or has a ".." component. */
export function hasTraversal(path: string): boolean {
  return path.startsWith('/') || path.split('/').includes('..');
}
