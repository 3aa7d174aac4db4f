import { createInterface } from 'node:readline';
import { encodeEvent } from '@clickstream/events';
import { EventProducer, type OutgoingMessage } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { CliError } from '../cli-error.js';
import { expectPositionals, parseCommandLine } from '../command-line.js';
import type { CliContext, Command } from '../command.js';
import { eventFromLine, VISITOR_FIELD } from '../event-lines.js';
import { GatewayClient, gatewayUrlOf } from '../gateway-client.js';
import { KafkaSession } from '../kafka-session.js';

const USAGE = `usage: clickstream produce [--admin-token <token>] < events.jsonl

  Reads events as JSON lines from stdin, checks each as the collect endpoint does, and sends
  the good ones to the events topic (KAFKA_TOPIC_EVENTS) as ingest would: same record, keyed
  by site and visitor, idempotent producer, acknowledged by all in-sync replicas.

  A line is one collect event: {"site":"demo","url":"https://example.com/pricing"}, or
  {"type":"event","name":"signup","props":{"plan":"pro"},"site":"demo","url":"…"}; the fields
  are those of the collect API (referrer, title, screen, language, id, ts). One more field is
  accepted: "${VISITOR_FIELD}", any name for the visitor; lines with the same name count as one
  visitor (it is hashed with the site). A line without one is a visitor of its own. There is no
  browser request, so browser, OS and country are empty; the events are not flagged as bots.

  Site ids are checked against the running gateway's site list when an admin token is set
  (ADMIN_TOKEN or --admin-token); otherwise, or when the gateway cannot be reached, they are
  not checked and a warning says so. Blank lines are skipped.

  Each refused line is reported on stderr ("line 3: url: expected an absolute http(s) URL");
  the good lines are sent all the same. The summary "sent N, rejected M" goes to stdout.
  Exit code 1 when any line was refused.

  Example:
    printf '%s\\n' '{"site":"demo","url":"https://example.com/","visitor":"alice"}' | clickstream produce
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' }, 'admin-token': { type: 'string' } } as const;
const CHUNK = 500;

export const produceCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('produce', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    expectPositionals('produce', positionals, []);
    const config = context.config();
    const session = await KafkaSession.open(config);
    try {
      const topic = await session.existingTopic('events');
      const knownSites = await siteList(new GatewayClient(gatewayUrlOf(config), values['admin-token'] ?? config.http.adminToken), context);
      const producer = new EventProducer(session.kafka, { lingerMs: 0, maxBatch: config.kafka.producer.maxBatch, timeoutMs: 30_000 }, createLogger('silent'));
      await producer.connect();
      let sent = 0;
      let rejected = 0;
      let pending: OutgoingMessage[] = [];
      const flush = async (): Promise<void> => {
        const batch = pending;
        pending = [];
        try {
          await producer.send(batch);
        } catch (err) {
          throw new CliError(`${(err as Error).message}; sent ${sent} before that, rejected ${rejected}`);
        }
        sent += batch.length;
      };
      try {
        if (context.stdin.isTTY) context.stderr.write('reading events as JSON lines from stdin (Ctrl-D ends)\n');
        let lineNo = 0;
        for await (const line of createInterface({ input: context.stdin, crlfDelay: Infinity })) {
          lineNo++;
          const result = eventFromLine(line, { receivedAt: Date.now(), clockSkewMs: config.ingest.clockSkewMs, maxBytes: config.ingest.maxBodyBytes, knownSites });
          if (result.kind === 'rejected') {
            rejected++;
            context.stderr.write(`line ${lineNo}: ${result.reason}\n`);
          } else if (result.kind === 'event') {
            pending.push({ topic, key: result.key, value: encodeEvent(result.event) });
            if (pending.length >= CHUNK) await flush();
          }
        }
        if (pending.length > 0) await flush();
      } finally {
        await producer.close().catch(() => undefined);
      }
      context.stdout.write(`sent ${sent}, rejected ${rejected}\n`);
      return rejected > 0 ? 1 : 0;
    } finally {
      await session.close();
    }
  },
};

/** The registered site ids, or undefined (with a warning) when the gateway cannot tell. */
async function siteList(gateway: GatewayClient, context: CliContext): Promise<Set<string> | undefined> {
  try {
    return new Set((await gateway.listSites()).map((s) => s.id));
  } catch (err) {
    context.stderr.write(`clickstream: warning: site ids are not checked: ${(err as Error).message}\n`);
    return undefined;
  }
}
