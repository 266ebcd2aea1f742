/**
 * Producer ids that are never handed out twice, even across restarts. Ids come from blocks: the
 * end of a block is persisted in `<dataDir>/__cluster/producer-ids.json` before any id of it is
 * handed out, and a restart starts at the persisted end, so the ids a crash leaves unused are
 * skipped, never reused.
 *
 *   { "version": 1, "nextBlockStart": "2000" }      (a decimal string: ids are int64)
 *
 * When the file is missing (beside partition directories) or damaged, the ids handed out before
 * are not known: the next block starts above the highest producer id any partition directory
 * still mentions (its snapshots or batch headers), so no acknowledged producer's id is handed out
 * again and its sequence numbers cannot turn a new producer's records into "duplicates". This is
 * said loudly, and the file is written again at once, so the scan happens only once.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { scanProducerIds } from '@rivulet/storage'
import { Schema } from 'effect'
import type { BrokerLogger } from '../broker-logger.js'
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

  /**
   * Reads where the last reserved block ended; nothing is reserved until the first id is asked
   * for. A missing or damaged file is rebuilt from the partition directories (see above).
   */
  static load(dataDir: string, logger: BrokerLogger, blockSize: bigint = DEFAULT_BLOCK_SIZE): ProducerIdBlock {
    const file = producerIdFile(dataDir)
    const text = readFileIfExists(file)
    let damage: string | undefined
    if (text !== undefined) {
      try {
        const start = BigInt(Schema.decodeUnknownSync(ProducerIdFile)(JSON.parse(text)).nextBlockStart)
        return new ProducerIdBlock(file, blockSize, start, start)
      } catch (error) {
        damage = new CorruptClusterFileError({ file, reason: (error as Error).message.replaceAll('\n', ' ') }).message
      }
    }
    const dirs = partitionDirs(dataDir)
    if (damage === undefined && dirs.length === 0) {
      // A new data directory: written now, so that from here on a missing file means a lost one.
      const block = new ProducerIdBlock(file, blockSize, 0n, 0n)
      block.persistEnd(0n)
      return block
    }
    let highest = -1n
    const unreadable: { file: string; reason: string }[] = []
    for (const dir of dirs) {
      const scan = scanProducerIds(dir)
      if (scan.highestProducerId !== undefined && scan.highestProducerId > highest) highest = scan.highestProducerId
      unreadable.push(...scan.unreadable)
    }
    const start = highest + 1n
    logger.error(
      `${damage ?? `producer-id file ${file} is missing`}: rebuilt from ${dirs.length} partition directories; ` +
        'new producer ids start above every id found in their logs and snapshots',
      { file, nextBlockStart: start, highestProducerIdFound: highest < 0n ? null : highest, unreadable },
    )
    const block = new ProducerIdBlock(file, blockSize, start, start)
    block.persistEnd(start)
    return block
  }

  /** A producer id never handed out before by a broker on this data directory. */
  allocate(): bigint {
    if (this.next === this.end) {
      const end = this.end + this.blockSize
      this.persistEnd(end)
      this.end = end
    }
    return this.next++
  }

  private persistEnd(end: bigint): void {
    writeFileAtomically(this.file, `${JSON.stringify({ version: FILE_VERSION, nextBlockStart: end.toString() })}\n`)
  }
}

/** The data directory's subdirectories other than the broker's own: partition logs, live or being deleted. */
const partitionDirs = (dataDir: string): string[] => {
  let names: string[]
  try {
    names = readdirSync(dataDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return names
    .filter((name) => name !== '__cluster' && !name.startsWith('.'))
    .map((name) => join(dataDir, name))
    .filter((path) => statSync(path).isDirectory())
}
