// A real third-party client, graphql-ws's createClient over the `ws`
// package, against Twinning's subscriptions on /graphql.
//
// The suite starts the server binary on a free port with a fresh SQLite
// database (the founding example data is loaded into it), creates an editor
// key with the CLI (`twinning keys create`), and then:
//   - subscribes to recordChanged(types: [CITY]) with the key in
//     connectionParams, waits until the subscription is live (the server
//     registers it asynchronously: probe cities are created until one of
//     them arrives), creates a city over HTTP and checks the exact event;
//   - checks that a forged key is refused: the socket closes with 4403;
//   - checks that a rolled-back write (importDocument with dryRun: true)
//     delivers nothing: the next event is the city created after it.
// The server is killed at the end, whatever happened.
//
// Run: npm ci && node --test graphql-ws.test.mjs   (or bash .ci/clients-test from the repo)
// Environment:
//   TWINNING_BIN     server binary (default ../../target/debug/twinning)
//
// Starting and stopping the server: ../support/server.mjs, shared with the
// other suites.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import {
  TWINNING_BIN,
  createKey,
  freePort,
  startServer,
  stopServer,
  waitForHealth,
  withServerLog as withLogOf,
  withoutCost,
} from "../support/server.mjs";

const SUITE_TIMEOUT_MS = 90_000; // the whole file, server start included
const STEP_TIMEOUT_MS = 15_000; // any one wait inside it
const PROBE_WAIT_MS = 300; // how long one probe city is awaited before the next is sent

const RECORD_CHANGED = /* GraphQL */ `
  subscription CityChanges {
    recordChanged(types: [CITY]) {
      action
      recordType
      recordKey
      record { ... on City { name } }
      change { before after actor operation at }
    }
  }
`;

const CREATE_CITY = /* GraphQL */ `
  mutation CreateCity($key: String!, $name: String!, $countryCode: String!) {
    createCity(input: { key: $key, name: $name, countryCode: $countryCode }) {
      city { key }
      userErrors { code message }
    }
  }
`;

const DRY_RUN_IMPORT = /* GraphQL */ `
  mutation {
    importDocument(dryRun: true, document: { cities: [{ key: "ghost", name: "Ghost", countryCode: "FI" }] }) {
      counts { entity created }
    }
  }
`;

/**
 * A subscription as a queue: `next(ms)` resolves with the next result, or
 * rejects when none arrives in time or the subscription failed.
 */
function subscribe(client, query) {
  const results = [];
  const waiters = [];
  let failure = null;
  let completed = false;
  const wake = () => {
    while (waiters.length && (results.length || failure || completed)) waiters.shift()();
  };
  const unsubscribe = client.subscribe(
    { query },
    {
      next: (result) => {
        results.push(result);
        wake();
      },
      error: (err) => {
        failure = err;
        wake();
      },
      complete: () => {
        completed = true;
        wake();
      },
    },
  );
  const describeFailure = (err) =>
    err instanceof Error ? err.message : err?.code ? `socket closed ${err.code} ${err.reason}` : JSON.stringify(err);
  async function next(ms = STEP_TIMEOUT_MS) {
    if (!results.length && !failure && !completed) {
      let timer;
      const arrived = await Promise.race([
        new Promise((resolve) => waiters.push(() => resolve(true))),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(false), ms);
        }),
      ]);
      clearTimeout(timer);
      if (!arrived) return undefined;
    }
    if (results.length) return results.shift();
    if (failure) throw new Error(`the subscription failed: ${describeFailure(failure)}`);
    throw new Error("the subscription completed");
  }
  return { next, unsubscribe };
}

/** The recordChanged payload of a result, or a failure that shows the result. */
function recordChanged(result) {
  assert.ok(result, "expected a recordChanged event, none arrived in time");
  assert.equal(result.errors, undefined, `the event should carry no errors: ${JSON.stringify(result)}`);
  assert.ok(result.data?.recordChanged, `expected data.recordChanged: ${JSON.stringify(result)}`);
  return result.data.recordChanged;
}

