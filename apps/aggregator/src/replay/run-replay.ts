import type { AppConfig } from '@clickstream/config';
import { startInfra } from '@clickstream/infra';
import { ConsumerLag } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { createRuntime } from '@clickstream/platform';
import { startAggregator } from '../aggregator.app.js';
import { ReplayService, type ReplayFrom, type ReplayPlan } from './replay.service.js';

/** Where the replay reports its progress to the operator (process.stdout, or a test's buffer). */
export interface ReplayOutput {
  write(text: string): unknown;
}

/**
 * Rewind, rebuild, catch up, stop: starts the infrastructure the config asks for (the local
 * broker when KAFKA_BROKERS is unset), rewinds the aggregator's group, and runs an aggregator
 * until it has read every rewound offset again. Shared by `npm run replay` and
 * `clickstream replay`; failures are thrown for the caller to report.
 */
export async function runReplay(from: ReplayFrom, config: AppConfig, logger: Logger, out: ReplayOutput): Promise<ReplayPlan> {
  const infra = await startInfra(config, logger);
  try {
    const runtime = await createRuntime(infra.config, logger);
    try {
      const plan = await new ReplayService(runtime.kafka, runtime.clickhouse, runtime.config, logger).replay(from);
      out.write(`replay epoch ${plan.epoch}: ${plan.records} records of ${plan.topic} to read again\n`);
      for (const p of plan.partitions) out.write(`  partition ${p.partition}: offsets ${p.from} to ${p.end}\n`);
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
      out.write('replay done: the rollups are rebuilt\n');
      return plan;
    } finally {
      await runtime.close();
    }
  } finally {
    await infra.stop();
  }
}
