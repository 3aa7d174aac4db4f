import { io, type Socket } from 'socket.io-client';
import type { LiveState } from '../../../../apps/gateway/src/live/live.events.js';
import { cpuMsSince, serveClient } from './client-process.js';
import type { SocketJob, SocketReady, SocketStats } from './messages.js';

/** Many dashboard clients of one site on the /live namespace, as browsers would hold them open. */

const sockets: Socket[] = [];
let updates = 0;
let disconnects = 0;
let sampledBytes = 0;
let sampled = 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

serveClient<SocketJob, SocketReady, SocketStats>({
  prepare: async (job) => {
    const started = performance.now();
    const connectErrors: Record<string, number> = {};
    const pending: Promise<void>[] = [];
    for (let i = 0; i < job.clients; i++) {
      const socket = io(`${job.gatewayUrl}/live`, { auth: { site: job.site, token: job.token }, transports: ['websocket'], forceNew: true, reconnection: false });
      sockets.push(socket);
      pending.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            connectErrors['timeout'] = (connectErrors['timeout'] ?? 0) + 1;
            resolve();
          }, 120_000);
          socket.once('snapshot', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.once('connect_error', (err: Error) => {
            clearTimeout(timer);
            connectErrors[err.message] = (connectErrors[err.message] ?? 0) + 1;
            resolve();
          });
        }),
      );
      socket.on('update', (state: LiveState) => {
        updates += 1;
        if (updates % 97 === 0) {
          sampledBytes += JSON.stringify(state).length;
          sampled += 1;
        }
      });
      socket.on('disconnect', () => (disconnects += 1));
      // spread the handshakes so the gateway sees a ramp, not one burst
      if ((i + 1) % Math.max(1, Math.round(job.connectPerSecond / 20)) === 0) await sleep(50);
    }
    await Promise.all(pending);
    return { connected: sockets.filter((s) => s.connected).length, connectErrors, connectMs: Math.round(performance.now() - started) };
  },
  run: async (job, stopped) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    updates = 0;
    disconnects = 0;
    await stopped;
    const wallMs = performance.now() - started;
    const connected = sockets.filter((s) => s.connected).length;
    const stats: SocketStats = {
      connected,
      disconnects,
      updates,
      updatesPerClientPerSecond: Math.round((updates / Math.max(1, job.clients) / (wallMs / 1000)) * 100) / 100,
      bytesPerUpdate: sampled > 0 ? Math.round(sampledBytes / sampled) : 0,
      cpuMs: cpuMsSince(cpu),
      wallMs: Math.round(wallMs),
    };
    for (const s of sockets) s.close();
    return stats;
  },
});
