import { createServer } from 'node:net';

export class PortTakenError extends Error {
  constructor(
    readonly port: number,
    readonly variable: string,
    host = '127.0.0.1',
  ) {
    super(`port ${port} (${variable}) is already taken on ${host}: stop what listens there or set ${variable} to a free port (0 picks one)`);
    this.name = 'PortTakenError';
  }
}

/** Binds and releases a port: resolves with the port (a free one when asked for 0), or rejects with PortTakenError. */
export function claimPort(port: number, variable: string, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortTakenError(port, variable, host) : err);
    });
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}
