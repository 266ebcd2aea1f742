/**
 * Serdes turn a record's key or value into bytes and back. Null is a tombstone (or an absent
 * key) and passes through every serde as null in both directions, as Kafka's serdes do, so a
 * typed topic's values are `T | null` on the wire.
 *
 *   const orders = topic('orders', { key: Serde.string, value: Serde.schema(Order) })
 */
import { Exit, Schema, SchemaIssue } from 'effect'
import { DeserializationError, SerializationError, type SerdeIssue } from './errors.js'

export interface SerdeContext {
  readonly topic: string
  readonly target: 'key' | 'value'
}

export interface Serde<T> {
  /** Throws SerializationError when the value cannot be written. */
  serialize(value: T | null, context: SerdeContext): Buffer | null
  /** Throws DeserializationError when the bytes are not a valid T. */
  deserialize(bytes: Buffer | null, context: SerdeContext): T | null
}

const serializeFailure = (context: SerdeContext, issues: readonly SerdeIssue[]) =>
  new SerializationError({ topic: context.topic, target: context.target, path: issues[0]?.path ?? '', issues })

const deserializeFailure = (context: SerdeContext, issues: readonly SerdeIssue[]) =>
  new DeserializationError({ topic: context.topic, target: context.target, path: issues[0]?.path ?? '', issues })

const whole = (message: string): SerdeIssue[] => [{ path: '', message }]

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The bytes as they are. */
const bytes: Serde<Buffer> = {
  serialize: (value) => value,
  deserialize: (data) => data,
}

/** UTF-8 text, as Kafka's StringSerializer; malformed bytes decode to U+FFFD as there. */
const string: Serde<string> = {
  serialize(value, context) {
    if (value === null) return null
    if (typeof value !== 'string') throw serializeFailure(context, whole(`expected a string, got ${typeof value}`))
    return Buffer.from(value, 'utf8')
  },
  deserialize: (data) => (data === null ? null : data.toString('utf8')),
}

/** JSON text in UTF-8, unchecked: `T` is the caller's claim. Use `schema` to check it. */
const json = <T>(): Serde<T> => ({
  serialize(value, context) {
    if (value === null) return null
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw serializeFailure(context, whole(`not JSON: ${reasonOf(error)}`))
    }
    if (text === undefined) throw serializeFailure(context, whole(`not JSON: ${typeof value} has no JSON form`))
    return Buffer.from(text, 'utf8')
  },
  deserialize(data, context) {
    if (data === null) return null
    try {
      return JSON.parse(data.toString('utf8')) as T
    } catch (error) {
      throw deserializeFailure(context, whole(`not JSON: ${reasonOf(error)}`))
    }
  },
})

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** `items[0].sku` from a Standard Schema path. */
const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string => {
  let out = ''
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment
    if (typeof key === 'number') out += `[${key}]`
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

const issuesOf = (error: Schema.SchemaError): SerdeIssue[] =>
  formatIssues(error.issue).issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }))

const reportAll = { errors: 'all' } as const

/**
 * JSON checked by an effect Schema: serialize encodes (validating) then writes JSON; deserialize
 * parses JSON then decodes. Errors list every failing field. The schema's encoded side must be
 * JSON; wrap a schema with `Schema.toCodecJson` to get JSON forms for dates, bigints and the like.
 */
const schema = <S extends Schema.Codec<unknown, unknown, never, never>>(codec: S): Serde<S['Type']> => {
  const encode = Schema.encodeUnknownExit(codec, reportAll)
  const decode = Schema.decodeUnknownExit(codec, reportAll)
  const text = json<unknown>()
  return {
    serialize(value, context) {
      if (value === null) return null
      const encoded = encode(value)
      if (Exit.isFailure(encoded)) throw serializeFailure(context, failureIssues(encoded))
      return text.serialize(encoded.value, context)
    },
    deserialize(data, context) {
      if (data === null) return null
      const decoded = decode(text.deserialize(data, context))
      if (Exit.isFailure(decoded)) throw deserializeFailure(context, failureIssues(decoded))
      return decoded.value
    },
  }
}

const failureIssues = (exit: Exit.Failure<unknown, Schema.SchemaError>): SerdeIssue[] => {
  for (const reason of exit.cause.reasons) {
    if (reason._tag === 'Fail') return issuesOf(reason.error)
    // A transformation that threw rather than reporting an issue.
    if (reason._tag === 'Die') return whole(`schema failed: ${reasonOf(reason.defect)}`)
  }
  return whole(String(exit.cause))
}

export const Serde = { bytes, string, json, schema } as const
