import { Module } from '@nestjs/common';
import { HistoryRepository } from '../history/history.repository.js';
import { GoalsController } from './goals.controller.js';
import { GoalsRepository } from './goals.repository.js';

@Module({ controllers: [GoalsController], providers: [GoalsRepository, HistoryRepository] })
export class GoalsModule {}
