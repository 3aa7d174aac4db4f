import { Module } from '@nestjs/common';
import { LiveWindowRepository } from './live-window.repository.js';
import { LiveGateway } from './live.gateway.js';
import { LiveService } from './live.service.js';

@Module({ providers: [LiveWindowRepository, LiveService, LiveGateway] })
export class LiveModule {}
