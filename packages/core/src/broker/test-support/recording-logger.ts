// A BrokerLogger for tests: keeps every line, so a test can check what an operator was told.
import type { BrokerLogger } from '../../broker-logger.js'

export interface LoggedLine {
  readonly level: 'warn' | 'error'
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>> | undefined
}

export const recordingLogger = (): BrokerLogger & { readonly lines: LoggedLine[] } => {
  const lines: LoggedLine[] = []
  return {
    lines,
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  }
}
