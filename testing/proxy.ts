import { connect, createServer, type Server, type Socket } from 'node:net'

export type ProxyMode = { kind: 'pass' } | { kind: 'delay'; ms: number } | { kind: 'stall' }

/**
 * A TCP proxy on loopback in front of a Redis of the test's own, to make it slow or silent
 * without touching the server. Byte order is kept in every mode.
 */
export class FaultProxy {
  mode: ProxyMode = { kind: 'pass' }
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private readonly held: (() => void)[] = []
  port = 0

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.upstreamPort, '127.0.0.1')
      this.sockets.add(client).add(upstream)
      const forward = (from: Socket, to: Socket) => {
        let chain = Promise.resolve()
        from.on('data', (chunk) => {
          chain = chain.then(() => this.pass(() => to.write(chunk)))
        })
        from.on('close', () => to.destroy())
        from.on('error', () => to.destroy())
      }
      forward(client, upstream)
      forward(upstream, client)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const address = this.server.address()
    this.port = typeof address === 'object' && address ? address.port : 0
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Back to passing bytes straight through; anything held during a stall is released in order. */
  heal(): void {
    this.mode = { kind: 'pass' }
    for (const release of this.held.splice(0)) release()
  }

  /** Cuts every open connection (clients see them close); new ones are still accepted. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    this.held.splice(0)
  }

  private pass(write: () => void): Promise<void> {
    const mode = this.mode
    if (mode.kind === 'pass') {
      write()
      return Promise.resolve()
    }
    if (mode.kind === 'delay') return new Promise((r) => setTimeout(() => r(write()), mode.ms))
    return new Promise((r) => this.held.push(() => r(write())))
  }

  async stop(): Promise<void> {
    this.heal()
    for (const s of this.sockets) s.destroy()
    await new Promise((r) => this.server?.close(r))
  }
}
