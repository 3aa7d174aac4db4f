import { join, resolve } from 'node:path';
import type { Logger } from '@clickstream/logger';
import { ensureKafkaJars } from './kafka-jars.js';
import { launchKafkaNode, newKafkaClusterId, waitForKafka, type KafkaNodeProcess, type KafkaNodeSpec } from './local-kafka.js';
import { claimPort } from './ports.js';

export interface LocalKafkaClusterOptions {
  projectRoot: string;
  /** Nodes, each a broker and a controller in one process; 3 tolerates the loss of one. */
  nodes: number;
  dataDir: string;
  cacheDir: string;
  logger: Logger;
  heapMb?: number;
  startTimeoutMs?: number;
}

/** One node of the cluster: kill it, start it again on the same ports and data. */
export interface ClusterNode {
  id: number;
  /** `host:port` of its broker listener. */
  broker: string;
  pid(): number | undefined;
  running(): boolean;
  /** kill -9, as a crash or a pulled plug. */
  kill(): Promise<void>;
  /** Starts it again (after kill or stop); resolves once the cluster answers with every node that runs. */
  start(): Promise<void>;
}

export interface RunningKafkaCluster {
  brokers: string[];
  nodes: ClusterNode[];
  stop(): Promise<void>;
}

/**
 * How many times the cluster is started on fresh ports and folders when a node exits during its
 * start: a port is claimed free and released before the node binds it, so another process on the
 * machine (a parallel test) can take it in between.
 */
const START_ATTEMPTS = 3;

/** The start failed because a node exited (not a timeout): its ports may have been taken. */
class NodeExitedAtStart extends Error {}

/**
 * A KRaft cluster of `nodes` Apache Kafka processes on this machine (one broker and controller
 * each, its own ports and folder), from the same jars as the single local broker: what a
 * deployment runs on several machines, for tests of replication and failover.
 */
export async function startLocalKafkaCluster(options: LocalKafkaClusterOptions): Promise<RunningKafkaCluster> {
  const libs = await ensureKafkaJars(options.projectRoot, options.cacheDir, options.logger);
  const failures: string[] = [];
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options, libs, join(resolve(options.dataDir), `attempt-${attempt}`));
    } catch (err) {
      failures.push(`attempt ${attempt}: ${(err as Error).message}`);
      if (!(err instanceof NodeExitedAtStart) || attempt === START_ATTEMPTS) throw new Error(failures.join('\n'));
      options.logger.warn({ attempt, err: err.message }, 'a Kafka node exited during the cluster start: starting the cluster again on new ports');
    }
  }
}

/** Starts the cluster on newly claimed ports, its nodes' folders under `dataDir`. */
async function startOnce(options: LocalKafkaClusterOptions, libs: string, dataDir: string): Promise<RunningKafkaCluster> {
  const clusterId = await newKafkaClusterId(libs);
  const specs: KafkaNodeSpec[] = [];
  for (let nodeId = 1; nodeId <= options.nodes; nodeId += 1) {
    specs.push({ nodeId, port: await claimPort(0, 'test'), controllerPort: await claimPort(0, 'test'), voters: '', replication: Math.min(3, options.nodes) });
  }
  const voters = specs.map((s) => `${s.nodeId}@127.0.0.1:${s.controllerPort}`).join(',');
  const brokers = specs.map((s) => `127.0.0.1:${s.port}`);
  const processes = new Map<number, KafkaNodeProcess>();
  /** Every node launched at the start, exited ones included: a node that died there is the one whose log tells why. */
  const launched = new Map<number, KafkaNodeProcess>();
  const timeoutMs = options.startTimeoutMs ?? 120_000;

  const launch = async (spec: KafkaNodeSpec): Promise<KafkaNodeProcess> => {
    const node = await launchKafkaNode({ libs, dataDir: join(dataDir, `node-${spec.nodeId}`), node: { ...spec, voters }, clusterId, ...(options.heapMb ? { heapMb: options.heapMb } : {}) });
    processes.set(spec.nodeId, node);
    void node.exited.then(() => {
      if (processes.get(spec.nodeId) === node) processes.delete(spec.nodeId);
    });
    return node;
  };
  /** Until every node that runs now answers as a broker, each seeing them all. */
  const waitForRunning = async (): Promise<void> => {
    const running = specs.flatMap((spec, i) => {
      const node = processes.get(spec.nodeId);
      return node ? [{ broker: brokers[i]!, node }] : [];
    });
    await waitForKafka(running.map((r) => r.broker), running.map((r) => r.node.exited), timeoutMs);
  };
  const stop = async (): Promise<void> => {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    options.logger.info({ brokers }, 'local Kafka cluster stopped');
  };

  // a controller quorum needs a majority: the nodes start together
  (await Promise.all(specs.map(launch))).forEach((node, i) => launched.set(specs[i]!.nodeId, node));
  try {
    await waitForRunning();
  } catch (err) {
    const exited = [...launched.keys()].filter((id) => !processes.has(id));
    const tails = await Promise.all([...launched.entries()].map(async ([id, p]) => `--- node ${id}${exited.includes(id) ? ' (exited)' : ''} ---\n${await p.logTail()}`));
    await stop();
    const message = `${(err as Error).message}\n${tails.join('\n')}`;
    throw exited.length > 0 ? new NodeExitedAtStart(message) : new Error(message);
  }
  options.logger.info({ brokers, dataDir }, 'local Kafka cluster started');

  const nodes: ClusterNode[] = specs.map((spec, i) => ({
    id: spec.nodeId,
    broker: brokers[i]!,
    pid: () => processes.get(spec.nodeId)?.pid,
    running: () => processes.has(spec.nodeId),
    kill: async () => {
      const node = processes.get(spec.nodeId);
      if (!node) throw new Error(`node ${spec.nodeId} is not running`);
      process.kill(node.pid, 'SIGKILL');
      await node.exited;
      await node.stop();
    },
    start: async () => {
      if (processes.has(spec.nodeId)) throw new Error(`node ${spec.nodeId} is running`);
      await launch(spec);
      await waitForRunning();
    },
  }));
  return { brokers, nodes, stop };
}
