/**
 * Model-based test of one partition under idempotent producers whose sends are retried,
 * duplicated, delayed and reordered by fc.scheduler. A producer behaves like a real one: it sends
 * batch n+1 only once batch n is acknowledged, and may send batch n several times (retries racing
 * the original, each delivered and answered whenever the scheduler says). Checked at the end:
 * each producer's records are in the log exactly once and in its order, offsets are dense from 0,
 * and every answer for a batch names the same offsets, which are where its records are.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Supervision } from '../actor/supervision.js'
import { quietSystem } from '../actor/test-support/fixtures.js'
import { OutOfOrderSequenceError } from '../errors.js'
import { partitionActor, partitionPath } from './partition-actor.js'
import type { PartitionMessage, ProduceResult } from './partition-protocol.js'
import { describePartition, fetchFrom, produce } from './test-support/partition-client.js'
import { idempotentBatch, recordsIn, tempDir } from './test-support/records.js'

interface BatchPlan {
  readonly records: number
  /** 1: sent once; more: retries racing the first send. */
  readonly sends: number
}

interface Attempt {
  readonly producer: number
  readonly batch: number
  readonly outcome: Promise<ProduceResult>
}

const batchPlan = fc.record({ records: fc.integer({ min: 1, max: 3 }), sends: fc.integer({ min: 1, max: 3 }) })
const producerPlans = fc.array(fc.array(batchPlan, { minLength: 1, maxLength: 7 }), { minLength: 2, maxLength: 3 })

const valueOf = (producer: number, batch: number, record: number): string => `${producer}:${batch}:${record}`

describe('PartitionActor model: idempotent producers retrying, duplicating and reordering', () => {
  it('keeps every record exactly once, in each producer order, at dense and fixed offsets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), producerPlans, async (s, plans) => {
        const { dir, remove } = tempDir('model')
        const { system } = quietSystem()
        try {
          const partition = system.spawn<PartitionMessage>(
            partitionPath('model', 0, 't', 0),
            partitionActor({ topic: 't', partition: 0, dataDir: dir, config: { flush: 'os' }, retentionCheckIntervalMs: 3_600_000 }),
            { supervision: Supervision.restart() },
          )
          await describePartition(partition)
          const attempts: Attempt[] = []

          const send = async (bytes: Buffer, label: string): Promise<ProduceResult> => {
            await s.schedule(Promise.resolve(), `deliver ${label}`)
            return s.schedule(produce(partition, bytes), `answer ${label}`)
          }

          const runProducer = async (producer: number, plan: readonly BatchPlan[]): Promise<void> => {
            let sequence = 0
            for (const [batch, step] of plan.entries()) {
              const values = Array.from({ length: step.records }, (_, record) => valueOf(producer, batch, record))
              const bytes = idempotentBatch(BigInt(producer + 1), sequence, values)
              const outcomes = Array.from({ length: step.sends }, (_, send_) =>
                // Each send carries its own copy: the log writes the assigned offset into the bytes.
                send(Buffer.from(bytes), `p${producer} b${batch} s${send_}`),
              )
              for (const outcome of outcomes) attempts.push({ producer, batch, outcome })
              await Promise.any(outcomes)
              sequence += step.records
            }
          }

          await s.waitFor(Promise.all(plans.map((plan, producer) => runProducer(producer, plan))))
          // Retries still on their way arrive after the producers moved on; they must change nothing.
          await s.waitFor(Promise.allSettled(attempts.map((attempt) => attempt.outcome)))

          const records = recordsIn((await fetchFrom(partition, 0n)).records)
          const total = plans.flat().reduce((sum, step) => sum + step.records, 0)
          expect(records.map((record) => record.offset)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i)))
          for (const [producer, plan] of plans.entries()) {
            const expected = plan.flatMap((step, batch) => Array.from({ length: step.records }, (_, r) => valueOf(producer, batch, r)))
            const written = records.filter((record) => record.producerId === BigInt(producer + 1)).map((record) => record.value)
            expect(written).toEqual(expected)
          }

          const offsetOf = new Map(records.map((record) => [record.value, record.offset]))
          for (const attempt of attempts) {
            const result = await attempt.outcome.catch((error: unknown) => error)
            if (result instanceof OutOfOrderSequenceError) {
              // Only a stale retry, arriving after its batch left the 5-batch cache, may be refused.
              expect(result.receivedSequence).toBeLessThan(result.expectedSequence)
              continue
            }
            expect((result as ProduceResult).baseOffset).toBe(offsetOf.get(valueOf(attempt.producer, attempt.batch, 0)))
          }
        } finally {
          await system.shutdown()
          remove()
        }
      }),
      { numRuns: 150 },
    )
  })
})
