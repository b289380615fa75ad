// The simulator's live events, over a WebSocket that reconnects by itself.

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 8000;

/**
 * Watch the simulator: onMessage gets each event in order (a `hello` with
 * everything as it is first, again after every reconnection); onStatus gets
 * 'connected' or 'disconnected'.
 */
export function watch({ onMessage, onStatus }) {
  let retry = FIRST_RETRY_MS;
  let lastSeq = 0;

  const receive = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'hello') {
      lastSeq = message.seq;
    } else if (message.seq <= lastSeq) {
      return;
    } else {
      lastSeq = message.seq;
    }
    onMessage(message);
  };

  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/_simulator/live`);
    socket.addEventListener('open', () => {
      retry = FIRST_RETRY_MS;
      onStatus('connected');
    });
    socket.addEventListener('message', receive);
    socket.addEventListener('close', () => {
      onStatus('disconnected');
      setTimeout(open, retry);
      retry = Math.min(retry * 2, LAST_RETRY_MS);
    });
  };

  open();
}
