import { randomUUID } from 'node:crypto';
import { CliError } from '../cli-error.js';
import { expectPositionals, intOption, parseCommandLine } from '../command-line.js';
import type { Command } from '../command.js';
import { parseDuration } from '../duration.js';
import { KafkaSession } from '../kafka-session.js';
import { renderRecord } from '../record-format.js';
import { parseTailFrom, startOffsets } from '../tail-start.js';
import { roleOf } from '../topic-roles.js';

const USAGE = `usage: clickstream tail [events|aggregates|dead-letter|<topic>] [options]

  Prints the records of a topic as they arrive (default: the events topic), decoded: events,
  window and presence updates, dead letters with their reason. Ctrl-C stops.

  --from <where>        now (default), earliest, an offset on every partition (e.g. 1200),
                        a time (e.g. 2026-11-25T10:00:00Z: the first records received at or
                        after it), or a duration ago (e.g. 10m)
  --partition <n>       read this partition only
  --site <id>           only the records of this site
  --json                one JSON object per line: topic, partition, offset, timestamp, key and
                        the decoded value (or its text and the error)
  --max <n>             stop after printing n records
  --timeout <duration>  stop after this long (e.g. 30s), whatever was printed

  It reads with a consumer group of its own (clickstream-cli-tail-…) and commits nothing, so
  the apps' groups never move. The line "tailing …" goes to stderr, records to stdout.

  Examples:
    clickstream tail --site demo
    clickstream tail dead-letter --from 1h
    clickstream tail events --from 1200 --partition 3 --max 10 --json
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  partition: { type: 'string' },
  site: { type: 'string' },
  json: { type: 'boolean' },
  max: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const tailCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('tail', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    const [name] = expectPositionals('tail', positionals, ['topic']);
    const from = parseTailFrom(values.from, Date.now());
    const max = intOption('max', values.max, 1, Number.MAX_SAFE_INTEGER);
    const onlyPartition = intOption('partition', values.partition, 0, 100_000);
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      timeoutMs = parseDuration(values.timeout);
      if (timeoutMs === undefined) throw new CliError(`--timeout: expected a duration such as 30s or 5m, got "${values.timeout}"`);
    }
    const config = context.config();
    const session = await KafkaSession.open(config);
    let consumer: ReturnType<typeof session.kafka.consumer> | undefined;
    try {
      const topic = await session.existingTopic(name ?? 'events');
      const role = roleOf(topic, config.kafka.topics);
      let ranges = await session.partitions(topic);
      if (onlyPartition !== undefined) {
        ranges = ranges.filter((r) => r.partition === onlyPartition);
        if (ranges.length === 0) throw new CliError(`--partition: ${topic} has no partition ${onlyPartition}`);
      }
      const byTime = 'timestamp' in from ? await session.admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp) : [];
      // where each partition goes on from: the start, then past every record seen (a rejoin resumes there)
      const next = startOffsets(topic, from, ranges, byTime);

      let printed = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      consumer = session.kafka.consumer({ groupId: `clickstream-cli-tail-${randomUUID()}`, maxWaitTimeInMs: 250, sessionTimeout: 10_000, heartbeatInterval: 1000, retry: { retries: 1 } });
      const c = consumer;
      c.on(c.events.GROUP_JOIN, (event) => {
        // the group has this one member, assigned every partition: the ones not read stay paused
        const others = (event.payload.memberAssignment[topic] ?? []).filter((p) => !next.has(p));
        if (others.length > 0) c.pause([{ topic, partitions: others }]);
        for (const [partition, offset] of next) c.seek({ topic, partition, offset: offset.toString() });
      });
      c.on(c.events.CRASH, (event) => {
        context.stderr.write(`clickstream: reading ${topic} failed: ${event.payload.error.message}\n`);
        finish();
      });
      await c.connect();
      await c.subscribe({ topics: [topic] });
      const where = onlyPartition === undefined ? `${ranges.length} partition(s)` : `partition ${onlyPartition}`;
      const start = 'now' in from ? 'now' : [...next].map(([p, o]) => `p${p}@${o}`).join(' ');
      context.stderr.write(`tailing ${topic} (${where}) from ${start}${values.site ? `, site ${values.site}` : ''}; Ctrl-C stops\n`);
      await c.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          if (printed === max || !next.has(partition) || offset < next.get(partition)!) return;
          next.set(partition, offset + 1n);
          const rendered = renderRecord(role, { topic, partition, offset: message.offset, timestamp: Number(message.timestamp), key: message.key?.toString('utf8') ?? null, value: message.value });
          if (values.site !== undefined && rendered.site !== values.site) return;
          context.stdout.write(values.json ? `${JSON.stringify(rendered.json)}\n` : `${rendered.text}\n`);
          printed++;
          if (printed === max) finish();
        },
      });
      const timer = timeoutMs === undefined ? undefined : setTimeout(finish, timeoutMs);
      await Promise.race([finished, context.untilInterrupted()]);
      clearTimeout(timer);
      return 0;
    } finally {
      await consumer?.disconnect().catch(() => undefined);
      await session.close();
    }
  },
};
