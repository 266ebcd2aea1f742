import { writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../partition/test-support/records.js'
import { CorruptClusterFileError } from './broker-errors.js'
import { readTopicRegistry, topicRegistryFile, writeTopicRegistry } from './topic-registry.js'

const dirs: (() => void)[] = []
const fresh = (): string => {
  const { dir, remove } = tempDir('registry')
  dirs.push(remove)
  return dir
}
afterEach(() => {
  for (const remove of dirs.splice(0)) remove()
})

describe('topic registry', () => {
  it('reads back what was written, and nothing before the first write', () => {
    const dataDir = fresh()
    expect(readTopicRegistry(dataDir)).toBeUndefined()
    const topics = [
      { name: 'orders', partitions: 3, config: { retentionMs: 1000 }, topicId: 'id-1' },
      { name: 'a.b_c-d', partitions: 1, config: { flush: { everyMs: 5 } }, topicId: 'id-2' },
    ]
    writeTopicRegistry(dataDir, topics)
    expect(readTopicRegistry(dataDir)).toEqual({ topics, deletedTopicIds: [] })
    writeTopicRegistry(dataDir, topics.slice(1), ['id-1'])
    expect(readTopicRegistry(dataDir)).toEqual({ topics: topics.slice(1), deletedTopicIds: ['id-1'] })
  })

  it('reads a file written before topic ids and tombstones existed', () => {
    const dataDir = fresh()
    writeTopicRegistry(dataDir, [])
    writeFileSync(topicRegistryFile(dataDir), '{"version":1,"topics":[{"name":"t","partitions":2,"config":{}}]}')
    expect(readTopicRegistry(dataDir)).toEqual({ topics: [{ name: 't', partitions: 2, config: {}, topicId: undefined }], deletedTopicIds: [] })
  })

  it('refuses a corrupt file with an error naming the file and the problem', () => {
    const dataDir = fresh()
    writeTopicRegistry(dataDir, [])
    const file = topicRegistryFile(dataDir)
    const corrupt = (text: string): CorruptClusterFileError => {
      writeFileSync(file, text)
      try {
        readTopicRegistry(dataDir)
      } catch (error) {
        expect(error).toBeInstanceOf(CorruptClusterFileError)
        expect((error as CorruptClusterFileError).file).toBe(file)
        expect((error as Error).message).toContain(file)
        return error as CorruptClusterFileError
      }
      throw new Error('expected the registry to be refused')
    }
    expect(corrupt('{"version":1,"topics":[').reason).toContain('not JSON')
    expect(corrupt('{"version":2,"topics":[]}').reason).toContain('version')
    expect(corrupt('{"version":1,"topics":[{"name":"t","partitions":0,"config":{}}]}').reason).toContain('partitions')
    expect(corrupt('{"version":1,"topics":[{"name":"a b","partitions":1,"config":{}}]}').reason).toContain('invalid topic name')
    const twice = '{"version":1,"topics":[{"name":"t","partitions":1,"config":{}},{"name":"t","partitions":2,"config":{}}]}'
    expect(corrupt(twice).reason).toContain('listed twice')
  })
})
