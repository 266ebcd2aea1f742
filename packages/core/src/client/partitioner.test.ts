import { createRequire } from 'node:module'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { keyedPartition } from '../partitioning/murmur2.js'
import { createDefaultPartitioner } from './partitioner.js'

// KafkaJS 2.x's DefaultPartitioner is Java-compatible: the oracle for keyed records.
const require = createRequire(import.meta.url)
type KafkaJsPartitioner = (args: {
  topic: string
  partitionMetadata: { partitionId: number; leader: number }[]
  message: { key: Buffer | string | null; value: Buffer | null }
}) => number
const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkaJsPartitioner } }
const kafkaJs = Partitioners.DefaultPartitioner()
const metadata = (count: number) => Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0 }))

describe('createDefaultPartitioner', () => {
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 })], { numRuns: 300 })(
    'puts a byte key where KafkaJS DefaultPartitioner does',
    (bytes, partitionCount) => {
      const key = Buffer.from(bytes)
      const expected = kafkaJs({ topic: 't', partitionMetadata: metadata(partitionCount), message: { key, value: null } })
      const partitioner = createDefaultPartitioner()
      expect(partitioner({ topic: 't', key, value: null, partitionCount })).toBe(expected)
      expect(keyedPartition(key, partitionCount)).toBe(expected)
    },
  )

  test.prop([fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer({ min: 1, max: 64 })], { numRuns: 200 })(
    'puts a UTF-8 string key where KafkaJS does',
    (text, partitionCount) => {
      const expected = kafkaJs({ topic: 't', partitionMetadata: metadata(partitionCount), message: { key: text, value: null } })
      expect(keyedPartition(Buffer.from(text, 'utf8'), partitionCount)).toBe(expected)
    },
  )

  it('sticks keyless records to one partition per topic until a batch completes', () => {
    const draws = [0.5, 0.1, 0.5, 0.9]
    const partitioner = createDefaultPartitioner({ random: () => draws.shift() ?? 0 })
    const send = (topic: string) => partitioner({ topic, key: null, value: null, partitionCount: 10 })
    expect([send('a'), send('a'), send('a')]).toEqual([5, 5, 5])
    expect(send('b')).toBe(1)
    // A batch closing on a partition the topic already left changes nothing.
    partitioner.onNewBatch('a', 3, 10)
    expect(send('a')).toBe(5)
    // Moving on never lands on the partition just completed: 0.5 would be 5 again.
    partitioner.onNewBatch('a', 5, 10)
    expect(send('a')).not.toBe(5)
    expect(send('b')).toBe(1)
  })

  test.prop([fc.integer({ min: 2, max: 50 }), fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 2, maxLength: 40 })])(
    'a new batch always moves a keyless topic to another valid partition',
    (partitionCount, randoms) => {
      let i = 0
      const partitioner = createDefaultPartitioner({ random: () => randoms[i++ % randoms.length] })
      let previous = partitioner({ topic: 't', key: null, value: null, partitionCount })
      for (let batch = 0; batch < 20; batch++) {
        partitioner.onNewBatch('t', previous, partitionCount)
        const next = partitioner({ topic: 't', key: null, value: null, partitionCount })
        expect(next).not.toBe(previous)
        expect(next).toBeGreaterThanOrEqual(0)
        expect(next).toBeLessThan(partitionCount)
        previous = next
      }
    },
  )

  it('stays within a single partition and refuses zero partitions', () => {
    const partitioner = createDefaultPartitioner()
    partitioner.onNewBatch('t', 0, 1)
    expect(partitioner({ topic: 't', key: null, value: null, partitionCount: 1 })).toBe(0)
    expect(() => partitioner({ topic: 't', key: null, value: null, partitionCount: 0 })).toThrow(RangeError)
  })
})
