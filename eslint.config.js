// Layering (ARCHITECTURE.md): shared/ and electron/core/ are pure. An import of node:*, electron,
// pkcs11js or the adapters from there is a lint error, and `npm test` runs lint first, so the build
// fails. test/pure/lint-layers.test.ts proves the rule fires.
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'tls', 'tty', 'url',
  'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

const pure = (extra) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: 'pure layer: no electron here (ARCHITECTURE.md).' },
        { name: 'pkcs11js', message: 'pure layer: PKCS#11 lives in electron/adapters/pkcs11.' },
        ...NODE_BUILTINS.map((name) => ({ name, message: 'pure layer: no Node built-ins here.' })),
      ],
      patterns: [
        { group: ['node:*'], message: 'pure layer: no Node built-ins here (ARCHITECTURE.md).' },
        ...extra,
      ],
    },
  ],
});

// Every failure a person can meet carries a code (shared/errors.ts): no bare Error classes in the app.
const UNCODED = '^(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)$';
const UNCODED_MESSAGE =
  'a failure carries a code: throw new KeyceremonyError(code, message, { where }) from shared/errors.ts (ARCHITECTURE.md).';
const codedErrors = {
  'no-restricted-syntax': [
    'error',
    { selector: `NewExpression[callee.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
    { selector: `CallExpression[callee.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
    { selector: `:matches(ClassDeclaration, ClassExpression)[superClass.name=/${UNCODED}/]`, message: UNCODED_MESSAGE },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', '.tmp/**', 'renderer/dist/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-debugger': 'error',
    },
  },
  {
    files: ['shared/**/*.ts', 'shared/**/*.tsx', 'electron/**/*.ts'],
    // errors.ts defines the one error class; the CLI's UsageError is its exit-2 usage signal.
    ignores: ['shared/errors.ts', 'electron/cli/args.ts'],
    rules: codedErrors,
  },
  {
    files: ['shared/**/*.ts', 'shared/**/*.tsx'],
    rules: pure([
      { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ depends on nothing but itself.' },
    ]),
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: pure([
      { group: ['**/adapters/**', '**/ipc/**', '**/cli/**', '**/renderer/**'], message: 'core does no I/O: adapters are injected.' },
    ]),
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: pure([
      { group: ['**/electron/**'], message: 'renderer talks to main only through the preload bridge (shared/ipc).' },
    ]),
  },
);
