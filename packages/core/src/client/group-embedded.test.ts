import { concatMap, firstValueFrom, from, map, of, take, timer, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@rivulet/test-kit'
import { Rivulet } from '../rivulet.js'
import { Consumer } from './consumer.js'
import { GroupConsumer } from './group-consumer.js'
import { commitOffsets } from './operators/commit-offsets.js'


describe('consumer groups through Rivulet.embedded', () => {
  it('rv.consumer({ groupId }) is a group consumer whose committed offsets survive a restart', async () => {
    const dataDir = tempDir('groups')
    const options = { dataDir, defaultTopicConfig: { flush: 'os' as const }, offsetsTopicPartitions: 2 }
    const rv = await Rivulet.embedded(options)
    await rv.admin.createTopic('orders', { partitions: 2 })
    await rv.producer().send('orders', [0, 1, 2, 3].map((i) => ({ value: `o${i}`, partition: i % 2 })))
    expect(rv.consumer()).toBeInstanceOf(Consumer)
    const billing = rv.consumer({ groupId: 'billing', autoOffsetReset: 'earliest', fetchMaxWaitMs: 20 })
    expect(billing).toBeInstanceOf(GroupConsumer)
    const firstRead = await firstValueFrom(billing.subscribe('orders').pipe(concatMap((record) => of(record)), commitOffsets(), take(4), toArray()))
    expect(firstRead.map((record) => record.value?.toString()).sort()).toEqual(['o0', 'o1', 'o2', 'o3'])
    // Closing Rivulet closes the consumer: it commits and leaves.
    await rv.close()

    const again = await Rivulet.embedded(options)
    try {
      expect(await again.admin.listGroups()).toEqual([{ groupId: 'billing', state: 'Empty' }])
      expect((await again.admin.describeGroup('billing')).offsets.map((o) => o.committed)).toEqual([2n, 2n])
      await again.producer().send('orders', { value: 'o4', partition: 0 })
      const next = again.consumer({ groupId: 'billing', autoOffsetReset: 'earliest', fetchMaxWaitMs: 20 })
      expect((await firstValueFrom(next.subscribe('orders'))).value?.toString()).toBe('o4')
    } finally {
      await again.close()
    }
  })

  it('close lets a consume-then-produce pipeline finish through its producer before closing it', async () => {
    const dataDir = tempDir('groups')
    const rv = await Rivulet.embedded({ dataDir, defaultTopicConfig: { flush: 'os' as const }, offsetsTopicPartitions: 1 })
    await rv.admin.createTopic('in', { partitions: 1 })
    await rv.admin.createTopic('out', { partitions: 1 })
    const producer = rv.producer({ lingerMs: 0 })
    await producer.send('in', { value: 'a' })
    const consumer = rv.consumer({ groupId: 'copier', autoOffsetReset: 'earliest', fetchMaxWaitMs: 20 })
    let failure: unknown
    let started!: () => void
    const inHand = new Promise<void>((resolve) => (started = resolve))
    consumer
      .subscribe('in')
      .pipe(
        concatMap((record) => {
          started()
          // Still being processed when close() is called: it must be let through the producer.
          return timer(50).pipe(concatMap(() => from(producer.send('out', { value: record.value }))), map(() => record))
        }),
        commitOffsets(),
      )
      .subscribe({ error: (error: unknown) => (failure = error) })
    await inHand
    await rv.close()
    expect(failure).toBeUndefined()

    const again = await Rivulet.embedded({ dataDir, defaultTopicConfig: { flush: 'os' as const }, offsetsTopicPartitions: 1 })
    try {
      expect((await again.admin.describeGroup('copier')).offsets.map((o) => o.committed)).toEqual([1n])
      const copied = again.consumer({ fetchMaxWaitMs: 20 }).subscribe('out', { from: 'earliest' })
      expect((await firstValueFrom(copied)).value?.toString()).toBe('a')
    } finally {
      await again.close()
    }
  })
})
