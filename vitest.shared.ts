// The one vitest config every project's vitest.config.ts uses (test/ raises the timeout for its
// multi-process runs). The JSON report is what `npm test` (tools/test-all.mjs) adds up into its
// closing line, so every project writes it to the same place.
import { defineConfig } from 'vitest/config'

export const testTimeoutMs = 30_000

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    testTimeout: testTimeoutMs,
  },
})
