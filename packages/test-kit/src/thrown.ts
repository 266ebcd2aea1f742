/** What a call throws or a promise rejects with, for a test to look at; the test fails if there is none. */
import { expect } from 'vitest'

/** An error as the tests inspect it: Rivulet's errors are tagged. */
export type TestError = Error & { readonly _tag?: string }

type ErrorClass<E> = abstract new (...args: never[]) => E

/** What `f` throws (checked to be an instance of `kind` when given); fails if it returns. */
export function thrownBy<E>(f: () => unknown, kind: ErrorClass<E>): E
export function thrownBy(f: () => unknown): TestError
export function thrownBy(f: () => unknown, kind?: ErrorClass<unknown>): unknown {
  try {
    f()
  } catch (error) {
    if (kind !== undefined) expect(error).toBeInstanceOf(kind)
    return error
  }
  throw new Error('expected a throw, but the function returned')
}

/** What `promise` rejects with (checked to be an instance of `kind` when given); fails if it resolves. */
export async function rejectionOf<E>(promise: Promise<unknown>, kind: ErrorClass<E>): Promise<E>
export async function rejectionOf(promise: Promise<unknown>): Promise<TestError>
export async function rejectionOf(promise: Promise<unknown>, kind?: ErrorClass<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    if (kind !== undefined) expect(error).toBeInstanceOf(kind)
    return error
  }
  throw new Error('expected a rejection, but the promise resolved')
}
