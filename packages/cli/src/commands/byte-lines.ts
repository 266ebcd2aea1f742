/**
 * Lines of a byte stream, as `rivulet produce` reads stdin: split at one separator byte (`\n` by
 * default) and nothing else, never decoded, so a `\r` before the `\n`, invalid UTF-8 or a NUL
 * stays in the record byte for byte. A line is a view into the chunk it came in; only a line
 * that spans chunks is copied. The bytes after the last separator are a line when there are any.
 */

/** Yields each line of `input` (chunks of bytes, or strings taken as UTF-8) without its separator. */
export async function* byteLines(input: AsyncIterable<Buffer | Uint8Array | string>, separator: number): AsyncGenerator<Buffer> {
  // The start of a line that began in an earlier chunk, waiting for its end.
  let carried: Buffer[] = []
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let start = 0
    for (let at = bytes.indexOf(separator, start); at >= 0; at = bytes.indexOf(separator, start)) {
      const piece = bytes.subarray(start, at)
      if (carried.length === 0) {
        yield piece
      } else {
        carried.push(piece)
        yield Buffer.concat(carried)
        carried = []
      }
      start = at + 1
    }
    if (start < bytes.length) carried.push(bytes.subarray(start))
  }
  if (carried.length > 0) yield Buffer.concat(carried)
}

const NAMED: Readonly<Record<string, number>> = { '\\n': 0x0a, '\\t': 0x09, '\\r': 0x0d, '\\0': 0x00, '\\\\': 0x5c }

/**
 * A separator option's byte: one ASCII character (`:`, a real tab), an escape (`\t`, `\n`, `\r`,
 * `\0`, `\\`), or `\xHH`. Undefined when `text` is none of those; the caller says why.
 */
export const parseSeparatorByte = (text: string): number | undefined => {
  const named = NAMED[text]
  if (named !== undefined && Object.prototype.hasOwnProperty.call(NAMED, text)) return named
  const hex = /^\\x([0-9a-fA-F]{2})$/.exec(text)
  if (hex !== null) return Number.parseInt(hex[1]!, 16)
  if (text.length === 1 && text.charCodeAt(0) < 0x80) return text.charCodeAt(0)
  return undefined
}
