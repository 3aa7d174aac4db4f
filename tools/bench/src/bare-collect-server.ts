import { createServer, type Server } from 'node:http';
import { checkCollectPayload } from '@clickstream/events';

/**
 * The ingest baseline: a bare node:http server that reads the body, parses the JSON and runs
 * the same validation as the collect endpoint (one event or a batch), then answers 202.
 * No Kafka, no enrichment, no framework: what ingest costs on top of this is its own.
 */
export async function startBareCollectServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      let accepted = 0;
      try {
        const json = JSON.parse(body) as unknown;
        for (const event of Array.isArray(json) ? json : [json]) if (checkCollectPayload(event).ok) accepted += 1;
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_json"}');
        return;
      }
      res.writeHead(202, { 'Content-Type': 'application/json' }).end(`{"accepted":${accepted}}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/api/collect`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
