// A small client for the gateway: commands over HTTP/JSON (fetch) and over one WebSocket,
// with streaming results and event subscriptions. Works in browsers and in Node >= 22 (Node 20
// needs --experimental-websocket for the WebSocket part).
'use strict';

class GatewayError extends Error {
  constructor(body, httpStatus) {
    const error = (body && body.error) || { code: 'UNKNOWN', message: `HTTP ${httpStatus}` };
    super(error.message);
    this.name = 'GatewayError';
    this.code = error.code;
    this.status = error.status || httpStatus;
    this.reason = error.reason;
    this.fieldViolations = error.field_violations || [];
    this.nearNames = error.near_names || [];
    this.retryAfterSeconds = error.retry_after_seconds;
  }
}

class GatewayClient {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.token = token;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json', ...extra };
  }

  /** invoke('probe_media_file', {path}) -> the result object (a streaming command: its last message). */
  async invoke(command, args = {}, { timeoutSeconds } = {}) {
    const extra = timeoutSeconds ? { 'X-Request-Timeout': String(timeoutSeconds) } : {};
    const reply = await fetch(`${this.baseUrl}/api/v1/invoke/${encodeURIComponent(command)}`, {
      method: 'POST',
      headers: this.headers(extra),
      body: JSON.stringify(args),
    });
    const text = await reply.text();
    if (!reply.ok) throw new GatewayError(safeJson(text), reply.status);
    if ((reply.headers.get('content-type') || '').startsWith('application/x-ndjson')) {
      const lines = text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      const last = lines[lines.length - 1];
      if (last && last.error) throw new GatewayError(last, 500);
      return last;
    }
    return JSON.parse(text);
  }

  async commands() {
    const reply = await fetch(`${this.baseUrl}/api/v1/commands`, { headers: this.headers() });
    if (!reply.ok) throw new GatewayError(safeJson(await reply.text()), reply.status);
    return reply.json();
  }

  /** Open the WebSocket; resolves with a GatewaySocket once connected. */
  socket() {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/api/v1/ws?access_token=${encodeURIComponent(this.token)}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new GatewaySocket(ws));
      ws.onerror = () => reject(new Error(`cannot open ${url.split('?')[0]}`));
    });
  }
}

class GatewaySocket {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, onMessage, messages}
    this.handlers = new Map(); // subscription id -> event handler
    ws.onmessage = (frame) => this.dispatch(JSON.parse(frame.data));
  }

  dispatch(message) {
    if (message.type === 'event') {
      const handler = this.handlers.get(message.subscription);
      if (handler) handler(message.event);
      return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    if (message.type === 'message') {
      waiter.messages.push(message.data);
      waiter.onMessage(message.data);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'error') waiter.reject(new GatewayError(message, message.error.status));
    else if (message.type === 'end') waiter.resolve(waiter.messages);
    else if (message.type === 'result') waiter.resolve(message.data);
    else waiter.resolve(message);
  }

  request(payload, onMessage = () => {}) {
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onMessage, messages: [] });
      this.ws.send(JSON.stringify({ id, ...payload }));
    });
  }

  /** A unary command resolves with its result; a streaming one with all its messages, each also
   * passed to onMessage as it arrives. */
  invoke(command, args = {}, onMessage = () => {}, { timeoutSeconds } = {}) {
    const payload = { type: 'invoke', command, args };
    if (timeoutSeconds) payload.timeout_seconds = timeoutSeconds;
    return this.request(payload, onMessage);
  }

  /** Subscribe to a subject pattern (tstudio.compiler.render.<job>.*); resolves with its id. */
  async subscribe(subject, onEvent) {
    const id = String(this.nextId);
    this.handlers.set(id, onEvent);
    try {
      await this.request({ type: 'subscribe', subject });
    } catch (error) {
      this.handlers.delete(id);
      throw error;
    }
    return id;
  }

  async unsubscribe(subscription) {
    await this.request({ type: 'unsubscribe', subscription });
    this.handlers.delete(subscription);
  }

  close() {
    this.ws.close();
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

module.exports = { GatewayClient, GatewaySocket, GatewayError };
