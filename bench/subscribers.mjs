#!/usr/bin/env node
// Subscription fan-out benchmark: N WebSocket subscribers to
// recordChanged(types: [CITY]), M sequential createCity mutations over HTTP,
// and the delay of every delivery.
//
// Usage (the server must already run; the key must be an editor's):
//
//   (cd tests/clients && npm ci)          # this script imports `ws` from there
//   ulimit -n 20000                       # the shell of the server too: one fd per connection
//   node bench/subscribers.mjs --url http://127.0.0.1:8080 --key "$KEY" \
//        [--subscribers 1000] [--mutations 200] [--pid SERVER_PID]... \
//        [--subscribe-url URL]... \
//        [--with-record] [--connect-concurrency 100] [--drain-ms 15000] [--json]
//
// With several servers (bench/subscribers.sh starts two on one PostgreSQL):
// each --subscribe-url takes its share of the subscribers in turn, the
// mutations go to --url, and every --pid's CPU is summed and its memory
// reported on its own.
//
// For example, against a release build on a fresh SQLite file:
//
//   export DATABASE_URL='sqlite:///tmp/subs.db?mode=rwc'
//   KEY=$(target/release/twinning keys create --name bench --role editor)
//   target/release/twinning serve --listen 127.0.0.1:8080 & PID=$!
//   node bench/subscribers.mjs --url http://127.0.0.1:8080 --key "$KEY" --pid $PID --subscribers 5000
//
// What it does:
//   1. opens --subscribers connections to ws://HOST/graphql (protocol
//      graphql-transport-ws, the key in connection_init's Authorization),
//      --connect-concurrency at a time, and subscribes each to
//      `recordChanged(types: [CITY]) { action recordKey }` (with
//      `record { ... on City { name } }` too under --with-record, which makes
//      the server load the record for each subscriber);
//   2. waits until every subscription is live: the server registers a
//      subscription asynchronously, so it creates probe cities until every
//      subscriber has received one (and then the last one sent);
//   3. runs --mutations createCity mutations one after the other over HTTP;
//      for each it notes the time just before the request is sent, and every
//      subscriber notes when the event for that city arrives (same process,
//      monotonic clock);
//   4. waits until every expected delivery has arrived, or --drain-ms passes;
//   5. prints the median, p90, p99 and max delay over all deliveries, the
//      deliveries received / expected, the mutations' HTTP latency, and the
//      CPU seconds of this client and (with --pid) of the server over the
//      mutations and the drain, and, with --pid, the server's memory (VmHWM,
//      VmRSS of /proc/PID/status) before the connections open, once all are
//      live, and at the end. --json prints one JSON object instead. The exit
//      code is 0 when every delivery arrived and nothing failed, 1 otherwise.
//
// The client is a minimal graphql-transport-ws implementation over the `ws`
// package (connection_init, subscribe, next/error/complete, ping → pong)
// rather than graphql-ws's createClient, to keep the client's own cost per
// message low. All subscribers run in this one Node process, whose event loop
// shares the machine with the server: at thousands of subscribers a part of
// each measured delay is this process reading the messages in turn.
//
// Only for a server on this machine (127.0.0.1 or localhost); the run is
// bounded: M mutations, then at most --drain-ms of waiting.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import WebSocket from "../tests/clients/node_modules/ws/wrapper.mjs";

