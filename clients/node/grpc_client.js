// gRPC straight to the services, from the .proto files in protos/ (no generated code):
// @grpc/proto-loader reads the contracts at run time, @grpc/grpc-js makes the calls.
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '..', '..', 'protos');

// Same JSON shapes the Python services and the gateway use: proto field names, enums by name,
// 64-bit integers as strings.
const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

const SERVICES = {
  compiler: ['tstudio/compiler/v1/compiler.proto', 'tstudio.compiler.v1.CompilerService'],
  media: ['tstudio/media/v1/media.proto', 'tstudio.media.v1.MediaService'],
  recognition: ['tstudio/recognition/v1/recognition.proto', 'tstudio.recognition.v1.RecognitionService'],
  security: ['tstudio/security/v1/security.proto', 'tstudio.security.v1.SecurityService'],
};

function serviceConstructor(name) {
  const entry = SERVICES[name];
  if (!entry) throw new Error(`unknown service ${name}; one of ${Object.keys(SERVICES).join(', ')}`);
  const [file, fullName] = entry;
  const definition = protoLoader.loadSync(file, LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition);
  return fullName.split('.').reduce((node, part) => node[part], loaded);
}

/** A client for one service, e.g. connect('media', '127.0.0.1:50052'). */
function connect(service, address, credentials = grpc.credentials.createInsecure()) {
  const Client = serviceConstructor(service);
  return new Client(address, credentials);
}

/** Call a unary RPC and resolve with its response object; rejects with the gRPC error. */
function unary(client, method, request, { timeoutSeconds = 30 } = {}) {
  const deadline = new Date(Date.now() + timeoutSeconds * 1000);
  return new Promise((resolve, reject) => {
    client[method](request, { deadline }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** Call a server-streaming RPC; resolves with every message once the stream ends. */
function serverStream(client, method, request, onMessage = () => {}) {
  return new Promise((resolve, reject) => {
    const messages = [];
    const call = client[method](request);
    call.on('data', (message) => {
      messages.push(message);
      onMessage(message);
    });
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

/** The error as JSON: status code name, message and the reason from google.rpc.ErrorInfo if sent. */
function describeError(error) {
  const codeName = Object.keys(grpc.status).find((key) => grpc.status[key] === error.code) || String(error.code);
  return { code: codeName, message: error.details || error.message };
}

module.exports = { connect, unary, serverStream, describeError, SERVICES, grpc };
