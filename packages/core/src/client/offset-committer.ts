/**
 * A group member's commits: the positions of its partitions that moved since they were last
 * committed (or fetched), sent in one CommitOffsets at a time. A commit asked for while one is
 * under way runs right after it, shared by everyone who asked meanwhile, so commits never pile
 * up and a caller's commit always covers what was acknowledged when it asked.
 *
 * A commit refused with StaleGenerationError raced a heartbeat that moved the member to a new
 * generation (the coordinator judges each commit by the member's generation): it is sent again,
 * for the partitions still owned, once the member has heard of its new generation. Timeouts and
 * failed offsets-topic appends are retried; every other failure, and a per-partition error, is
 * the commit's result.
 */
import type { MemberIdentity, OffsetToCommit } from '../group/group-messages.js'
import type { CoordinatorLink } from './coordinator-link.js'
import { isRetriable } from './retry.js'

/** What the committer needs from its member. */
export interface CommitSource {
  /** Who the member is now; undefined while it is not in the group. */
  identity(): MemberIdentity | undefined
  /** Each partition the member owns, with the offset to resume it at (undefined: not known yet). */
  positions(): Iterable<{ readonly topic: string; readonly partition: number; readonly offset: bigint | undefined }>
  /** Resolves once the member's generation is not `generation` any more, or after a while. */
  generationAfter(generation: number): Promise<void>
  readonly retryBackoffMs: number
}

const MAX_ATTEMPTS = 5

const tagOf = (error: unknown): unknown => (error as { readonly _tag?: unknown } | null)?._tag

/** A timeout, a coordinator gone, or an offsets-topic append that failed: worth another try. */
export const isTransientCommitFailure = (error: unknown): boolean => isRetriable(error) || tagOf(error) === 'OffsetPersistenceError'

export class OffsetCommitter {
  private readonly committed = new Map<string, bigint>()
  private running: Promise<void> | undefined = undefined
  private next: Promise<void> | undefined = undefined

  constructor(
    private readonly link: CoordinatorLink,
    private readonly source: CommitSource,
  ) {}

  /** The offset committed for a partition, as fetched when it was assigned. */
  known(key: string, offset: bigint): void {
    this.committed.set(key, offset)
  }

  forget(key: string): void {
    this.committed.delete(key)
  }

  clear(): void {
    this.committed.clear()
  }

  /** Commits every position that moved; resolves once it is committed (or nothing moved). */
  commit(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.run().finally(() => (this.running = undefined))
      return this.running
    }
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined
        return this.commit()
      })
    return this.next
  }

  /** A commit as soon as possible, without waiting for it; `failed` hears how it went wrong. */
  commitSoon(failed: (error: unknown) => void): void {
    if (this.next === undefined) this.commit().catch(failed)
  }

  private async run(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const member = this.source.identity()
      if (member === undefined) return
      const moved = new Map<string, OffsetToCommit>()
      for (const { topic, partition, offset } of this.source.positions()) {
        const key = keyOf(topic, partition)
        if (offset !== undefined && this.committed.get(key) !== offset) moved.set(key, { topic, partition, offset })
      }
      if (moved.size === 0) return
      const offsets = [...moved.values()]
      let results
      try {
        ;({ results } = await this.link.ask((replyTo) => ({ _tag: 'CommitOffsets', member, offsets, replyTo })))
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) throw error
        if (tagOf(error) === 'StaleGenerationError') await this.source.generationAfter(member.generation)
        else if (isTransientCommitFailure(error)) await new Promise((resolve) => setTimeout(resolve, this.source.retryBackoffMs))
        else throw error
        continue
      }
      let failure: unknown
      for (const { topic, partition, error } of results) {
        const entry = moved.get(keyOf(topic, partition))
        if (error !== undefined) failure ??= error
        else if (entry !== undefined) this.committed.set(keyOf(topic, partition), entry.offset)
      }
      if (failure !== undefined) throw failure
      return
    }
  }
}

/** The key the member and the committer share for a partition. */
export const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`
