// feed_ws.js: the live feed's Node peer for tools/bench/feed_bench.cpp (issue 22, "Peers"):
// a `ws` WebSocket broadcaster as a Node gateway would write one. It listens on loopback,
// prints "port <n>" on stdout, and sends every line it reads on stdin (one event's JSON, built
// by feed_bench exactly as for the bare Beast broadcaster) to every connected socket as a
// text message, each encoded once. It exits when stdin closes.
'use strict';
const { WebSocketServer } = require('ws');
const readline = require('node:readline');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => process.stdout.write(`port ${wss.address().port}\n`));
wss.on('connection', (ws) => {
  ws._socket.setNoDelay(true);
  ws.on('error', () => {});
});

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line) return;
  const data = Buffer.from(line);
  for (const ws of wss.clients) if (ws.readyState === 1) ws.send(data, { binary: false });
});
lines.on('close', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  process.exit(0);
});
