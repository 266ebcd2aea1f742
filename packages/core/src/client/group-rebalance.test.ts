import { filter, firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConsumerRecord } from './records.js'
import { distinct, duplicates, everyRecord, key, owned, type Processed, run, startGroupTest, tapGroups } from './test-support/groups.js'
import { eventually } from '@rivulet/test-kit'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('consumer group rebalancing', () => {
  it('3 members over 12 partitions own disjoint partitions covering all, and read every record exactly once', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 12 })
    const members = [consumer(), consumer(), consumer()]
    const log: Processed[] = []
    members.forEach((member, i) => run(`m${i}`, member, log))
    await eventually(() => members.every((member) => owned(member).length === 4), { what: 'four partitions each', timeoutMs: 20_000 })
    const all = members.flatMap(owned)
    expect(new Set(all).size).toBe(12)
    expect((await admin.describeGroup('g')).state).toBe('Stable')

    await fill(12, 5)
    await eventually(() => log.length >= 60, { what: 'every record', timeoutMs: 20_000 })
    expect(log.map(key).sort()).toEqual(everyRecord(12, 5))
    for (const [i, member] of members.entries()) {
      const mine = new Set(owned(member).map((name) => Number(name.split('-')[1])))
      expect(log.filter((entry) => entry.by === `m${i}`).every((entry) => mine.has(entry.partition))).toBe(true)
    }
  })

  it('a 4th joins and a 2nd leaves mid-stream: every record is processed, and none twice (revokes commit what was processed)', async () => {
    const { consumer, fill } = await startGroupTest(cleanups, { partitions: 12 })
    const log: Processed[] = []
    const runs = [consumer(), consumer(), consumer()].map((member, i) => ({ member, ...run(`m${i}`, member, log) }))
    await eventually(() => runs.every(({ member }) => owned(member).length === 4), { what: 'a balanced group', timeoutMs: 20_000 })
    const fourth = consumer()
    for (let round = 0; round < 10; round++) {
      // Paced by progress, not by the clock: the next round goes out once this one is being read.
      const before = log.length
      await fill(12, 3, round * 3)
      if (round === 3) runs.push({ member: fourth, ...run('m3', fourth, log) })
      if (round === 6) await runs[1].member.close()
      await eventually(() => log.length > before, { what: `records of round ${round} processed`, timeoutMs: 20_000 })
    }
    await eventually(() => distinct(log).length === 12 * 30, { what: 'every record processed', timeoutMs: 20_000 })
    expect(distinct(log)).toEqual(everyRecord(12, 30))
    expect(duplicates(log)).toEqual([])
    await eventually(() => [0, 2, 3].every((i) => owned(runs[i].member).length === 4), { what: 'the three left share the partitions', timeoutMs: 20_000 })

    const [first, second, , fourthRun] = runs
    expect(fourthRun.events.filter((event) => event.type === 'assigned').flatMap((event) => event.partitions)).toHaveLength(4)
    expect(first.events.some((event) => event.type === 'revoked')).toBe(true)
    expect(second.events.at(-1)).toMatchObject({ type: 'revoked' })
    const generations = first.events.map((event) => event.generation)
    expect([...generations].sort((a, b) => a - b)).toEqual(generations)
  })

  it('a revoke waits for the pipeline to finish the records it was handed, commits, and only then lets go', async () => {
    const { consumer, fill, cluster } = await startGroupTest(cleanups, { partitions: 2 })
    const tap = tapGroups(cluster)
    await fill(2, 5)
    const log: Processed[] = []
    // A's pipeline is stuck on its first record until A has been told to give a partition up and
    // has begun to (one turn after the answer): the revoke then finds records handed and unfinished.
    const aConsumer = consumer({ autoCommit: false })
    let revoking!: () => void
    const revokeBegun = new Promise<void>((resolve) => (revoking = resolve))
    tap.onHeartbeatReply((memberId, reply) => {
      if (memberId !== aConsumer.groupMetadata().memberId) return
      const kept = new Set(reply.assignment.map((tp) => `${tp.topic}-${tp.partition}`))
      if (owned(aConsumer).some((name) => !kept.has(name))) setImmediate(revoking)
    })
    const a = run('a', aConsumer, log, () => revokeBegun)
    await eventually(() => owned(aConsumer).length === 2 && a.counts.handed >= 1, { what: 'a first record handed', timeoutMs: 10_000 })
    const b = run('b', consumer(), log)
    await eventually(() => a.events.some((event) => event.type === 'revoked'), { what: 'a revoke', timeoutMs: 20_000 })
    const revoked = a.events.find((event) => event.type === 'revoked')!.partitions[0].partition
    // Everything A was handed of that partition was processed before the move.
    expect(log.filter((entry) => entry.by === 'a' && entry.partition === revoked)).toHaveLength(5)
    const aMemberId = aConsumer.groupMetadata().memberId
    const lastCommit = tap.commits.filter((commit) => commit.memberId === aMemberId && commit.offsets.some((o) => o.partition === revoked)).at(-1)!
    expect(lastCommit.offsets.find((o) => o.partition === revoked)!.offset).toBe(5n)
    await fill(2, 1, 5)
    await eventually(() => log.some((entry) => entry.by === 'b'), { what: 'b reads', timeoutMs: 20_000 })
    expect(log.filter((entry) => entry.by === 'b').map(key)).toEqual([`${revoked}@5`])
    expect(b.events[0]).toMatchObject({ type: 'assigned', partitions: [{ topic: 't', partition: revoked }] })
  })

  it('a pipeline slower than the revoke allows: only the records it finished after the move are read twice', async () => {
    const { consumer, fill, cluster } = await startGroupTest(cleanups, { partitions: 2 })
    const tap = tapGroups(cluster)
    await fill(2, 5)
    const log: Processed[] = []
    let stalled = false
    // The first record at offset 2 is finished only once A has given its partition up: the revoke
    // waits at most rebalanceTimeoutMs / 2 = 150 ms for it, then lets go.
    const aConsumer = consumer({ autoCommit: false, rebalanceTimeoutMs: 300 })
    const givenUp = firstValueFrom(aConsumer.rebalances$.pipe(filter((event) => event.type === 'revoked')))
    const stall = async (record: ConsumerRecord) => {
      if (record.offset === 2n && !stalled) {
        stalled = true
        await givenUp
      }
    }
    const a = run('a', aConsumer, log, stall)
    await eventually(() => stalled, { what: 'the stall', timeoutMs: 20_000 })
    const aMember = a.events.length
    run('b', consumer({ rebalanceTimeoutMs: 300 }), log)
    await eventually(() => distinct(log).length === 10 && a.events.length > aMember, { what: 'every record', timeoutMs: 20_000 })
    await eventually(() => a.counts.handed === a.counts.handled, { what: 'the stalled pipeline to finish', timeoutMs: 20_000 })
    const revoked = a.events.find((event) => event.type === 'revoked')!.partitions[0].partition
    const aMemberId = aConsumer.groupMetadata().memberId
    const committedAtMove = tap.commits.filter((commit) => commit.memberId === aMemberId && commit.offsets.some((o) => o.partition === revoked)).at(-1)!
    const atMove = committedAtMove.offsets.find((o) => o.partition === revoked)!.offset
    // B, the new owner, resumes at the commit made at the move and reads the partition to its end.
    const readByB = () => log.filter((entry) => entry.by === 'b' && entry.partition === revoked).length
    await eventually(() => readByB() >= 5 - Number(atMove), { what: 'the new owner reading the moved partition', timeoutMs: 20_000 })
    const processedByA = log.filter((entry) => entry.by === 'a' && entry.partition === revoked && entry.offset >= atMove).map(key)
    expect(processedByA.length).toBeGreaterThan(0)
    expect(duplicates(log)).toEqual(processedByA.sort())
  })
})
