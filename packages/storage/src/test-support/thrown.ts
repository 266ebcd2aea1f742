/** For tests: what `f` throws (checked to be an instance of `kind` when given); fails if it returns. */
import { expect } from 'vitest'

export function thrownBy<E>(f: () => unknown, kind: abstract new (...args: never[]) => E): E
export function thrownBy(f: () => unknown): unknown
export function thrownBy(f: () => unknown, kind?: abstract new (...args: never[]) => unknown): unknown {
  try {
    f()
  } catch (error) {
    if (kind !== undefined) expect(error).toBeInstanceOf(kind)
    return error
  }
  throw new Error('expected an error')
}
