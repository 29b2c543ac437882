// `completion bash|zsh|fish` (not in coreos-installer): prints a shell
// completion script generated from the command tables (completion-script.ts).
// The command is about the CLI itself, so it is wholly declared and handled
// here; index.ts hands it the finished tree (a getter: no import cycle).

import { invokedFamily } from '../util/family.js';
import { leaf, type GroupSpec, type LeafSpec } from './spec.js';
import type { Shell } from './completion-script.js';

export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export interface CompletionConfig {
  shell: Shell;
}

export function completionCommand(root: () => GroupSpec): LeafSpec<CompletionConfig> {
  return leaf<CompletionConfig>({
    name: 'completion',
    about: 'Print a shell completion script',
    longAbout:
      'Prints a completion script for the given shell on stdout. For bash: ' +
      `source <(${invokedFamily().programName} completion bash), or save it as ` +
      `/usr/share/bash-completion/completions/${invokedFamily().programName}.`,
    options: [],
    positionals: [{ name: 'SHELL', help: 'Shell to complete for', required: true, values: [...SHELLS] }],
    toConfig: (a) => ({ shell: a.positional('SHELL') as Shell }),
    load: async () => {
      const [{ completionScript }, { writeStdout }] = await Promise.all([import('./completion-script.js'), import('../util/stdio.js')]);
      return async (config: CompletionConfig) => writeStdout(completionScript(config.shell, root()));
    },
  });
}
