import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback HTTP proxy that waits a fixed time before forwarding each request: it puts
 * a simulated network round trip in front of DynamoDB Local (which has no delay switch of
 * its own), and logs the operation of each call (`X-Amz-Target`, e.g.
 * `DynamoDB_20120810.UpdateItem`) so the benchmark can count what a warm exchange sends.
 */
export interface DelayProxyHandle {
  url: string;
  calls: Array<{ operation: string; at: number }>;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export const startDelayProxy = async (target: string): Promise<DelayProxyHandle> => {
  const upstream = new URL(target);
  // Keep-alive upstream too: a new TCP connection per call would add work the real path lacks.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls: DelayProxyHandle['calls'] = [];
  const sockets = new Set<Socket>();
  let delayMs = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    outgoing.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      calls.push({ operation: (typeof target === 'string' ? target.split('.').pop() : undefined) ?? '(none)', at: Date.now() });
      const body = Buffer.concat(chunks);
      if (delayMs > 0) setTimeout(() => forward(req, res, body), delayMs);
      else forward(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
};
