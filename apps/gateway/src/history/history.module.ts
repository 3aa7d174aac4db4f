import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller.js';
import { HistoryRepository } from './history.repository.js';

@Module({ controllers: [HistoryController], providers: [HistoryRepository] })
export class HistoryModule {}
