// `@tauri-apps/api/core` for a plain browser: invoke() goes to the gateway.
import { gatewayConnection } from './connection.js';

/**
 * Invoke a command, as Tauri's `invoke<T>(cmd, args?, options?)`: resolves with the command's
 * value, rejects with its error message (a string).
 */
export async function invoke(cmd, args = {}, options = undefined) {
  if (options && options.headers) {
    // Tauri's per-call headers have no meaning over the gateway's socket.
    console.warn(`invoke(${cmd}): options.headers are ignored by the gateway bridge`);
  }
  const reply = await gatewayConnection().request({ type: 'invoke', command: cmd, args });
  return reply.data;
}

/** Always false: this is the browser bridge, not a Tauri webview. */
export function isTauri() {
  return false;
}

/**
 * Tauri turns a local path into a webview URL; a browser cannot read the backend's files, so this
 * refuses clearly. Media is served by the media service's signed stream URLs (GetStreamUrl).
 */
export function convertFileSrc(filePath, protocol = 'asset') {
  throw new Error(
    `convertFileSrc(${JSON.stringify(filePath)}, ${protocol}): local files are not reachable from a ` +
      'browser; ask the gateway for a stream URL (media.get_stream_url) instead',
  );
}
