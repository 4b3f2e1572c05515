// `@tauri-apps/api/event` for a plain browser: events the gateway emits under the frontend's
// names (media-processor) arrive as Tauri's `{event, id, payload}`.
import { gatewayConnection } from './connection.js';

/** listen<T>(event, handler, options?) -> Promise<UnlistenFn> */
export async function listen(event, handler, options = undefined) {
  if (options && options.target) {
    // Tauri targets windows; the gateway delivers to every connection of the same token.
  }
  const connection = gatewayConnection();
  const id = await connection.listen(event, handler);
  return () => {
    void connection.unlisten(id);
  };
}

/** once<T>(event, handler, options?) -> Promise<UnlistenFn>: the handler runs for the first event only. */
export async function once(event, handler, options = undefined) {
  let unlisten = null;
  let done = false;
  unlisten = await listen(
    event,
    (received) => {
      if (done) return;
      done = true;
      if (unlisten) unlisten();
      handler(received);
    },
    options,
  );
  return unlisten;
}

/** emit(event, payload?) -> Promise<void>: to every listener of this token (all its windows). */
export async function emit(event, payload = undefined) {
  await gatewayConnection().request({ type: 'emit', event, payload });
}

/** The event names Tauri itself defines; the gateway never emits these. */
export const TauriEvent = Object.freeze({
  WINDOW_RESIZED: 'tauri://resize',
  WINDOW_MOVED: 'tauri://move',
  WINDOW_CLOSE_REQUESTED: 'tauri://close-requested',
  WINDOW_DESTROYED: 'tauri://destroyed',
  WINDOW_FOCUS: 'tauri://focus',
  WINDOW_BLUR: 'tauri://blur',
  DRAG_DROP: 'tauri://drag-drop',
});
