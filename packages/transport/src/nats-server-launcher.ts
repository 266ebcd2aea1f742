/**
 * Starts `nats-server` processes for tests and for `rivulet dev`: JetStream on, every port chosen
 * by the server (`-p -1`, read back from `--ports_file_dir`), loopback only, one temporary
 * directory per server for its ports file, log and JetStream store, all removed by stop(). A
 * server that dies while starting is reported with the tail of its log, never waited on forever;
 * a server still running when this process exits is killed with it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { Data } from 'effect'

export class NatsServerNotFoundError extends Data.TaggedError('NatsServerNotFoundError')<{ readonly searched: readonly string[] }> {
  override get message(): string {
    return `no nats-server executable on PATH (searched ${this.searched.join(', ')}); install it (apt-get install nats-server) or pass its path`
  }
}

export class NatsServerStartError extends Data.TaggedError('NatsServerStartError')<{
  readonly name: string
  readonly reason: string
  readonly log: string
}> {
  override get message(): string {
    return `nats-server ${this.name} did not start: ${this.reason}${this.log === '' ? '' : `\n--- its log ---\n${this.log}`}`
  }
}

export interface NatsServerOptions {
  /** The executable; default: `nats-server` found on PATH (and /usr/sbin, where Debian puts it). */
  readonly binary?: string
  /** The server's name in a cluster, and in its temp dir's name. */
  readonly name?: string
  /** Join a cluster: its name, this server's route port, and the route URLs of the others. */
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly string[] }
  /** The client port; default: one the server picks (a restart test passes the old server's). */
  readonly port?: number
  /** How long the server may take to write its ports file; default 10 s. */
  readonly startTimeoutMs?: number
}

export interface NatsServer {
  readonly name: string
  /** The client URL, nats://127.0.0.1:<port>. */
  readonly url: string
  /** The route URL other servers join, when started with `cluster`. */
  readonly routeUrl: string | undefined
  readonly monitorUrl: string
  readonly pid: number
  /** Its own temporary directory (ports file, log, JetStream store); gone after stop(). */
  readonly dir: string
  /** Sends a signal (SIGSTOP/SIGCONT for a paused server, SIGKILL for a crash). */
  signal(signal: NodeJS.Signals): void
  /** SIGTERM (SIGKILL after 5 s), then removes its directory. Idempotent. */
  stop(): Promise<void>
}

interface PortsFile {
  readonly nats?: readonly string[]
  readonly cluster?: readonly string[]
  readonly monitoring?: readonly string[]
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false
const killAllOnExit = (): void => {
  for (const child of running) child.kill('SIGKILL')
}

/** `nats-server` on PATH, then /usr/sbin and /usr/local/sbin. */
export const findNatsServer = (): string => {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/local/sbin']
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  throw new NatsServerNotFoundError({ searched: dirs })
}

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n').trim()
  } catch {
    return ''
  }
}

const readPorts = (dir: string): PortsFile | undefined => {
  const file = readdirSync(dir).find((name) => name.endsWith('.ports'))
  if (file === undefined) return undefined
  try {
    return JSON.parse(readFileSync(join(dir, file), 'utf8')) as PortsFile
  } catch {
    // Being written: read it again on the next poll.
    return undefined
  }
}

let counter = 0

export const startNatsServer = async (options: NatsServerOptions = {}): Promise<NatsServer> => {
  const binary = options.binary ?? findNatsServer()
  const name = options.name ?? `rv-nats-${process.pid}-${counter++}`
  const dir = mkdtempSync(join(tmpdir(), `rivulet-${name}-`))
  const log = join(dir, 'server.log')
  const args = ['-a', '127.0.0.1', '-p', String(options.port ?? -1), '-m', '-1', '--ports_file_dir', dir, '-js', '-sd', join(dir, 'jetstream'), '-n', name, '-l', log]
  if (options.cluster !== undefined) {
    args.push('--cluster_name', options.cluster.name, '--cluster', `nats://127.0.0.1:${options.cluster.port}`)
    if (options.cluster.routes.length > 0) args.push('--routes', options.cluster.routes.join(','))
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  running.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', killAllOnExit)
  }
  let exited: number | null | undefined
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = code
      running.delete(child)
      resolve()
    })
    child.once('error', (error) => {
      stderr += error.message
      exited = -1
      running.delete(child)
      resolve()
    })
  })

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (exited === undefined) {
        child.kill('SIGCONT')
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exit
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    })())

  const deadline = performance.now() + (options.startTimeoutMs ?? 10_000)
  let ports: PortsFile | undefined
  for (;;) {
    if (exited !== undefined) {
      const reason = `it exited (code ${exited})`
      const logText = [tail(log), stderr.trim()].filter((t) => t !== '').join('\n')
      await stop()
      throw new NatsServerStartError({ name, reason, log: logText })
    }
    ports = readPorts(dir)
    if (ports?.nats?.[0] !== undefined && (options.cluster === undefined || ports.cluster?.[0] !== undefined)) break
    if (performance.now() > deadline) {
      const logText = tail(log)
      await stop()
      throw new NatsServerStartError({ name, reason: `no ports file within ${options.startTimeoutMs ?? 10_000} ms`, log: logText })
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {
    name,
    url: ports.nats![0]!,
    routeUrl: ports.cluster?.[0],
    monitorUrl: ports.monitoring?.[0] ?? '',
    pid: child.pid!,
    dir,
    signal: (signal) => void child.kill(signal),
    stop,
  }
}

export interface NatsCluster {
  readonly servers: readonly NatsServer[]
  /** Every server's client URL, for a client to fail over between. */
  readonly urls: readonly string[]
  /** Resolves once every server reports healthy with JetStream (a meta leader elected). */
  ready(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** A loopback port free at the moment of asking (the OS picks it). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })

/**
 * `size` servers routed into one cluster with JetStream; stops whatever started when one fails.
 * JetStream in a cluster needs each server's routes configured when it starts, so route ports are
 * chosen up front (free when chosen; another process taking one in between fails the start loudly).
 */
export const startNatsCluster = async (size = 3, options: Omit<NatsServerOptions, 'cluster' | 'name'> = {}): Promise<NatsCluster> => {
  const clusterName = `rv-${process.pid}-${counter++}`
  const ports: number[] = []
  while (ports.length < size) {
    const port = await freePort()
    if (!ports.includes(port)) ports.push(port)
  }
  const routeUrls = ports.map((port) => `nats://127.0.0.1:${port}`)
  const servers: NatsServer[] = []
  try {
    for (let i = 0; i < size; i++) {
      const routes = routeUrls.filter((_, j) => j !== i)
      servers.push(await startNatsServer({ ...options, name: `${clusterName}-n${i}`, cluster: { name: clusterName, port: ports[i]!, routes } }))
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
  const healthy = async (server: NatsServer): Promise<boolean> => {
    try {
      return (await fetch(`${server.monitorUrl}/healthz`)).ok
    } catch {
      return false
    }
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    async ready(timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs
      while (!(await Promise.all(servers.map(healthy))).every(Boolean)) {
        if (performance.now() > deadline) throw new NatsServerStartError({ name: clusterName, reason: `not healthy within ${timeoutMs} ms`, log: '' })
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}
