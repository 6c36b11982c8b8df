import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A local service's listening side: where it is, and how to stop it at once. */
export interface Listening {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  /** Stops listening and ends open keep-alive connections, so nothing lingers. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (by default) and a free port (by default). Unless `keepsProcessAlive`,
 * the server is unref'd: a test process must not stay alive just because a helper service
 * still listens (the API itself is what keeps `npm start` running).
 */
export const listenOnLoopback = async (
  server: Server,
  options: { port?: number; host?: string; keepsProcessAlive?: boolean } = {},
): Promise<Listening> => {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  if (!options.keepsProcessAlive) server.unref();
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
