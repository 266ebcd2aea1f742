/**
 * Kafka's key hashing, shared by the producer's partitioner (client/) and the placement of a
 * group in `__consumer_offsets` (group/): `toPositive(murmur2(keyBytes)) % partitionCount`, so a
 * key lands on the same partition here as it would in Kafka. Depends on nothing.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with seed 0x9747b28c, as a signed int. */
export const murmur2 = (data: Uint8Array): number => {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length & 3
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2] << 16
    if (rest >= 2) h ^= data[whole + 1] << 8
    h ^= data[whole]
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for negatives). */
export const toPositive = (n: number): number => n & 0x7fffffff

/** The partition Kafka's default partitioner gives a keyed record. */
export const keyedPartition = (key: Uint8Array, partitionCount: number): number =>
  toPositive(murmur2(key)) % partitionCount
