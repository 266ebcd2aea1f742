import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@rivulet/test-kit'
import { describe, expect, it } from 'vitest'
import { readOffsetCheckpoint, RECOVERY_POINT_FILE } from './log-checkpoints.js'
import { Log } from './log.js'
import { appendNumbered } from './test-support/damage.js'


const recoveryPointOf = (dir: string) => readOffsetCheckpoint(dir, RECOVERY_POINT_FILE)

describe('the recovery-point checkpoint raised in place', () => {
  it('holds exactly the flushed end after every flush, across growing digit counts, lowering and raising again', async () => {
    const dir = tempDir('integrity')
    const log = await Log.open(dir, { flush: 'every-batch' })
    for (const batches of [3, 9, 95]) {
      await appendNumbered(log, batches, 1)
      expect(readFileSync(join(dir, RECOVERY_POINT_FILE), 'latin1')).toBe(`0\n${log.logEndOffset}\n`)
    }
    // Lowered (written whole, shorter), then raised in place again: no stale tail is left behind.
    await log.truncateTo(5n)
    expect(recoveryPointOf(dir)).toEqual({ kind: 'offset', offset: 5n })
    await appendNumbered(log, 2, 1)
    expect(readFileSync(join(dir, RECOVERY_POINT_FILE), 'latin1')).toBe('0\n7\n')
    await log.close()
  })

  it('a damaged checkpoint found at open is written whole at the first flush, not patched in place', async () => {
    const dir = tempDir('integrity')
    const first = await Log.open(dir, { flush: 'every-batch' })
    await appendNumbered(first, 2, 1)
    await first.close()
    writeFileSync(join(dir, RECOVERY_POINT_FILE), '0\n123456789012345\ngarbage after it\n')
    const log = await Log.open(dir, { flush: 'every-batch' })
    expect(log.openReport.notes.join('\n')).toContain('recovery point not trusted')
    await appendNumbered(log, 1, 1)
    expect(readFileSync(join(dir, RECOVERY_POINT_FILE), 'latin1')).toBe('0\n3\n')
    await log.close()
  })
})
