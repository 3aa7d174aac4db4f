import 'reflect-metadata';
import { runAlone } from '@clickstream/platform';
import { startIngest } from './ingest.app.js';

runAlone('ingest', startIngest);
