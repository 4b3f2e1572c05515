// node clients/node/examples/grpc_call.js SERVICE ADDRESS METHOD '{json request}'
// Prints the response (or, for a stream, each message) as one JSON line; errors as {"error": ...}.
'use strict';

const { connect, unary, serverStream, describeError } = require('../grpc_client');

async function main() {
  const [service, address, method, raw = '{}'] = process.argv.slice(2);
  const client = connect(service, address);
  const request = JSON.parse(raw);
  const definition = Object.getPrototypeOf(client)[method];
  if (!definition) throw new Error(`${service} has no method ${method}`);
  try {
    if (definition.responseStream) {
      await serverStream(client, method, request, (message) => console.log(JSON.stringify(message)));
    } else {
      console.log(JSON.stringify(await unary(client, method, request)));
    }
  } catch (error) {
    console.log(JSON.stringify({ error: describeError(error) }));
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 2;
});
