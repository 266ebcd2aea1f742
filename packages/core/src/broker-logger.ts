/**
 * Where the broker and its partitions say what an operator must hear: damage found at open, a
 * descriptor limit too low, a full disk. The default writes one line to stderr; embedders pass
 * their own (pino, winston...) through `Rivulet.embedded({ logger })`.
 */
export interface BrokerLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void
  error(message: string, fields?: Readonly<Record<string, unknown>>): void
}

const line = (message: string, fields?: Readonly<Record<string, unknown>>): string =>
  fields === undefined ? `[rivulet] ${message}` : `[rivulet] ${message} ${JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`

export const consoleBrokerLogger: BrokerLogger = {
  warn: (message, fields) => console.warn(line(message, fields)),
  error: (message, fields) => console.error(line(message, fields)),
}
