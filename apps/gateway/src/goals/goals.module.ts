import { Module } from '@nestjs/common';
import { HistoryModule } from '../history/history.module.js';
import { GoalsController } from './goals.controller.js';

/** The goals API; its repository comes from HistoryModule, whose goal filters read it too. */
@Module({ imports: [HistoryModule], controllers: [GoalsController] })
export class GoalsModule {}
