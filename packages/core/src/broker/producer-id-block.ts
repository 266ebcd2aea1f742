/**
 * Producer ids that are never handed out twice, even across restarts. Ids come from blocks: the
 * end of a block is persisted in `<dataDir>/__cluster/producer-ids.json` before any id of it is
 * handed out, and a restart starts at the persisted end, so the ids a crash leaves unused are
 * skipped, never reused.
 *
 *   { "version": 1, "nextBlockStart": "2000" }      (a decimal string: ids are int64)
 */
import { join } from 'node:path'
import { Schema } from 'effect'
import { readFileIfExists, writeFileAtomically } from './atomic-file.js'
import { CorruptClusterFileError } from './broker-errors.js'
import { clusterDir } from './topic-registry.js'

const FILE_VERSION = 1
const DEFAULT_BLOCK_SIZE = 1000n

const ProducerIdFile = Schema.Struct({
  version: Schema.Literal(FILE_VERSION),
  nextBlockStart: Schema.String.check(Schema.isPattern(/^\d{1,19}$/)),
})

export const producerIdFile = (dataDir: string): string => join(clusterDir(dataDir), 'producer-ids.json')

export class ProducerIdBlock {
  private constructor(
    private readonly file: string,
    private readonly blockSize: bigint,
    /** The next id to hand out; equal to `end` when the reserved block is used up. */
    private next: bigint,
    /** The end of the reserved block, as persisted. */
    private end: bigint,
  ) {}

  /** Reads where the last reserved block ended; nothing is reserved until the first id is asked for. */
  static load(dataDir: string, blockSize: bigint = DEFAULT_BLOCK_SIZE): ProducerIdBlock {
    const file = producerIdFile(dataDir)
    const text = readFileIfExists(file)
    let start = 0n
    if (text !== undefined) {
      try {
        start = BigInt(Schema.decodeUnknownSync(ProducerIdFile)(JSON.parse(text)).nextBlockStart)
      } catch (error) {
        throw new CorruptClusterFileError({ file, reason: (error as Error).message.replaceAll('\n', ' ') })
      }
    }
    return new ProducerIdBlock(file, blockSize, start, start)
  }

  /** A producer id never handed out before by a broker on this data directory. */
  allocate(): bigint {
    if (this.next === this.end) {
      const end = this.end + this.blockSize
      writeFileAtomically(this.file, `${JSON.stringify({ version: FILE_VERSION, nextBlockStart: end.toString() })}\n`)
      this.end = end
    }
    return this.next++
  }
}
