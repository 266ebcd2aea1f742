import { concatMap, defer, firstValueFrom, map, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { ClosedError } from '../errors.js'
import { settle } from '../actor/test-support/fixtures.js'
import type { Assignor } from '../group/assignor.js'
import { InconsistentAssignorError, InvalidGroupRequestError } from '../group/group-errors.js'
import { Consumer } from './consumer.js'
import { AlreadySubscribedError, CommitWithoutGroupError, NoCommittedOffsetError } from './errors.js'
import type { RebalanceEvent } from './group-member.js'
import { commitOffsets } from './operators/commit-offsets.js'
import { Producer } from './producer.js'
import { owned, startGroupTest, tapGroups, valueOf } from './test-support/groups.js'
import { eventually } from '@rivulet/test-kit'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const committedOf = async (admin: { describeGroup(id: string): Promise<{ offsets: readonly { topic: string; partition: number; committed: bigint | undefined }[] }> }, groupId = 'g') =>
  (await admin.describeGroup(groupId)).offsets.map(({ partition, committed }) => `${partition}=${committed}`)

describe('GroupConsumer: one member', () => {
  it('is assigned every partition, reads every record, commits on close; the next member resumes there', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 3 })
    await fill(3, 4)
    const first = consumer()
    const events: RebalanceEvent[] = []
    first.rebalances$.subscribe((event) => events.push(event))
    const values = await firstValueFrom(first.subscribe('t').pipe(take(12), map(valueOf), toArray()))
    expect(values.sort()).toEqual(['0:0', '0:1', '0:2', '0:3', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1', '2:2', '2:3'])
    expect(events[0]).toMatchObject({ type: 'assigned', generation: expect.any(Number) })
    expect(events[0].partitions.map((tp) => tp.partition).sort()).toEqual([0, 1, 2])
    await first.close()
    expect(events.at(-1)).toMatchObject({ type: 'revoked' })
    expect(await committedOf(admin)).toEqual(['0=4', '1=4', '2=4'])

    await fill(3, 1, 4)
    const next = consumer()
    const more = await firstValueFrom(next.subscribe('t').pipe(take(3), map(valueOf), toArray()))
    expect(more.sort()).toEqual(['0:4', '1:4', '2:4'])
  })
})

describe('GroupConsumer: commits', () => {
  it('commitOffsets() commits what the pipeline processed, without waiting for close', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 10)
    const c = consumer({ autoCommit: false })
    const done: string[] = []
    const handle = (record: { value: Buffer | null }) => defer(async () => done.push(record.value!.toString())).pipe(map(() => record))
    const subscription = c
      .subscribe('t')
      .pipe(
        concatMap((record) => (record.offset < 6n ? handle(record) : defer(() => new Promise<never>(() => undefined)))),
        commitOffsets(),
      )
      .subscribe()
    await eventually(async () => (await committedOf(admin)).join() === '0=6', { what: 'offset 6 committed', timeoutMs: 3000 })
    expect(done).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4', '0:5'])
    subscription.unsubscribe()
  })

  it('commit() commits the records handed over (no acknowledging operator) and a new member resumes after them', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 2 })
    await fill(2, 3)
    const c = consumer({ autoCommit: false })
    const seen: string[] = []
    const subscription = c.subscribe('t').subscribe((record) => seen.push(valueOf(record)))
    await eventually(() => seen.length === 6)
    await c.commit()
    expect(await committedOf(admin)).toEqual(['0=3', '1=3'])
    subscription.unsubscribe()
    await c.close()
    await fill(2, 1, 3)
    const values = await firstValueFrom(consumer().subscribe('t').pipe(take(2), map(valueOf), toArray()))
    expect(values.sort()).toEqual(['0:3', '1:3'])
  })

  it('auto-commits every autoCommitIntervalMs while consuming', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 2 })
    await fill(2, 5)
    const c = consumer({ autoCommitIntervalMs: 20 })
    const subscription = c.subscribe('t').subscribe()
    await eventually(async () => (await committedOf(admin)).join() === '0=5,1=5', { what: 'auto-commit', timeoutMs: 3000 })
    subscription.unsubscribe()
  })

  it('a partition with nothing committed starts per autoOffsetReset and commits its start position', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 3)
    const c = consumer({ autoOffsetReset: 'latest' })
    const subscription = c.subscribe('t').subscribe()
    await eventually(() => owned(c).length === 1)
    await eventually(async () => {
      await c.commit()
      return (await committedOf(admin)).join() === '0=3'
    })
    subscription.unsubscribe()
  })

  it("with autoOffsetReset 'error', a partition without a committed offset fails with NoCommittedOffsetError", async () => {
    const { consumer } = await startGroupTest(cleanups, { partitions: 1 })
    const error = await firstValueFrom(consumer({ autoOffsetReset: 'error' }).subscribe('t')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoCommittedOffsetError)
    expect(error).toMatchObject({ groupId: 'g', topic: 't', partition: 0 })
  })

  it('commitOffsets() on a record of a consumer without a group fails with CommitWithoutGroupError', async () => {
    const { cluster, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 1)
    const plain = new Consumer(cluster.connection, { fetchMaxWaitMs: 20 })
    cleanups.push(() => plain.close())
    const error = await firstValueFrom(plain.subscribe('t', { from: 'earliest' }).pipe(commitOffsets())).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommitWithoutGroupError)
    expect((error as Error).message).toContain('t-0')
  })
})

