import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Its teardown fails the run when a spawned process outlives the suite.
    globalSetup: ['tests/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real claude processes and browsers: two cores do not take more than two files at once.
    maxWorkers: 2,
    pool: 'forks',
  },
})
