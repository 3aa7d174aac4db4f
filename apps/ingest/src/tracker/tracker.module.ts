import { Module } from '@nestjs/common';
import { TrackerController } from './tracker.controller.js';

@Module({ controllers: [TrackerController] })
export class TrackerModule {}
