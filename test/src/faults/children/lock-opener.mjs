// A child of lock-race.fault.test.ts: on `try <dir> <atMs>` it waits (spinning, so every child
// starts at the same instant) until atMs, tries to lock <dir> and says `won`, `locked <pid>` or
// `failed <message>`; a winner holds the lock until `release`. `exit` ends it.
import { createInterface } from 'node:readline'
import { lockDataDir } from '@rivulet/core/internal'

let held
const say = (line) => process.stdout.write(`${line}\n`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const [command, dir, atMs] = line.split(' ')
  if (command === 'try') {
    while (Date.now() < Number(atMs)) {
      // spin: a timer would let the first child to wake win on its own
    }
    try {
      held = lockDataDir(dir)
      say('won')
    } catch (error) {
      if (error?._tag === 'DataDirLockedError') say(`locked ${error.ownerPid}`)
      else say(`failed ${String(error?.message ?? error).replaceAll('\n', ' ')}`)
    }
  } else if (command === 'release') {
    held?.release()
    held = undefined
    say('released')
  } else if (command === 'exit') {
    process.exit(0)
  }
})
say('ready')
