/**
 * What every decoder that refuses unknown keys (log config, broker config, client options) says
 * about one: the key, the known ones, and the nearest known key when it looks like a typo.
 * Known keys are looked up as own properties only, so `constructor`, `__proto__` or `toString`
 * never pass for a setting because a plain object inherits them.
 */

/** Whether `key` is one of `known`'s own keys (never an inherited one such as `toString`). */
export const isKnownKey = (known: object, key: string): boolean => Object.prototype.hasOwnProperty.call(known, key)

/** Levenshtein distance, case-insensitive: `retentionMS` is one slip from `retentionMs`, not two. */
export const editDistance = (a: string, b: string): number => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const current = [i]
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[y.length]!
}

/**
 * The known key nearest to `key`, when it is near enough to be a slip (at most a third of the
 * longer name, at least 1, so `retentionMS` finds `retentionMs` but `extra` finds nothing), or
 * when one contains the other (`everyMsec` finds `everyMs`).
 */
export const nearestKey = (key: string, known: readonly string[]): string | undefined => {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(key, candidate)
    const contains = key.length >= 3 && (candidate.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(candidate.toLowerCase()))
    const limit = Math.max(1, Math.floor(Math.max(key.length, candidate.length) / 3))
    if ((distance <= limit || contains) && distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** `unknown setting (did you mean "retentionMs"? known: segmentBytes, ...)` */
export const unknownKeyReason = (what: string, key: string, known: readonly string[]): string => {
  const nearest = nearestKey(key, known)
  const hint = nearest === undefined ? '' : `did you mean "${nearest}"? `
  return `unknown ${what} (${hint}known: ${known.join(', ')})`
}
