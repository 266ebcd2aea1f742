/**
 * The one decoder of settings objects from outside (the log config, the broker config, the
 * clients' options): each key is looked up in a table of effect Schemas and decoded by its own,
 * so a failure names the key, the value given and what was expected. Unknown keys, and unknown
 * keys inside an object-valued setting, are refused by name with the nearest known one. What a
 * failure becomes is the caller's: each config has its own tagged error.
 * The decoder returns only what was given; each config lays it over its one table of defaults.
 */
import { Schema } from 'effect'
import { isKnownKey, unknownKeyReason } from './unknown-key.js'

export interface ConfigFields {
  /** 'setting' or 'option': how an unknown key is spoken of. */
  readonly what: string
  /** The key a non-object input is refused under: '(config)', '(options)'. */
  readonly whole: string
  readonly fields: { readonly [key: string]: Schema.Codec<unknown, unknown> }
  /** The keys an object-valued setting may hold (`flush: ['everyMs']`). */
  readonly nested?: { readonly [key: string]: readonly string[] }
  /** Settings decoded by a function of their own (a nested config with its own errors). */
  readonly custom?: { readonly [key: string]: (value: unknown) => unknown }
  /** Known keys the caller took out before decoding: listed and suggested, never decoded here. */
  readonly alsoKnown?: readonly string[]
}

/** Builds the caller's error for a key, the value given and why it was refused. */
export type RefuseSetting = (key: string, value: unknown, reason: string) => Error

const firstLine = (cause: unknown): string => (cause instanceof Error ? cause.message.split('\n')[0]! : String(cause))

/**
 * The given settings, decoded, without defaults; undefined values count as not given.
 * `input` must be an object (or undefined, for nothing given).
 */
export const decodeConfigFields = (shape: ConfigFields, input: unknown, refuse: RefuseSetting): Record<string, unknown> => {
  if (input === undefined) return {}
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw refuse(shape.whole, input, 'expected an object')
  const decoded: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    const custom = shape.custom !== undefined && isKnownKey(shape.custom, key) ? shape.custom[key]! : undefined
    if (custom !== undefined) {
      decoded[key] = custom(value)
      continue
    }
    if (!isKnownKey(shape.fields, key)) {
      const known = [...Object.keys(shape.fields), ...Object.keys(shape.custom ?? {}), ...(shape.alsoKnown ?? [])]
      throw refuse(key, value, unknownKeyReason(shape.what, key, known))
    }
    const nested = shape.nested !== undefined && isKnownKey(shape.nested, key) ? shape.nested[key]! : undefined
    if (nested !== undefined && typeof value === 'object' && value !== null) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (!nested.includes(inner)) throw refuse(`${key}.${inner}`, innerValue, unknownKeyReason(`key in ${key}`, inner, nested))
      }
    }
    try {
      decoded[key] = Schema.decodeUnknownSync(shape.fields[key]!)(value)
    } catch (cause) {
      throw refuse(key, value, firstLine(cause))
    }
  }
  return decoded
}
