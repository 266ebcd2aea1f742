// Model-based test of ProducerStateManager over a real Log: producers send, retry, skip sequences,
// bump epochs and send as zombies; snapshots, reopens (some with a damaged snapshot) and truncations
// come in between. The model is the list of batches in the log: a producer's state is whatever its
// last batches there say.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Log } from './log.js'
import { ProducerStateManager, type ProducerEntry, type SequenceCheck } from './producer-state.js'
import { baseOffsetAt, baseSequenceAt, batchSizeAt, lastOffsetAt, producerEpochAt, producerIdAt } from './record-batch/batch-header.js'
import { encodeRecordBatch } from './record-batch/encoder.js'

interface ModelBatch {
  readonly producerId: bigint
  readonly epoch: number
  readonly firstSeq: number
  readonly count: number
  readonly firstOffset: bigint
  readonly maxTimestamp: number
}
interface Model {
  batches: ModelBatch[]
  /** What each producer believes its epoch and next sequence are. */
  readonly clients: Map<bigint, { epoch: number; nextSeq: number }>
  clock: number
}
interface Real {
  readonly dir: string
  readonly config: { readonly segmentBytes: number; readonly flush: 'os' }
  log: Log
  psm: ProducerStateManager
}

const PRODUCERS = [1n, 2n, 2n ** 40n]
const lastOffsetOf = (b: ModelBatch) => b.firstOffset + BigInt(b.count - 1)
const logEndOf = (model: Model) => (model.batches.length === 0 ? 0n : lastOffsetOf(model.batches[model.batches.length - 1]!) + 1n)
const clientOf = (model: Model, p: bigint) => {
  if (!model.clients.has(p)) model.clients.set(p, { epoch: 0, nextSeq: 0 })
  return model.clients.get(p)!
}

/** A producer's epoch and cached batches: its newest batches in the log of the newest one's epoch, at most 5. */
const stateOf = (model: Model, p: bigint): { epoch: number; cached: ModelBatch[] } | undefined => {
  const mine = model.batches.filter((b) => b.producerId === p)
  if (mine.length === 0) return undefined
  const epoch = mine[mine.length - 1]!.epoch
  let first = mine.length - 1
  while (first > 0 && mine[first - 1]!.epoch === epoch) first--
  return { epoch, cached: mine.slice(first).slice(-5) }
}

const expectedCheck = (model: Model, p: bigint, epoch: number, seq: number, count: number): SequenceCheck => {
  if (p < 0n) return { kind: 'append' }
  const state = stateOf(model, p)
  if (state === undefined || epoch > state.epoch) {
    return seq === 0 ? { kind: 'append' } : { kind: 'out-of-order', expectedSequence: 0, receivedSequence: seq }
  }
  if (epoch < state.epoch) return { kind: 'fenced', currentEpoch: state.epoch }
  const same = state.cached.find((b) => b.firstSeq === seq && b.count === count)
  if (same !== undefined) return { kind: 'duplicate', baseOffset: same.firstOffset, lastOffset: lastOffsetOf(same) }
  const newest = state.cached[state.cached.length - 1]!
  const expectedSequence = newest.firstSeq + newest.count
  return seq === expectedSequence ? { kind: 'append' } : { kind: 'out-of-order', expectedSequence, receivedSequence: seq }
}

const expectedEntries = (model: Model): ProducerEntry[] =>
  [...new Set(model.batches.map((b) => b.producerId).filter((p) => p >= 0n))]
    .sort((a, b) => (a < b ? -1 : 1))
    .map((p) => {
      const { epoch, cached } = stateOf(model, p)!
      const batches = cached.map((b) => ({
        firstSeq: b.firstSeq,
        lastSeq: b.firstSeq + b.count - 1,
        firstOffset: b.firstOffset,
        lastOffset: lastOffsetOf(b),
        maxTimestamp: b.maxTimestamp,
      }))
      const newest = batches[batches.length - 1]!
      return { producerId: p, producerEpoch: epoch, lastSeq: newest.lastSeq, lastOffset: newest.lastOffset, lastTimestamp: newest.maxTimestamp, batches }
    })

