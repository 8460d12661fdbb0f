import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The import graph flows one way (README, "How data flows"): registry → model → translators →
 * generators → cache → ADS streams. Each rule below names what a folder must not import; tests and
 * test support may wire anything.
 */
const TESTS = ['**/*.test.ts', '**/test-support/**'];
const forbid = (patterns, paths = []) => ({ 'no-restricted-imports': ['error', { patterns, paths }] });
const IO_MODULES = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process']
  .concat(['worker_threads', 'os', 'process', 'readline', 'cluster'])
  .flatMap((name) => [name, `node:${name}`]);
const PURE = 'translators are pure (snapshot, proxy view) → resources: no I/O, no clock, no server module';
export const BOUNDARIES = [
  {
    files: ['server/xds/**/*.ts'],
    ignores: TESTS,
    rules: forbid([
      {
        group: ['**/model/**', '**/translators/**', '**/generators/**', '**/cache/**', '**/admin/**'],
        message:
          'server/xds (the ADS streams) knows resources only through resource-source.ts: it imports no model, translator, generator or cache module',
      },
    ]),
  },
  {
    files: ['translators/**/*.ts'],
    ignores: TESTS,
    rules: forbid(
      [
        { group: ['**/server/**'], message: PURE },
        {
          group: ['**/protos/any.ts'],
          importNames: ['typed'],
          message:
            'translators pack an Any through typedConfig (common/typed-config.ts), typed by the generated message',
        },
      ],
      IO_MODULES.map((name) =>
        name.endsWith('net')
          ? { name, allowImportNames: ['isIP', 'isIPv4', 'isIPv6'], message: PURE }
          : { name, message: PURE },
      ),
    ),
  },
  {
    files: ['model/**/*.ts'],
    ignores: TESTS,
    rules: forbid([
      {
        group: ['**/server/**', '**/translators/**'],
        message: 'model/ is the immutable mesh snapshot: it imports no translator and no server module',
      },
    ]),
  },
  {
    files: ['server/generators/**/*.ts'],
    ignores: TESTS,
    rules: forbid([
      {
        group: ['**/cache/**', '**/pipeline/**', '**/registry/**', '**/admin/**'],
        message:
          'generators translate a snapshot for a proxy view: they import no cache, pipeline, registry or admin module',
      },
    ]),
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench/results/**', '**/*.generated.*', 'protos/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The tools beside the server (kube-sim, the workload agent, client commands) and the certificate
    // code they share never reach into the server; tests may (they start one).
    files: ['pki/**/*.ts', 'agent/**/*.ts', 'kube-sim/**/*.ts', 'cli/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // gitignore rules: a file is re-included only if its folder is not excluded as a whole.
              group: [
                '**/server/*',
                '!**/server/cli',
                '**/server/cli/*',
                '!**/server/cli/serve-command.ts',
                '!**/server/cli/validate-command.ts',
              ],
              message:
                'pki/, agent/, kube-sim/ and cli/ do not import server/ (cli/main.ts starts serve and validate).',
            },
          ],
        },
      ],
    },
  },
  {
    // demo/ (`meshpilot demo`, npm start) starts the server only the way `serve` does.
    files: ['demo/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: forbid([
      {
        // gitignore rules: a file is re-included only if its folder is not excluded as a whole.
        group: ['**/server/*', '!**/server/cli', '**/server/cli/*', '!**/server/cli/serve-command.ts'],
        message: 'demo/ starts the control plane through server/cli/serve-command.ts only; its workloads are clients.',
      },
    ]),
  },
  {
    files: ['pki/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/**', '**/agent/**', '**/kube-sim/**', '**/cli/**'],
              message: 'pki/ is shared: it imports none of its users.',
            },
          ],
        },
      ],
    },
  },
  {
    // common/: small helpers every folder may use; it imports nothing of the project.
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'common/ imports nothing outside common/.' }] },
      ],
    },
  },
  ...BOUNDARIES,
);
