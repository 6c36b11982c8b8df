import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy in front of DynamoDB Local that can answer like a throttled DynamoDB
 * (DynamoDB Local never throttles) or hang, so the store's failure paths run for real.
 */
export type ProxyMode = 'pass' | 'throttle' | 'hang' | 'internal';

export interface FaultProxy {
  url: string;
  mode: ProxyMode;
  /** When set, the fault hits only these operations (e.g. ['UpdateItem']); others pass. */
  only: string[] | undefined;
  /** Requests seen, by X-Amz-Target operation. */
  operations: string[];
  close(): Promise<void>;
}

export const startFaultProxy = async (target: string): Promise<FaultProxy> => {
  const sockets = new Set<Socket>();
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', mode: 'pass', only: undefined, operations: [], close: async () => undefined };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      proxy.operations.push(operation);
      const mode = proxy.only && !proxy.only.includes(operation) ? 'pass' : proxy.mode;
      if (mode === 'hang') return;
      if (mode === 'throttle' || mode === 'internal') {
        // DynamoDB's own answer to an exhausted capacity (HTTP 400 with this __type).
        const type = mode === 'throttle' ? 'ProvisionedThroughputExceededException' : 'InternalServerError';
        res.writeHead(mode === 'throttle' ? 400 : 500, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': type,
        });
        return res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'emulated' }));
      }
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer: IncomingMessage) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
};
