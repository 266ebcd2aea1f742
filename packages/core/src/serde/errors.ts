/** Failures turning a record's key or value into bytes and back, naming the topic and the field. */
import { Data } from 'effect'

/** One thing wrong with a value: where (`items[0].sku`; empty for the value itself) and what. */
export interface SerdeIssue {
  readonly path: string
  readonly message: string
}

interface SerdeFailure {
  readonly topic: string
  /** Whether the record's key or its value failed. */
  readonly target: 'key' | 'value'
  /** Path of the first issue; empty when the value as a whole is wrong (e.g. not JSON). */
  readonly path: string
  readonly issues: readonly SerdeIssue[]
}

const describeIssues = (issues: readonly SerdeIssue[]): string =>
  issues.map((issue) => (issue.path === '' ? issue.message : `at ${issue.path}: ${issue.message}`)).join('; ')

/** A key or value that its serde refused to write; nothing was sent. */
export class SerializationError extends Data.TaggedError('SerializationError')<SerdeFailure> {
  override get message(): string {
    return `cannot serialize the ${this.target} for topic "${this.topic}": ${describeIssues(this.issues)}`
  }
}

/** Bytes read from a topic that its serde cannot turn into a key or value. */
export class DeserializationError extends Data.TaggedError('DeserializationError')<SerdeFailure> {
  override get message(): string {
    return `cannot deserialize the ${this.target} from topic "${this.topic}": ${describeIssues(this.issues)}`
  }
}
