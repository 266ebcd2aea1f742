/**
 * One process per data directory: two brokers appending to the same logs would corrupt them.
 *
 * The lock is a numbered file `.lock.<generation>`; the one with the highest generation decides.
 * It holds `<pid> <nonce>` (its owner), or `released` once its owner let go. Every lock file is
 * written whole under a temporary name, fsynced and then `link()`ed into place: link fails with
 * EEXIST when the name is taken, so creating a lock file is atomic and a lock file is never seen
 * empty or half-written.
 *
 * To take the lock a process finds the highest generation g. If `.lock.g` names a live process,
 * the directory is in use. Otherwise (none yet, released, or its owner died) it links
 * `.lock.<g+1>`; of all the processes that saw g, exactly one link succeeds. Then it lists again:
 * a higher generation there means it linked a generation a slow process had already passed (a
 * name below the top, freed by cleanup), so it withdraws and starts over. Nobody ever removes
 * or replaces the top file except its own owner (who marks it released by renaming a `released`
 * file over it), so a lock another process holds is never deleted; an owner is only ever
 * replaced after it is dead or has released. Generations below the winner's are removed by the
 * winner.
 *
 * A `.lock` of the older single-file scheme naming a live process is respected too.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Data } from 'effect'

export class DataDirLockedError extends Data.TaggedError('DataDirLockedError')<{
  readonly dataDir: string
  readonly ownerPid: number
}> {
  override get message(): string {
    return `data directory ${this.dataDir} is in use by process ${this.ownerPid}`
  }
}

/** Lock files kept changing under every attempt to take the lock: many processes racing for it. */
export class DataDirLockContendedError extends Data.TaggedError('DataDirLockContendedError')<{
  readonly dataDir: string
  readonly attempts: number
}> {
  override get message(): string {
    return `could not take the lock of ${this.dataDir} in ${this.attempts} attempts: lock files keep changing (other processes are opening it); try again`
  }
}

/** A lock file whose content is neither an owner nor `released`: disk damage or a foreign hand. */
export class CorruptDataDirLockError extends Data.TaggedError('CorruptDataDirLockError')<{
  readonly file: string
  readonly content: string
}> {
  override get message(): string {
    return (
      `lock file ${this.file} holds ${JSON.stringify(this.content.slice(0, 80))}, not "<pid> <nonce>" nor "released": ` +
      'make sure no broker uses this data directory, then remove the file'
    )
  }
}

export interface DataDirLock {
  release(): void
}

const LOCK_PREFIX = '.lock.'
const TEMP_PREFIX = '.lock-tmp.'
const RELEASED = 'released'
const LEGACY_LOCK = '.lock'
/** Each round either wins, finds a live owner, or lost a race another process then won. */
const MAX_ATTEMPTS = 1000

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Nonces of the locks this process holds: our own pid in a lock we never took is a dead namesake. */
const heldNonces = new Set<string>()

type LockContent = { readonly kind: 'owner'; readonly pid: number; readonly nonce: string } | { readonly kind: 'released' }

// A container restarted after a crash often gets the same pid: then only the nonce tells.
const ownerLives = (owner: { readonly pid: number; readonly nonce: string }): boolean =>
  owner.pid === process.pid ? heldNonces.has(owner.nonce) : isAlive(owner.pid)

const parseContent = (file: string, content: string): LockContent => {
  if (content === RELEASED) return { kind: 'released' }
  const match = /^(\d{1,10}) ([0-9a-f]{32})$/.exec(content)
  if (match === null) throw new CorruptDataDirLockError({ file, content })
  return { kind: 'owner', pid: Number(match[1]), nonce: match[2] as string }
}

/** The file's content, or undefined when it is gone (another process cleaned it up). */
const readIfExists = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

const generations = (dataDir: string): number[] => {
  const found: number[] = []
  for (const name of readdirSync(dataDir)) {
    if (!name.startsWith(LOCK_PREFIX)) continue
    const digits = name.slice(LOCK_PREFIX.length)
    if (/^\d{1,15}$/.test(digits)) found.push(Number(digits))
  }
  return found.sort((a, b) => a - b)
}

const lockFile = (dataDir: string, generation: number): string => join(dataDir, `${LOCK_PREFIX}${generation}`)

/** Writes `content` to a fresh temporary file, fsynced, so it can be linked into place whole. */
const writeTemp = (dataDir: string, content: string): string => {
  const file = join(dataDir, `${TEMP_PREFIX}${process.pid}.${randomBytes(8).toString('hex')}`)
  const fd = openSync(file, 'wx')
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return file
}

const fsyncDir = (dir: string): void => {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Temporary files of processes that died before linking them. */
const removeDeadTemps = (dataDir: string): void => {
  for (const name of readdirSync(dataDir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue
    const pid = Number(name.slice(TEMP_PREFIX.length).split('.')[0])
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) rmSync(join(dataDir, name), { force: true })
  }
}

const checkLegacyLock = (dataDir: string): void => {
  const content = readIfExists(join(dataDir, LEGACY_LOCK))
  if (content === undefined) return
  const pid = Number.parseInt(content, 10)
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new DataDirLockedError({ dataDir, ownerPid: pid })
}

export const lockDataDir = (dataDir: string): DataDirLock => {
  mkdirSync(dataDir, { recursive: true })
  checkLegacyLock(dataDir)
  removeDeadTemps(dataDir)
  const nonce = randomBytes(16).toString('hex')
  const mine = `${process.pid} ${nonce}`
  const temp = writeTemp(dataDir, mine)
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = generations(dataDir)
      const top = existing.at(-1)
      if (top !== undefined) {
        const file = lockFile(dataDir, top)
        const text = readIfExists(file)
        if (text === undefined) continue
        const content = parseContent(file, text)
        if (content.kind === 'owner' && ownerLives(content)) throw new DataDirLockedError({ dataDir, ownerPid: content.pid })
      }
      const generation = (top ?? -1) + 1
      const file = lockFile(dataDir, generation)
      try {
        linkSync(temp, file)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw error
      }
      const after = generations(dataDir)
      if ((after.at(-1) ?? -1) > generation) {
        // A name a slow process had freed: the lock has moved on above it; ours never counted.
        rmSync(file, { force: true })
        continue
      }
      fsyncDir(dataDir)
      for (const older of after) if (older < generation) rmSync(lockFile(dataDir, older), { force: true })
      heldNonces.add(nonce)
      return heldLock(dataDir, file, mine, nonce)
    }
  } finally {
    rmSync(temp, { force: true })
  }
  throw new DataDirLockContendedError({ dataDir, attempts: MAX_ATTEMPTS })
}

const heldLock = (dataDir: string, file: string, mine: string, nonce: string): DataDirLock => {
  let released = false
  return {
    release: () => {
      if (released) return
      released = true
      heldNonces.delete(nonce)
      // Only the owner touches the top file; nobody replaces it while we live, but check anyway.
      if (readIfExists(file) !== mine) return
      const marker = writeTemp(dataDir, RELEASED)
      renameSync(marker, file)
    },
  }
}
