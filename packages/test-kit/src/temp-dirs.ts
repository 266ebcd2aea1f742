/** Temporary directories for tests, each removed when the test that made it ends, pass or fail. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'

/**
 * A fresh empty directory under the OS temp dir, named `rivulet-<name>-…`, removed when the
 * current test ends. Call it inside a test or a beforeEach.
 */
export const tempDir = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `rivulet-${name}-`))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
