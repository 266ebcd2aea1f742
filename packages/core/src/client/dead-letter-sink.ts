/**
 * Where a consumer sends a record that does not decode (`onDecodeError: { deadLetterTopic }`).
 * The consumer is handed one rather than making a producer itself, so the consumer never depends
 * on the producer: whoever creates both (Rivulet, a test) wires them together.
 */
import type { HeadersInput } from './records.js'

/** A record as it goes to the dead-letter topic: the fetched bytes, with headers saying why. */
export interface DeadLetter {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: HeadersInput
  readonly timestamp: number
}

export interface DeadLetterSink {
  /** Resolves once `record` is stored in `topic`; rejects if it cannot be. */
  send(topic: string, record: DeadLetter): Promise<void>
  /** Waits for what was handed over, then stops. */
  close(): Promise<void>
}
