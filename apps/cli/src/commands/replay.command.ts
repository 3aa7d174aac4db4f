import 'reflect-metadata';
import type { AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { parseReplayFrom } from '../../../aggregator/src/replay/replay-from.js';
import { runReplay } from '../../../aggregator/src/replay/run-replay.js';
import { CliError } from '../cli-error.js';
import { expectPositionals, parseCommandLine } from '../command-line.js';
import type { Command } from '../command.js';
import { KafkaSession } from '../kafka-session.js';

const USAGE = `usage: clickstream replay <from>

  Rewinds the aggregator's consumer group (KAFKA_CONSUMER_GROUP) on the events topic and
  rebuilds the rollups: what was stored from <from> on is deleted, every rollup is rebuilt from
  the raw events kept, and an aggregator reads the log again until it has caught up, then stops.
  Counts stay exact (see docs/stream-processing.md).

  Stop Clickstream first: Kafka only moves a group without members. It refuses to begin while
  the group has members, or (KAFKA_BROKERS unset) while the local broker answers. With
  KAFKA_BROKERS or CLICKHOUSE_URL unset it starts the local broker or ClickHouse server, as
  \`npm start\` would, and stops it at the end.

  <from>  earliest                 the whole topic
          <offset>                 this offset on every partition (e.g. 1200)
          <ISO-8601 time>          the first event received at or after it (e.g. 2026-11-25T10:00:00Z)

  The same as \`npm run replay -- <from>\`.
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' } } as const;

export const replayCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('replay', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    const [text] = expectPositionals('replay', positionals, ['from']);
    let from;
    try {
      from = parseReplayFrom(text);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    const config = context.config();
    await refuseWhileRunning(config);
    if (!config.kafka.brokers) context.stderr.write(`starting the local Kafka broker (KAFKA_BROKERS is unset)…\n`);
    await runReplay(from, config, createLogger('silent'), context.stdout);
    return 0;
  },
};

/**
 * Says "stop Clickstream first" before anything is opened: otherwise the first thing to fail
 * would be the local broker's or ClickHouse server's port, which say it less plainly.
 */
async function refuseWhileRunning(config: AppConfig): Promise<void> {
  let session: KafkaSession;
  try {
    session = await KafkaSession.open(config);
  } catch (err) {
    // no local broker answering is what a replay wants: it starts one; an external one must answer
    if (config.kafka.brokers) throw err;
    return;
  }
  try {
    if (!config.kafka.brokers) throw new CliError(`a Kafka broker already answers at ${session.brokers.join(',')}: Clickstream is running; stop it before a replay`);
    const groupId = config.kafka.consumerGroup;
    const members = (await session.admin.describeGroups([groupId])).groups[0]?.members.length ?? 0;
    if (members > 0) throw new CliError(`consumer group ${groupId} has ${members} active member(s): stop the aggregator(s) before a replay`);
  } finally {
    await session.close();
  }
}
