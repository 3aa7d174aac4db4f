import { Module } from '@nestjs/common';
import { SiteAliasesController } from './site-aliases.controller.js';
import { SiteAliasesService } from './site-aliases.service.js';
import { SitePublisher } from './site-publisher.js';
import { SitesController } from './sites.controller.js';
import { SitesTopic } from './sites-topic.js';

@Module({ controllers: [SitesController, SiteAliasesController], providers: [SitesTopic, SitePublisher, SiteAliasesService] })
export class SitesModule {}