describe("graphql-ws client against Twinning's subscriptions", { timeout: SUITE_TIMEOUT_MS }, () => {
  let work;
  let server;
  let base;
  let wsUrl;
  let key;
  const clients = [];
  const killOnExit = () => server?.child.kill("SIGKILL");

  /** POST /graphql with the editor key; returns the parsed JSON body. */
  async function post(query, variables) {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `POST /graphql answered ${res.status}: ${text}`);
    return withoutCost(JSON.parse(text));
  }

  async function createCity(cityKey, name, countryCode = "NO") {
    const body = await post(CREATE_CITY, { key: cityKey, name, countryCode });
    assert.deepEqual(
      body,
      { data: { createCity: { city: { key: cityKey }, userErrors: [] } } },
      `createCity ${cityKey} should succeed`,
    );
  }

  /** A graphql-ws client that is disposed of after the suite. */
  function client(options) {
    const c = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      ...options,
    });
    clients.push(c);
    return c;
  }

  /** Runs `fn`; on failure prints the server's log before failing. */
  const withServerLog = (fn) => withLogOf(() => server, fn);

  before(async () => {
    assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
    process.once("exit", killOnExit);
    work = await mkdtemp(path.join(tmpdir(), "twinning-clients-"));
    const databaseUrl = `sqlite://${path.join(work, "clients.db")}?mode=rwc`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/graphql`;
    server = startServer(port, databaseUrl);
    await withServerLog(() => waitForHealth(base, server, Date.now() + STEP_TIMEOUT_MS));
    key = await createKey(databaseUrl, "clients-test", "editor", STEP_TIMEOUT_MS);
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await stopServer(server);
    process.removeListener("exit", killOnExit);
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {});
  });

  // One editor subscription shared by the tests that follow, in order.
  let cities;

  it("delivers a city created over HTTP, exactly, to a live subscription", (t) =>
    withServerLog(async () => {
      const editor = client({ connectionParams: { Authorization: `Bearer ${key}` } });
      cities = subscribe(editor, RECORD_CHANGED);

      // The server registers a subscription asynchronously: create probe
      // cities until one of them is delivered. Then drain to the last probe
      // sent, so that no probe event is left in the queue.
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      let sent = 0;
      let live = false;
      while (!live) {
        assert.ok(Date.now() < deadline, `no probe city arrived in ${STEP_TIMEOUT_MS} ms (${sent} sent)`);
        sent += 1;
        await createCity(`probe-${sent}`, `Probe ${sent}`);
        const result = await cities.next(PROBE_WAIT_MS);
        if (result === undefined) continue;
        let event = recordChanged(result);
        while (event.recordKey !== `probe-${sent}`) {
          assert.match(event.recordKey, /^probe-\d+$/, "only probe cities should arrive before the subscription is live");
          event = recordChanged(await cities.next());
        }
        live = true;
      }
      t.diagnostic(`subscription live after ${sent} probe cit${sent === 1 ? "y" : "ies"}`);

      const before = Date.now();
      await createCity("kirkenes", "Kirkenes", "NO");
      const event = recordChanged(await cities.next());
      const { at, ...change } = event.change;
      assert.deepEqual(
        { ...event, change },
        {
          action: "CREATED",
          recordType: "City",
          recordKey: "kirkenes",
          record: { name: "Kirkenes" },
          change: {
            before: null,
            after: { key: "kirkenes", name: "Kirkenes", countryCode: "NO" },
            actor: "clients-test",
            operation: "createCity",
          },
        },
      );
      assert.equal(event.change.after.name, "Kirkenes");
      const when = Date.parse(at);
      assert.ok(
        Number.isFinite(when) && when >= before - 5_000 && when <= Date.now() + 5_000,
        `change.at should be a time of about now: ${at}`,
      );
    }));

  it("refuses a forged key: the socket closes with 4403", () =>
    withServerLog(async () => {
      let closed;
      const forged = client({
        connectionParams: { Authorization: `Bearer tw_000000000000_${"0".repeat(64)}` },
        on: {
          closed: (event) => {
            closed = event;
          },
        },
      });
      const sub = subscribe(forged, RECORD_CHANGED);
      const outcome = await sub.next().then(
        (result) => ({ result }),
        (err) => ({ err }),
      );
      assert.ok(outcome.err, `a forged key should get no result: ${JSON.stringify(outcome.result)}`);
      assert.ok(closed, "the client should have seen the socket close");
      assert.equal(closed.code, 4403, `close code (reason: ${closed.reason})`);
      assert.match(closed.reason, /key/i, "the close reason should say what was wrong");
    }));

  it("delivers nothing for a rolled-back write (importDocument dryRun: true)", () =>
    withServerLog(async () => {
      assert.ok(cities, "needs the live subscription of the first test");
      const dryRun = await post(DRY_RUN_IMPORT);
      assert.equal(dryRun.errors, undefined, `the dry run should succeed: ${JSON.stringify(dryRun)}`);
      const counts = dryRun.data.importDocument.counts;
      assert.ok(
        counts.some((c) => c.created === 1),
        `the dry run should count one created city: ${JSON.stringify(counts)}`,
      );
      const ghost = await post('{ city(key: "ghost") { key } }');
      assert.deepEqual(ghost, { data: { city: null } }, "a dry run should write nothing");

      await createCity("vardo", "Vardø", "NO");
      const event = recordChanged(await cities.next());
      assert.equal(event.recordKey, "vardo", `the next event should be vardo, not ${JSON.stringify(event)}`);
      assert.equal(event.action, "CREATED");
      assert.deepEqual(event.record, { name: "Vardø" });
      assert.equal(event.change.after.name, "Vardø");
      // Nothing else is pending either.
      assert.equal(await cities.next(300), undefined, "no other event should arrive");
    }));
});
