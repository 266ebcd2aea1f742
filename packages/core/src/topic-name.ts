/**
 * Kafka's topic name rules: 1 to 249 characters of ASCII letters, digits, `.`, `_` and `-`, and
 * not `.` or `..` (they would name directories). 249 leaves room for the partition suffix and
 * the `.deleted` marker within a 255-byte file name.
 */
import { Data } from 'effect'

export const MAX_TOPIC_NAME_LENGTH = 249

export type TopicNameRule = 'empty' | 'too-long' | 'dot-name' | 'illegal-character'

/** A topic name that breaks one of Kafka's rules; `rule` says which. */
export class InvalidTopicNameError extends Data.TaggedError('InvalidTopicNameError')<{
  readonly name: string
  readonly rule: TopicNameRule
  readonly detail: string
}> {
  override get message(): string {
    return `invalid topic name ${JSON.stringify(this.name)}: ${this.detail}`
  }
}

const legal = /^[a-zA-Z0-9._-]+$/

/** Throws InvalidTopicNameError when `name` is not a legal Kafka topic name. */
export const validateTopicName = (name: string): void => {
  const fail = (rule: TopicNameRule, detail: string): never => {
    throw new InvalidTopicNameError({ name, rule, detail })
  }
  if (name.length === 0) fail('empty', 'a topic name cannot be empty')
  if (name === '.' || name === '..') fail('dot-name', 'a topic name cannot be "." or ".."')
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    fail('too-long', `a topic name is at most ${MAX_TOPIC_NAME_LENGTH} characters, this one has ${name.length}`)
  }
  if (!legal.test(name)) {
    const bad = [...name].find((char) => !legal.test(char)) as string
    fail('illegal-character', `${JSON.stringify(bad)} is not allowed; use ASCII letters, digits, ".", "_" and "-"`)
  }
}

/** Whether `name` is a legal topic name. */
export const isValidTopicName = (name: string): boolean => {
  return name.length > 0 && name.length <= MAX_TOPIC_NAME_LENGTH && name !== '.' && name !== '..' && legal.test(name)
}

/**
 * Kafka refuses a topic whose name differs from an existing one only by `.` versus `_`: both map
 * to the same metric names.
 */
export const topicNamesCollide = (a: string, b: string): boolean =>
  a.replaceAll('.', '_') === b.replaceAll('.', '_')
