// PURE: the kernel-argument editor (SPEC 4.9.2), shared by `iso kargs
// modify`, `iso customize` and install's BLS edits.

export interface KargsEdits {
  append?: readonly string[];
  /** Append unless already present (internal; unused by the CLI). */
  appendIfMissing?: readonly string[];
  replace?: readonly string[];
  delete?: readonly string[];
}

const REPLACE_SYNTAX = /^([^=]+)=([^=]+)=([^=]+)$/;

export class KargsEditor {
  private readonly edits: Required<KargsEdits>;

  constructor(edits: KargsEdits = {}) {
    this.edits = {
      append: [...(edits.append ?? [])],
      appendIfMissing: [...(edits.appendIfMissing ?? [])],
      replace: [...(edits.replace ?? [])],
      delete: [...(edits.delete ?? [])],
    };
  }

  /** True when the editor has no operation at all ("maybe apply" returns no change). */
  isEmpty(): boolean {
    const e = this.edits;
    return e.append.length + e.appendIfMissing.length + e.replace.length + e.delete.length === 0;
  }

  /** Apply delete, append, append-if-missing, then replace, in that fixed order. */
  apply(input: string): string {
    let s = ` ${input} `;
    for (const d of this.edits.delete) s = s.replaceAll(` ${d.trim()} `, () => ' ');
    for (const a of this.edits.append) s += `${a.trim()} `;
    for (const a of this.edits.appendIfMissing) {
      if (!s.includes(` ${a.trim()} `)) s += `${a.trim()} `;
    }
    for (const r of this.edits.replace) {
      const m = REPLACE_SYNTAX.exec(r);
      if (m === null) throw new Error('Wrong input, format should be: KEY=OLD=NEW');
      const [, key, oldValue, newValue] = m;
      s = s.replaceAll(` ${key}=${oldValue} `, () => ` ${key}=${newValue} `);
    }
    return s.trim();
  }

  /** The edited text, or undefined when there is nothing to do. */
  maybeApply(input: string): string | undefined {
    return this.isEmpty() ? undefined : this.apply(input);
  }
}

/** One-shot form of KargsEditor.apply. */
export function applyKargs(input: string, edits: KargsEdits): string {
  return new KargsEditor(edits).apply(input);
}
