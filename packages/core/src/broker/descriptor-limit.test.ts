import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../partition/test-support/records.js'
import { checkDescriptorLimit, descriptorsNeeded, openFileSoftLimit } from './descriptor-limit.js'
import { recordingLogger } from './test-support/recording-logger.js'

const removals: (() => void)[] = []
afterEach(() => {
  for (const remove of removals.splice(0)) remove()
})
const limitsFile = (maxOpenFiles: string): string => {
  const { dir, remove } = tempDir('limits')
  removals.push(remove)
  const file = join(dir, 'limits')
  writeFileSync(
    file,
    [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             127590               127590               processes ',
      `Max open files            ${maxOpenFiles}                 1048576              files     `,
      'Max locked memory         8388608              8388608              bytes     ',
    ].join('\n'),
  )
  return file
}

describe('the descriptor limit check', () => {
  it('reads the soft limit of open files, and nothing when unlimited or unreadable', () => {
    expect(openFileSoftLimit(limitsFile('1024'))).toBe(1024)
    expect(openFileSoftLimit(limitsFile('unlimited'))).toBeUndefined()
    expect(openFileSoftLimit('/nonexistent/limits')).toBeUndefined()
  })

  it('warns exactly when the limit is below 3 per partition plus the margin', () => {
    const logger = recordingLogger()
    const needed = descriptorsNeeded(1000)
    expect(needed).toBe(3000 + 256)
    expect(checkDescriptorLimit(1000, logger, needed)).toBe(false)
    expect(logger.lines).toEqual([])
    expect(checkDescriptorLimit(1000, logger, needed - 1)).toBe(true)
    expect(logger.lines).toEqual([
      { level: 'warn', message: expect.stringContaining('open-file limit (3255) is low for the 1000 partitions'), fields: { softLimit: 3255, partitions: 1000, needed } },
    ])
    expect(checkDescriptorLimit(1000, recordingLogger(), undefined)).toBe(false)
  })
})
