/**
 * `--config-file`: topic configs from a file, as Kafka's tools take them: a .properties file
 * (`key=value` lines, `#` or `!` comments, blank lines) or a JSON object. A line that is neither
 * is refused with the file and line number; nothing is applied from a file that does not read.
 */
import { readFileSync } from 'node:fs'
import { InvalidArgumentError } from 'commander'
import { parseConfigValue } from './config-value.js'

export const readConfigFile = (file: string): readonly (readonly [string, unknown])[] => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new InvalidArgumentError(`--config-file ${file}: ${(error as Error).message}`)
  }
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new InvalidArgumentError(`--config-file ${file}: not valid JSON: ${(error as Error).message}`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError(`--config-file ${file}: expected a JSON object of settings`)
    return Object.entries(parsed)
  }
  const entries: (readonly [string, unknown])[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return
    const at = line.search(/[=:]/)
    if (at <= 0) throw new InvalidArgumentError(`--config-file ${file} line ${index + 1}: expected key=value, got "${line}"`)
    entries.push([line.slice(0, at).trim(), parseConfigValue(line.slice(at + 1).trim())])
  })
  return entries
}
