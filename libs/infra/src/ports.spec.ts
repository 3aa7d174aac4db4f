import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { startLocalKafka } from './local-kafka.js';
import { claimPort, PortTakenError } from './ports.js';

let occupied: Server | undefined;

async function occupyPort(): Promise<number> {
  occupied = createServer();
  await new Promise<void>((resolve) => occupied!.listen(0, '127.0.0.1', resolve));
  return (occupied.address() as { port: number }).port;
}

afterEach(() => new Promise<void>((resolve) => (occupied ? occupied.close(() => resolve()) : resolve())));

describe('ports', () => {
  it('picks a free port when asked for 0', async () => {
    const port = await claimPort(0, 'ANY_PORT');
    expect(port).toBeGreaterThan(0);
  });

  it('reports a taken port with the variable to change', async () => {
    const port = await occupyPort();
    const err = await claimPort(port, 'KAFKA_LOCAL_PORT').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortTakenError);
    expect((err as Error).message).toBe(
      `port ${port} (KAFKA_LOCAL_PORT) is already taken on 127.0.0.1: stop what listens there or set KAFKA_LOCAL_PORT to a free port (0 picks one)`,
    );
  });

  it('refuses to start a local broker on a taken port at once instead of hanging', async () => {
    const port = await occupyPort();
    // a hang instead of the error ends in the test's timeout
    await expect(
      startLocalKafka({ projectRoot: '/nonexistent', port: 0, controllerPort: port, dataDir: '/tmp/never-used', cacheDir: '/tmp/never-used', logger: createLogger('silent') }),
    ).rejects.toThrow(/KAFKA_LOCAL_CONTROLLER_PORT/);
  });
});
