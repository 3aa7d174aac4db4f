import { Inject } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { siteId } from '@clickstream/events';
import type { Logger } from '@clickstream/logger';
import { LOGGER } from '@clickstream/platform';
import { roomOf, type LiveClientEvents, type LiveServerEvents } from './live.events.js';
import { LiveService } from './live.service.js';

type LiveSocket = Socket<LiveClientEvents, LiveServerEvents, Record<string, never>, { site: string }>;

/**
 * socket.io namespace /live: a client names its site in the handshake (`auth.site` or
 * `?site=`), joins that site's room, gets a snapshot, then every window update.
 */
@WebSocketGateway({ namespace: '/live', cors: { origin: '*', credentials: false } })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnApplicationBootstrap {
  @WebSocketServer()
  private readonly namespace!: Namespace<LiveClientEvents, LiveServerEvents>;

  constructor(
    private readonly live: LiveService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(namespace: Namespace<LiveClientEvents, LiveServerEvents>): void {
    // refusing in middleware gives the client a connect_error with the reason, not a silent drop
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as Record<string, unknown>;
      const requested = auth['site'] ?? socket.handshake.query['site'];
      const parsed = siteId.safeParse(requested);
      if (!parsed.success) {
        next(new Error(requested === undefined ? 'site: required' : `site: ${parsed.error.issues[0]?.message ?? 'invalid'}`));
        return;
      }
      (socket.data as { site: string }).site = parsed.data;
      next();
    });
  }

  /** Window updates flow to rooms only once the aggregates consumer owns its partitions. */
  async onApplicationBootstrap(): Promise<void> {
    await this.live.start({
      window: (update) => this.namespace.to(roomOf(update.site)).emit('window', update),
      presence: (update) => this.namespace.to(roomOf(update.site)).emit('presence', update),
    });
  }

  async handleConnection(socket: LiveSocket): Promise<void> {
    const { site } = socket.data;
    await socket.join(roomOf(site));
    try {
      socket.emit('snapshot', await this.live.snapshot(site, Date.now()));
    } catch (err) {
      this.logger.error({ site, err: (err as Error).message }, 'snapshot failed');
      socket.disconnect(true);
    }
  }
}
