import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/*
 * The kubelet's side of `pods/exec` for the test API server: a TEST DOUBLE that runs no process.
 * It speaks the channel protocol as the API server does (written out here on its own, not with
 * Wharf's code, so that a mistake in Wharf's is not mirrored) and plays a tiny fixed set of
 * commands the tests use:
 *   echo ARGS…          ARGS joined by spaces, a newline, on stdout; exit 0
 *   cat                 stdin copied to stdout until the client closes stdin (v5); exit 0
 *   sh -c "exit N"      exit N
 *   sh -c "echo X >&2"  X and a newline on stderr; exit 0
 *   stty size           the last size the client set on the resize channel, "rows columns"; exit 0
 * Anything else fails as a missing executable does on a real node.
 */

const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE = 255;

/** What the double runs in a container. */
export interface ExecCall {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
  protocol: string;
}

export class KubeExec {
  /** Every exec served, in order. */
  readonly calls: ExecCall[] = [];
  private readonly server = new WebSocketServer({
    noServer: true,
    // As the API server: v5 first, then v4; the text-status versions are not served here.
    handleProtocols: (offered) => (offered.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : offered.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });

  /**
   * Answers an upgrade of `…/namespaces/<namespace>/pods/<name>/exec?…` as the API server does:
   * 404 for a pod that does not exist, 400 for a container it does not have or no command, else
   * the WebSocket and the command.
   */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, at: { namespace: string; name: string }, pod: { spec?: any } | undefined, query: URLSearchParams): void {
    if (!pod) return refuse(socket, 404, 'NotFound', `pods "${at.name}" not found`);
    const names: string[] = (pod.spec?.containers ?? []).map((container: { name: string }) => container.name);
    const container = query.get('container') || (names.length === 1 ? names[0]! : '');
    if (!names.includes(container)) return refuse(socket, 400, 'BadRequest', `container ${container} is not valid for pod ${at.name}`);
    const command = query.getAll('command');
    if (command.length === 0) return refuse(socket, 400, 'BadRequest', 'you must specify at least 1 command');
    this.server.handleUpgrade(request, socket, head, (ws) => {
      const call = { namespace: at.namespace, pod: at.name, container, command, stdin: query.get('stdin') === 'true', tty: query.get('tty') === 'true', protocol: ws.protocol };
      this.calls.push(call);
      run(ws, call);
    });
  }

  /** Ends every exec in progress (the API server goes away). */
  endSessions(): void {
    for (const client of this.server.clients) client.terminate();
  }
}

function refuse(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason, code });
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function run(ws: WebSocket, call: ExecCall): void {
  const send = (channel: number, text: string): void => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
  const end = (exitCode: number): void => {
    const status = exitCode === 0
      ? { metadata: {}, status: 'Success' }
      : {
          metadata: {},
          status: 'Failure',
          message: `command terminated with non-zero exit code: error executing command [${call.command.join(' ')}], exit code ${exitCode}`,
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
        };
    send(STATUS, JSON.stringify(status));
    ws.close(1000);
  };
  let size = { rows: 0, columns: 0 };
  let onStdin: ((data: Buffer) => void) | undefined;
  let onStdinClosed: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    if (data[0] === 0) onStdin?.(data.subarray(1));
    else if (data[0] === RESIZE) {
      const parsed = JSON.parse(data.subarray(1).toString()) as { Width: number; Height: number };
      size = { rows: parsed.Height, columns: parsed.Width };
    } else if (data[0] === CLOSE && data[1] === 0 && call.protocol === 'v5.channel.k8s.io') onStdinClosed?.();
  });

  const [program, ...args] = call.command;
  const script = program === 'sh' && args[0] === '-c' ? args[1] ?? '' : undefined;
  if (program === 'echo') {
    send(STDOUT, `${args.join(' ')}\n`);
    end(0);
  } else if (program === 'cat') {
    onStdin = (data) => send(STDOUT, data.toString());
    onStdinClosed = () => end(0);
  } else if (program === 'stty' && args[0] === 'size') {
    // The client sets the size right after it connects: answer once it has.
    const answer = (): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (size.rows === 0) setTimeout(answer, 10);
      else {
        send(STDOUT, `${size.rows} ${size.columns}\r\n`);
        end(0);
      }
    };
    answer();
  } else if (script !== undefined && /^exit \d+$/.test(script)) {
    end(Number(script.slice(5)));
  } else if (script !== undefined && /^echo \S+ >&2$/.test(script)) {
    send(STDERR, `${script.split(' ')[1]}\n`);
    end(0);
  } else {
    send(STATUS, JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`,
      reason: 'InternalError',
      details: { causes: [{ message: `exec: "${program}": executable file not found in $PATH` }] },
    }));
    ws.close(1000);
  }
}
