import { Writable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { produceProgress } from './produce-progress.js'

/** A stream that says it is a terminal, keeping what is written. */
const fakeTerminal = () => {
  const written: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written.push(String(chunk))
      callback()
    },
  }) as Writable & Record<string, unknown>
  Object.assign(stream, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true })
  return { stream, text: () => written.join('') }
}

describe('produceProgress', () => {
  it('on a terminal shows records/s, how far through the file and the ETA once the work lasts', async () => {
    const { stream, text } = fakeTerminal()
    const progress = produceProgress({ stream, totalBytes: 4 * 1024 * 1024, delayMs: 0 })
    progress.update(1000, 1024 * 1024)
    await vi.waitFor(() => expect(text()).toMatch(/records\/s/))
    progress.update(4000, 4 * 1024 * 1024)
    progress.stop()
    expect(text()).toMatch(/100% \| 4000 records \| \d+ records\/s \| 4\.0 of 4\.0 MB \| ETA/)
  })

  it('without a known size shows records, records/s and MB read', async () => {
    const { stream, text } = fakeTerminal()
    const progress = produceProgress({ stream, totalBytes: undefined, delayMs: 0 })
    progress.update(10, 2 * 1024 * 1024)
    await vi.waitFor(() => expect(text()).toMatch(/records\/s/))
    progress.stop()
    expect(text()).toMatch(/10 records \| \d+ records\/s \| 2\.0 MB read/)
  })

  it('prints nothing when the stream is not a terminal, or when the work ends before the delay', () => {
    const { stream, text } = fakeTerminal()
    Object.assign(stream, { isTTY: false })
    const piped = produceProgress({ stream, totalBytes: 100, delayMs: 0 })
    piped.update(1, 1)
    piped.stop()
    const quick = fakeTerminal()
    const fast = produceProgress({ stream: quick.stream, totalBytes: 100, delayMs: 60_000 })
    fast.update(1, 100)
    fast.stop()
    expect(text()).toBe('')
    expect(quick.text()).toBe('')
  })
})
