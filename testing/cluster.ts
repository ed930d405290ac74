// A real Redis Cluster of the test's own on spare loopback ports, from the machine's redis-server
// and redis-cli: start one, ask it about its topology, and break it (kill, freeze, restart, fail
// over, move a slot) the way production clusters break. No dependencies: the nodes are spoken to
// with a tiny RESP client over node:net, one short-lived connection per call.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export interface LocalClusterOptions {
  /** At least 3 (redis-cli refuses fewer). Default 3. */
  masters?: number
  /** Default 1. */
  replicasPerMaster?: number
  /** `cluster-node-timeout` of every node. Default 2000 (a killed master is replaced in ~3–5 s). */
  nodeTimeoutMs?: number
}

/** One line of `CLUSTER NODES`, as one node sees it. */
export interface ClusterNodeEntry {
  id: string
  port: number
  flags: string[]
  /** The id of its master, for a replica. */
  masterId: string | undefined
  linkState: string
  /** Owned slot ranges, inclusive (importing/migrating markers are left out). */
  slots: [number, number][]
  myself: boolean
  master: boolean
  replica: boolean
  /** Flagged `fail`, `fail?`, `handshake` or `noaddr`. */
  failing: boolean
}

/** What one node thinks of the cluster. */
export interface ClusterView {
  /** The node that answered. */
  port: number
  /** `cluster_state` from `CLUSTER INFO`: `ok` or `fail`. */
  state: string
  info: Record<string, string>
  /** `INFO replication`: `role`, and on a replica `master_link_status` (`up` once synced). */
  replication: Record<string, string>
  nodes: ClusterNodeEntry[]
}

/** A reply with bulk strings decoded as UTF-8. */
export type Reply = string | number | null | Reply[]

const HOST = '127.0.0.1'
const BUS_OFFSET = 10_000
// node ports 21000–29999, bus ports 31000–39999: the two ranges never overlap
const PORT_MIN = 21_000
const PORT_SPAN = 9_000
const POLL_MS = 50

/** util-linux `setpriv`, if on the PATH (Debian always has it). */
const SETPRIV = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'setpriv'))
  .find((path) => existsSync(path))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A node: its port and folder (nodes.conf lives there) and the current redis-server, if any. */
interface Node {
  port: number
  dir: string
  proc: Proc | undefined
  paused: boolean
}

interface Proc {
  child: ChildProcess
  done: boolean
  exited: Promise<void>
}

export class LocalCluster {
  /** Every node's port, sorted; redis-cli made the first `masters` of them the masters. */
  readonly ports: number[] = []
  private readonly nodes = new Map<number, Node>()
  private stopping: Promise<void> | undefined

  private constructor(
    private readonly root: string,
    private readonly expectedMasters: number,
    private readonly expectedReplicas: number,
    private readonly nodeTimeoutMs: number,
  ) {}

  /** Starts the nodes, joins them with `redis-cli --cluster create`, waits until all agree. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const masters = options.masters ?? 3
    const replicasPerMaster = options.replicasPerMaster ?? 1
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000
    if (!Number.isInteger(masters) || masters < 3)
      throw new Error(`a Redis Cluster needs at least 3 masters, not ${masters}`)
    if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0)
      throw new Error(`replicasPerMaster must be a whole number ≥ 0, not ${replicasPerMaster}`)
    const root = await mkdtemp(join(tmpdir(), 'querycache-cluster-'))
    const cluster = new LocalCluster(root, masters, masters * replicasPerMaster, nodeTimeoutMs)
    track(cluster)
    try {
      const total = masters * (1 + replicasPerMaster)
      // allSettled: no node may still be starting when a failure stops the cluster
      const started = await Promise.allSettled(
        Array.from({ length: total }, () => cluster.addNode()),
      )
      const failed = started.find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
      cluster.ports.sort((a, b) => a - b)
      await cluster.create(replicasPerMaster)
      await cluster.poll('the new cluster to form', 20_000, (views) => cluster.isFormed(views))
    } catch (error) {
      await cluster.stop()
      throw error
    }
    return cluster
  }

  /** Every node, for `createCluster({ rootNodes })`. */
  get rootNodes(): { url: string }[] {
    return this.ports.map((port) => ({ url: this.url(port) }))
  }

