import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { DelayProxy } from '../../bench/delay-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function echoServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.pipe(socket);
    socket.on('error', () => undefined);
  });
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return listen(server);
}

async function proxyTo(port: number, delayMs: number, maxQueuedBytes?: number): Promise<DelayProxy> {
  const proxy = await DelayProxy.start({ targetHost: '127.0.0.1', targetPort: port, delayMs, maxQueuedBytes });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function client(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  cleanups.push(() => void socket.destroy());
  return socket;
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('DelayProxy', () => {
  it('adds the delay each way to a round trip', async () => {
    const proxy = await proxyTo(await echoServer(), 30);
    const socket = await client(proxy.port);
    const started = performance.now();
    const echoed = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write('ping');
    expect((await echoed).toString()).toBe('ping');
    // Two crossings of the proxy (there and back), 30 ms each; timers never fire early by more than a ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);
  });

  it('delays chunks without queueing each behind the previous one (latency, not a throttle)', async () => {
    const delay = 100;
    const proxy = await proxyTo(await echoServer(), delay);
    const socket = await client(proxy.port);
    let received = 0;
    const chunks = 10;
    const done = new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => {
        received += d.length;
        if (received === chunks) resolve();
      }),
    );
    const started = performance.now();
    for (let i = 0; i < chunks; i++) {
      socket.write('x');
      await new Promise((r) => setTimeout(r, 10));
    }
    await done;
    const elapsed = performance.now() - started;
    // Serialised chunks would take >= chunks * 2 * delay = 2000 ms; in flight together about 90 + 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(2 * delay - 1);
    expect(elapsed).toBeLessThan(1500);
  });

  it('forwards large transfers byte for byte in both directions, and half-closes in order', async () => {
    const proxy = await proxyTo(await echoServer(), 5);
    const socket = await client(proxy.port);
    const payload = randomBytes(8 * 1024 * 1024);
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.end(payload);
    await ended;
    const back = Buffer.concat(parts);
    expect(back.length).toBe(payload.length);
    expect(sha(back)).toBe(sha(payload));
    expect(proxy.stats.bytesUp).toBe(payload.length);
    expect(proxy.stats.bytesDown).toBe(payload.length);
  });

  it('honours backpressure: stops reading the sender while the receiver does not read, then delivers everything', async () => {
    let upstreamSocket: Socket | undefined;
    const received: Buffer[] = [];
    let connected!: () => void;
    const gotSocket = new Promise<void>((resolve) => (connected = resolve));
    const server = createServer((socket) => {
      upstreamSocket = socket;
      socket.pause(); // a receiver that does not read
      socket.on('data', (d: Buffer) => received.push(d));
      connected();
    });
    cleanups.push(() => void upstreamSocket?.destroy());
    const serverPort = await listen(server);
    const maxQueued = 256 * 1024;
    const proxy = await proxyTo(serverPort, 2, maxQueued);
    const socket = await client(proxy.port);
    await gotSocket;
    const payload = randomBytes(48 * 1024 * 1024);
    const ended = new Promise<void>((resolve) => upstreamSocket!.once('end', () => resolve()));
    socket.end(payload);
    // Wait until the proxy has paused the sender and the flow has settled.
    for (let i = 0; i < 200 && proxy.stats.pauses === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.stats.pauses).toBeGreaterThan(0);
    // The proxy's queue stays near its limit (one read chunk can overshoot it) instead of swallowing the stream.
    expect(proxy.stats.maxQueuedBytes).toBeLessThanOrEqual(maxQueued + 256 * 1024);
    const forwardedWhilePaused = proxy.stats.bytesUp;
    expect(forwardedWhilePaused).toBeLessThan(payload.length);
    expect(socket.writableLength).toBeGreaterThan(0); // the sender is held back
    upstreamSocket!.resume();
    await ended;
    const all = Buffer.concat(received);
    expect(all.length).toBe(payload.length);
    expect(sha(all)).toBe(sha(payload));
  });
});
