// House rules a machine checks: typescript-eslint's recommended set, plus the README's layout
// (which module may import what, and who may touch `process`).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const onlyIn = (what, where) => `${what} is only for ${where} (README, Layout)`
const processOnly = onlyIn(
  'the process global',
  'src/main.ts (and src/turns/process.ts for signals)'
)

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'web/dist/**',
      'web/dist-test/**',
      'node_modules/**',
      'tests/fixtures/transcripts/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Input validation matches control characters on purpose (NUL, C0) to refuse them.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read JSON bodies of every shape; typing each one would say nothing the assertions do not.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: onlyIn('better-sqlite3', 'src/storage/') },
            { name: 'pg', message: onlyIn('pg', 'src/storage/') },
          ],
          patterns: [
            { group: ['hono', 'hono/*', '@hono/*'], message: onlyIn('hono', 'src/http/') },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: processOnly }],
      'no-restricted-properties': [
        'error',
        { object: 'globalThis', property: 'process', message: processOnly },
      ],
    },
  },
  {
    files: ['src/storage/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['hono', 'hono/*', '@hono/*'], message: onlyIn('hono', 'src/http/') },
          ],
        },
      ],
    },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: onlyIn('better-sqlite3', 'src/storage/') },
            { name: 'pg', message: onlyIn('pg', 'src/storage/') },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main.ts', 'src/turns/process.ts'],
    rules: { 'no-restricted-globals': 'off', 'no-restricted-properties': 'off' },
  },
  {
    // Plain JS outside src/: node scripts and the fake claude.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
    },
  }
)
