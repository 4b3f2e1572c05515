// node --experimental-websocket clients/node/examples/gateway_session.js URL TOKEN VIDEO OUTPUT
// Exercises the gateway client: HTTP invoke, an error with its field path, a WebSocket invoke,
// and a streamed render with its events. Prints one JSON line per step.
'use strict';

const { GatewayClient } = require('../gateway_client');

function report(step, value) {
  console.log(JSON.stringify({ step, ...value }));
}

async function main() {
  const [url, token, video, output] = process.argv.slice(2);
  const gateway = new GatewayClient(url, token);

  const probe = await gateway.invoke('probe_media_file', { path: video });
  report('http_probe', { streams: probe.info.streams.length });

  try {
    await gateway.invoke('probe', { path: 42 });
  } catch (error) {
    report('http_error', { status: error.status, field: error.fieldViolations[0].field });
  }

  const catalogue = await gateway.commands();
  report('commands', { count: catalogue.commands.length });

  const socket = await gateway.socket();
  // Closed whatever happens, so a failed step ends the script instead of leaving it hanging.
  try {
    const viaSocket = await socket.invoke('probe', { path: video });
    report('ws_probe', { container: viaSocket.info.container });

    const events = [];
    const progress = [];
    const done = new Promise((resolve) => {
      socket.subscribe('tstudio.compiler.render.*.*', (event) => {
        events.push(event.type);
        if (event.type === 'tstudio.compiler.render.completed') resolve();
      });
    });
    // Let the subscription land before the render starts.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A real timeline: the first second of VIDEO, small (a real compiler refuses an empty project).
    const project = {
      settings: { width: 320, height: 240, fps: 30 },
      tracks: [{ id: 'v', kind: 'VIDEO', clips: [{ id: 'c', source: { path: video }, start: 0, sourceIn: 0, sourceOut: 1 }] }],
      output: { path: output },
    };
    const messages = await socket.invoke('render', { project }, (message) =>
      progress.push(message.job.progress.percent || 0),
    );
    // The completed event, when the render succeeded; never wait for it forever.
    const succeeded = messages[messages.length - 1].job.status === 'JOB_STATUS_SUCCEEDED';
    if (succeeded) await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10000).unref())]);
    report('ws_render', {
      messages: messages.length,
      last_status: messages[messages.length - 1].job.status,
      progress,
      events: [...new Set(events)].sort(),
    });
  } finally {
    socket.close();
  }
}

main().catch((error) => {
  console.error(error.stack || error.message);
  process.exitCode = 1;
});
