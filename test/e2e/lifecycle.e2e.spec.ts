import { createServer, type Server } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { eventually, postJson, startTestSystem, storedPageviews } from '../support/test-system.js';

describe('start-up and shutdown', () => {
  it('stops cleanly: every accepted event stored, offsets committed, the gateway group removed', async () => {
    const system = await startTestSystem();
    const { topics, consumerGroup, clientId } = system.config.kafka;
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => postJson(`${system.ingestUrl}/api/collect`, { site: 'stop', url: `https://stop.example/${i}` })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await eventually(async () => {
      return (await storedPageviews(system, 'stop')) === 25 ? true : undefined;
    }, 20_000, '25 stored pageviews');
    await system.stop();
    system.cleanup();

    const admin = new Kafka({ clientId: 'lifecycle-check', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topics.events);
      const [committed] = await admin.fetchOffsets({ groupId: consumerGroup, topics: [topics.events] });
      const endByPartition = new Map(ends.map((p) => [p.partition, p.high]));
      const produced = ends.reduce((sum, p) => sum + Number(p.high), 0);
      expect(produced).toBe(25);
      for (const p of committed!.partitions) {
        const end = endByPartition.get(p.partition)!;
        // a partition that never received an event has nothing to commit (-1)
        expect(p.offset === '-1' ? '0' : p.offset).toBe(end);
      }
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups.filter((g) => g.startsWith(`${clientId}-gateway-`))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });

  it('fails at once with the variable to change when an HTTP port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      // a hang instead of the error ends in the test's timeout
      await expect(startTestSystem({ GATEWAY_PORT: String(port) })).rejects.toThrow(`port ${port} (GATEWAY_PORT) is already taken`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
