import { defaultLogConfig } from '@rivulet/storage'
import { describe, expect, it } from 'vitest'
import { decodeBrokerConfig } from './broker-config.js'
import { InvalidBrokerConfigError } from './broker-errors.js'

const failure = (input: unknown): InvalidBrokerConfigError => {
  try {
    decodeBrokerConfig(input)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidBrokerConfigError)
    return error as InvalidBrokerConfigError
  }
  throw new Error('expected the config to be refused')
}

describe('decodeBrokerConfig', () => {
  it('fills every default around the data directory', () => {
    expect(decodeBrokerConfig({ dataDir: '/data' })).toEqual({
      dataDir: '/data',
      clusterId: 'local',
      nodeId: 0,
      autoCreateTopics: false,
      defaultPartitions: 1,
      defaultTopicConfig: defaultLogConfig,
      retentionCheckIntervalMs: 300_000,
      offsetsTopicPartitions: 10,
      offsetsTopicSegmentBytes: 104_857_600,
      groupHeartbeatIntervalMs: 3000,
      groupMinSessionTimeoutMs: 1000,
      groupMaxSessionTimeoutMs: 1_800_000,
      maxPartitionsPerTopic: 10_000,
    })
  })

  it('keeps what is given and lays the topic defaults over storage defaults', () => {
    const config = decodeBrokerConfig({
      dataDir: '/data',
      clusterId: 'c1',
      nodeId: 3,
      autoCreateTopics: true,
      defaultPartitions: 6,
      defaultTopicConfig: { retentionMs: 1000, flush: 'os' },
      retentionCheckIntervalMs: 50,
    })
    expect(config.nodeId).toBe(3)
    expect(config.defaultTopicConfig).toEqual({ ...defaultLogConfig, retentionMs: 1000, flush: 'os' })
  })

  it('names the setting that is missing, unknown or bad', () => {
    expect(failure({}).key).toBe('dataDir')
    expect(failure({ dataDir: '' }).key).toBe('dataDir')
    expect(failure({ dataDir: '/d', nodeId: -1 }).key).toBe('nodeId')
    expect(failure({ dataDir: '/d', nodeId: 1.5 }).key).toBe('nodeId')
    expect(failure({ dataDir: '/d', defaultPartitions: 0 }).key).toBe('defaultPartitions')
    expect(failure({ dataDir: '/d', autoCreateTopics: 'yes' }).key).toBe('autoCreateTopics')
    expect(failure({ dataDir: '/d', retentionCheckIntervalMs: 0 }).key).toBe('retentionCheckIntervalMs')
    const unknown = failure({ dataDir: '/d', dataDirectory: '/x' })
    expect(unknown.key).toBe('dataDirectory')
    expect(unknown.message).toContain('unknown setting')
    const topic = failure({ dataDir: '/d', defaultTopicConfig: { retentionMs: 'long' } })
    expect(topic.key).toBe('defaultTopicConfig.retentionMs')
    expect(topic.message).toContain('defaultTopicConfig.retentionMs="long"')
    expect(failure(null).key).toBe('(config)')
    expect(failure({ dataDir: '/d', offsetsTopicPartitions: 0 }).key).toBe('offsetsTopicPartitions')
    expect(failure({ dataDir: '/d', offsetsTopicSegmentBytes: 2 ** 31 }).key).toBe('offsetsTopicSegmentBytes')
    expect(failure({ dataDir: '/d', groupHeartbeatIntervalMs: -1 }).key).toBe('groupHeartbeatIntervalMs')
    const sessions = failure({ dataDir: '/d', groupMinSessionTimeoutMs: 5000, groupMaxSessionTimeoutMs: 4000 })
    expect(sessions.key).toBe('groupMinSessionTimeoutMs')
    expect(sessions.message).toContain('groupMaxSessionTimeoutMs')
  })

  it('refuses keys a plain object inherits, names keys nested in defaultTopicConfig, and suggests the nearest setting', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(failure({ dataDir: '/d', [key]: 1 })).toMatchObject({ key, reason: expect.stringMatching(/^unknown setting/) })
    }
    expect(failure(JSON.parse('{"dataDir": "/d", "__proto__": {"nodeId": 3}}')).key).toBe('__proto__')
    expect(failure({ dataDir: '/d', defaultTopicConfig: { constructor: 1 } }).key).toBe('defaultTopicConfig.constructor')
    expect(failure({ dataDir: '/d', defaultTopicConfig: { flush: { everyMs: 5, extra: true } } })).toMatchObject({ key: 'defaultTopicConfig.flush.extra', value: true })
    expect(failure({ dataDir: '/d', defaultPartition: 3 }).reason).toMatch(/^unknown setting \(did you mean "defaultPartitions"\? known: dataDir, /)
  })
})
