import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type PendingRecord, type PartitionQueue, RecordAccumulator, type RecordSink } from './accumulator.js'
import { keyedPartition } from '../partitioning/murmur2.js'
import { InvalidPartitionChoiceError } from './errors.js'
import { createDefaultPartitioner, type Partitioner } from './partitioner.js'

const sink: RecordSink = { delivered: () => undefined, failed: () => undefined }

const record = (key: string | null, value = 'v'.repeat(100), partition = -1, index = 0): PendingRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  headers: undefined,
  timestamp: 1_700_000_000_000,
  partition,
  sink,
  index,
})

const setup = (options: { lingerMs?: number; batchBytes?: number; partitioner?: Partitioner } = {}) => {
  const ready: PartitionQueue[] = []
  const accumulator = new RecordAccumulator({
    lingerMs: options.lingerMs ?? 5,
    batchBytes: options.batchBytes ?? 16 * 1024,
    partitioner: options.partitioner ?? createDefaultPartitioner({ random: () => 0.5 }),
    onReady: (queue) => ready.push(queue),
  })
  /** Batches closed so far, as [partition, record count]. */
  const closed = () => ready.flatMap((queue) => queue.ready.splice(0).map((batch) => [batch.partition, batch.count]))
  return { accumulator, ready, closed }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('RecordAccumulator', () => {
  it('closes one batch per partition per linger window, however many records came', () => {
    const { accumulator, closed } = setup({ lingerMs: 5 })
    const topic = accumulator.topic('t', 3)
    for (let i = 0; i < 90; i++) accumulator.append(topic, record(null, 'x', i % 3, i))
    vi.advanceTimersByTime(4)
    expect(closed()).toEqual([])
    vi.advanceTimersByTime(1)
    expect(closed().sort()).toEqual([
      [0, 30],
      [1, 30],
      [2, 30],
    ])
    // The next window starts with the next record.
    accumulator.append(topic, record(null, 'x', 1))
    vi.advanceTimersByTime(5)
    expect(closed()).toEqual([[1, 1]])
  })

  it('closes a batch as soon as the next record would take it past batchBytes', () => {
    // A record with a 1-byte key and a 100-byte value takes 110 bytes; the header 61.
    const batchBytes = 61 + 9 * 110
    const { accumulator, closed } = setup({ lingerMs: 1000, batchBytes })
    const topic = accumulator.topic('t', 1)
    for (let i = 0; i < 20; i++) accumulator.append(topic, record('k', 'v'.repeat(100), 0, i))
    const batches = closed()
    expect(batches).toEqual([[0, 9], [0, 9]])
    const queue = topic.partitions[0]
    expect(queue.open!.count).toBe(2)
    expect(queue.open!.builder.sizeBytes).toBe(61 + 2 * 110)
  })

  it('gives a record bigger than batchBytes a batch of its own', () => {
    const { accumulator, closed } = setup({ lingerMs: 1000, batchBytes: 256 })
    const topic = accumulator.topic('t', 1)
    accumulator.append(topic, record(null, 'small', 0))
    accumulator.append(topic, record(null, 'x'.repeat(1000), 0))
    accumulator.append(topic, record(null, 'small', 0))
    expect(closed()).toEqual([[0, 1], [0, 1]])
  })

  it('with lingerMs 0, gathers what is appended in the same tick into one batch', () => {
    const { accumulator, closed } = setup({ lingerMs: 0 })
    const topic = accumulator.topic('t', 1)
    for (let i = 0; i < 10; i++) accumulator.append(topic, record(null, 'x', 0))
    expect(closed()).toEqual([])
    vi.runOnlyPendingTimers()
    expect(closed()).toEqual([[0, 10]])
  })

  it('sends a keyed record where Kafka would: murmur2 of the key (vectors in partitioner.test.ts)', () => {
    const { accumulator } = setup({ lingerMs: 1000 })
    const topic = accumulator.topic('t', 6)
    for (let i = 0; i < 200; i++) {
      const key = `user-${i}`
      expect(accumulator.choosePartition(topic, record(key))).toBe(keyedPartition(Buffer.from(key), 6))
    }
  })

  it('keeps keyless records on one sticky partition until its batch closes, then moves', () => {
    let draw = 0
    const draws = [0.1, 0.6, 0.9]
    const { accumulator, closed } = setup({
      lingerMs: 1000,
      // Nine keyless records of 109 bytes fill a batch.
      batchBytes: 61 + 9 * 109,
      partitioner: createDefaultPartitioner({ random: () => draws[draw++ % draws.length] }),
    })
    const topic = accumulator.topic('t', 6)
    for (let i = 0; i < 9; i++) accumulator.append(topic, record(null))
    expect(closed()).toEqual([])
    const first = topic.partitions.findIndex((queue) => queue.open !== undefined)
    expect(topic.partitions[first].open!.count).toBe(9)
    accumulator.append(topic, record(null))
    const [[closedPartition, count]] = closed()
    expect([closedPartition, count]).toEqual([first, 9])
    const next = topic.partitions.findIndex((queue) => queue.open !== undefined)
    expect(next).not.toBe(first)
    expect(topic.partitions[next].open!.count).toBe(1)
  })

  it('honours an explicit partition and a custom partitioner', () => {
    const { accumulator } = setup({ partitioner: () => 4 })
    const topic = accumulator.topic('t', 6)
    accumulator.append(topic, record('k'))
    accumulator.append(topic, record('k', 'v', 2))
    expect(topic.partitions.map((queue) => queue.open?.count ?? 0)).toEqual([0, 0, 1, 0, 1, 0])
  })

  it('refuses a partitioner choice outside the topic', () => {
    const { accumulator } = setup({ partitioner: () => 6 })
    const topic = accumulator.topic('t', 6)
    expect(() => accumulator.append(topic, record('k'))).toThrow(InvalidPartitionChoiceError)
    expect(() => accumulator.append(topic, record('k'))).toThrow(/chose partition 6 of topic "t", which has partitions 0 to 5/)
  })

  it('closes every open batch on closeAll and grows a topic to new partitions', () => {
    const { accumulator, closed } = setup({ lingerMs: 1000 })
    let topic = accumulator.topic('t', 2)
    accumulator.append(topic, record(null, 'a', 0))
    topic = accumulator.topic('t', 4)
    expect(topic.partitionCount).toBe(4)
    accumulator.append(topic, record(null, 'b', 3))
    accumulator.closeAll()
    expect(closed().sort()).toEqual([
      [0, 1],
      [3, 1],
    ])
  })
})
