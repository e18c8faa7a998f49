import { createServer, type Server, type Socket } from 'node:net';

/** One complete client command as the scripted server received it. */
export interface ReceivedCommand {
  tag: string;
  /** The command's text with each literal replaced by `<literal n>`. */
  text: string;
  literals: Buffer[];
  /** Literal announcements, in order, `n` (synchronising) or `n+`. */
  announcements: string[];
}

export interface Script {
  /** Capabilities in the greeting and after login. */
  capabilities: string;
  /** The greeting line (without CRLF) instead of `* OK [CAPABILITY ...]`, e.g. `* PREAUTH ...` or `* BYE ...`. */
  greeting?: string;
  /** A LOGIN or AUTHENTICATE arrived: answer it (or not). By default anyone is logged in. */
  onLogin?(command: ReceivedCommand, socket: Socket): void | Promise<void>;
  /**
   * A synchronising literal was announced: return undefined to send `+`, or a tagged response line to refuse
   * the command there (the client must then not send the literal). May be async.
   */
  onSyncLiteral?(tag: string, textSoFar: string, socket: Socket, size: number): Promise<string | undefined> | string | undefined;
  /** A whole command after login arrived: answer it (the tag is yours to use). */
  onCommand(command: ReceivedCommand, socket: Socket): void | Promise<void>;
  /** A client connected (before the greeting is written). */
  onConnect?(socket: Socket): void;
}

/**
 * A tiny IMAP server for protocol edge cases Dovecot will not produce on demand: it parses commands with
 * synchronising and non-synchronising literals, logs anyone in, and lets the test answer the rest.
 */
export class ScriptedImapServer {
  readonly received: ReceivedCommand[] = [];
  /** Bytes that arrived while a synchronising literal waited for `+` (must stay 0). */
  bytesBeforeContinuation = 0;
  /** Every byte any client sent. */
  bytesReceived = 0;
  /** Connections accepted so far. */
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(script: Script): Promise<ScriptedImapServer> {
    let self: ScriptedImapServer | undefined;
    const server = createServer((socket) => self!.serve(socket, script));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new ScriptedImapServer(server, (server.address() as { port: number }).port);
    return self;
  }

  private serve(socket: Socket, script: Script): void {
    this.sockets.add(socket);
    this.connections++;
    script.onConnect?.(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.write(`${script.greeting ?? `* OK [CAPABILITY ${script.capabilities}] scripted server ready`}\r\n`);
    let buffer = Buffer.alloc(0);
    let current: ReceivedCommand | undefined;
    let needLiteral = 0;
    let waitingForContinue = false;
    let busy = Promise.resolve();
    const process = async (): Promise<void> => {
      for (;;) {
        if (needLiteral > 0) {
          if (buffer.length < needLiteral) return;
          current!.literals.push(buffer.subarray(0, needLiteral));
          current!.text += `<literal ${needLiteral}>`;
          buffer = buffer.subarray(needLiteral);
          needLiteral = 0;
          continue;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 2);
        if (!current) {
          const space = line.indexOf(' ');
          current = { tag: line.slice(0, space), text: '', literals: [], announcements: [] };
          current.text = line.slice(space + 1);
        } else {
          current.text += line;
        }
        const literal = /\{(\d+)(\+?)\}$/.exec(line);
        if (literal) {
          needLiteral = Number(literal[1]);
          current.announcements.push(literal[1]! + literal[2]!);
          current.text = current.text.slice(0, -literal[0].length);
          if (!literal[2]) {
            waitingForContinue = true;
            const refusal = await script.onSyncLiteral?.(current.tag, current.text, socket, needLiteral);
            waitingForContinue = false;
            if (refusal) {
              socket.write(`${current.tag} ${refusal}\r\n`);
              current = undefined;
              needLiteral = 0;
            } else {
              socket.write('+ go ahead\r\n');
            }
          }
          continue;
        }
        const command = current;
        current = undefined;
        this.received.push(command);
        if (/^(AUTHENTICATE|LOGIN) /i.test(command.text)) {
          if (script.onLogin) await script.onLogin(command, socket);
          else socket.write(`${command.tag} OK [CAPABILITY ${script.capabilities}] logged in\r\n`);
        }
        else if (/^LOGOUT/i.test(command.text)) socket.end(`* BYE bye\r\n${command.tag} OK bye\r\n`);
        else await script.onCommand(command, socket);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      if (waitingForContinue) this.bytesBeforeContinuation += chunk.length;
      buffer = Buffer.concat([buffer, chunk]);
      busy = busy.then(process);
    });
  }

  /** Commands after login (APPENDs and so on). */
  get appends(): ReceivedCommand[] {
    return this.received.filter((c) => /^APPEND /i.test(c.text));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
