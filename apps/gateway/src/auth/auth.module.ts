import { Global, Module } from '@nestjs/common';
import { AccessService } from './access.service.js';
import { AdminGuard, SiteAccessGuard } from './site-access.guard.js';

@Global()
@Module({ providers: [AccessService, SiteAccessGuard, AdminGuard], exports: [AccessService, SiteAccessGuard, AdminGuard] })
export class AuthModule {}
