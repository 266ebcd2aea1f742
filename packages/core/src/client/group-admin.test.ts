import { firstValueFrom, map, take, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { UnknownPartitionError, UnknownTopicError } from '../errors.js'
import { GroupNotEmptyError, InvalidGroupIdError, InvalidOffsetError, UnknownGroupError } from '../group/group-errors.js'
import { InvalidArgumentError } from './errors.js'
import { owned, startGroupTest, valueOf } from './test-support/groups.js'
import { eventually } from '@rivulet/test-kit'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const readAll = async (consumer: ReturnType<Awaited<ReturnType<typeof startGroupTest>>['consumer']>, count: number) =>
  (await firstValueFrom(consumer.subscribe('t').pipe(take(count), map(valueOf), toArray()))).sort()

describe('Admin: consumer groups', () => {
  it('lists groups and describes a running one: members, what they own, offsets, log ends and lag', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 2 })
    expect(await admin.listGroups()).toEqual([])
    await fill(2, 5)
    const [a, b] = [consumer(), consumer()]
    const seen: string[] = []
    for (const member of [a, b]) member.subscribe('t').subscribe((record) => seen.push(valueOf(record)))
    await eventually(() => seen.length === 10 && owned(a).length === 1 && owned(b).length === 1, { what: 'both reading', timeoutMs: 3000 })
    await Promise.all([a.commit(), b.commit()])
    await fill(1, 2, 5)
    await eventually(() => seen.length === 12)

    expect(await admin.listGroups()).toEqual([{ groupId: 'g', state: 'Stable' }])
    const running = await admin.describeGroup('g')
    expect(running).toMatchObject({ groupId: 'g', state: 'Stable', assignor: 'cooperative-sticky' })
    expect(running.generation).toBeGreaterThan(0)
    expect(running.members.map((m) => m.memberId).sort()).toEqual([a.groupMetadata().memberId, b.groupMetadata().memberId].sort())
    expect(running.members.flatMap((m) => m.assignment.map((tp) => tp.partition)).sort()).toEqual([0, 1])
    expect(running.offsets).toEqual([
      { topic: 't', partition: 0, committed: 5n, logEnd: 7n, lag: 2n },
      { topic: 't', partition: 1, committed: 5n, logEnd: 5n, lag: 0n },
    ])

    await Promise.all([a.close(), b.close()])
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', state: 'Empty' }])
    const empty = await admin.describeGroup('g')
    expect(empty).toMatchObject({ state: 'Empty', members: [] })
    expect(empty.offsets.map((o) => [o.committed, o.lag])).toEqual([
      [7n, 0n],
      [5n, 0n],
    ])
  })

  it('resets the offsets of a group that is not running: to either end, a time, or an offset kept within the log', async () => {
    const { admin, consumer, producer } = await startGroupTest(cleanups, { partitions: 2 })
    await producer.send('t', [0, 1, 2, 3].flatMap((i) => [0, 1].map((partition) => ({ value: `${partition}:${i}`, partition, timestamp: 1000 * (i + 1) }))))
    await expect(admin.resetOffsets('g', { topic: 't', to: 'latest' })).resolves.toEqual([
      { topic: 't', partition: 0, offset: 4n },
      { topic: 't', partition: 1, offset: 4n },
    ])
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', state: 'Empty' }])
    await admin.resetOffsets('g', { topic: 't', to: { timestamp: 2500 }, partitions: [0] })
    await admin.resetOffsets('g', { topic: 't', to: { offset: 99 }, partitions: [1] })
    expect((await admin.describeGroup('g')).offsets.map((o) => o.committed)).toEqual([2n, 4n])
    await admin.resetOffsets('g', { topic: 't', to: { offset: 1n }, partitions: [1] })
    const reader = consumer()
    expect(await readAll(reader, 5)).toEqual(['0:2', '0:3', '1:1', '1:2', '1:3'])
    await reader.close()
    await admin.resetOffsets('g', { topic: 't', to: 'earliest' })
    expect(await readAll(consumer(), 8)).toHaveLength(8)
  })

  it('refuses to reset or delete a running group, and bad resets, with typed errors', async () => {
    const { admin, consumer } = await startGroupTest(cleanups, { partitions: 2 })
    const member = consumer()
    member.subscribe('t').subscribe()
    await eventually(() => owned(member).length === 2)
    await expect(admin.resetOffsets('g', { topic: 't', to: 'earliest' })).rejects.toBeInstanceOf(GroupNotEmptyError)
    await expect(admin.deleteGroup('g')).rejects.toBeInstanceOf(GroupNotEmptyError)
    await member.close()

    const negative = await admin.resetOffsets('g', { topic: 't', to: { offset: -1 } }).catch((e: unknown) => e)
    expect(negative).toBeInstanceOf(InvalidOffsetError)
    expect(negative).toMatchObject({ groupId: 'g', topic: 't', partition: 0, offset: -1 })
    await expect(admin.resetOffsets('g', { topic: 'nope', to: 'earliest' })).rejects.toBeInstanceOf(UnknownTopicError)
    await expect(admin.resetOffsets('g', { topic: 't', to: 'earliest', partitions: [2] })).rejects.toBeInstanceOf(UnknownPartitionError)
    const unknownTarget = await admin.resetOffsets('g', { topic: 't', to: 'start' as never }).catch((e: unknown) => e)
    expect(unknownTarget).toBeInstanceOf(InvalidArgumentError)
    expect(unknownTarget).toMatchObject({ call: 'resetOffsets', argument: 'to', value: 'start' })
  })

  it('deletes a group that is not running; unknown groups and bad ids are typed errors', async () => {
    const { admin, consumer, fill } = await startGroupTest(cleanups, { partitions: 1 })
    await fill(1, 3)
    const first = consumer()
    expect(await readAll(first, 3)).toEqual(['0:0', '0:1', '0:2'])
    await first.close()
    await admin.deleteGroup('g')
    expect(await admin.listGroups()).toEqual([])
    await expect(admin.describeGroup('g')).rejects.toBeInstanceOf(UnknownGroupError)
    await expect(admin.deleteGroup('g')).rejects.toBeInstanceOf(UnknownGroupError)
    await expect(admin.describeGroup('never-used')).rejects.toMatchObject({ _tag: 'UnknownGroupError', groupId: 'never-used' })
    await expect(admin.describeGroup('')).rejects.toBeInstanceOf(InvalidGroupIdError)
    // The group starts afresh: no committed offsets, so autoOffsetReset ('earliest' here) applies.
    expect(await readAll(consumer(), 3)).toEqual(['0:0', '0:1', '0:2'])
  })
})
