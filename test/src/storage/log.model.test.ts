// Model-based test of the partition log: random appends, reads, truncations, rolls, retention,
// reopens, crashes that tear or flip the active segment, and lost indexes, against a plain array.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Log, SegmentFileCache, type FlushPolicy } from '@rivulet/storage'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AppendCommand,
  CompactCommand,
  CrashCommand,
  DamageIndexCommand,
  ReadCommand,
  ReopenCommand,
  RetentionCommand,
  RollCommand,
  TruncateCommand,
} from './log-commands.js'
import { DELETE_RETENTION_MS, RETENTION_MS, type LogModel, type RealLog } from './log-model.js'

const text = fc.string({ unit: 'grapheme-ascii', maxLength: 40 })
// Few distinct keys, so compaction has records to supersede.
const key = fc.constantFrom('a', 'b', 'c', 'd', 'e')
const record = fc.record({ key: fc.option(key, { freq: 4 }), value: fc.option(text, { freq: 6 }) })
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

const commands = fc.commands(
  [
    fc.tuple(fc.array(record, { minLength: 1, maxLength: 6 }), fc.constantFrom('none' as const, 'gzip' as const)).map(
      ([records, compression]) => new AppendCommand(records, compression),
    ),
    fc.tuple(fraction, fc.integer({ min: 1, max: 400 }), fc.option(fraction)).map(
      ([at, maxBytes, bound]) => new ReadCommand(at, maxBytes, bound ?? undefined),
    ),
    fraction.map((at) => new TruncateCommand(at)),
    fc.constant(new RollCommand()),
    fc.constant(new CompactCommand()),
    fc.integer({ min: 0, max: 2_000 }).map((ms) => new RetentionCommand(ms)),
    fc.constant(new ReopenCommand()),
    fc.tuple(fc.constantFrom('cut' as const, 'flip' as const), fraction, fc.integer({ min: 1, max: 255 })).map(
      ([damage, at, mask]) => new CrashCommand(damage, at, mask),
    ),
    fc.tuple(fraction, fc.constantFrom('delete' as const, 'odd-size' as const, 'garbage' as const)).map(
      ([which, damage]) => new DamageIndexCommand(which, damage),
    ),
  ],
  { maxCommands: 60, size: 'medium' },
)

const logConfig = fc.record({
  segmentBytes: fc.integer({ min: 60, max: 1_200 }),
  indexIntervalBytes: fc.integer({ min: 0, max: 300 }),
  flush: fc.constantFrom<FlushPolicy>('os', 'every-batch', { everyMs: 5 }),
  cleanupPolicy: fc.constantFrom('delete' as const, 'compact,delete' as const),
})

describe('Log against a plain array model', () => {
  it('agrees with the model after every step, up to the last intact batch after a crash', async () => {
    await fc.assert(
      // A cache of a few files, so closed segments' descriptors are closed and reopened all along.
      fc.asyncProperty(logConfig, commands, fc.integer({ min: 1, max: 4 }), async (config, cmds, maxOpenFiles) => {
        const fileCache = new SegmentFileCache(maxOpenFiles)
        const dir = mkdtempSync(join(tmpdir(), 'rivulet-log-model-'))
        const fullConfig = { ...config, retentionMs: RETENTION_MS, deleteRetentionMs: DELETE_RETENTION_MS, segmentMs: -1 }
        const clock = { now: 1_700_000_000_000 }
        const real: RealLog = {
          dir,
          clock,
          log: await Log.open(dir, fullConfig, { nowMs: () => clock.now, fileCache }),
          reopen: async () => {
            await real.log.close()
            real.log = await Log.open(dir, fullConfig, { nowMs: () => clock.now, fileCache })
          },
        }
        const model: LogModel = { batches: [], logStartOffset: 0n, logEndOffset: 0n, compacted: false }
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds)
        } finally {
          await real.log.close()
          expect(fileCache.openFileCount).toBe(0)
          rmSync(dir, { recursive: true, force: true })
        }
      }),
      { numRuns: 300 },
    )
  })
})
