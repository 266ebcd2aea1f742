// The dependency arrows of DESIGN.md, checked on every source file so they cannot drift back.
// Packages: storage, transport <- core <- cli / examples. Inside core, the layers run
// actor <- partition <- group <- broker, with serde and partitioning (key hashing) below the
// client; the client talks to the broker through its protocol and errors only. Root modules of
// core (errors, topic names, internal topics, the broker logger) are shared by every layer; the
// entry points (index, internal, rivulet, log-tools) sit on top. Tests (*.test.ts) may reach
// across, since an integration test assembles the layers; test-support modules keep their folder's
// arrows, except the client's, which boots a real broker to test against (the broker never
// imports the client, so no cycle comes of it). Tests and test-support modules of every package
// share @rivulet/test-kit; the code they test never imports it.
import { describe, expect, it } from 'vitest'
import { type ImportEdge, importsOf, sourceFiles } from './import-graph.js'

const packageOf = (specifier: string): string | null => specifier.match(/^(@rivulet\/[^/]+)/)?.[1] ?? null

const isTestCode = (file: string): boolean => file.endsWith('.test.ts') || file.includes('/test-support/')

/** Which @rivulet packages each workspace may import (itself excluded). */
const PACKAGE_ARROWS: Readonly<Record<string, readonly string[]>> = {
  'packages/test-kit': [],
  'packages/storage': [],
  'packages/transport': [],
  'packages/core': ['@rivulet/storage', '@rivulet/transport'],
  'packages/cli': ['@rivulet/core'],
  examples: ['@rivulet/core'],
}

describe('package arrows', () => {
  for (const [dir, allowed] of Object.entries(PACKAGE_ARROWS)) {
    it(`${dir} imports ${allowed.length === 0 ? 'no other Rivulet package' : `only ${allowed.join(', ')}`}`, () => {
      const wrong = sourceFiles(dir)
        .flatMap(importsOf)
        .filter((edge) => {
          const name = packageOf(edge.specifier)
          return name !== null && !allowed.includes(name) && !(name === '@rivulet/test-kit' && isTestCode(edge.file))
        })
        .map((edge) => `${edge.file} -> ${edge.specifier}`)
      expect(wrong).toEqual([])
    })
  }
})

const CORE = 'packages/core/src/'
const ENTRY_POINTS = new Set(['index.ts', 'internal.ts', 'rivulet.ts', 'log-tools.ts'])

/** The core folder a file belongs to ('' for core's root modules); null outside core's sources. */
const layerOf = (file: string): string | null => {
  if (!file.startsWith(CORE)) return null
  const rest = file.slice(CORE.length)
  const slash = rest.indexOf('/')
  return slash === -1 ? '' : rest.slice(0, slash)
}

/** The core folders each folder's code may import, besides itself and core's shared root modules. */
const LAYER_ARROWS: Readonly<Record<string, readonly string[]>> = {
  actor: [],
  serde: [],
  partitioning: [],
  partition: ['actor'],
  group: ['actor', 'partition', 'partitioning'],
  broker: ['actor', 'partition', 'partitioning', 'group'],
  client: ['actor', 'serde', 'partitioning', 'partition', 'group'],
  'test-support': [],
}
/** What the client may see of the broker: the messages it sends and the errors it can get back. */
const BROKER_FACE = new Set([`${CORE}broker/broker-protocol.ts`, `${CORE}broker/broker-errors.ts`])

const breaks = (edge: ImportEdge): boolean => {
  const from = layerOf(edge.file)
  const to = edge.target === null ? null : layerOf(edge.target)
  if (from === null || from === '' || to === null || to === from) return false
  if (to === '') return ENTRY_POINTS.has(edge.target!.slice(CORE.length))
  // Every layer may use the test-support at core's root (small assertion helpers) in its own test support.
  if (to === 'test-support' && edge.file.includes('/test-support/')) return false
  if (from === 'client' && to === 'broker') return !(BROKER_FACE.has(edge.target!) || edge.file.startsWith(`${CORE}client/test-support/`))
  const allowed = LAYER_ARROWS[from]
  if (allowed === undefined) throw new Error(`no arrows declared for core folder ${from}/ (add it to LAYER_ARROWS)`)
  return !allowed.includes(to)
}

describe('layer arrows inside core', () => {
  const edges = sourceFiles('packages/core/src')
    .filter((file) => !file.endsWith('.test.ts'))
    .flatMap(importsOf)

  it('every folder imports only the layers below it', () => {
    expect(edges.filter(breaks).map((edge) => `${edge.file} -> ${edge.specifier}`)).toEqual([])
  })

  it('the checker sees the imports it checks', () => {
    // Guards the regex: if it stopped matching, every arrow would pass.
    const offsetsTopic = edges.filter((edge) => edge.file === `${CORE}group/offsets-topic.ts`).map((edge) => edge.specifier)
    expect(offsetsTopic).toContain('../partitioning/murmur2.js')
    expect(breaks({ file: `${CORE}group/offsets-topic.ts`, specifier: '../client/partitioner.js', target: `${CORE}client/partitioner.ts` })).toBe(true)
    expect(breaks({ file: `${CORE}client/consumer.ts`, specifier: '../broker/broker-actor.js', target: `${CORE}broker/broker-actor.ts` })).toBe(true)
    expect(breaks({ file: `${CORE}group/x.ts`, specifier: '../rivulet.js', target: `${CORE}rivulet.ts` })).toBe(true)
  })
})

describe('the consumer and the producer', () => {
  // The consumer is handed a dead-letter sink; only what creates both wires a producer into it.
  const WIRING = new Set([`${CORE}client/index.ts`, `${CORE}client/producer-dead-letters.ts`, `${CORE}client/operators/produce.ts`])

  it('only the wiring imports the producer inside the client', () => {
    const importers = sourceFiles('packages/core/src/client')
      .filter((file) => !file.endsWith('.test.ts') && !file.includes('/test-support/'))
      .flatMap(importsOf)
      .filter((edge) => edge.target === `${CORE}client/producer.ts` && !WIRING.has(edge.file))
      .map((edge) => edge.file)
    expect(importers).toEqual([])
  })
})
