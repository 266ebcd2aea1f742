/**
 * How `consume` prints a record: its default line, a JSON line, or a kcat format string
 * (`-f '%t %p %o %k %s %T %h\n'`). A format is parsed once into parts, so printing a record does
 * no parsing; an unknown token is refused by name before anything is read.
 */
import type { ConsumerRecord } from '@rivulet/core'
import { InvalidArgumentError } from 'commander'
import { jsonLine } from '../common.js'

export type RecordPrinter = (record: ConsumerRecord) => string

const text = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'))

const headerText = (record: ConsumerRecord): string => record.headers.map((h) => `${h.key}=${text(h.value) ?? ''}`).join(',')

export const defaultLine: RecordPrinter = (record) => {
  const headers = record.headers.length === 0 ? '' : ` headers=${headerText(record)}`
  return `partition=${record.partition} offset=${record.offset} timestamp=${record.timestamp} key=${text(record.key) ?? 'null'} value=${text(record.value) ?? 'null'}${headers}`
}

export const jsonRecord: RecordPrinter = (record) =>
  jsonLine({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: text(record.key),
    value: text(record.value),
    headers: record.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  })

/** kcat's tokens that Rivulet prints; kcat prints an empty key or value for null, and so do we. */
const tokens: { readonly [token: string]: RecordPrinter } = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => text(r.key) ?? '',
  s: (r) => text(r.value) ?? '',
  K: (r) => String(r.key === null ? -1 : r.key.length),
  S: (r) => String(r.value === null ? -1 : r.value.length),
  T: (r) => String(r.timestamp),
  h: headerText,
}

const escapes: { readonly [c: string]: string } = { n: '\n', t: '\t', r: '\r', '\\': '\\', '0': '\0' }

/**
 * A printer for a kcat format. The result is written as is (the format says where lines end);
 * a format without a trailing newline runs records together, as kcat does.
 */
export const parseFormat = (format: string): RecordPrinter => {
  const parts: (string | RecordPrinter)[] = []
  let literal = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!
    if (c === '\\' && i + 1 < format.length) {
      const escaped = escapes[format[i + 1]!]
      if (escaped === undefined) throw new InvalidArgumentError(`--format: unknown escape "\\${format[i + 1]}" at character ${i + 1} (known: \\n \\t \\r \\0 \\\\)`)
      literal += escaped
      i++
    } else if (c === '%') {
      const token = format[i + 1]
      if (token === '%') {
        literal += '%'
      } else if (token !== undefined && Object.prototype.hasOwnProperty.call(tokens, token)) {
        if (literal !== '') parts.push(literal)
        literal = ''
        parts.push(tokens[token]!)
      } else {
        const shown = token === undefined ? 'a lone % at the end' : `"%${token}"`
        throw new InvalidArgumentError(`--format: unsupported token ${shown} at character ${i + 1} (known: ${Object.keys(tokens).map((t) => `%${t}`).join(' ')} %%)`)
      }
      i++
    } else {
      literal += c
    }
  }
  if (literal !== '') parts.push(literal)
  return (record) => {
    let line = ''
    for (const part of parts) line += typeof part === 'string' ? part : part(record)
    return line
  }
}
