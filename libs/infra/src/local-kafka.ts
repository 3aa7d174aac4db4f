import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '@clickstream/logger';
import { endProcess } from './end-process.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { claimPort } from './ports.js';

export interface LocalKafkaOptions {
  projectRoot: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  cacheDir: string;
  logger: Logger;
  startTimeoutMs?: number;
  heapMb?: number;
}

export interface RunningKafka {
  brokers: string[];
  pid: number;
  /** Settles when the broker process ends, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Stops the broker cleanly (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

const LOG4J = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.KafkaServer=INFO',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  '',
].join('\n');

/** One KRaft node (broker and controller in one process) of a cluster of `replication` nodes or more. */
export interface KafkaNodeSpec {
  nodeId: number;
  port: number;
  controllerPort: number;
  /** `id@host:port` of every controller of the cluster, comma-separated. */
  voters: string;
  /** Replication of Kafka's own topics (consumer offsets, transactions): 1 for a single node. */
  replication: number;
}

function serverProperties(node: KafkaNodeSpec, logDir: string): string {
  return [
    'process.roles=broker,controller',
    `node.id=${node.nodeId}`,
    `controller.quorum.voters=${node.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    `offsets.topic.replication.factor=${node.replication}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${node.replication}`,
    `transaction.state.log.min.isr=${Math.max(1, Math.min(2, node.replication - 1))}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    // the active controller appends a no-op record to the metadata log this often when nothing
    // else changes (default 500 ms, each a write the quorum acknowledges): measured on an idle
    // broker alone, 3.4% of a core at the default against 2.1% at 10 s
    'metadata.max.idle.interval.ms=10000',
    '',
  ].join('\n');
}

/** A node's process, started: stop it cleanly, or see it end. */
export interface KafkaNodeProcess {
  pid: number;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after a grace period; ends the watchdog too. */
  stop(): Promise<void>;
  /** The last lines the node wrote, for an error message. */
  logTail(): Promise<string>;
}

/**
 * Writes the node's configuration, formats its log folder once (with `clusterId`, or a new one
 * for a single node), and starts it with `java` in a process group of its own, watched by a
 * watchdog that ends it if this process dies without stopping it.
 */
export async function launchKafkaNode(options: { libs: string; dataDir: string; node: KafkaNodeSpec; clusterId?: string; heapMb?: number }): Promise<KafkaNodeProcess> {
  const { libs, node } = options;
  const dataDir = resolve(options.dataDir);
  const logDir = join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const propsFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j.properties');
  await writeFile(propsFile, serverProperties(node, logDir));
  await writeFile(log4jFile, LOG4J);

  const java = (args: string[]) => ['-cp', `${libs}/*`, `-Dlog4j.configuration=file:${log4jFile}`, ...args];
  if (!existsSync(join(logDir, 'meta.properties'))) {
    const clusterId = options.clusterId ?? (await runJava(java(['kafka.tools.StorageTool', 'random-uuid']))).trim();
    await runJava(java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--ignore-formatted']));
  }

  const brokerLog = join(dataDir, 'broker.log');
  const out = createWriteStream(brokerLog, { flags: 'a' });
  const heap = options.heapMb ?? 512;
  const broker = spawn('java', [`-Xmx${heap}m`, `-Xms${Math.min(heap, 256)}m`, '-XX:+UseG1GC', ...java(['kafka.Kafka', propsFile])], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  broker.stdout?.pipe(out);
  broker.stderr?.pipe(out);
  const watchdog = startWatchdog(broker);
  const exited = new Promise<number | null>((res) => broker.once('exit', (code) => res(code)));
  return {
    pid: broker.pid!,
    exited,
    stop: async () => {
      await endProcess(broker, exited, () => broker.kill('SIGTERM'), 30_000);
      watchdog.kill('SIGKILL');
      out.end();
    },
    logTail: async () => (await readFile(brokerLog, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n'),
  };
}

/** A new cluster id, as Kafka's StorageTool makes them. */
export async function newKafkaClusterId(libs: string): Promise<string> {
  return (await runJava(['-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'random-uuid'])).trim();
}

/**
 * Starts a single-node Apache Kafka (KRaft) from the Maven-fetched jars with `java`.
 * The broker runs in its own process group, so Ctrl-C reaches only the app, which stops
 * the broker last; a watchdog ends the broker if the app dies without stopping it.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<RunningKafka> {
  const { logger } = options;
  const port = await claimPort(options.port, 'KAFKA_LOCAL_PORT');
  const controllerPort = await claimPort(options.controllerPort, 'KAFKA_LOCAL_CONTROLLER_PORT');
  if (port === controllerPort) throw new Error('KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT must differ');

  const libs = await ensureKafkaJars(options.projectRoot, options.cacheDir, logger);
  const node = await launchKafkaNode({
    libs,
    dataDir: options.dataDir,
    node: { nodeId: 1, port, controllerPort, voters: `1@127.0.0.1:${controllerPort}`, replication: 1 },
    ...(options.heapMb ? { heapMb: options.heapMb } : {}),
  });
  const brokers = [`127.0.0.1:${port}`];
  const stop = async (): Promise<void> => {
    await node.stop();
    logger.info({ brokers }, 'local Kafka stopped');
  };

  try {
    await waitForKafka(brokers, [node.exited], options.startTimeoutMs ?? 90_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- last lines of the broker's log (${join(resolve(options.dataDir), 'broker.log')}) ---\n${await node.logTail()}`);
  }
  logger.info({ brokers, dataDir: resolve(options.dataDir) }, 'local Kafka started');
  return { brokers, pid: node.pid, exited: node.exited, stop };
}

function runJava(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) =>
      rej(err.code === 'ENOENT' ? new Error('java not found: install Java 17+ or set KAFKA_BROKERS to an existing cluster') : err),
    );
    child.once('exit', (code) => (code === 0 ? res(output) : rej(new Error(`java ${args.at(-3) ?? ''} failed (${code}): ${output.trim()}`))));
  });
}

/** A shell that waits for its stdin to close (this process ended) and then ends the broker. */
function startWatchdog(broker: ChildProcess): ChildProcess {
  const dog = spawn('sh', ['-c', `read _ ; kill -TERM ${broker.pid} 2>/dev/null; sleep 7; kill -KILL ${broker.pid} 2>/dev/null`], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.unref();
  broker.unref();
  // the pipe must not keep the event loop alive; it only closes when this process goes
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

/**
 * Waits until each of `listeners` answers as a Kafka broker, each seeing a controller and at least
 * that many brokers; fails early when a node exits. Every listener is asked on its own: a node
 * whose controller registered it but whose listener failed to bind is listed by the others.
 */
export async function waitForKafka(listeners: string[], exits: Promise<number | null>[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died: number | null | undefined;
  for (const exited of exits) void exited.then((code) => (died = code));
  const probes = listeners.map((listener) => new Kafka({ clientId: 'clickstream-infra-probe', brokers: [listener], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000, requestTimeout: 2000 }));
  const answers = async (kafka: Kafka): Promise<boolean> => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.controller !== null && cluster.brokers.length >= listeners.length;
    } catch {
      return false; // not up yet
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  while (Date.now() < deadline) {
    if (died !== undefined) throw new Error(`a Kafka broker exited with code ${died} during start-up`);
    if ((await Promise.all(probes.map(answers))).every(Boolean)) return;
    await sleep(250);
  }
  throw new Error(`the Kafka broker did not answer on ${listeners.join(',')} within ${timeoutMs} ms`);
}
