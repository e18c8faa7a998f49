import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An operator endpoint (the queue dashboard, /metrics) once its server listens. */
export interface Listening {
  /** `http://HOST:PORT` + the path it serves. */
  url: string;
  port: number;
  /** Ends open connections, stops listening, then runs the endpoint's own clean-up; once, however often called. */
  close(): Promise<void>;
}

export function listening(server: Server, host: string, path: string, cleanUp: () => Promise<unknown> = async () => undefined): Listening {
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await cleanUp();
      })();
      return closed;
    },
  };
}
