// `npm run bench -- group`: consumer groups, embedded.
// - group.rebalance: 10 members (cooperative-sticky) over a 100-partition topic; one member
//   leaves and the time until the other nine own all 100 partitions again is measured; 20 times
//   (a new member joins between rounds, untimed), reported as the median (p50) and p99.
// - group.consume-1 / group.consume-3: 600,000 records of 100 bytes on a 12-partition topic read
//   by one consumer without a group, a group of one member, and a group of three (the target:
//   the group of three within 10% of the single consumer).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Rivulet, type GroupConsumer } from '@rivulet/core'
import { count, firstValueFrom, Subscription, take } from 'rxjs'
import type { Row } from './lib/report.mjs'

const REBALANCE_PARTITIONS = 100
const MEMBERS = 10
const ROUNDS = 20
const RECORDS = 600_000
const VALUE_BYTES = 100
const CONSUME_PARTITIONS = 12

const owned = (members: readonly GroupConsumer[]): number => {
  const seen = new Set<string>()
  for (const member of members) for (const tp of member.assignment()) seen.add(`${tp.topic}-${tp.partition}`)
  return seen.size
}

/** Resolves once the members together own every partition of the topic. */
const untilOwned = (members: readonly GroupConsumer[], partitions: number): Promise<void> =>
  new Promise((resolve) => {
    const check = () => {
      if (owned(members) !== partitions) return false
      subscriptions.unsubscribe()
      resolve()
      return true
    }
    const subscriptions = new Subscription()
    for (const member of members) subscriptions.add(member.rebalances$.subscribe(() => void check()))
    check()
  })

const measureRebalances = async (rv: Rivulet): Promise<number[]> => {
  await rv.admin.createTopic('rebalance', { partitions: REBALANCE_PARTITIONS })
  const join = () => {
    const member = rv.consumer({ groupId: 'rebalance-bench', assignor: 'cooperative-sticky', sessionTimeoutMs: 10_000 })
    const subscription = member.subscribe('rebalance').subscribe()
    return { member, subscription }
  }
  const members = Array.from({ length: MEMBERS }, join)
  await untilOwned(members.map((m) => m.member), REBALANCE_PARTITIONS)
  const timesMs: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const leaving = members.shift()!
    const remaining = members.map((m) => m.member)
    const started = performance.now()
    const done = untilOwned(remaining, REBALANCE_PARTITIONS)
    await leaving.member.close()
    await done
    timesMs.push(performance.now() - started)
    leaving.subscription.unsubscribe()
    members.push(join())
    await untilOwned(members.map((m) => m.member), REBALANCE_PARTITIONS)
    // Let the joiner's handoff settle (every member reconciled) before the next timed leave.
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await Promise.all(members.map((m) => m.member.close()))
  return timesMs
}

const consumePlain = async (rv: Rivulet): Promise<number> => {
  const consumer = rv.consumer()
  const started = performance.now()
  await firstValueFrom(consumer.subscribe('consume', { from: 'earliest' }).pipe(take(RECORDS), count()))
  const seconds = (performance.now() - started) / 1000
  await consumer.close()
  return seconds
}

const consumeWithGroup = async (rv: Rivulet, groupId: string, memberCount: number): Promise<number> => {
  let received = 0
  const started = performance.now()
  const members: GroupConsumer[] = []
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < memberCount; i++) {
      const member = rv.consumer({ groupId, autoOffsetReset: 'earliest', autoCommitIntervalMs: 1_000 })
      members.push(member)
      member.subscribe('consume').subscribe({
        next: () => {
          if (++received === RECORDS) resolve()
        },
        error: reject,
      })
    }
  })
  const seconds = (performance.now() - started) / 1000
  await Promise.all(members.map((member) => member.close()))
  return seconds
}

export const run = async (): Promise<Row[]> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-group-'))
  const rv = await Rivulet.embedded({ dataDir, defaultTopicConfig: { flush: 'os' } })
  try {
    const rebalanceMs = await measureRebalances(rv)

    await rv.admin.createTopic('consume', { partitions: CONSUME_PARTITIONS })
    const producer = rv.producer()
    const value = Buffer.alloc(VALUE_BYTES, 7)
    for (let sent = 0; sent < RECORDS; sent += 10_000) {
      await producer.send('consume', Array.from({ length: 10_000 }, (_, i) => ({ key: `key-${(sent + i) % 10_000}`, value })))
    }
    await consumeWithGroup(rv, 'warmup', 1)
    const plainSeconds = await consumePlain(rv)
    const oneSeconds = await consumeWithGroup(rv, 'one-member', 1)
    const threeSeconds = await consumeWithGroup(rv, 'three-members', 3)
    const bytes = RECORDS * VALUE_BYTES
    return [
      {
        name: 'group.rebalance',
        records: rebalanceMs.length,
        seconds: rebalanceMs.reduce((a, b) => a + b, 0) / 1000,
        bytes: 0,
        latenciesMs: rebalanceMs,
        note: `${MEMBERS} members, ${REBALANCE_PARTITIONS} partitions, cooperative-sticky, one leaves; records = rounds`,
      },
      { name: 'consume-single', records: RECORDS, seconds: plainSeconds, bytes, note: `one consumer without a group, ${CONSUME_PARTITIONS} partitions` },
      { name: 'group.consume-1', records: RECORDS, seconds: oneSeconds, bytes, baseline: 'consume-single', note: `group of 1 member, from joining` },
      {
        name: 'group.consume-3',
        records: RECORDS,
        seconds: threeSeconds,
        bytes,
        baseline: 'consume-single',
        note: `group of 3 members: ${((plainSeconds / threeSeconds) * 100).toFixed(0)}% of the single consumer's rate, ${((oneSeconds / threeSeconds) * 100).toFixed(0)}% of one member's`,
      },
    ]
  } finally {
    await rv.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
