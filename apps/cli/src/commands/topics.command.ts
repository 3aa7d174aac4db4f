import kafkajs, { type Admin } from 'kafkajs';
import type { KafkaConfig } from '@clickstream/config';
import { projectTopics, TopicAdmin, type TopicSpec } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { CliError } from '../cli-error.js';
import { expectPositionals, intOption, parseCommandLine } from '../command-line.js';
import type { CliContext, Command } from '../command.js';
import { formatRetention, parseDuration } from '../duration.js';
import { KafkaSession, type PartitionRange } from '../kafka-session.js';
import { groupLag, totalLag } from '../partition-lag.js';
import { formatTable } from '../table.js';
import { resolveTopic, roleOf } from '../topic-roles.js';

// kafkajs is CommonJS and builds its exports with a spread, which Node cannot name for ESM
const { ConfigResourceTypes } = kafkajs;

const USAGE = `usage: clickstream topics list [--all]
       clickstream topics create [<topic>...] [--partitions <n>] [--replication-factor <n>] [--retention <duration>] [--if-not-exists]
       clickstream topics describe <topic> [--group <id>]...

  Kafka topics of the cluster the apps use (KAFKA_BROKERS, or the broker \`npm start\` runs).
  The names events, aggregates, dead-letter, sites and salts stand for the configured topics
  (KAFKA_TOPIC_EVENTS, KAFKA_TOPIC_AGGREGATES, KAFKA_TOPIC_DEAD_LETTER, KAFKA_TOPIC_SITES,
  KAFKA_TOPIC_SALTS). sites is compacted: it is the site list ingest reads.

  list        every topic with its partitions, replication factor, retention and record count
              (--all: Kafka's internal topics too)
  create      without a name: the project's topics, as the apps create them (the existing
              ones are left as they are). With names: those topics, with
                --partitions <n>            default 1 (a project topic: its configured count)
                --replication-factor <n>    default KAFKA_REPLICATION_FACTOR
                --retention <duration>      e.g. 7d, 12h or forever (default: the broker's)
                --if-not-exists             an existing topic is not an error
  describe    partitions (leader, replicas, in-sync replicas, start and end offsets) and, per
              consumer group that committed offsets on the topic, its lag per partition
              (the aggregator's group is always shown for the events topic)
                --group <id>                only this group (repeatable)

  Examples:
    clickstream topics create
    clickstream topics create orders --partitions 3 --retention 2d
    clickstream topics describe events
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  all: { type: 'boolean' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  retention: { type: 'string' },
  'if-not-exists': { type: 'boolean' },
  group: { type: 'string', multiple: true },
} as const;

export const topicsCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('topics', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new CliError('topics: expected list, create or describe (clickstream topics --help shows the usage)');
    if (!['list', 'create', 'describe'].includes(sub)) throw new CliError(`topics: unknown subcommand "${sub}" (expected list, create or describe)`);
    const config = context.config();
    const specs = sub === 'create' ? createSpecs(rest, values, config.kafka) : undefined;
    const session = await KafkaSession.open(config);
    try {
      if (sub === 'list') {
        expectPositionals('topics list', rest, []);
        await list(session, values.all === true, context);
      } else if (sub === 'describe') {
        const [name] = expectPositionals('topics describe', rest, ['topic']);
        if (name === undefined) throw new CliError('topics describe: which topic? (e.g. clickstream topics describe events)');
        await describeTopic(session, await session.existingTopic(name), values.group, context);
      } else {
        await create(session, specs!, rest.length === 0 || values['if-not-exists'] === true, context);
      }
      return 0;
    } finally {
      await session.close();
    }
  },
};

function createSpecs(names: string[], values: { partitions?: string; 'replication-factor'?: string; retention?: string }, kafka: KafkaConfig): TopicSpec[] {
  const partitions = intOption('partitions', values.partitions, 1, 10_000);
  const replicationFactor = intOption('replication-factor', values['replication-factor'], 1, 100);
  let retentionMs: string | undefined;
  if (values.retention !== undefined) {
    const ms = values.retention === 'forever' ? -1 : parseDuration(values.retention);
    if (ms === undefined) throw new CliError(`--retention: expected a duration such as 12h or 7d, or forever, got "${values.retention}"`);
    retentionMs = String(ms);
  }
  const withOptions = (spec: TopicSpec): TopicSpec => ({
    ...spec,
    partitions: partitions ?? spec.partitions,
    replicationFactor: replicationFactor ?? spec.replicationFactor,
    config: retentionMs === undefined ? spec.config : { ...spec.config, 'retention.ms': retentionMs },
  });
  const project = projectTopics(kafka);
  if (names.length === 0) return project.map(withOptions);
  return names.map((name) => {
    const topic = resolveTopic(name, kafka.topics);
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new CliError(`topics create: "${topic}" is not a Kafka topic name (letters, digits, ".", "_" or "-")`);
    return withOptions(project.find((p) => p.topic === topic) ?? { topic, partitions: 1, replicationFactor: kafka.replicationFactor });
  });
}

async function create(session: KafkaSession, specs: TopicSpec[], existingIsFine: boolean, context: CliContext): Promise<void> {
  const existing = new Set(await session.admin.listTopics());
  const present = specs.filter((s) => existing.has(s.topic));
  if (present.length > 0 && !existingIsFine) {
    throw new CliError(`topic "${present[0]!.topic}" exists already (clickstream topics describe ${present[0]!.topic} shows it; --if-not-exists ignores it)`);
  }
  const missing = specs.filter((s) => !existing.has(s.topic));
  // the apps' own topic creation: waits until the broker serves every new partition
  await new TopicAdmin(session.kafka, createLogger('silent')).ensureTopics(missing);
  for (const s of specs) {
    if (existing.has(s.topic)) context.stdout.write(`exists    ${s.topic} (left as it is)\n`);
    else {
      const retention = s.config?.['retention.ms'];
      context.stdout.write(`created   ${s.topic}: ${s.partitions} partition(s), replication factor ${s.replicationFactor}${retention ? `, retention ${formatRetention(retention)}` : ''}\n`);
    }
  }
}

/** retention.ms per topic; `compact` for a compacted topic, which keeps the latest record of each key whatever its age. */
async function retentions(admin: Admin, topics: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (topics.length === 0) return out;
  const answer = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'cleanup.policy'] })),
  });
  for (const r of answer.resources) {
    const entry = r.configEntries.find((e) => e.configName === 'retention.ms');
    const policy = r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
    if (policy === 'compact') out.set(r.resourceName, 'compact');
    else if (entry) out.set(r.resourceName, entry.configValue);
  }
  return out;
}

const retentionSetting = (value: string | undefined): string => (value === undefined ? '' : value === 'compact' ? ' (cleanup.policy=compact)' : ` (retention.ms=${value})`);

/** Runs `fn` over `items`, `width` at a time: one offsets request per topic or group, without flooding the broker. */
async function eachLimited<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const records = (ranges: readonly PartitionRange[]): bigint => ranges.reduce((sum, r) => sum + (r.high - r.low), 0n);

async function list(session: KafkaSession, all: boolean, context: CliContext): Promise<void> {
  const names = (await session.admin.listTopics()).filter((t) => all || !t.startsWith('__')).sort();
  if (names.length === 0) {
    context.stdout.write('no topics (clickstream topics create makes the project topics)\n');
    return;
  }
  const { topics: meta } = await session.admin.fetchTopicMetadata({ topics: names });
  const [retention, ranges] = await Promise.all([retentions(session.admin, names), eachLimited(names, 8, (t) => session.partitions(t))]);
  const rows = names.map((name, i) => {
    const m = meta.find((t) => t.name === name);
    return [
      name,
      roleOf(name, session.config.kafka.topics) ?? '',
      String(m?.partitions.length ?? '?'),
      String(m?.partitions[0]?.replicas.length ?? '?'),
      formatRetention(retention.get(name)),
      String(records(ranges[i]!)),
    ];
  });
  context.stdout.write(formatTable([['TOPIC', 'ROLE', 'PARTITIONS', 'REPLICATION', 'RETENTION', 'RECORDS'], ...rows]));
}

/** Groups with offsets committed on the topic; the aggregator's group always counts for the events topic. */
async function groupsOn(session: KafkaSession, topic: string): Promise<string[]> {
  const { groups } = await session.admin.listGroups();
  const ids = groups.map((g) => g.groupId).sort();
  const committed = await eachLimited(ids, 8, async (groupId) => {
    const [offsets] = await session.admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).some((p) => p.offset !== '-1') ? groupId : undefined;
  });
  const found = committed.filter((g): g is string => g !== undefined);
  const aggregator = session.config.kafka.consumerGroup;
  if (topic === session.config.kafka.topics.events && !found.includes(aggregator)) found.unshift(aggregator);
  return found;
}

async function describeTopic(session: KafkaSession, topic: string, onlyGroups: string[] | undefined, context: CliContext): Promise<void> {
  const { admin } = session;
  const out = context.stdout;
  const [{ topics: meta }, ranges, retention] = await Promise.all([admin.fetchTopicMetadata({ topics: [topic] }), session.partitions(topic), retentions(admin, [topic])]);
  const partitions = (meta[0]?.partitions ?? []).sort((a, b) => a.partitionId - b.partitionId);
  const role = roleOf(topic, session.config.kafka.topics);
  out.write(`${topic}${role ? ` (the ${role} topic)` : ''}\n`);
  out.write(
    `  ${partitions.length} partition(s), replication factor ${partitions[0]?.replicas.length ?? '?'}, retention ${formatRetention(retention.get(topic))}` +
      `${retentionSetting(retention.get(topic))}, ${records(ranges)} record(s)\n\n`,
  );
  out.write(
    formatTable(
      [
        ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START', 'END', 'RECORDS'],
        ...partitions.map((p) => {
          const r = ranges.find((x) => x.partition === p.partitionId);
          return [String(p.partitionId), String(p.leader), p.replicas.join(','), p.isr.join(','), String(r?.low ?? '?'), String(r?.high ?? '?'), r ? String(r.high - r.low) : '?'];
        }),
      ],
      '  ',
    ),
  );
  const groups = onlyGroups ?? (await groupsOn(session, topic));
  if (groups.length === 0) {
    out.write('\n  no consumer group has committed offsets on this topic\n');
    return;
  }
  const { groups: described } = await admin.describeGroups(groups);
  for (const groupId of groups) {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const rows = groupLag(ranges, offsets?.partitions ?? []);
    const d = described.find((g) => g.groupId === groupId);
    const state = d && d.state !== 'Dead' ? `${d.state}, ${d.members.length} member(s)` : 'no members';
    out.write(`\n  consumer group ${groupId} (${state}): lag ${totalLag(rows)}\n`);
    out.write(
      formatTable(
        [['PARTITION', 'COMMITTED', 'END', 'LAG'], ...rows.map((r) => [String(r.partition), r.committed === undefined ? '-' : String(r.committed), String(r.end), String(r.lag)])],
        '  ',
      ),
    );
  }
}
