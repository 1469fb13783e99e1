// Lint rules (ARCHITECTURE.md "Tooling"). `npm test` runs lint first, so a finding fails the build;
// test/pure/lint-layers.test.ts proves each rule fires.
// - Layering: shared/, electron/core/ and renderer/ are pure. An import of node:*, electron, pkcs11js or
//   the adapters from there, or a use of the Node globals Buffer/process/require, is an error.
// - Coded errors: no `new Error`/`TypeError`/`RangeError` (nor Error subclasses) in shared/ and electron/.
// - typescript-eslint `recommended`, plus the type-aware `no-floating-promises` and
//   `switch-exhaustiveness-check` (one TypeScript program, through the project service).
// - Size: `max-lines` and `max-lines-per-function` warn (they do not fail the build).
// Import cycles are checked by scripts/check-cycles.ts (also part of `npm run lint`).
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'process',
  'readline',
  'stream',
  'tls',
  'tty',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

const NODE_GLOBALS = ['Buffer', 'process', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate', 'clearImmediate'];

const pure = (extra) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: 'pure layer: no electron here (ARCHITECTURE.md).' },
        { name: 'pkcs11js', message: 'pure layer: PKCS#11 lives in electron/adapters/pkcs11.' },
        ...NODE_BUILTINS.map((name) => ({ name, message: 'pure layer: no Node built-ins here.' })),
      ],
      patterns: [{ group: ['node:*'], message: 'pure layer: no Node built-ins here (ARCHITECTURE.md).' }, ...extra],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...NODE_GLOBALS.map((name) => ({ name, message: `pure layer: no Node global ${name} here; use Uint8Array and shared/encoding/bytes.ts.` })),
  ],
});

// Every failure a person can meet carries a code (shared/errors.ts): no bare Error classes in the app.
const UNCODED = '^(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)$';
const UNCODED_MESSAGE = 'a failure carries a code: throw new KeyceremonyError(code, message, { where }) from shared/errors.ts (ARCHITECTURE.md).';
const codedErrors = {
  'no-restricted-syntax': [
    'error',
    { selector: `NewExpression[callee.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
    { selector: `CallExpression[callee.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
    { selector: `:matches(ClassDeclaration, ClassExpression)[superClass.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
  ],
};

// Every file the CLI or the main process reads goes through electron/adapters/fs/read.ts (bounded:
// `/dev/zero` or a 4 GB file as an input is refused with TOO_LARGE, never read to exhaustion).
const READ_MESSAGE = 'read input files with readInputFile / readInput from electron/adapters/fs/read.ts (bounded, named errors).';
const boundedReads = {
  'no-restricted-imports': [
    'error',
    {
      paths: ['node:fs', 'fs']
        .map((name) => ({ name, importNames: ['readFileSync', 'readFile', 'createReadStream'], message: READ_MESSAGE }))
        .concat(['node:fs/promises', 'fs/promises'].map((name) => ({ name, importNames: ['readFile'], message: READ_MESSAGE }))),
    },
  ],
};

const TS = ['**/*.ts', '**/*.tsx'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', '.tmp/**', 'renderer/dist/**'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: TS })),
  {
    files: TS,
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-debugger': 'error',
      // `let x; const report = () => x; ... x = v;` is a closure reading the variable's later value.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // node:test's test()/describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      // A `default:` counts: switches over open sets (typeof, wire strings) keep their default.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Tests and benches walk and mutate untyped documents (YAML policies, broken scripts, monkey-patched
    // peers); the app itself has no `any`.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['shared/**/*.ts', 'electron/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'max-lines': ['warn', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 120, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['shared/**/*.ts', 'shared/**/*.tsx', 'electron/**/*.ts'],
    // errors.ts defines the one error class; the CLI's UsageError is its exit-2 usage signal.
    ignores: ['shared/errors.ts', 'electron/cli/args.ts'],
    rules: codedErrors,
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/core/**', 'electron/adapters/fs/read.ts'],
    rules: boundedReads,
  },
  {
    files: ['shared/**/*.ts', 'shared/**/*.tsx'],
    rules: pure([{ group: ['**/electron/**', '**/renderer/**'], message: 'shared/ depends on nothing but itself.' }]),
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: pure([{ group: ['**/adapters/**', '**/ipc/**', '**/cli/**', '**/renderer/**'], message: 'core does no I/O: adapters are injected.' }]),
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: pure([{ group: ['**/electron/**'], message: 'renderer talks to main only through the preload bridge (shared/ipc).' }]),
  },
);
