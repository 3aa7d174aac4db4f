import { io, type Socket } from 'socket.io-client';
import type { LiveClientEvents, LiveServerEvents, LiveState } from '../../live/live.events.js';
import { SecondsChart } from './charts.js';
import { byId, setText } from './dom.js';
import { formatCount } from './format.js';
import { secondStrip, SECOND_MS } from './model.js';

const UNAVAILABLE_RETRY_MS = 3_000;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'error';

const STATUS_TEXT: Readonly<Record<Exclude<ConnectionState, 'error'>, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export interface LiveViewEvents {
  /** Every snapshot and update: the site's complete live state. */
  state(state: LiveState): void;
  /** The server took the token (on every connection). */
  authorized(): void;
  /** The token was refused: the link is wrong or its token was rotated. */
  unauthorized(): void;
}

/**
 * The live half of the dashboard: the /live socket, the connection indicator, the cards and the
 * per-second strip. Each payload replaces the previous state whole, so a reconnection needs no
 * catch-up: its snapshot is the truth. The strip is redrawn every second from the last state,
 * so it scrolls even while no update comes.
 */
export class LiveView {
  private state: LiveState | undefined;
  /** Server clock minus ours, measured on each payload: the strip is laid out in server time. */
  private skew = 0;
  private readonly chart = new SecondsChart(byId('seconds-chart'));

  constructor(
    private readonly site: string,
    private readonly token: string,
    private readonly events: LiveViewEvents,
  ) {}

  /** Server time now, as well as we know it. */
  now(): number {
    return Date.now() + this.skew;
  }

  start(): void {
    this.chart.update(new Array<number>(60).fill(0));
    const socket: Socket<LiveServerEvents, LiveClientEvents> = io('/live', { auth: { site: this.site, token: this.token } });
    socket.on('connect', () => {
      this.status('live');
      this.events.authorized();
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return; // ours: the offline handler says why
      this.status('reconnecting');
      // the server let us go (a restart): socket.io does not retry that by itself
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2_000);
    });
    socket.on('connect_error', (err) => {
      if (err.message === 'unauthorized') {
        this.status('error', 'Unauthorized: this dashboard link is not valid (wrong or rotated token)');
        this.events.unauthorized();
      } else if (socket.active) {
        this.status('reconnecting'); // a network failure: socket.io retries with backoff
      } else if (err.message === 'unavailable') {
        // the server could not check the token (storage down): a refusal ends socket.io's attempts, so retry here
        this.status('reconnecting', 'Server unavailable, retrying…');
        setTimeout(() => socket.connect(), UNAVAILABLE_RETRY_MS);
      } else {
        this.status('error', `Error: ${err.message}`);
      }
    });
    socket.on('snapshot', (state) => this.apply(state));
    socket.on('update', (state) => this.apply(state));

    // the OS knows first that the network is gone: say so now rather than after the ping timeout,
    // and reconnect the moment it is back instead of waiting out the reconnection backoff
    addEventListener('offline', () => {
      socket.disconnect();
      this.status('reconnecting', 'Offline: waiting for the network…');
    });
    addEventListener('online', () => {
      if (socket.connected) return;
      socket.disconnect();
      this.status('reconnecting');
      socket.connect();
    });

    const tick = (): void => {
      this.render();
      // aligned to the second boundary, so the strip moves in step with the server's seconds
      setTimeout(tick, SECOND_MS - (this.now() % SECOND_MS) + 5);
    };
    tick();
  }

  private apply(state: LiveState): void {
    this.state = state;
    this.skew = state.serverTime - Date.now();
    setText('today', formatCount(state.todayPageviews));
    const { visitors5m, visitors30m } = state.presence;
    setText('visitors-now', formatCount(visitors5m));
    setText('live-visitors', formatCount(visitors5m));
    setText('visitors-30m', formatCount(visitors30m));
    byId('live-visitors-box').title = `${formatCount(visitors5m)} visitors in the last 5 minutes, ${formatCount(visitors30m)} in the last 30 minutes`;
    this.render();
    this.events.state(state);
  }

  private render(): void {
    if (!this.state) return;
    const strip = secondStrip(this.state.seconds, this.now());
    setText('minute', formatCount(strip.total));
    this.chart.update(strip.counts);
  }

  private status(state: ConnectionState, text?: string): void {
    const el = byId('status');
    el.dataset['state'] = state;
    el.textContent = text ?? (state === 'error' ? 'Error' : STATUS_TEXT[state]);
    document.body.dataset['connection'] = state;
  }
}
