import { Inject, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { AppConfig } from '@clickstream/config';
import { siteId } from '@clickstream/events';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';
import { AccessService } from '../auth/access.service.js';
import { roomOf, type LiveClientEvents, type LiveServerEvents } from './live.events.js';
import { LiveService } from './live.service.js';

type LiveSocket = Socket<LiveClientEvents, LiveServerEvents, Record<string, never>, { site: string }>;

/**
 * socket.io namespace /live: a client names its site and dashboard token in the handshake
 * (`auth: { site, token }`, or `?site=&token=`), joins that site's room, gets a snapshot, then
 * updates. Updates are coalesced per room: at most one per LIVE_EMIT_INTERVAL_MS however many
 * windows change, each carrying the site's complete live state. They are volatile, so a slow
 * client is skipped rather than buffered; once a room has been quiet for an interval it gets
 * one ordinary emit, so no client is left with a stale screen.
 */
@WebSocketGateway({ namespace: '/live', cors: { origin: '*', credentials: false } })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnApplicationBootstrap, OnModuleDestroy {
  @WebSocketServer()
  private readonly namespace!: Namespace<LiveClientEvents, LiveServerEvents>;
  /** Sites whose figures changed since their room was last sent an update. */
  private readonly changed = new Set<string>();
  /** Sites sent a volatile update in the last tick, owed a settling one. */
  private readonly unsettled = new Set<string>();
  /** When each site's room was last sent an update. */
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private stopped = false;

  constructor(
    private readonly live: LiveService,
    private readonly access: AccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(namespace: Namespace<LiveClientEvents, LiveServerEvents>): void {
    // refusing in middleware gives the client a connect_error with the reason, not a silent drop
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as Record<string, unknown>;
      const requested = auth['site'] ?? socket.handshake.query['site'];
      const token = auth['token'] ?? socket.handshake.query['token'];
      const parsed = siteId.safeParse(requested);
      if (!parsed.success) {
        next(new Error(requested === undefined ? 'site: required' : `site: ${parsed.error.issues[0]?.message ?? 'invalid'}`));
        return;
      }
      this.access.canRead(parsed.data, typeof token === 'string' ? token : undefined).then(
        (allowed) => {
          if (!allowed) {
            next(new Error('unauthorized'));
            return;
          }
          (socket.data as { site: string }).site = parsed.data;
          next();
        },
        (err: Error) => {
          this.logger.error({ site: parsed.data, err: err.message }, 'token check failed');
          next(new Error('unavailable'));
        },
      );
    });
  }

  /** Updates flow to rooms only once the aggregates consumer owns its partitions. */
  async onApplicationBootstrap(): Promise<void> {
    await this.live.start((site) => {
      this.changed.add(site);
      // a room not sent anything for an interval gets the change now, not at the next tick
      if (Date.now() - (this.lastSent.get(site) ?? 0) >= this.config.http.liveEmitIntervalMs) void this.flush();
      else this.schedule();
    });
  }

  /**
   * Ticks several times per interval while a room is owed an update, so it is sent soon after
   * it is due; with nothing owed there is no timer (an idle gateway does not wake).
   */
  private schedule(): void {
    if (this.timer || this.stopped || (this.changed.size === 0 && this.unsettled.size === 0)) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(10, Math.floor(this.config.http.liveEmitIntervalMs / 10)),
    );
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

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      const now = Date.now();
      const interval = this.config.http.liveEmitIntervalMs;
      // a room sent an update less than an interval ago waits for the next tick
      const due = (site: string) => now - (this.lastSent.get(site) ?? 0) >= interval;
      const changed = [...this.changed].filter(due);
      const settling = [...this.unsettled].filter((site) => !this.changed.has(site) && due(site));
      for (const site of changed) this.changed.delete(site);
      for (const site of [...changed, ...settling]) this.unsettled.delete(site);
      for (const site of changed) {
        if (!this.namespace.adapter.rooms.get(roomOf(site))?.size) continue;
        const state = await this.live.state(site, now);
        this.lastSent.set(site, Date.now());
        this.namespace.to(roomOf(site)).volatile.emit('update', state);
        this.unsettled.add(site);
      }
      for (const site of settling) {
        if (!this.namespace.adapter.rooms.get(roomOf(site))?.size) continue;
        const state = await this.live.state(site, now);
        this.lastSent.set(site, Date.now());
        this.namespace.to(roomOf(site)).emit('update', state);
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'live update failed; retrying on the next tick');
    } finally {
      this.flushing = false;
      this.schedule();
    }
  }
}