  url(port: number): string {
    return `redis://${HOST}:${port}`
  }

  /** Kills every node that is still running and removes the folder. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.nodes.values()].map((node) => this.killNode(node)))
      await rm(this.root, { recursive: true, force: true })
      for (const port of this.nodes.keys()) claimed.delete(port)
      untrack(this)
    })()
    return this.stopping
  }

  // ---- talking to nodes ----

  /** Sends one command to one node and returns its reply (a Redis error reply is thrown). */
  async command(port: number, args: (string | number)[], timeoutMs = 2000): Promise<Reply> {
    return text(await this.raw(port, args, timeoutMs))
  }

  /** What one node thinks of the cluster (`CLUSTER INFO`, `CLUSTER NODES`, `INFO replication`). */
  async view(port: number): Promise<ClusterView> {
    const commands = [
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'NODES'],
      ['INFO', 'replication'],
    ]
    const [info, nodes, replication] = (await pipeline(port, commands)).map((reply, i) => {
      if (reply instanceof RedisReplyError)
        throw new Error(`${HOST}:${port} ${commands[i]!.join(' ')}: ${reply.message}`)
      return String(text(reply))
    }) as [string, string, string]
    const fields = parseInfo(info)
    return {
      port,
      state: fields.cluster_state ?? '',
      info: fields,
      replication: parseInfo(replication),
      nodes: parseNodes(nodes),
    }
  }

  /** The view of every live node (running and not paused); throws if one does not answer. */
  async views(): Promise<ClusterView[]> {
    return Promise.all(this.live().map((port) => this.view(port)))
  }

  async nodeId(port: number): Promise<string> {
    if (this.isLive(port)) return String(await this.command(port, ['CLUSTER', 'MYID']))
    const entry = (await this.anyView()).nodes.find((n) => n.port === port)
    if (!entry) throw new Error(`no node of the cluster knows ${HOST}:${port}`)
    return entry.id
  }

  // ---- topology, as seen by a live node ----

  /** Ports of the masters not flagged as failing, sorted. */
  async masters(): Promise<number[]> {
    return mastersIn(await this.anyView())
  }

  /** Ports of the replicas not flagged as failing, sorted. */
  async replicas(): Promise<number[]> {
    return (await this.anyView()).nodes
      .filter((n) => n.replica && !n.failing)
      .map((n) => n.port)
      .sort((a, b) => a - b)
  }

  /** The port of the master that owns the slot (even if it is dead and not yet replaced). */
  async masterOfSlot(slot: number): Promise<number> {
    const view = await this.anyView()
    const owner = ownerIn(view, slot)
    if (!owner) throw new Error(`no master owns slot ${slot} in the view of ${HOST}:${view.port}`)
    return owner.port
  }

  /** A (the lowest-port) healthy replica of that master, if it has one. */
  async replicaOf(masterPort: number): Promise<number | undefined> {
    const view = await this.anyView()
    const master = view.nodes.find((n) => n.port === masterPort)
    if (!master) return undefined
    const ports = view.nodes
      .filter((n) => n.replica && !n.failing && n.masterId === master.id)
      .map((n) => n.port)
      .sort((a, b) => a - b)
    return ports[0]
  }

  /** `CLUSTER KEYSLOT key`. */
  async slotOf(key: string): Promise<number> {
    return Number(await this.command(this.anyLive(), ['CLUSTER', 'KEYSLOT', key]))
  }

  // ---- faults ----

  /** SIGKILLs the node and waits until it has exited. */
  async kill(port: number): Promise<void> {
    await this.killNode(this.node(port))
  }

  /** Freezes the node (SIGSTOP): its connections stay open but nothing is answered. */
  pause(port: number): void {
    const node = this.node(port)
    if (!node.proc || node.proc.done) throw new Error(`${HOST}:${port} is not running`)
    node.proc.child.kill('SIGSTOP')
    node.paused = true
  }

  resume(port: number): void {
    const node = this.node(port)
    if (node.proc && !node.proc.done) node.proc.child.kill('SIGCONT')
    node.paused = false
  }

  /**
   * Starts the node again with its nodes.conf (killing it first if it still runs) and waits until
   * it accepts connections; `waitHealthy()` waits for the others to see it again.
   */
  async restart(port: number): Promise<void> {
    const node = this.node(port)
    await this.killNode(node)
    this.spawnNode(node)
    try {
      await this.ready(node)
    } catch (error) {
      await this.killNode(node)
      throw error
    }
  }

  /** Until `port` is a master in every live node's view and cluster_state is ok everywhere. */
  async waitForMaster(port: number, timeoutMs = 15_000): Promise<void> {
    await this.poll(`${HOST}:${port} to be a master everywhere`, timeoutMs, (views) =>
      views.every(
        (view) =>
          view.state === 'ok' && view.nodes.some((n) => n.port === port && n.master && !n.failing),
      ),
    )
  }

  /**
   * Polls every live node's view until the predicate holds (by default: healthy, see
   * `waitHealthy`); a round in which some live node does not answer does not count.
   */
  async waitForState(
    predicate: (views: ClusterView[]) => boolean = (views) => this.isHealthy(views),
    timeoutMs = 20_000,
  ): Promise<ClusterView[]> {
    return this.poll('the cluster state', timeoutMs, predicate)
  }

  /**
   * Until cluster_state is ok on every live node, every live replica has synced with its master,
   * no live node is flagged failing or disconnected in any live node's view, and all live nodes
   * agree on who is master, whose replica each replica is, and which master owns which slots.
   */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await this.poll('a healthy cluster', timeoutMs, (views) => this.isHealthy(views))
  }

  /**
   * `CLUSTER FAILOVER TAKEOVER` on the replica, then waits until it is a master everywhere and its
   * former master, if it runs, is no longer a master in any live node's view.
   */
  async failoverTakeover(replicaPort: number, timeoutMs = 15_000): Promise<void> {
    const view = await this.view(replicaPort)
    const me = view.nodes.find((n) => n.myself)
    if (!me?.replica) throw new Error(`${HOST}:${replicaPort} is not a replica`)
    const former = view.nodes.find((n) => n.id === me.masterId)?.port
    await this.command(replicaPort, ['CLUSTER', 'FAILOVER', 'TAKEOVER'])
    await this.waitForMaster(replicaPort, timeoutMs)
    if (former !== undefined && this.isLive(former))
      await this.poll(`${HOST}:${former} to step down`, timeoutMs, (views) =>
        views.every((v) => !v.nodes.some((n) => n.port === former && n.master)),
      )
  }

  /**
   * Moves one slot, with its keys, to the master on `toPort` the way live resharding does:
   * IMPORTING on the target, MIGRATING on the source, MIGRATE in batches of 100 keys, then
   * SETSLOT NODE on the target, the source and every other master. `betweenSteps` runs once the
   * slot is half-moved and after each batch (clients then get ASK for moved keys). Resolves when
   * every live node agrees on the new owner.
   */
  async migrateSlot(
    slot: number,
    toPort: number,
    options: { betweenSteps?: () => Promise<void> } = {},
  ): Promise<void> {
    const view = await this.anyView()
    const source = ownerIn(view, slot)
    const target = view.nodes.find((n) => n.port === toPort)
    if (!source) throw new Error(`no master owns slot ${slot}`)
    if (!target?.master) throw new Error(`${HOST}:${toPort} is not a master`)
    if (source.port === toPort) return
    await this.command(toPort, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id])
    await this.command(source.port, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id])
    await options.betweenSteps?.()
    for (;;) {
      const keys = await this.raw(source.port, ['CLUSTER', 'GETKEYSINSLOT', slot, 100])
      if (!Array.isArray(keys) || keys.length === 0) break
      await this.raw(
        source.port,
        ['MIGRATE', HOST, toPort, '', 0, 5000, 'KEYS', ...(keys as Buffer[])],
        15_000,
      )
      await options.betweenSteps?.()
    }
    const assign = ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]
    await this.command(toPort, assign)
    await this.command(source.port, assign)
    const others = mastersIn(await this.anyView()).filter(
      (port) => port !== toPort && port !== source.port && this.isLive(port),
    )
    await Promise.all(others.map((port) => this.command(port, assign)))
    await this.poll(`slot ${slot} to be owned by ${HOST}:${toPort} everywhere`, 15_000, (views) =>
      views.every((v) => ownerIn(v, slot)?.port === toPort),
    )
  }

  // ---- stats and keys ----

  /** `INFO commandstats` as calls per command, e.g. `{ mget: 12, set: 3, 'cluster|info': 40 }`. */
  async commandstats(port: number): Promise<Record<string, number>> {
    const info = String(await this.command(port, ['INFO', 'commandstats']))
    const stats: Record<string, number> = {}
    for (const match of info.matchAll(/^cmdstat_([^:]+):.*?\bcalls=(\d+)/gm))
      stats[match[1]!] = Number(match[2])
    return stats
  }

  /** `CONFIG RESETSTAT` on every live node. */
  async resetStats(): Promise<void> {
    await Promise.all(this.live().map((port) => this.command(port, ['CONFIG', 'RESETSTAT'])))
  }

  /** Every key matching the glob pattern on any live master (SCAN, never KEYS), sorted. */
  async keys(pattern: string): Promise<string[]> {
    const masters = mastersIn(await this.anyView()).filter((port) => this.isLive(port))
    const found = new Set<string>()
    await Promise.all(
      masters.map(async (port) => {
        let cursor = '0'
        do {
          const reply = await this.command(port, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000])
          const [next, batch] = reply as [string, string[]]
          for (const key of batch) found.add(key)
          cursor = next
        } while (cursor !== '0')
      }),
    )
    return [...found].sort()
  }

  // ---- internals ----

  private node(port: number): Node {
    const node = this.nodes.get(port)
    if (!node) throw new Error(`${HOST}:${port} is not a node of this cluster`)
    return node
  }

  private isLive(port: number): boolean {
    const node = this.nodes.get(port)
    return !!node?.proc && !node.proc.done && !node.paused
  }

  private live(): number[] {
    return this.ports.filter((port) => this.isLive(port))
  }

  private anyLive(): number {
    const port = this.live()[0]
    if (port === undefined) throw new Error('no node of the cluster is running')
    return port
  }

  /** The view of the first live node that answers. */
  private async anyView(): Promise<ClusterView> {
    let lastError: unknown = new Error('no node of the cluster is running')
    for (const port of this.live()) {
      try {
        return await this.view(port)
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }

  private async raw(
    port: number,
    args: (string | number | Buffer)[],
    timeoutMs = 2000,
  ): Promise<RawReply> {
    const [reply] = await pipeline(port, [args], timeoutMs)
    if (reply instanceof RedisReplyError)
      throw new Error(`${HOST}:${port} ${String(args[0])}: ${reply.message}`)
    return reply as RawReply
  }

  private isHealthy(views: ClusterView[]): boolean {
    const live = new Set(this.live())
    return (
      views.length > 0 &&
      views.every(
        (view) =>
          view.state === 'ok' &&
          synced(view) &&
          view.nodes.every(
            (n) => !live.has(n.port) || (!n.failing && (n.myself || n.linkState === 'connected')),
          ),
      ) &&
      agree(views, live)
    )
  }

  private isFormed(views: ClusterView[]): boolean {
    return (
      views.length === this.ports.length &&
      views.every(
        (view) =>
          view.state === 'ok' &&
          synced(view) &&
          view.nodes.length === this.ports.length &&
          view.nodes.every((n) => !n.failing && (n.myself || n.linkState === 'connected')) &&
          view.nodes.filter((n) => n.master).length === this.expectedMasters &&
          view.nodes.filter((n) => n.replica).length === this.expectedReplicas,
      )
    )
  }

  private async poll(
    what: string,
    timeoutMs: number,
    predicate: (views: ClusterView[]) => boolean,
  ): Promise<ClusterView[]> {
    const started = Date.now()
    let last: ClusterView[] | undefined
    let lastError: unknown
    for (;;) {
      try {
        last = await this.views()
        lastError = undefined
        if (predicate(last)) return last
      } catch (error) {
        lastError = error
      }
      if (Date.now() - started >= timeoutMs) {
        const why = lastError instanceof Error ? `\nlast error: ${lastError.message}` : ''
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}${why}\n${summarize(last)}`,
        )
      }
      await sleep(POLL_MS)
    }
  }

  /** Starts one node on a spare port, trying another port if that one turns out to be taken. */
  private async addNode(): Promise<void> {
    let lastError: unknown
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await sparePort()
      const node: Node = {
        port,
        dir: join(this.root, String(port)),
        proc: undefined,
        paused: false,
      }
      await mkdir(node.dir, { recursive: true })
      this.nodes.set(port, node)
      this.spawnNode(node)
      try {
        await this.ready(node)
        this.ports.push(port)
        return
      } catch (error) {
        lastError = error
        await this.killNode(node)
        this.nodes.delete(port)
        claimed.delete(port)
        await rm(node.dir, { recursive: true, force: true })
      }
    }
    throw lastError
  }

  private spawnNode(node: Node): void {
    const args = [
      'redis-server',
      '--port',
      String(node.port),
      '--bind',
      HOST,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(node.dir, 'nodes.conf'),
      '--cluster-node-timeout',
      String(this.nodeTimeoutMs),
      '--save',
      '',
      '--appendonly',
      'no',
      // a replica syncs at once instead of 5 s later (an unsynced replica is never promoted)
      '--repl-diskless-sync-delay',
      '0',
      '--dir',
      node.dir,
    ]
    // setpriv makes the kernel SIGKILL the server when this process dies by a signal too (vitest
    // ends its workers with SIGTERM, which skips 'exit' handlers); exec keeps the same pid
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', ...args], { stdio: 'ignore' })
      : spawn('redis-server', args.slice(1), { stdio: 'ignore' })
    const proc: Proc = { child, done: false, exited: Promise.resolve() }
    proc.exited = new Promise<void>((resolve) => {
      const finish = () => {
        proc.done = true
        resolve()
      }
      child.once('exit', finish)
      child.once('error', finish) // e.g. no redis-server on the PATH
    })
    node.proc = proc
    node.paused = false
  }

  /** Until the node answers, and it is our process that answers (not someone else's on that port). */
  private async ready(node: Node, timeoutMs = 10_000): Promise<void> {
    const proc = node.proc!
    const started = Date.now()
    while (Date.now() - started < timeoutMs) {
      if (proc.done)
        throw new Error(`redis-server on ${HOST}:${node.port} exited at start (port taken?)`)
      try {
        const info = String(await this.command(node.port, ['INFO', 'server'], 500))
        if (Number(/process_id:(\d+)/.exec(info)?.[1]) === proc.child.pid) return
      } catch {
        // not listening yet
      }
      await sleep(25)
    }
    throw new Error(`redis-server did not start on ${HOST}:${node.port} within ${timeoutMs} ms`)
  }

  private async killNode(node: Node): Promise<void> {
    const proc = node.proc
    node.paused = false
    if (!proc || proc.done) return
    proc.child.kill('SIGKILL')
    await proc.exited
  }

  private async create(replicasPerMaster: number): Promise<void> {
    const args = [
      '--cluster',
      'create',
      ...this.ports.map((port) => `${HOST}:${port}`),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]
    const { code, output } = await new Promise<{ code: number | string; output: string }>(
      (resolve) =>
        execFile('redis-cli', args, { timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? (error.code ?? 'error') : 0, output: `${stdout}${stderr}` }),
        ),
    )
    if (code !== 0 || !output.includes('[OK] All 16384 slots covered'))
      throw new Error(`redis-cli ${args.join(' ')} failed (exit ${code}):\n${output}`)
  }

  /** @internal For the process 'exit' handler: synchronous, best effort. */
  killNow(): void {
    for (const node of this.nodes.values()) {
      if (node.proc && !node.proc.done) {
        try {
          node.proc.child.kill('SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    try {
      rmSync(this.root, { recursive: true, force: true })
    } catch {
      // best effort
    }
  }
}

// ---- clusters to clean up if the process exits without stop() ----

const clusters = new Set<LocalCluster>()
let exitHandler: (() => void) | undefined

function track(cluster: LocalCluster): void {
  clusters.add(cluster)
  if (!exitHandler) {
    exitHandler = () => {
      for (const c of clusters) c.killNow()
    }
    process.on('exit', exitHandler)
  }
}

function untrack(cluster: LocalCluster): void {
  clusters.delete(cluster)
}

// ---- ports ----

/** Ports handed out in this process and not yet released (so parallel starts do not collide). */
const claimed = new Set<number>()

/** A random port P in 21000–29999 with P and P+10000 (the cluster bus) free on loopback. */
async function sparePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_MIN + Math.floor(Math.random() * PORT_SPAN)
    if (claimed.has(port)) continue
    claimed.add(port)
    if ((await canListen(port)) && (await canListen(port + BUS_OFFSET))) return port
    claimed.delete(port)
  }
  throw new Error('no spare port pair (P, P+10000) found in 21000–29999')
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => server.close(() => resolve(true)))
  })
}

// ---- CLUSTER NODES, INFO ----

function parseInfo(info: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of info.split(/\r?\n/)) {
    const at = line.indexOf(':')
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trim()
  }
  return fields
}

/** The roles of the live nodes and the slot owners, as one node sees them. */
function layout(view: ClusterView, live: Set<number>): string {
  const byId = new Map(view.nodes.map((n) => [n.id, n.port]))
  const roles = view.nodes
    .filter((n) => live.has(n.port))
    .map((n) => `${n.port}${n.master ? 'M' : `S${byId.get(n.masterId ?? '') ?? '?'}`}`)
    .sort()
  const owners = view.nodes
    .filter((n) => n.master && n.slots.length)
    .flatMap((n) => n.slots.map(([a, b]) => `${a}-${b}:${n.port}`))
    .sort()
  return `${roles.join(' ')} | ${owners.join(' ')}`
}

/** Every view has the same roles and slot owners (a restarted old master has caught up). */
function agree(views: ClusterView[], live: Set<number>): boolean {
  const first = views[0] && layout(views[0], live)
  return views.every((view) => layout(view, live) === first)
}

/** A replica that has not finished its sync with its master cannot be promoted on failure. */
function synced(view: ClusterView): boolean {
  return view.replication.role !== 'slave' || view.replication.master_link_status === 'up'
}

function parseNodes(listing: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = []
  for (const line of listing.split(/\r?\n/)) {
    if (!line.trim()) continue
    const [id = '', address = '', flagList = '', masterId = '-', , , , linkState = '', ...rest] =
      line.trim().split(' ')
    const hostPort = address.split('@')[0] ?? ''
    const flags = flagList.split(',')
    const slots: [number, number][] = []
    for (const token of rest) {
      if (token.startsWith('[')) continue // [slot->-id] migrating / [slot-<-id] importing
      const [from, to = from] = token.split('-')
      slots.push([Number(from), Number(to)])
    }
    entries.push({
      id,
      port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
      flags,
      masterId: masterId === '-' ? undefined : masterId,
      linkState,
      slots,
      myself: flags.includes('myself'),
      master: flags.includes('master'),
      replica: flags.includes('slave'),
      failing: flags.some(
        (f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr',
      ),
    })
  }
  return entries
}

function mastersIn(view: ClusterView): number[] {
  return view.nodes
    .filter((n) => n.master && !n.failing)
    .map((n) => n.port)
    .sort((a, b) => a - b)
}

function ownerIn(view: ClusterView, slot: number): ClusterNodeEntry | undefined {
  return view.nodes.find((n) => n.master && n.slots.some(([a, b]) => a <= slot && slot <= b))
}

function summarize(views: ClusterView[] | undefined): string {
  if (!views) return '(no view)'
  return views
    .map(
      (view) =>
        `  seen from ${view.port} (${view.state}${synced(view) ? '' : ', replica not synced'}): ` +
        view.nodes
          .map(
            (n) =>
              `${n.port}[${n.flags.filter((f) => f !== 'myself').join(',')}` +
              `${n.myself || n.linkState === 'connected' ? '' : ',disconnected'}]`,
          )
          .join(' '),
    )
    .join('\n')
}

// ---- a tiny RESP2 client ----

class RedisReplyError extends Error {}

type RawReply = Buffer | string | number | null | RedisReplyError | RawReply[]

const CRLF = Buffer.from('\r\n')

function encode(args: (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(parts)
}

/** One reply starting at `at`, or undefined if it has not fully arrived. */
function parse(buf: Buffer, at: number): { value: RawReply; next: number } | undefined {
  const eol = buf.indexOf(CRLF, at)
  if (eol < 0) return undefined
  const type = buf[at]
  const line = buf.toString('utf8', at + 1, eol)
  const after = eol + 2
  switch (type) {
    case 0x2b: // +
      return { value: line, next: after }
    case 0x2d: // -
      return { value: new RedisReplyError(line), next: after }
    case 0x3a: // :
      return { value: Number(line), next: after }
    case 0x24: {
      // $
      const length = Number(line)
      if (length < 0) return { value: null, next: after }
      if (buf.length < after + length + 2) return undefined
      return { value: Buffer.from(buf.subarray(after, after + length)), next: after + length + 2 }
    }
    case 0x2a: {
      // *
      const count = Number(line)
      if (count < 0) return { value: null, next: after }
      const items: RawReply[] = []
      let next = after
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next)
        if (!item) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(line.slice(0, 20))}`)
  }
}

/** Sends the commands on one fresh connection and resolves with one reply per command. */
function pipeline(
  port: number,
  commands: (string | number | Buffer)[][],
  timeoutMs = 2000,
): Promise<RawReply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST)
    const replies: RawReply[] = []
    let buf = Buffer.alloc(0)
    let offset = 0
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(replies)
    }
    const timer = setTimeout(
      () => finish(new Error(`${HOST}:${port} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      try {
        for (;;) {
          const reply = parse(buf, offset)
          if (!reply) return
          replies.push(reply.value)
          offset = reply.next
          if (replies.length === commands.length) return finish()
        }
      } catch (error) {
        finish(error as Error)
      }
    })
    socket.once('error', (error) => finish(new Error(`${HOST}:${port}: ${error.message}`)))
    socket.once('close', () => finish(new Error(`${HOST}:${port} closed the connection`)))
    socket.write(Buffer.concat(commands.map(encode)))
  })
}

/** Bulk strings as UTF-8; an error nested in an array is thrown. */
function text(reply: RawReply): Reply {
  if (reply instanceof RedisReplyError) throw new Error(reply.message)
  if (Buffer.isBuffer(reply)) return reply.toString('utf8')
  if (Array.isArray(reply)) return reply.map(text)
  return reply
}