describe('GroupConsumer: lifecycle', () => {
  it('one live subscription per consumer; closed: ClosedError; a second close is harmless; rebalances$ completes', async () => {
    const { consumer } = await startGroupTest(cleanups, { partitions: 1 })
    const c = consumer()
    let completed = false
    c.rebalances$.subscribe({ complete: () => (completed = true) })
    const first = c.subscribe('t').subscribe()
    const error = await firstValueFrom(c.subscribe('t')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlreadySubscribedError)
    await eventually(() => owned(c).length === 1)
    await c.close()
    await c.close()
    expect(first.closed).toBe(true)
    expect(completed).toBe(true)
    expect(await firstValueFrom(c.subscribe('t')).catch((e: unknown) => e)).toBeInstanceOf(ClosedError)
  })

  it('subscribes again after an unsubscribe, as a new member', async () => {
    const { consumer, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 2)
    const c = consumer()
    expect(await firstValueFrom(c.subscribe('t').pipe(take(1), map(valueOf)))).toBe('0:0')
    expect(await firstValueFrom(c.subscribe('t').pipe(take(1), map(valueOf)))).toBe('0:1')
  })
})

describe('GroupConsumer: what the coordinator refuses', () => {
  it('a session timeout outside the broker bounds fails the Observable with InvalidGroupRequestError', async () => {
    const { consumer } = await startGroupTest(cleanups, { partitions: 1, broker: { groupMinSessionTimeoutMs: 5000 } })
    const error = await firstValueFrom(consumer().subscribe('t')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidGroupRequestError)
    expect(error).toMatchObject({ field: 'sessionTimeoutMs', value: 3000 })
  })

  it('the first member chooses the assignor; a member asking for another fails with InconsistentAssignorError', async () => {
    const { admin, consumer } = await startGroupTest(cleanups, { partitions: 4 })
    const first = consumer({ assignor: 'range' })
    first.subscribe('t').subscribe()
    await eventually(() => owned(first).length === 4)
    expect((await admin.describeGroup('g')).assignor).toBe('range')
    const error = await firstValueFrom(consumer({ assignor: 'cooperative-sticky' }).subscribe('t')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InconsistentAssignorError)
    expect(error).toMatchObject({ requested: 'cooperative-sticky', current: 'range' })
  })

  it('a custom assignor decides who reads what', async () => {
    const { admin, consumer } = await startGroupTest(cleanups, { partitions: 4 })
    // Everything to the member whose id sorts first: the others idle.
    const allToOne: Assignor = {
      name: 'all-to-one',
      assign: ({ members, partitionsPerTopic }) => {
        const ids = members.map((m) => m.memberId).sort()
        const all = [...partitionsPerTopic].flatMap(([topic, count]) => Array.from({ length: count }, (_, partition) => ({ topic, partition })))
        return new Map(ids.map((id, i) => [id, i === 0 ? all : []]))
      },
    }
    const [a, b] = [consumer({ assignor: allToOne }), consumer({ assignor: allToOne })]
    a.subscribe('t').subscribe()
    await eventually(() => owned(a).length === 4)
    b.subscribe('t').subscribe()
    await eventually(() => b.groupMetadata().memberId !== undefined)
    // Stable: what the coordinator handed each member is its whole target, b's included.
    const stable = async () => {
      const group = await admin.describeGroup('g')
      return group.state === 'Stable' && group.members.length === 2
    }
    await eventually(stable, { what: 'the group stable with both members', timeoutMs: 10_000 })
    const members = (await admin.describeGroup('g')).members
    const assignedTo = (memberId: string | undefined) => members.find((member) => member.memberId === memberId)!.assignment.length
    expect([assignedTo(a.groupMetadata().memberId), assignedTo(b.groupMetadata().memberId)]).toEqual([4, 0])
    expect([owned(a).length, owned(b).length]).toEqual([4, 0])
  })

  it('a topic deleted under the consumer is revoked (its offsets dropped), and assigned again once created again', async () => {
    const { admin, cluster, consumer, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 2)
    const tap = tapGroups(cluster)
    const warnings: string[] = []
    const c = consumer({ logger: { warn: (message) => warnings.push(message) } })
    const events: RebalanceEvent[] = []
    c.rebalances$.subscribe((event) => events.push(event))
    let failure: unknown
    const seen: string[] = []
    c.subscribe('t').subscribe({ next: (record) => seen.push(valueOf(record)), error: (error: unknown) => (failure = error) })
    await eventually(() => seen.length === 2)
    await c.commit()
    // The revoke is held back, so the feed learns first that the topic is gone.
    const memberId = c.groupMetadata().memberId!
    tap.hold(memberId)
    // The heartbeat in flight may still bring news; the next one is the first held.
    await eventually(() => tap.heldCount(memberId) > 0, { what: 'a heartbeat held', timeoutMs: 10_000 })
    const lookupsBefore = cluster.metadataLookups.length
    await admin.deleteTopic('t')
    // The feed's fetch fails, it looks the topic up again and finds it gone.
    const learned = () => cluster.metadataLookups.slice(lookupsBefore).some((lookup) => lookup.topic === 't' && lookup.outcome === 'failed')
    await eventually(learned, { what: 'the consumer looking t up and finding it gone', timeoutMs: 10_000 })
    await settle()
    expect(owned(c)).toEqual(['t-0'])
    tap.release(memberId)
    await eventually(() => events.at(-1)?.type === 'revoked', { what: 'the revoke', timeoutMs: 3000 })
    expect(owned(c)).toEqual([])
    expect((await admin.describeGroup('g')).offsets).toEqual([])
    await admin.createTopic('t', { partitions: 1 })
    // A fresh producer: an idempotent one's sequences belong to the deleted partition.
    await new Producer(cluster.connection, { lingerMs: 0 }).send('t', { value: '0:7', partition: 0 })
    await eventually(() => seen.length === 3, { what: 'the topic read again', timeoutMs: 3000 })
    expect(seen[2]).toBe('0:7')
    expect(failure).toBeUndefined()
    expect(warnings.every((warning) => warning.includes('group "g"'))).toBe(true)
  })
})

describe('GroupConsumer: closing while joining', () => {
  it('the member its join made leaves at once rather than lingering for a session', async () => {
    const { admin, consumer } = await startGroupTest(cleanups, { partitions: 1 })
    const c = consumer({ sessionTimeoutMs: 60_000, heartbeatIntervalMs: 1000 })
    c.subscribe('t').subscribe()
    await c.close()
    await eventually(async () => (await admin.describeGroup('g').catch(() => ({ members: [] }))).members.length === 0, { what: 'no members', timeoutMs: 1000 })
    expect(await admin.listGroups()).toEqual([])
  })
})
