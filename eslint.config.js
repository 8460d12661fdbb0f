import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/results/**', '**/*.generated.*'] },
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
              group: ['**/server/**', '!**/server/cli/serve-command.ts', '!**/server/cli/validate-command.ts'],
              message:
                'pki/, agent/, kube-sim/ and cli/ do not import server/ (cli/main.ts starts serve and validate).',
            },
          ],
        },
      ],
    },
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
);
