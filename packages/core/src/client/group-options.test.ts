import { describe, expect, it } from 'vitest'
import { rangeAssignor } from '../group/assignors/range.js'
import { roundRobinAssignor } from '../group/assignors/round-robin.js'
import { InvalidClientOptionError } from './errors.js'
import { decodeGroupConsumerOptions } from './group-options.js'
import { thrownBy } from '@rivulet/test-kit'

const errorOf = (f: () => unknown): InvalidClientOptionError => thrownBy(f, InvalidClientOptionError)

describe('group consumer options', () => {
  it("has Kafka's session timeout, auto-commit every 5 s, and the group's assignor unless one is named", () => {
    expect(decodeGroupConsumerOptions({ groupId: 'g' })).toMatchObject({
      groupId: 'g',
      groupInstanceId: undefined,
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 60_000,
      heartbeatIntervalMs: undefined,
      assignor: undefined,
      autoCommit: true,
      autoCommitIntervalMs: 5000,
      autoOffsetReset: 'latest',
      fetchMaxWaitMs: 500,
    })
    expect(decodeGroupConsumerOptions({ groupId: 'g', assignor: 'range' }).assignor).toBe(rangeAssignor)
    expect(decodeGroupConsumerOptions({ groupId: 'g', assignor: 'roundrobin' }).assignor).toBe(roundRobinAssignor)
    const custom = { name: 'mine', assign: () => new Map() }
    expect(decodeGroupConsumerOptions({ groupId: 'g', assignor: custom }).assignor).toBe(custom)
  })

  it('names the option and the value it refuses', () => {
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: '' }))).toMatchObject({ client: 'consumer', option: 'groupId', value: '' })
    expect(errorOf(() => decodeGroupConsumerOptions({} as never))).toMatchObject({ option: 'groupId', reason: 'a group consumer needs a groupId' })
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', sessionTimeoutMs: -1 })).option).toBe('sessionTimeoutMs')
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', assignor: 'sticky' as never })).reason).toMatch(/range, round-robin, roundrobin, cooperative-sticky/)
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', assignor: { name: 'x' } as never })).option).toBe('assignor')
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', autoCommit: 'yes' as never })).option).toBe('autoCommit')
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', sessionTimeoutMs: 1000, heartbeatIntervalMs: 1000 })).reason).toBe(
      'must be below sessionTimeoutMs (1000)',
    )
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', maxPollRecords: 5 } as never)).reason).toMatch(/unknown option \(known: .*groupId/)
    expect(errorOf(() => decodeGroupConsumerOptions({ groupId: 'g', fetchMaxBytes: 0 })).option).toBe('fetchMaxBytes')
  })
})
