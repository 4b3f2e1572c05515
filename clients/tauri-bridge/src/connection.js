// One WebSocket to the gateway (/api/v1/ws) shared by invoke() and listen(): request ids,
// the bearer token as access_token (browsers cannot set headers on a WebSocket), reconnection with
// exponential back-off and jitter, and listeners registered again after a reconnect.

const DEFAULTS = {
  backoffInitialMs: 250,
  backoffMaxMs: 10000,
  backoffFactor: 2,
};

/** The message a rejected promise carries: Tauri rejects invoke() with the command's error string. */
export function errorMessage(error) {
  if (!error || typeof error !== 'object') return String(error ?? 'unknown error');
  return String(error.message || error.reason || error.code || 'unknown error');
}

function wsUrl(raw) {
  const url = new URL(raw, globalThis.location ? globalThis.location.href : undefined);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (!url.pathname.endsWith('/api/v1/ws')) url.pathname = url.pathname.replace(/\/?$/, '/api/v1/ws');
  return url;
}

export class GatewayConnection {
  /**
   * @param {{url: string, token?: string, WebSocket?: typeof WebSocket,
   *          backoffInitialMs?: number, backoffMaxMs?: number, backoffFactor?: number}} options
   */
  constructor(options) {
    this.options = { ...DEFAULTS, ...options };
    this.url = wsUrl(options.url);
    if (options.token) this.url.searchParams.set('access_token', options.token);
    this.WebSocketImpl = options.WebSocket || globalThis.WebSocket;
    if (!this.WebSocketImpl) throw new Error('no WebSocket implementation: pass options.WebSocket');
    this.nextId = 1;
    this.pending = new Map(); // request id -> {resolve, reject, frame, sent, last}
    this.listeners = new Map(); // local listener id -> {event, handler, serverId}
    this.byServerId = new Map(); // the gateway's listener id -> local listener id
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
    this.reconnects = 0;
    this._connect();
  }

  _connect() {
    const ws = new this.WebSocketImpl(this.url.toString());
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      for (const [localId, listener] of this.listeners) this._register(localId, listener);
      for (const [id, request] of this.pending) {
        if (!request.sent) this._sendNow(id, request);
      }
    };
    ws.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this._receive(frame);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      // A request already sent may or may not have run: reject it, as a lost IPC call would.
      for (const [id, request] of this.pending) {
        if (request.sent) {
          this.pending.delete(id);
          request.reject('the connection to the gateway was lost');
        }
      }
      for (const listener of this.listeners.values()) listener.serverId = null;
      this.byServerId.clear();
      if (!this.closed) this._scheduleReconnect();
    };
    ws.onerror = () => {}; // onclose follows
  }

  _scheduleReconnect() {
    const { backoffInitialMs, backoffMaxMs, backoffFactor } = this.options;
    const base = Math.min(backoffMaxMs, backoffInitialMs * backoffFactor ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.reconnects += 1;
    setTimeout(() => {
      if (!this.closed) this._connect();
    }, delay);
  }

  _open() {
    return this.ws && this.ws.readyState === 1;
  }

  _sendNow(id, request) {
    request.sent = true;
    this.ws.send(JSON.stringify({ ...request.frame, id }));
  }

  /** Send a frame that gets one answer (result, error, listening, emitted ...). */
  request(frame) {
    if (this.closed) return Promise.reject('the gateway connection is closed');
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const request = { resolve, reject, frame, sent: false, last: undefined };
      this.pending.set(id, request);
      if (this._open()) this._sendNow(id, request);
    });
  }

  _receive(frame) {
    if (frame.type === 'tauri-event') {
      const localId = this.byServerId.get(frame.id);
      const listener = localId === undefined ? undefined : this.listeners.get(localId);
      if (listener) {
        try {
          listener.handler({ event: frame.event, id: localId, payload: frame.payload });
        } catch (error) {
          console.error(`listener of ${frame.event} failed`, error);
        }
      }
      return;
    }
    const request = this.pending.get(String(frame.id));
    if (!request) return;
    if (frame.type === 'message') {
      // A native streaming command: its last message is its answer.
      request.last = frame.data;
      return;
    }
    this.pending.delete(String(frame.id));
    if (frame.type === 'error') request.reject(errorMessage(frame.error));
    else if (frame.type === 'end') request.resolve({ type: 'result', data: request.last ?? null });
    else request.resolve(frame);
  }

  _register(localId, listener) {
    this.request({ type: 'listen', event: listener.event }).then(
      (reply) => {
        if (!this.listeners.has(localId)) {
          this.request({ type: 'unlisten', listener: reply.listener }).catch(() => {});
          return;
        }
        listener.serverId = reply.listener;
        this.byServerId.set(reply.listener, localId);
        listener.ready?.();
      },
      (error) => listener.failed?.(error),
    );
  }

  /** Register a listener; resolves once the gateway delivers `event` to it. */
  listen(event, handler) {
    const localId = this.nextId++;
    return new Promise((resolve, reject) => {
      const listener = {
        event,
        handler,
        serverId: null,
        ready: () => {
          listener.ready = null;
          resolve(localId);
        },
        failed: (error) => {
          this.listeners.delete(localId);
          reject(error);
        },
      };
      this.listeners.set(localId, listener);
      if (this._open()) this._register(localId, listener);
    });
  }

  async unlisten(localId) {
    const listener = this.listeners.get(localId);
    if (!listener) return;
    this.listeners.delete(localId);
    if (listener.serverId !== null) {
      this.byServerId.delete(listener.serverId);
      if (this._open()) await this.request({ type: 'unlisten', listener: listener.serverId }).catch(() => {});
    }
  }

  /** Drop the socket (as a network failure would); it reconnects. For tests and diagnostics. */
  drop() {
    if (this.ws) this.ws.close();
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
    for (const request of this.pending.values()) request.reject('the gateway connection is closed');
    this.pending.clear();
  }
}

let configured = null;
let shared = null;

function settingsFromEnvironment() {
  const g = globalThis;
  const given = g.__TSTUDIO_GATEWAY__ || {};
  const env = (typeof process !== 'undefined' && process.env) || {};
  const url =
    given.url ||
    env.NEXT_PUBLIC_TSTUDIO_GATEWAY_URL ||
    env.VITE_TSTUDIO_GATEWAY_URL ||
    (g.location ? `${g.location.origin}/api/v1/ws` : null);
  const token = given.token || env.NEXT_PUBLIC_TSTUDIO_GATEWAY_TOKEN || env.VITE_TSTUDIO_GATEWAY_TOKEN || '';
  if (!url) throw new Error('no gateway URL: call configure({url, token}) or set globalThis.__TSTUDIO_GATEWAY__');
  return { ...given, url, token };
}

/** Where the gateway is and which token to present; replaces the current connection. */
export function configure(options) {
  configured = { ...options };
  if (shared) shared.close();
  shared = null;
}

/** The connection invoke() and listen() share, opened on first use. */
export function gatewayConnection() {
  if (!shared) shared = new GatewayConnection(configured || settingsFromEnvironment());
  return shared;
}
