import { Module } from '@nestjs/common';
import { SitePublisher } from './site-publisher.js';
import { SitesController } from './sites.controller.js';

@Module({ controllers: [SitesController], providers: [SitePublisher] })
export class SitesModule {}
