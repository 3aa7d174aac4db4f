import { Module } from '@nestjs/common';
import { GoalsRepository } from '../goals/goals.repository.js';
import { FilteredHistoryRepository } from './filtered-history.repository.js';
import { HistoryController } from './history.controller.js';
import { HistoryRepository } from './history.repository.js';
import { HistoryService } from './history.service.js';
import { PageEngagementRepository } from './page-engagement.repository.js';
import { RevenueRepository } from './revenue.repository.js';

@Module({
  controllers: [HistoryController],
  providers: [HistoryService, HistoryRepository, FilteredHistoryRepository, PageEngagementRepository, RevenueRepository, GoalsRepository],
  exports: [HistoryService, RevenueRepository, GoalsRepository],
})
export class HistoryModule {}
