import 'reflect-metadata';
import { startInfra } from '@clickstream/infra';
import { ConsumerLag } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { createRuntime, loadConfigOrExit } from '@clickstream/platform';
import { startAggregator } from '../aggregator.app.js';
import { parseReplayFrom } from './replay-from.js';
import { ReplayService } from './replay.service.js';

const USAGE = `usage: npm run replay -- <from>

  Rewinds the aggregator's consumer group and rebuilds the rollups, then reads the log
  again until it has caught up. Stop Clickstream first.

  <from>  earliest                 the whole topic
          <offset>                 this offset on every partition (e.g. 1200)
          <ISO-8601 time>          the first event received at or after it (e.g. 2026-11-25T10:00:00Z)
`;

/** `npm run replay -- <from>`: rewind, rebuild, catch up, stop. */
async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined || arg === '--help' || arg === '-h') {
    process.stdout.write(USAGE);
    process.exit(arg === undefined ? 64 : 0);
  }
  let from;
  try {
    from = parseReplayFrom(arg);
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exit(64);
  }
  const config = loadConfigOrExit('replay');
  const logger = createLogger(config.log.level, 'replay');
  const infra = await startInfra(config, logger);
  try {
    const runtime = await createRuntime(infra.config, logger);
    try {
      const plan = await new ReplayService(runtime.kafka, runtime.clickhouse, runtime.config, logger).replay(from);
      process.stdout.write(`replay epoch ${plan.epoch}: ${plan.records} records of ${plan.topic} to read again\n`);
      for (const p of plan.partitions) process.stdout.write(`  partition ${p.partition}: offsets ${p.from} to ${p.end}\n`);
      const aggregator = await startAggregator({ ...runtime, config: { ...runtime.config, http: { ...runtime.config.http, aggregatorPort: 0 } } });
      const lag = new ConsumerLag(runtime.kafka);
      try {
        await aggregator.ready();
        for (;;) {
          const parts = await lag.measure(plan.groupId, plan.topic);
          const behind = plan.partitions.filter((p) => (parts.find((q) => q.partition === p.partition)?.committed ?? 0n) < p.end);
          if (behind.length === 0) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await lag.close();
        await aggregator.close();
      }
      process.stdout.write('replay done: the rollups are rebuilt\n');
    } finally {
      await runtime.close();
    }
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await infra.stop();
  }
}

void main();
