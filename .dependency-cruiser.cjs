// One-way imports: main -> cli -> commands -> domain -> io -> util, and no cycles.
// `npm test` runs this (npm run deps); a violation fails the run.
const DOMAIN = '^src/(blockdev|customize|ignition|initrd|install|iso9660|live|osmet|source)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Import cycles make load order matter and hide layering mistakes.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'util-is-the-bottom',
      comment: 'util/ imports only util/ and node.',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'io-below-domain',
      comment: 'io/ imports only io/ and util/.',
      severity: 'error',
      from: { path: '^src/io/' },
      to: { path: '^src/', pathNot: '^src/(io|util)/' },
    },
    {
      name: 'domain-below-commands',
      comment: 'Domain modules never reach up to commands/, cli/ or main.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/(commands|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'commands-below-cli',
      comment: 'commands/ get a finished config; they never import the argv layer.',
      severity: 'error',
      from: { path: '^src/commands/' },
      to: { path: '^src/cli/|^src/main\\.ts$' },
    },
    {
      name: 'cli-not-main',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/main\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    detectJSDocImports: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
