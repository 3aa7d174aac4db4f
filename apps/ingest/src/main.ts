import 'reflect-metadata';
import { runAlone } from '@clickstream/platform';
import { startIngest } from './ingest.app.js';

// ingest comes up while Kafka is down, answering 503 with Retry-After until the broker is back
runAlone('ingest', startIngest, { waitForKafka: false });
