import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { rejectionOf, tempDir } from '@rivulet/test-kit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { NatsServerStartError, startNatsCluster, startNatsServer } from './nats-server-launcher.js'

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('startNatsServer', () => {
  it('starts a JetStream server on a free loopback port that a client reaches, and stop() removes it', async () => {
    const server = await startNatsServer()
    onTestFinished(() => server.stop())
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/)
    expect(server.url).not.toBe('nats://127.0.0.1:4222')
    const nc = await connect({ servers: server.url })
    const kv = await new Kvm(nc).create(`probe`)
    await kv.put('k', 'v')
    expect((await kv.get('k'))?.string()).toBe('v')
    await nc.close()
    await server.stop()
    expect(processAlive(server.pid)).toBe(false)
    expect(existsSync(server.dir)).toBe(false)
    await server.stop()
  })

  it('reports a server that exits while starting, with its output', async () => {
    const fake = join(tempDir('fake-nats'), 'nats-server')
    writeFileSync(fake, '#!/bin/sh\necho "bad flag: $1" >&2\nexit 3\n')
    chmodSync(fake, 0o755)
    const error = await rejectionOf(startNatsServer({ binary: fake }), NatsServerStartError)
    expect(error.message).toMatch(/did not start: it exited \(code 3\)/)
    expect(error.message).toContain('bad flag: -a')
  })
})

describe('startNatsCluster', () => {
  it('routes three servers into one JetStream cluster where a replicated bucket works, and stops them all', async () => {
    const cluster = await startNatsCluster(3)
    onTestFinished(() => cluster.stop())
    await cluster.ready()
    expect(new Set(cluster.urls).size).toBe(3)
    const nc = await connect({ servers: [...cluster.urls] })
    const kv = await new Kvm(nc).create('replicated', { replicas: 3 })
    await kv.create('k', 'first')
    expect((await kv.get('k'))?.string()).toBe('first')
    await nc.close()
    await cluster.stop()
    for (const server of cluster.servers) expect(processAlive(server.pid)).toBe(false)
    for (const server of cluster.servers) expect(existsSync(server.dir)).toBe(false)
  })
})
