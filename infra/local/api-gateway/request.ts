import type { IncomingMessage } from 'node:http';
import type { GatewayRequest } from './types.js';

/** API Gateway's payload quota (HTTP and REST APIs alike): 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Past this, a client still sending an oversized body is cut off instead of drained. */
const MAX_DRAIN_BYTES = 4 * MAX_BODY_BYTES;

/**
 * Reads the body as bytes, up to `limit`. An oversized body is drained (so the client,
 * still uploading, gets to read the 413) but not kept; returns `null` for it.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_DRAIN_BYTES) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) req.socket.destroy();
      else if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks, size)));
    req.on('error', reject);
    // A client that went away (or was cut off) mid-body: nothing to hand to a handler.
    req.on('close', () => resolve(null));
  });

export const toGatewayRequest = (req: IncomingMessage, body: Buffer): GatewayRequest => {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const remote = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath: queryAt >= 0 ? target.slice(0, queryAt) : target,
    rawQueryString: queryAt >= 0 ? target.slice(queryAt + 1) : '',
    rawHeaders: req.rawHeaders,
    body,
    sourceIp: remote.startsWith('::ffff:') ? remote.slice('::ffff:'.length) : remote,
    protocol: `HTTP/${req.httpVersion}`,
    localPort: req.socket.localPort ?? 0,
  };
};
