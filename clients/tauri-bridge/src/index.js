export { configure, gatewayConnection, GatewayConnection, errorMessage } from './connection.js';
export { invoke, isTauri, convertFileSrc } from './core.js';
export { listen, once, emit, TauriEvent } from './event.js';