/** Sends one batch as the partition actor would, checking the answer against the model's. */
const deliver = (model: Model, real: Real, p: bigint, epoch: number, seq: number, count: number): SequenceCheck => {
  const timestamps = Array.from({ length: count }, () => ++model.clock)
  const bytes = encodeRecordBatch(
    timestamps.map((timestamp, i) => ({ key: null, value: Buffer.from(`${p}:${seq + i}`), timestamp })),
    { producerId: p, producerEpoch: epoch, baseSequence: seq },
  )
  const expected = expectedCheck(model, p, epoch, seq, count)
  const actual = real.psm.checkBatch(bytes)
  expect(actual).toEqual(expected)
  if (actual.kind === 'append') {
    const { baseOffset } = real.log.appendUnflushed(bytes)
    expect(baseOffset).toBe(logEndOf(model))
    real.psm.onAppendBatch(bytes)
    model.batches.push({ producerId: p, epoch, firstSeq: seq, count, firstOffset: baseOffset, maxTimestamp: model.clock })
  }
  return actual
}

/** The batch headers in the log equal the model's batches, and no producer sequence is there twice. */
const verifyLogContents = async (model: Model, log: Log) => {
  const found: Array<[bigint, number, number, bigint, bigint]> = []
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const { bytes } = await log.read(offset, { maxBytes: 1 })
    for (let at = 0; at < bytes.length; at += batchSizeAt(bytes, at)) {
      found.push([producerIdAt(bytes, at), producerEpochAt(bytes, at), baseSequenceAt(bytes, at), baseOffsetAt(bytes, at), lastOffsetAt(bytes, at)])
      offset = lastOffsetAt(bytes, at) + 1n
    }
  }
  expect(found).toEqual(model.batches.map((b) => [b.producerId, b.epoch, b.producerId < 0n ? -1 : b.firstSeq, b.firstOffset, lastOffsetOf(b)]))
  const sequenced = found.filter(([p]) => p >= 0n).map(([p, epoch, seq]) => `${p}/${epoch}/${seq}`)
  expect(new Set(sequenced).size).toBe(sequenced.length)
}

abstract class Step implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    await this.apply(model, real)
    expect(real.log.logEndOffset).toBe(logEndOf(model))
    expect(real.psm.allProducers()).toEqual(expectedEntries(model))
  }
  abstract apply(model: Model, real: Real): Promise<void>
  abstract toString(): string
}

type SendKind = 'next' | 'gap' | 'zombie'
class Send extends Step {
  constructor(readonly producer: number, readonly kind: SendKind, readonly count: number, readonly gap: number) {
    super()
  }
  async apply(model: Model, real: Real) {
    const p = PRODUCERS[this.producer]!
    const client = clientOf(model, p)
    if (this.kind === 'next') {
      const result = deliver(model, real, p, client.epoch, client.nextSeq, this.count)
      if (result.kind === 'append') client.nextSeq += this.count
      // What a Kafka idempotent producer does when its sequence is refused: bump the epoch, restart at 0.
      else if (result.kind === 'out-of-order') Object.assign(client, { epoch: client.epoch + 1, nextSeq: 0 })
    } else if (this.kind === 'gap') {
      const seq = client.nextSeq + this.gap >= 0 ? client.nextSeq + this.gap : client.nextSeq - this.gap
      deliver(model, real, p, client.epoch, seq, this.count)
    } else if (client.epoch > 0) {
      deliver(model, real, p, client.epoch - 1, 0, this.count)
    }
  }
  toString = () => `send(${this.producer}, ${this.kind}, ${this.count}${this.kind === 'gap' ? `, ${this.gap}` : ''})`
}

class Retry extends Step {
  constructor(readonly producer: number, readonly back: number) {
    super()
  }
  async apply(model: Model, real: Real) {
    const p = PRODUCERS[this.producer]!
    const mine = model.batches.filter((b) => b.producerId === p)
    const original = mine[mine.length - 1 - this.back]
    if (original !== undefined) deliver(model, real, p, original.epoch, original.firstSeq, original.count)
  }
  toString = () => `retry(${this.producer}, ${this.back} back)`
}

class SendPlain extends Step {
  constructor(readonly count: number) {
    super()
  }
  async apply(model: Model, real: Real) {
    deliver(model, real, -1n, -1, -1, this.count)
  }
  toString = () => `plain(${this.count})`
}

class BumpEpoch extends Step {
  constructor(readonly producer: number) {
    super()
  }
  async apply(model: Model) {
    Object.assign(clientOf(model, PRODUCERS[this.producer]!), { epoch: clientOf(model, PRODUCERS[this.producer]!).epoch + 1, nextSeq: 0 })
  }
  toString = () => `bump(${this.producer})`
}

class Snapshot extends Step {
  async apply(_: Model, real: Real) {
    await real.psm.takeSnapshot(real.log.logEndOffset)
  }
  toString = () => 'snapshot'
}

