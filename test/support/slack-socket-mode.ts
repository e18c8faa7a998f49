import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Slack's side of a Socket Mode connection, for tests: accepts the app's WebSocket, says `hello`, delivers
 * envelopes (slash commands, interactivity) and hands back the app's acknowledgement of each.
 */
export interface FakeSocketMode {
  url: string;
  connected: Promise<void>;
  /** Sends an envelope and resolves with the app's ack (`{ envelope_id, payload? }`). */
  deliver(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>): Promise<{ envelope_id: string; payload?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const pending = new Map<string, (ack: { envelope_id: string; payload?: Record<string, unknown> }) => void>();
  let socket: WebSocket | undefined;
  let markConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    markConnected = resolve;
  });
  server.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: Record<string, unknown> };
      pending.get(ack.envelope_id)?.(ack);
      pending.delete(ack.envelope_id);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A1' } }));
    markConnected();
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/link`,
    connected,
    async deliver(type, payload) {
      await connected;
      const envelopeId = randomUUID();
      const acked = new Promise<{ envelope_id: string; payload?: Record<string, unknown> }>((resolve) => pending.set(envelopeId, resolve));
      socket!.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' }));
      return acked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
