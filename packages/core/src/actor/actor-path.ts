/**
 * Actor addresses: dot-separated segments, e.g. `c1.2.partition.orders.5`, chosen so that the
 * same text is a valid NATS subject suffix (`rv.<path>`) when actors talk across nodes.
 *
 * A segment holds [A-Za-z0-9_-]; any other character of a name (a topic's `.`, a group id's
 * spaces) is written as `~XX` per UTF-8 byte, so every name maps to one segment and back.
 */
import { InvalidActorPathError } from './errors.js'

declare const actorPathBrand: unique symbol
/** A validated, encoded actor path. */
export type ActorPath = string & { readonly [actorPathBrand]: 'ActorPath' }

const plainByte = /^[A-Za-z0-9_-]$/
const validSegment = /^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$/

/** Encodes any non-empty name (a topic, a group id, a node id) as one path segment. */
export const encodePathSegment = (name: string | number): string => {
  const text = String(name)
  if (text.length === 0) throw new InvalidActorPathError({ path: text, reason: 'a segment cannot be empty' })
  let out = ''
  for (const char of text) {
    if (plainByte.test(char)) {
      out += char
      continue
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The name an encoded segment stands for. */
export const decodePathSegment = (segment: string): string => {
  if (!validSegment.test(segment)) {
    throw new InvalidActorPathError({ path: segment, reason: `segment ${JSON.stringify(segment)} is not encoded` })
  }
  if (!segment.includes('~')) return segment
  const bytes: number[] = []
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === '~') {
      bytes.push(Number.parseInt(segment.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(segment.charCodeAt(i))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Builds a path from names, encoding each: `actorPath('c1', 2, 'partition', 'orders.v2', 5)`. */
export const actorPath = (...names: readonly (string | number)[]): ActorPath => {
  if (names.length === 0) throw new InvalidActorPathError({ path: '', reason: 'a path needs at least one segment' })
  return names.map(encodePathSegment).join('.') as ActorPath
}

/** Validates already-encoded path text, e.g. one read from a NATS subject. */
export const parseActorPath = (text: string): ActorPath => {
  if (text.length === 0) throw new InvalidActorPathError({ path: text, reason: 'a path needs at least one segment' })
  const segments = text.split('.')
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]
    if (segment.length === 0) {
      throw new InvalidActorPathError({ path: text, reason: `segment ${i} is empty` })
    }
    if (!validSegment.test(segment)) {
      throw new InvalidActorPathError({
        path: text,
        reason: `segment ${i} ${JSON.stringify(segment)} may hold only [A-Za-z0-9_-] and ~XX escapes`,
      })
    }
  }
  return text as ActorPath
}

/** The path of a child named `name` under `parent`. */
export const childPath = (parent: ActorPath, name: string | number): ActorPath =>
  `${parent}.${encodePathSegment(name)}` as ActorPath

/** The names a path is made of, decoded. */
export const pathNames = (path: ActorPath): string[] => path.split('.').map(decodePathSegment)
