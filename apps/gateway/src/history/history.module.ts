import { Module } from '@nestjs/common';
import { FilteredHistoryRepository } from './filtered-history.repository.js';
import { HistoryController } from './history.controller.js';
import { HistoryRepository } from './history.repository.js';
import { HistoryService } from './history.service.js';

@Module({ controllers: [HistoryController], providers: [HistoryService, HistoryRepository, FilteredHistoryRepository], exports: [HistoryService] })
export class HistoryModule {}