const { values: opts } = parseArgs({
  options: {
    url: { type: "string", default: process.env.TWINNING_URL || "http://127.0.0.1:8080" },
    key: { type: "string", default: process.env.TWINNING_KEY },
    subscribers: { type: "string", default: "1000" },
    mutations: { type: "string", default: "200" },
    pid: { type: "string", multiple: true, default: [] },
    "subscribe-url": { type: "string", multiple: true, default: [] },
    "with-record": { type: "boolean", default: false },
    "connect-concurrency": { type: "string", default: "100" },
    "live-timeout-ms": { type: "string", default: "60000" },
    "drain-ms": { type: "string", default: "15000" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (opts.help) {
  const text = readFileSync(new URL(import.meta.url), "utf8").split("\n");
  console.log(text.slice(1, text.findIndex((line) => line.startsWith("import "))).join("\n").replace(/^\/\/ ?/gm, ""));
  process.exit(0);
}

const SUBSCRIBERS = Number(opts.subscribers);
const MUTATIONS = Number(opts.mutations);
const CONNECT_CONCURRENCY = Number(opts["connect-concurrency"]);
const LIVE_TIMEOUT_MS = Number(opts["live-timeout-ms"]);
const DRAIN_MS = Number(opts["drain-ms"]);
for (const [name, value] of Object.entries({ SUBSCRIBERS, MUTATIONS, CONNECT_CONCURRENCY })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name.toLowerCase()} must be a positive integer`);
}
if (!opts.key) throw new Error("--key (or TWINNING_KEY) is required: an editor's API key");

const httpUrl = new URL("/graphql", opts.url).toString();
const wsUrls = (opts["subscribe-url"].length ? opts["subscribe-url"] : [opts.url]).map((u) =>
  new URL("/graphql", u).toString().replace(/^http/, "ws"),
);
for (const url of [httpUrl, ...wsUrls]) {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(host)) {
    throw new Error(`this benchmark only loads a server on this machine, not ${host}`);
  }
}

const SUBSCRIPTION = opts["with-record"]
  ? "subscription { recordChanged(types: [CITY]) { action recordKey record { ... on City { name } } } }"
  : "subscription { recordChanged(types: [CITY]) { action recordKey } }";
const CREATE_CITY =
  "mutation($input: CityInput!) { createCity(input: $input) { city { key } userErrors { code message } } }";

const log = (...args) => {
  if (!opts.json) console.error(...args);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The servers' user + system CPU time so far, in seconds (clock ticks of 1/100 s). */
function serverCpuSeconds() {
  if (!opts.pid.length) return undefined;
  try {
    let total = 0;
    for (const pid of opts.pid) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime
    }
    return total;
  } catch {
    return undefined;
  }
}

/** This process's user + system CPU time so far, in seconds. */
function clientCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** VmHWM and VmRSS of each server, in MiB (one entry per --pid). */
function serverMemory() {
  if (!opts.pid.length) return undefined;
  return opts.pid.map((pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1]);
      return { pid, hwmMiB: +(kib("VmHWM") / 1024).toFixed(1), rssMiB: +(kib("VmRSS") / 1024).toFixed(1) };
    } catch (err) {
      return { pid, error: err.message };
    }
  });
}

// A run's city keys are unique, so repeated runs on one database do not clash.
const RUN = Date.now().toString(36);
const measuredKey = (i) => `bench-${RUN}-${i}`;
const probeKey = (i) => `bench-${RUN}-probe-${i}`;

// Delivery bookkeeping: sentAt[i] for mutation i, delays of all deliveries.
const sentAt = new Array(MUTATIONS);
const delays = [];
let received = 0;
let unexpected = 0; // events for keys of no mutation or probe of this run
const serverErrors = []; // `error` messages, unexpected `complete`s and closes
const keyIndex = new Map(); // recordKey -> mutation index

class Subscriber {
  constructor(id) {
    this.id = id;
    this.live = false; // has received a probe event
    this.lastProbe = 0;
    this.closed = false;
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrls[this.id % wsUrls.length], "graphql-transport-ws", { perMessageDeflate: false });
      this.ws = ws;
      let acked = false;
      ws.on("open", () => {
        ws.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${opts.key}` } }));
      });
      ws.on("message", (data) => {
        const now = performance.now();
        const message = JSON.parse(data);
        switch (message.type) {
          case "connection_ack":
            acked = true;
            ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } }));
            resolve();
            break;
          case "next": {
            const event = message.payload?.data?.recordChanged;
            if (!event) {
              serverErrors.push(`subscriber ${this.id}: ${JSON.stringify(message.payload).slice(0, 300)}`);
              break;
            }
            const index = keyIndex.get(event.recordKey);
            if (index !== undefined) {
              delays.push(now - sentAt[index]);
              received += 1;
            } else if (event.recordKey.startsWith(`bench-${RUN}-probe-`)) {
              this.live = true;
              this.lastProbe = Math.max(this.lastProbe, Number(event.recordKey.slice(`bench-${RUN}-probe-`.length)));
            } else {
              unexpected += 1;
            }
            break;
          }
          case "ping":
            ws.send('{"type":"pong"}');
            break;
          case "pong":
            break;
          case "error":
          case "complete":
            serverErrors.push(`subscriber ${this.id}: ${message.type} ${JSON.stringify(message.payload ?? "").slice(0, 300)}`);
            break;
          default:
            serverErrors.push(`subscriber ${this.id}: unexpected message ${String(data).slice(0, 200)}`);
        }
      });
      ws.on("close", (code, reason) => {
        this.closed = true;
        if (!stopping) serverErrors.push(`subscriber ${this.id}: closed ${code} ${reason}`);
        if (!acked) reject(new Error(`closed before connection_ack: ${code} ${reason}`));
      });
      ws.on("error", (err) => {
        if (!acked) reject(err);
        else serverErrors.push(`subscriber ${this.id}: ${err.message}`);
      });
    });
  }
}

