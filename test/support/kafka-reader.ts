import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  /** The value parsed as JSON (null when it is not JSON). */
  value: Record<string, unknown>;
  /** The value as it is. */
  text: string | null;
}

const parsed = (text: string | null): Record<string, unknown> => {
  try {
    return JSON.parse(text ?? 'null') as Record<string, unknown>;
  } catch {
    return null as unknown as Record<string, unknown>;
  }
};

/**
 * Reads a topic from the beginning with a throw-away group until `done` says the collected
 * messages are enough (then waits `settleMs` more, so a duplicate arriving late is caught).
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  done: (messages: ReadMessage[]) => boolean,
  { timeoutMs = 20_000, settleMs = 1000 }: { timeoutMs?: number; settleMs?: number } = {},
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const text = message.value?.toString() ?? null;
        messages.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: parsed(text), text });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(messages)) {
      if (Date.now() > deadline) throw new Error(`timed out reading ${topic}: ${messages.length} messages so far`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, settleMs));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
