import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { eventually, rejectionOf, tempDir, thrownBy } from './index.js'

class Tagged extends Error {
  readonly _tag = 'Tagged'
}

describe('thrownBy and rejectionOf', () => {
  it('give back the error, checked against a class when one is named', async () => {
    const error = thrownBy(() => {
      throw new Tagged('boom')
    }, Tagged)
    expect(error._tag).toBe('Tagged')
    expect(thrownBy(() => JSON.parse('{')).name).toBe('SyntaxError')
    expect((await rejectionOf(Promise.reject(new Tagged('late')), Tagged)).message).toBe('late')
  })

  it('fail when nothing is thrown or rejected, or the error is of another class', async () => {
    expect(() => thrownBy(() => 1)).toThrow('expected a throw, but the function returned')
    await expect(rejectionOf(Promise.resolve(1))).rejects.toThrow('expected a rejection, but the promise resolved')
    expect(() => thrownBy(() => JSON.parse('{'), Tagged)).toThrow(/instance of/)
  })
})

describe('eventually', () => {
  it('returns once the condition holds and names what it waited for when it never does', async () => {
    let polls = 0
    await eventually(() => ++polls >= 3)
    expect(polls).toBe(3)
    await expect(eventually(async () => false, { what: 'a miracle', timeoutMs: 20 })).rejects.toThrow('timed out after 20 ms waiting for a miracle')
  })
})

describe('tempDir', () => {
  let fromBeforeEach = ''
  const seen: string[] = []
  beforeEach(() => {
    fromBeforeEach = tempDir('kit-before')
  })

  it('makes a fresh directory per call', () => {
    const a = tempDir('kit')
    const b = tempDir('kit')
    expect(a).not.toBe(b)
    writeFileSync(join(a, 'f'), 'x')
    seen.push(a, b, fromBeforeEach)
    expect(seen.every((dir) => existsSync(dir))).toBe(true)
  })

  it('removed the previous test’s directories, including one made in beforeEach', () => {
    expect(seen).toHaveLength(3)
    for (const dir of seen) expect(existsSync(dir)).toBe(false)
    expect(existsSync(fromBeforeEach)).toBe(true)
  })
})
