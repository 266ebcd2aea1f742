// rebuildTopicRegistry against an oracle written from the rule, not the code: the directories
// stand in for a lost topics.json only when every directory holding records has readable
// metadata and the directories of each topic agree; otherwise it refuses naming a file.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { tempDir } from '../partition/test-support/records.js'
import { RegistryRebuildError } from './broker-errors.js'
import { partitionMetadataFile, writePartitionMetadata } from './partition-metadata.js'
import { rebuildTopicRegistry } from './registry-rebuild.js'

interface DirSpec {
  readonly topic: string
  readonly partition: number
  readonly holdsRecords: boolean
  /** What its metadata says, or how it is broken. */
  readonly metadata:
    | { readonly kind: 'good'; readonly topicId: string; readonly partitionCount: number; readonly config: Record<string, unknown> }
    | { readonly kind: 'missing' }
    | { readonly kind: 'garbled' }
}

const configs = [{}, { retentionMs: 1000 }, { cleanupPolicy: 'compact' }]
const dirSpec: fc.Arbitrary<DirSpec> = fc.record({
  topic: fc.constantFrom('a', 'b.c', 'd-1'),
  partition: fc.integer({ min: 0, max: 3 }),
  holdsRecords: fc.boolean(),
  metadata: fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('good' as const), topicId: fc.constantFrom('id-1', 'id-2'), partitionCount: fc.integer({ min: 1, max: 6 }), config: fc.constantFrom(...configs) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('missing' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbled' as const) }) },
  ),
})
// One spec per directory name; a partition number at or above its own count is not a state the broker writes.
const dirSpecs = fc
  .uniqueArray(dirSpec, { selector: (spec) => `${spec.topic}-${spec.partition}`, maxLength: 8 })
  .map((specs) => specs.map((spec) => (spec.metadata.kind === 'good' && spec.metadata.partitionCount <= spec.partition ? { ...spec, metadata: { ...spec.metadata, partitionCount: spec.partition + 1 } } : spec)))

type Expected = { readonly refused: true } | { readonly refused: false; readonly topics: Map<string, { partitions: number; topicId: string; config: unknown }> }

const oracle = (specs: readonly DirSpec[]): Expected => {
  const topics = new Map<string, { partitions: number; topicId: string; config: unknown }>()
  for (const spec of specs) {
    if (spec.metadata.kind !== 'good') {
      if (spec.holdsRecords) return { refused: true }
      continue
    }
    const seen = topics.get(spec.topic)
    if (seen === undefined) {
      topics.set(spec.topic, { partitions: spec.metadata.partitionCount, topicId: spec.metadata.topicId, config: spec.metadata.config })
    } else {
      if (seen.topicId !== spec.metadata.topicId || JSON.stringify(seen.config) !== JSON.stringify(spec.metadata.config)) return { refused: true }
      seen.partitions = Math.max(seen.partitions, spec.metadata.partitionCount)
    }
  }
  return { refused: false, topics }
}

describe('rebuildTopicRegistry', () => {
  test.prop([dirSpecs], { numRuns: 60 })('rebuilds exactly what the directories agree on, or refuses naming a metadata file', (specs) => {
    const { dir: dataDir, remove } = tempDir('rebuild')
    try {
      mkdirSync(join(dataDir, '__cluster'))
      for (const spec of specs) {
        const dir = join(dataDir, `${spec.topic}-${spec.partition}`)
        mkdirSync(dir)
        if (spec.holdsRecords) writeFileSync(join(dir, '00000000000000000000.log'), 'x')
        if (spec.metadata.kind === 'good') {
          const { topicId, partitionCount, config } = spec.metadata
          writePartitionMetadata(dir, { topic: spec.topic, partition: spec.partition, topicId, partitionCount, config })
        } else if (spec.metadata.kind === 'garbled') {
          writeFileSync(partitionMetadataFile(dir), '{"version":1,"topic":')
        }
      }
      const expected = oracle(specs)
      let rebuilt: ReturnType<typeof rebuildTopicRegistry> | RegistryRebuildError
      try {
        rebuilt = rebuildTopicRegistry(dataDir)
      } catch (error) {
        if (!(error instanceof RegistryRebuildError)) throw error
        rebuilt = error
      }
      if (expected.refused) {
        expect(rebuilt).toBeInstanceOf(RegistryRebuildError)
        expect((rebuilt as RegistryRebuildError).file).toMatch(/partition\.metadata$/)
        return
      }
      expect(rebuilt).not.toBeInstanceOf(RegistryRebuildError)
      const topics = (rebuilt as ReturnType<typeof rebuildTopicRegistry>).topics
      expect(new Map(topics.map((t) => [t.name, { partitions: t.partitions, topicId: t.topicId, config: t.config }]))).toEqual(expected.topics)
    } finally {
      remove()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