class Reopen extends Step {
  constructor(readonly damage: 'none' | 'flip' | 'cut', readonly at: number) {
    super()
  }
  async apply(model: Model, real: Real) {
    const before = real.psm.allProducers()
    await real.log.close()
    const snapshots = readdirSync(real.dir).filter((name) => name.endsWith('.snapshot')).sort()
    const newest = snapshots.length > 0 && this.damage !== 'none' ? join(real.dir, snapshots[snapshots.length - 1]!) : undefined
    if (newest !== undefined) {
      const bytes = readFileSync(newest)
      const position = Math.floor(this.at * bytes.length)
      if (this.damage === 'cut') truncateSync(newest, position)
      else writeFileSync(newest, Buffer.from(bytes.map((byte, i) => (i === position ? byte ^ 0x41 : byte))))
    }
    real.log = await Log.open(real.dir, real.config)
    real.psm = await ProducerStateManager.load(real.dir, real.log)
    expect(real.psm.allProducers()).toEqual(before)
    expect(real.psm.lastLoad.discardedSnapshots).toHaveLength(newest === undefined ? 0 : 1)
    await verifyLogContents(model, real.log)
  }
  toString = () => `reopen(${this.damage}${this.damage === 'none' ? '' : ` at ${this.at.toFixed(2)}`})`
}

/** Truncates to `at` of the log end, or `recordsBack` records below it (the common follower case). */
class Truncate extends Step {
  constructor(readonly at: number, readonly recordsBack: number | undefined) {
    super()
  }
  async apply(model: Model, real: Real) {
    const end = logEndOf(model)
    const back = BigInt(this.recordsBack ?? 0)
    const offset = this.recordsBack === undefined ? BigInt(Math.floor(this.at * Number(end + 1n))) : end > back ? end - back : 0n
    await real.log.truncateTo(offset)
    await real.psm.truncateTo(offset, real.log)
    model.batches = model.batches.filter((b) => lastOffsetOf(b) < offset)
  }
  toString = () => `truncate(${this.recordsBack === undefined ? this.at.toFixed(2) : `${this.recordsBack} back`})`
}

// Producer 0 sends most, so its 5-batch cache fills and overflows often.
const producer = fc.constantFrom(0, 0, 0, 1, 2)
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const next = fc.tuple(producer, fc.integer({ min: 1, max: 3 })).map(([p, count]) => new Send(p, 'next', count, 0))
const retry = fc.tuple(producer, fc.nat(6)).map(([p, back]) => new Retry(p, back))
const commands = fc.commands(
  [
    next,
    next,
    next,
    next,
    next,
    retry,
    retry,
    retry,
    fc.tuple(producer, fc.integer({ min: 1, max: 3 }), fc.constantFrom(-3, -2, -1, 1, 2, 3)).map(
      ([p, count, gap]) => new Send(p, 'gap', count, gap),
    ),
    fc.tuple(producer, fc.integer({ min: 1, max: 2 })).map(([p, count]) => new Send(p, 'zombie', count, 0)),
    fc.integer({ min: 1, max: 3 }).map((count) => new SendPlain(count)),
    producer.map((p) => new BumpEpoch(p)),
    fc.constant(new Snapshot()),
    fc.tuple(fc.constantFrom('none' as const, 'none' as const, 'flip' as const, 'cut' as const), fraction).map(
      ([damage, at]) => new Reopen(damage, at),
    ),
    fc.tuple(fraction, fc.option(fc.integer({ min: 1, max: 8 }), { freq: 3, nil: undefined })).map(
      ([at, recordsBack]) => new Truncate(at, recordsBack),
    ),
  ],
  { maxCommands: 100, size: 'max' },
)

describe('ProducerStateManager against a model of the log', () => {
  it('answers every batch as the model does and rebuilds the same state after reopen and truncation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 150, max: 1_000 }), commands, async (segmentBytes, cmds) => {
        const dir = mkdtempSync(join(tmpdir(), 'rivulet-pstate-model-'))
        const config = { segmentBytes, flush: 'os' as const }
        const log = await Log.open(dir, config)
        const real: Real = { dir, config, log, psm: await ProducerStateManager.load(dir, log) }
        const model: Model = { batches: [], clients: new Map(), clock: 1_700_000_000_000 }
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds)
          await verifyLogContents(model, real.log)
        } finally {
          await real.log.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }),
      { numRuns: 100 },
    )
  })
})