let stopping = false;

/** createCity over HTTP; returns the request's latency in ms. */
async function createCity(key, name) {
  const started = performance.now();
  const res = await fetch(httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.key}` },
    body: JSON.stringify({ query: CREATE_CITY, variables: { input: { key, name, countryCode: "NO" } } }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors || body.data?.createCity?.userErrors?.length) {
    throw new Error(`createCity ${key} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return performance.now() - started;
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

const round = (ms) => +ms.toFixed(2);

async function main() {
  const memory = { before: serverMemory() };
  log(`writes to ${httpUrl}, subscribers on ${wsUrls.join(" ")}; ${SUBSCRIBERS} subscribers, ${MUTATIONS} mutations; ${opts["with-record"] ? "with" : "without"} record`);

  // 1. Connect and subscribe, CONNECT_CONCURRENCY at a time.
  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => new Subscriber(i));
  const connectStarted = performance.now();
  let next = 0;
  const failures = [];
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, SUBSCRIBERS) }, async () => {
      while (next < subscribers.length) {
        const subscriber = subscribers[next++];
        await subscriber.open().catch((err) => failures.push(`subscriber ${subscriber.id}: ${err.message}`));
      }
    }),
  );
  if (failures.length) {
    throw new Error(`${failures.length} of ${SUBSCRIBERS} connections failed, first: ${failures.slice(0, 3).join("; ")}`);
  }
  const connectMs = performance.now() - connectStarted;
  log(`connected and subscribed in ${connectMs.toFixed(0)} ms`);

  // 2. Until every subscription is live: probe cities.
  const liveStarted = performance.now();
  let probes = 0;
  while (subscribers.some((s) => !s.live)) {
    if (performance.now() - liveStarted > LIVE_TIMEOUT_MS) {
      const notLive = subscribers.filter((s) => !s.live).length;
      throw new Error(`${notLive} subscriptions not live after ${LIVE_TIMEOUT_MS} ms (${probes} probes)`);
    }
    probes += 1;
    await createCity(probeKey(probes), `Probe ${probes}`);
    const waitUntil = performance.now() + 1_000;
    while (subscribers.some((s) => !s.live) && performance.now() < waitUntil) await sleep(20);
  }
  // Every subscriber also gets the last probe; wait for it, so that no probe
  // delivery competes with the first measured mutation.
  while (subscribers.some((s) => s.lastProbe < probes)) {
    if (performance.now() - liveStarted > LIVE_TIMEOUT_MS) throw new Error("the last probe did not reach everyone");
    await sleep(20);
  }
  const liveMs = performance.now() - liveStarted;
  log(`all live after ${probes} probe(s), ${liveMs.toFixed(0)} ms`);
  memory.live = serverMemory();

  // 3. The measured mutations, one after the other.
  const httpLatencies = [];
  const cpuBefore = { server: serverCpuSeconds(), client: clientCpuSeconds() };
  const mutationsStarted = performance.now();
  for (let i = 0; i < MUTATIONS; i += 1) {
    const key = measuredKey(i);
    keyIndex.set(key, i);
    sentAt[i] = performance.now();
    httpLatencies.push(await createCity(key, `Bench ${i}`));
  }
  const mutationsMs = performance.now() - mutationsStarted;

  // 4. The stragglers.
  const expected = SUBSCRIBERS * MUTATIONS;
  const drainStarted = performance.now();
  while (received < expected && performance.now() - drainStarted < DRAIN_MS) await sleep(20);
  const lastDeliveryMs = performance.now() - mutationsStarted;
  memory.end = serverMemory();
  const serverCpu = opts.pid.length ? serverCpuSeconds() - cpuBefore.server : undefined;
  const clientCpu = clientCpuSeconds() - cpuBefore.client;

  stopping = true;
  for (const s of subscribers) s.ws.terminate();

  // 5. The figures.
  const sorted = Float64Array.from(delays).sort();
  const http = Float64Array.from(httpLatencies).sort();
  const report = {
    subscribers: SUBSCRIBERS,
    mutations: MUTATIONS,
    withRecord: opts["with-record"],
    connectMs: Math.round(connectMs),
    probes,
    deliveries: { received, expected, unexpected },
    delayMs: {
      median: round(quantile(sorted, 0.5)),
      p90: round(quantile(sorted, 0.9)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? NaN),
      mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
    },
    mutationHttpMs: { median: round(quantile(http, 0.5)), p99: round(quantile(http, 0.99)) },
    mutationsPerSecond: +((MUTATIONS / mutationsMs) * 1000).toFixed(1),
    deliveriesPerSecond: Math.round((received / lastDeliveryMs) * 1000),
    elapsedMs: Math.round(lastDeliveryMs),
    cpuSeconds: { server: serverCpu === undefined ? undefined : +serverCpu.toFixed(2), client: +clientCpu.toFixed(2) },
    servers: wsUrls.length,
    serverMemory: opts.pid.length ? memory : undefined,
    serverErrors: serverErrors.length,
  };
  if (opts.json) {
    console.log(JSON.stringify(report));
  } else {
    const one = (m) => (m && !m.error ? `VmRSS ${m.rssMiB} MiB, VmHWM ${m.hwmMiB} MiB` : m?.error ?? "n/a");
    const mem = (ms) => (ms ?? []).map((m) => (ms.length > 1 ? `[${m.pid}] ` : "") + one(m)).join("; ");
    console.log(`subscribers           ${SUBSCRIBERS}${opts["with-record"] ? " (with record)" : ""}`);
    console.log(`mutations             ${MUTATIONS} sequential, ${report.mutationsPerSecond}/s, HTTP median ${report.mutationHttpMs.median} ms, p99 ${report.mutationHttpMs.p99} ms`);
    console.log(`deliveries            ${received} / ${expected}${unexpected ? ` (+${unexpected} unexpected)` : ""}, ${report.deliveriesPerSecond}/s`);
    console.log(`delay (send → recv)   median ${report.delayMs.median} ms, p90 ${report.delayMs.p90} ms, p99 ${report.delayMs.p99} ms, max ${report.delayMs.max} ms`);
    console.log(`connect + subscribe   ${report.connectMs} ms; live after ${probes} probe(s)`);
    const cpu = report.cpuSeconds;
    console.log(
      `CPU, mutations+drain  ${(report.elapsedMs / 1000).toFixed(1)} s elapsed; server ${cpu.server ?? "n/a"} s, this client ${cpu.client} s`,
    );
    if (opts.pid.length) {
      console.log(`server memory before  ${mem(memory.before)}`);
      console.log(`server memory live    ${mem(memory.live)}`);
      console.log(`server memory end     ${mem(memory.end)}`);
    }
    if (serverErrors.length) {
      console.log(`server errors/closes  ${serverErrors.length}, first: ${serverErrors.slice(0, 3).join(" | ")}`);
    }
  }
  return received === expected && serverErrors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`subscribers.mjs: ${err.message}`);
    process.exit(2);
  },
);
