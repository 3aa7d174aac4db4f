import { io } from 'socket.io-client';

/**
 * What the /live namespace answers a handshake: 'accepted' (a snapshot came) or the connect_error
 * message. Site and token go in `auth`, as the dashboard sends them, or in the query string.
 */
export async function handshake(gatewayUrl: string, auth: Record<string, string>, via: 'auth' | 'query' = 'auth'): Promise<string> {
  const socket = io(`${gatewayUrl}/live`, { [via]: auth, transports: ['websocket'], reconnection: false });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect_error', (err) => resolve(err.message));
      socket.once('snapshot', () => resolve('accepted'));
    });
  } finally {
    socket.close();
  }
}
