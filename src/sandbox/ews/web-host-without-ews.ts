import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ewsDoubleCertificate } from './server.js';

/**
 * The web server of a mail host that offers no EWS (the sandbox's E-mail Pro services: OVH's guide says calendar
 * and contact sync is not offered there): it answers, but every path is a 404, so a probe of
 * /EWS/Exchange.asmx gets a definite "no" at once. Without it the probe dialled the fictional `*.sandbox.local`
 * name and waited on DNS (up to its 5 s timeout when the resolver did not answer).
 */
export class WebHostWithoutEws {
  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(): Promise<WebHostWithoutEws> {
    const certificate = await ewsDoubleCertificate();
    const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>404 Not Found</h1>');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new WebHostWithoutEws(server, '127.0.0.1', (server.address() as AddressInfo).port);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
