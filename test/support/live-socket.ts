import { io } from 'socket.io-client';

/** What the /live namespace answers a handshake: 'accepted' (a snapshot came) or the connect_error message. */
export async function handshake(gatewayUrl: string, auth: Record<string, string>): Promise<string> {
  const socket = io(`${gatewayUrl}/live`, { auth, transports: ['websocket'], reconnection: false });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect_error', (err) => resolve(err.message));
      socket.once('snapshot', () => resolve('accepted'));
    });
  } finally {
    socket.close();
  }
}
