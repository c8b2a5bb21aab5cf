import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real claude processes and browsers: two cores do not take more than two files at once.
    maxWorkers: 2,
    pool: 'forks',
  },
})
