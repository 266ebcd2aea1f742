/**
 * Waits for a condition rather than for a fixed time. The bound only turns a hang into a failure
 * that names what never happened; it is generous, as tests run on loaded 2-core machines.
 */
export interface EventuallyOptions {
  /** What is waited for, for the failure message. */
  readonly what?: string
  readonly timeoutMs?: number
}

export const eventually = async (condition: () => boolean | Promise<boolean>, options: EventuallyOptions = {}): Promise<void> => {
  const { what = 'the condition', timeoutMs = 5_000 } = options
  // performance.now(), not Date.now(): a test may have faked Date.
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
