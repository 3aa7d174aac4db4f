import 'reflect-metadata';
import { runAlone } from '@clickstream/platform';
import { startGateway } from './gateway.app.js';

runAlone('gateway', startGateway);
