import { afterEach, describe, expect, it } from 'vitest'
import { UnknownMemberError } from '../group/group-errors.js'
import { owned, type Processed, run, startGroupTest, tapGroups } from './test-support/groups.js'
import { eventually } from '@rivulet/test-kit'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('fenced members', () => {
  it('a zombie whose session ran out cannot commit, drops its partitions as lost, and rejoins', async () => {
    const { consumer, fill, cluster, admin } = await startGroupTest(cleanups, { partitions: 2 })
    const tap = tapGroups(cluster)
    const short = { sessionTimeoutMs: 300, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 300 }
    const zombie = consumer({ ...short, autoCommit: false })
    const zombieEvents: string[] = []
    zombie.rebalances$.subscribe((event) => zombieEvents.push(event.type))
    let read = 0
    zombie.subscribe('t').subscribe(() => read++)
    await eventually(() => owned(zombie).length === 2, { what: 'the first member to own everything', timeoutMs: 3000 })
    const zombieId = zombie.groupMetadata().memberId!
    tap.hold(zombieId)

    const log: Processed[] = []
    const survivor = consumer(short)
    run('survivor', survivor, log)
    await eventually(() => owned(survivor).length === 2, { what: 'the survivor to take everything', timeoutMs: 3000 })
    expect((await admin.describeGroup('g')).members.map((m) => m.memberId)).toEqual([survivor.groupMetadata().memberId])

    // Still reading as if nothing happened, the zombie tries to commit what it read.
    await fill(2, 3)
    await eventually(() => read > 0 && log.length === 6, { what: 'both to read the new records', timeoutMs: 3000 })
    const error = await zombie.commit().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnknownMemberError)
    expect(error).toMatchObject({ groupId: 'g', memberId: zombieId })
    await eventually(async () => (await admin.describeGroup('g')).offsets.every((o) => o.committed === 3n), { what: "the survivor's commits", timeoutMs: 3000 })

    tap.release(zombieId)
    await eventually(() => owned(zombie).length === 1 && owned(survivor).length === 1, { what: 'the zombie back as a new member', timeoutMs: 3000 })
    expect(zombieEvents).toEqual(['assigned', 'revoked', 'lost', 'assigned'])
    expect(zombie.groupMetadata().memberId).not.toBe(zombieId)
    expect((await admin.describeGroup('g')).offsets.map((o) => o.committed)).toEqual([3n, 3n])
  })

  it('a heartbeat with a stale generation fences the member, which rejoins and reads on', async () => {
    const { consumer, fill, cluster } = await startGroupTest(cleanups, { partitions: 2 })
    const tap = tapGroups(cluster)
    const member = consumer({ heartbeatIntervalMs: 30 })
    const events: string[] = []
    member.rebalances$.subscribe((event) => events.push(event.type))
    const log: Processed[] = []
    run('m', member, log)
    await eventually(() => owned(member).length === 2)
    await fill(2, 2)
    await eventually(() => log.length === 4)
    const fenced = member.groupMetadata().memberId!
    tap.staleNextHeartbeat(fenced)
    await eventually(() => events.length === 3, { what: 'lost and assigned again', timeoutMs: 3000 })
    expect(events).toEqual(['assigned', 'lost', 'assigned'])
    expect(member.groupMetadata().memberId).not.toBe(fenced)
    await fill(2, 1, 2)
    await eventually(() => log.length >= 6, { what: 'reading on', timeoutMs: 3000 })
    // The commits made before the fencing hold: nothing is read twice.
    expect(log.map((e) => `${e.partition}@${e.offset}`).sort()).toEqual(['0@0', '0@1', '0@2', '1@0', '1@1', '1@2'])
  })
})

describe('static membership', () => {
  it('a member restarting with its groupInstanceId gets its partitions back, and nobody else moves', async () => {
    const { consumer, fill } = await startGroupTest(cleanups, { partitions: 6 })
    const log: Processed[] = []
    const [a, b, c] = ['a', 'b', 'c'].map((id) => consumer({ groupInstanceId: id }))
    const runs = [a, b, c].map((member, i) => run(['a', 'b', 'c'][i], member, log))
    await eventually(() => [a, b, c].every((member) => owned(member).length === 2), { what: 'a balanced group', timeoutMs: 5000 })
    const before = [a, b, c].map(owned)
    const eventsBefore = runs.map(({ events }) => events.length)
    await fill(6, 2)
    await eventually(() => log.length === 12)

    await b.close()
    const restarted = consumer({ groupInstanceId: 'b' })
    const again = run('b2', restarted, log)
    await eventually(() => owned(restarted).length === 2, { what: 'the restarted member assigned', timeoutMs: 3000 })
    expect(owned(restarted)).toEqual(before[1])
    expect(again.events).toHaveLength(1)
    await fill(6, 1, 2)
    await eventually(() => log.length === 18, { what: 'the new records', timeoutMs: 3000 })
    expect([a, c].map(owned)).toEqual([before[0], before[2]])
    expect([runs[0].events.length, runs[2].events.length]).toEqual([eventsBefore[0], eventsBefore[2]])
    // The restarted member went on from what its predecessor committed on close.
    const b2 = log.filter((e) => e.by === 'b2').map((e) => e.offset)
    expect(b2).toEqual([2n, 2n])
  })
})
