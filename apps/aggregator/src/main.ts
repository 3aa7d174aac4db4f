import 'reflect-metadata';
import { runAlone } from '@clickstream/platform';
import { startAggregator } from './aggregator.app.js';

runAlone('aggregator', startAggregator);
