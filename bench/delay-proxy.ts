/**
 * A TCP proxy that adds latency without limiting throughput: every chunk read from one side is queued with its
 * arrival time and written to the other side, in order, `delayMs` later. Chunks keep flowing while earlier ones
 * wait, so a stream of data arrives at the same rate it was sent, just later (like a long, fat link).
 *
 * Backpressure: when the receiving socket's buffer is full, releasing stops until it drains; when a direction's
 * queue holds more than `maxQueuedBytes`, the sending socket is paused until the queue falls below half of it.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface DelayProxyOptions {
  /** Where to forward connections. */
  targetHost: string;
  targetPort: number;
  /** Delay added to each direction, in milliseconds (a round trip gets twice this). */
  delayMs: number;
  /** Listen here; port 0 (default) picks a free port. */
  listenHost?: string;
  listenPort?: number;
  /** Per-direction queue size above which the sender is paused (default 16 MiB: well above bandwidth x delay). */
  maxQueuedBytes?: number;
}

export interface DelayProxyStats {
  connections: number;
  bytesUp: number;
  bytesDown: number;
  /** Largest number of bytes held in one direction's queue at any time. */
  maxQueuedBytes: number;
  /** How many times a sender was paused because a queue was full. */
  pauses: number;
}

interface Queued {
  chunk: Buffer | null; // null: the sender ended (half-close), forwarded after the delay too
  due: number;
}

/** One direction of one connection. */
class Pipe {
  private readonly queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private blocked = false;
  private pausedByUs = false;
  private finished = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly maxQueued: number,
    private readonly stats: DelayProxyStats,
    private readonly direction: 'bytesUp' | 'bytesDown',
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.push(null));
    to.on('drain', () => {
      this.blocked = false;
      this.release();
    });
  }

  private push(chunk: Buffer | null): void {
    this.queue.push({ chunk, due: performance.now() + this.delayMs });
    if (chunk) {
      this.stats[this.direction] += chunk.length;
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > this.stats.maxQueuedBytes) this.stats.maxQueuedBytes = this.queuedBytes;
      if (this.queuedBytes > this.maxQueued && !this.pausedByUs) {
        this.pausedByUs = true;
        this.stats.pauses++;
        this.from.pause();
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.blocked || this.head >= this.queue.length) return;
    const wait = this.queue[this.head]!.due - performance.now();
    if (wait <= 0) {
      this.release();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, Math.ceil(wait));
  }

  private release(): void {
    const now = performance.now();
    while (!this.blocked && this.head < this.queue.length && this.queue[this.head]!.due <= now + 0.5) {
      const { chunk } = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Queued;
      this.head++;
      if (chunk === null) {
        this.finished = true;
        if (!this.to.destroyed) this.to.end();
        continue;
      }
      this.queuedBytes -= chunk.length;
      if (this.to.destroyed) continue;
      if (!this.to.write(chunk)) this.blocked = true;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.pausedByUs && this.queuedBytes <= this.maxQueued / 2) {
      this.pausedByUs = false;
      if (!this.finished) this.from.resume();
    }
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }
}

export class DelayProxy {
  readonly stats: DelayProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0, maxQueuedBytes: 0, pauses: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(options: DelayProxyOptions): Promise<DelayProxy> {
    const maxQueued = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    const listenHost = options.listenHost ?? '127.0.0.1';
    let proxy: DelayProxy | undefined;
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
      if (!proxy) {
        client.destroy();
        return;
      }
      const p = proxy;
      p.stats.connections++;
      const upstream = connect({ host: options.targetHost, port: options.targetPort, noDelay: true, allowHalfOpen: true });
      p.sockets.add(client);
      p.sockets.add(upstream);
      const up = new Pipe(client, upstream, options.delayMs, maxQueued, p.stats, 'bytesUp');
      const down = new Pipe(upstream, client, options.delayMs, maxQueued, p.stats, 'bytesDown');
      let closed = 0;
      const onClose = (socket: Socket) => () => {
        p.sockets.delete(socket);
        if (++closed === 2) {
          up.dispose();
          down.dispose();
        }
      };
      client.on('close', onClose(client));
      upstream.on('close', onClose(upstream));
      // An error on one side tears down both (like a reset on a real link).
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      // A side that closes fully without ending cleanly takes the other with it.
      client.on('close', (hadError) => {
        if (hadError) upstream.destroy();
      });
      upstream.on('close', (hadError) => {
        if (hadError) client.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, listenHost, () => resolve());
    });
    const address = server.address() as AddressInfo;
    proxy = new DelayProxy(server, listenHost, address.port);
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
