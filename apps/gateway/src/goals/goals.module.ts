import { Module } from '@nestjs/common';
import { HistoryModule } from '../history/history.module.js';
import { GoalsController } from './goals.controller.js';
import { GoalsRepository } from './goals.repository.js';

@Module({ imports: [HistoryModule], controllers: [GoalsController], providers: [GoalsRepository] })
export class GoalsModule {}
