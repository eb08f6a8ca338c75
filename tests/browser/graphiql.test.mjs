// A real browser runs a query in Twinning's GraphiQL playground.
//
// The test starts the server binary on a free port with a fresh SQLite
// database (the server loads the founding example, Murmansk–Harbin, into an
// empty database), opens /graphql in Debian's headless Chromium, replaces the
// query, presses the run button and waits for Harbin's native name in the
// result pane. It also checks that the page loaded nothing from any host but
// the server itself (no CDN).
//
// A second test runs a subscription in the playground: an editor key (made
// with `twinning keys create`) goes into the Headers tab, GraphiQL opens a
// WebSocket to /graphql (graphql-transport-ws, the key in connection_init),
// the test creates cities over HTTP and waits for the event in the result
// pane; then it stops the subscription and checks that a forged key is
// reported (close code 4403) at once.
//
// Run: node --test graphiql.test.mjs   (or bash .ci/browser-test from the repo)
// Environment:
//   TWINNING_BIN     server binary (default ../../target/debug/twinning)
//   CHROMIUM_BIN     browser (default /usr/bin/chromium; never downloaded)
//   TWINNING_BROWSER_ARTIFACTS  folder for the failure screenshot (default: a temp folder)
//
// Starting and stopping the server: ../support/server.mjs, shared with the
// other suites.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";
import {
  TWINNING_BIN,
  createKey,
  freePort,
  printServerLog,
  sleep,
  startServer,
  stopServer,
  timeout,
  waitForHealth,
  withoutCost,
} from "../support/server.mjs";

const CHROMIUM_BIN = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

const TEST_TIMEOUT_MS = 60_000; // the whole test, everything included
const STEP_TIMEOUT_MS = 20_000; // any one wait inside it

const QUERY = '{ city(key: "harbin") { name nativeName } }';
const EXPECTED = "哈尔滨";

/** page.waitForFunction, with a failure message that says what was awaited. */
async function waitFor(page, what, fn, ...args) {
  try {
    return await page.waitForFunction(fn, {}, ...args);
  } catch (err) {
    throw new Error(`timed out waiting for ${what} (${err.message})`, { cause: err });
  }
}

/** Debian's Chromium, headless, with a throw-away profile and no name resolution. */
function launchChromium(profile) {
  return puppeteer.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      // Belt and braces: no host name resolves, so nothing leaves the machine
      // even if the page asked for a CDN (the assertions below catch that).
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
    timeout: STEP_TIMEOUT_MS,
    protocolTimeout: STEP_TIMEOUT_MS,
  });
}

/**
 * Runs `body(run)` with a work directory and a Chromium profile in it, and
 * stops whatever it starts (it sets `run.server` and `run.browser`) however
 * it ends: on return, on failure, at a deadline of its own (a watchdog
 * independent of the test runner, so that a hang still stops both before
 * the runner's timeout), or when the process exits. On failure,
 * `evidence(artifacts)` prints what the CI log should show; the server's
 * log follows.
 */
async function withServerAndBrowser(prefix, body, evidence) {
  const started = Date.now();
  const deadline = started + TEST_TIMEOUT_MS - 5_000; // leave time to clean up
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const profile = path.join(work, "chromium-profile");
  await mkdir(profile);
  const run = { work, profile, started, deadline, server: undefined, browser: undefined };

  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    const { browser, server } = run;
    if (browser) await Promise.race([browser.close().catch(() => {}), timeout(5_000)]);
    if (browser?.process() && browser.process().exitCode === null) browser.process().kill("SIGKILL");
    await stopServer(server);
    await rm(work, { recursive: true, force: true }).catch(() => {});
  };
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    cleanup();
  }, deadline - Date.now());
  // If the process dies some other way, do not leave the server behind.
  const onExit = () => {
    run.server?.child.kill("SIGKILL");
    run.browser?.process()?.kill("SIGKILL");
  };
  process.once("exit", onExit);

  try {
    return await body(run);
  } catch (err) {
    // Evidence for whoever reads the CI log.
    const artifacts = process.env.TWINNING_BROWSER_ARTIFACTS || (await mkdtemp(path.join(tmpdir(), "twinning-browser-failure-")));
    await mkdir(artifacts, { recursive: true }).catch(() => {});
    await evidence(artifacts);
    if (run.server) printServerLog(run.server);
    if (timedOut) {
      throw new Error(`the test ran out of time (${TEST_TIMEOUT_MS} ms); server and browser were stopped: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    process.removeListener("exit", onExit);
  }
}

test("GraphiQL runs a query in a real browser, with no request off 127.0.0.1", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
  assert.ok(existsSync(CHROMIUM_BIN), `browser not found: ${CHROMIUM_BIN} (apt-get install -y chromium)`);

  let page;
  const requests = []; // { method, url, postData }
  const webSockets = [];
  const pageErrors = [];
  const consoleErrors = [];
  const failedRequests = [];

  await withServerAndBrowser("twinning-browser-", async (run) => {
    const { profile, work, started, deadline } = run;
    // 1. The server, on a free port, with a fresh database.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = (run.server = startServer(port, `sqlite://${path.join(work, "browser.db")}?mode=rwc`));
    await waitForHealth(base, server, Math.min(deadline, Date.now() + STEP_TIMEOUT_MS));
    t.diagnostic(`server up on ${base} after ${Date.now() - started} ms`);

    // 2. The browser: Debian's Chromium, headless, a throw-away profile.
    const browser = (run.browser = await launchChromium(profile));
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.setViewport({ width: 1280, height: 800 });
    const onServer = (u) => {
      const url = new URL(u);
      if (["data:", "blob:", "about:"].includes(url.protocol)) return true; // not network
      return url.hostname === "127.0.0.1" && url.port === String(port);
    };
    // Every request is recorded; one for any other host is also stopped in the
    // browser, never sent.
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      requests.push({ method: req.method(), url: req.url(), postData: req.postData() });
      if (req.isInterceptResolutionHandled()) return;
      if (onServer(req.url())) req.continue();
      else req.abort("blockedbyclient");
    });
    page.on("requestfailed", (req) => failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    cdp.on("Network.webSocketCreated", ({ url }) => webSockets.push(url));

    // 3. The playground: a normal navigation, as a person would.
    const response = await page.goto(`${base}/graphql`, { waitUntil: "load" });
    assert.equal(response.status(), 200, "GET /graphql in a browser should answer 200");
    assert.match(response.headers()["content-type"] || "", /text\/html/, "GET /graphql in a browser should be HTML");
    // GraphiQL is up when its query editor (CodeMirror 5) holds the default
    // query and has parsed it (GraphiQL keeps the parse on the instance).
    await waitFor(page, "GraphiQL's query editor with the default query", () => {
      const cm = document.querySelector(".graphiql-query-editor .CodeMirror")?.CodeMirror;
      return Boolean(cm && cm.getValue().length > 0 && cm.documentAST);
    });

    // 4. Replace the query and press the run button.
    await page.evaluate((query) => {
      document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(query);
    }, QUERY);
    // GraphiQL takes edits in after a 100 ms debounce; a click before that
    // would still send the default query's operation name. Wait until it has
    // parsed the new text.
    await waitFor(
      page,
      "GraphiQL to take in the new query",
      (query) => {
        const cm = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
        return cm.getValue() === query && cm.documentAST?.loc?.source?.body === query;
      },
      QUERY,
    );
    await page.click(".graphiql-execute-button");

    // 5. The result pane shows Harbin's native name. First wait for any
    // result, so that a wrong one fails at once and says what it was.
    const resultHandle = await waitFor(page, "a result in the result pane", () => {
      const cm = document.querySelector(".result-window .CodeMirror")?.CodeMirror;
      const text = cm ? cm.getValue() : "";
      return text.trim().startsWith("{") && text;
    });
    const resultText = await resultHandle.jsonValue();
    const shown = await page.evaluate(() => document.querySelector(".result-window").innerText);
    assert.ok(
      shown.includes(EXPECTED),
      `the result pane should show ${EXPECTED}; it shows:\n${shown}`,
    );
    const result = withoutCost(JSON.parse(resultText));
    assert.deepEqual(result, { data: { city: { name: "Harbin", nativeName: EXPECTED } } });
    t.diagnostic(`result pane: ${JSON.stringify(result)}`);

    // 6. The query went to this server, and nothing went anywhere else.
    const ran = requests.find(
      (r) => r.method === "POST" && new URL(r.url).pathname === "/graphql" && (r.postData || "").includes("harbin"),
    );
    assert.ok(ran, "the run button should POST the query to /graphql");
    const offHost = [...requests.map((r) => r.url), ...webSockets].filter((u) => !onServer(u));
    assert.deepEqual(offHost, [], "every request of the page should go to the server on 127.0.0.1");
    assert.deepEqual(pageErrors, [], "the page should raise no uncaught errors");
    if (process.env.TWINNING_BROWSER_ARTIFACTS) {
      await mkdir(process.env.TWINNING_BROWSER_ARTIFACTS, { recursive: true });
      const shot = path.join(process.env.TWINNING_BROWSER_ARTIFACTS, "graphiql-ok.png");
      await page.screenshot({ path: shot });
      t.diagnostic(`screenshot: ${shot}`);
    }
    t.diagnostic(
      `${requests.length} requests, all to ${base}; ${webSockets.length} web sockets; ${Date.now() - started} ms in all`,
    );
  }, async (artifacts) => {
    if (page && !page.isClosed()) {
      const shot = path.join(artifacts, `graphiql-failure-${Date.now()}.png`);
      try {
        await Promise.race([page.screenshot({ path: shot, fullPage: true }), timeout(5_000)]);
        if (existsSync(shot)) console.error(`# screenshot: ${shot}`);
      } catch (shotErr) {
        console.error(`# screenshot failed: ${shotErr.message}`);
      }
    }
    console.error("# requests:\n" + requests.map((r) => `#   ${r.method} ${r.url}`).join("\n"));
    if (webSockets.length) console.error("# web sockets:\n" + webSockets.map((u) => `#   ${u}`).join("\n"));
    if (failedRequests.length) console.error("# failed requests:\n" + failedRequests.map((s) => `#   ${s}`).join("\n"));
    if (pageErrors.length) console.error("# page errors:\n" + pageErrors.map((s) => `#   ${s}`).join("\n"));
    if (consoleErrors.length) console.error("# console errors:\n" + consoleErrors.map((s) => `#   ${s}`).join("\n"));
  });
});

// ---------------------------------------------------------------------------
// Subscriptions: GraphiQL runs `subscription { recordChanged … }` over a
// WebSocket to the same server, authenticated by the Headers tab, and shows
// the event of a city that the test creates over HTTP.

const SUBSCRIPTION = [
  "subscription CityChanges {",
  "  recordChanged(types: [CITY]) {",
  "    action recordKey",
  "    record { ... on City { name } }",
  "    change { actor operation }",
  "  }",
  "}",
].join("\n");

/** Replaces the text of one of GraphiQL's CodeMirror editors. */
function setEditor(page, selector, text) {
  return page.evaluate((selector, text) => document.querySelector(selector).CodeMirror.setValue(text), selector, text);
}

/** The result pane's text. */
function resultPane(page) {
  return page.evaluate(() => document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? "");
}

test("GraphiQL runs a subscription over a WebSocket, authenticated by the Headers tab", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
  assert.ok(existsSync(CHROMIUM_BIN), `browser not found: ${CHROMIUM_BIN} (apt-get install -y chromium)`);

  let page;
  const requests = [];
  const sockets = new Map(); // requestId -> { url, sent: [], received: [], closed }
  const pageErrors = [];
  const consoleErrors = [];

  await withServerAndBrowser("twinning-browser-sub-", async (run) => {
    const { profile, work, started, deadline } = run;
    // 1. The server, a fresh database, an editor key from the CLI.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const databaseUrl = `sqlite://${path.join(work, "browser.db")}?mode=rwc`;
    const server = (run.server = startServer(port, databaseUrl));
    await waitForHealth(base, server, Math.min(deadline, Date.now() + STEP_TIMEOUT_MS));
    const key = await createKey(databaseUrl, "browser-test", "editor", STEP_TIMEOUT_MS);

    /** Creates a city over HTTP with the editor key, as another client would. */
    const createCity = async (cityKey, name) => {
      const res = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query: "mutation($input: CityInput!) { createCity(input: $input) { city { key } userErrors { message } } }",
          variables: { input: { key: cityKey, name, countryCode: "NO" } },
        }),
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      });
      const body = withoutCost(await res.json());
      assert.deepEqual(body, { data: { createCity: { city: { key: cityKey }, userErrors: [] } } }, `createCity ${cityKey}`);
    };

    // 2. The browser, every request and WebSocket frame recorded.
    const browser = (run.browser = await launchChromium(profile));
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.setViewport({ width: 1280, height: 800 });
    const onServer = (u) => {
      const url = new URL(u);
      if (["data:", "blob:", "about:"].includes(url.protocol)) return true;
      return url.hostname === "127.0.0.1" && url.port === String(port);
    };
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      requests.push(req.url());
      if (req.isInterceptResolutionHandled()) return;
      if (onServer(req.url())) req.continue();
      else req.abort("blockedbyclient");
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    cdp.on("Network.webSocketCreated", ({ requestId, url }) =>
      sockets.set(requestId, { url, sent: [], received: [], closed: false }),
    );
    const frame = (list) => ({ requestId, response }) => {
      const socket = sockets.get(requestId);
      if (socket) socket[list].push(response.payloadData);
    };
    cdp.on("Network.webSocketFrameSent", frame("sent"));
    cdp.on("Network.webSocketFrameReceived", frame("received"));
    cdp.on("Network.webSocketClosed", ({ requestId }) => {
      const socket = sockets.get(requestId);
      if (socket) socket.closed = true;
    });
    const messages = (socket, list) =>
      socket[list].map((text) => {
        try {
          return JSON.parse(text);
        } catch {
          return { unparsed: text };
        }
      });

    // 3. The playground; the key goes into the Headers tab, as a person would type it.
    const response = await page.goto(`${base}/graphql`, { waitUntil: "load" });
    assert.equal(response.status(), 200);
    await waitFor(page, "GraphiQL's query editor", () =>
      Boolean(document.querySelector(".graphiql-query-editor .CodeMirror")?.CodeMirror?.documentAST),
    );
    const [headersTab] = await page.$$("xpath/.//button[normalize-space()='Headers']");
    assert.ok(headersTab, "GraphiQL should have a Headers tab");
    await headersTab.click();
    // The Headers tab's editor is the second editor tool; it shows once its tab is chosen.
    const HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
    await waitFor(page, "the headers editor", () => {
      const shown = document.querySelectorAll(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror");
      const all = document.querySelectorAll(".graphiql-editor-tool .graphiql-editor .CodeMirror");
      return shown.length === 1 && shown[0] === all[1];
    });
    const typeHeaders = (authorization) =>
      setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: authorization }, null, 2));
    await typeHeaders(`Bearer ${key}`);

    // 4. The subscription: run it.
    await setEditor(page, ".graphiql-query-editor .CodeMirror", SUBSCRIPTION);
    await waitFor(
      page,
      "GraphiQL to take in the subscription",
      (query) => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.documentAST?.loc?.source?.body === query,
      SUBSCRIPTION,
    );
    await page.click(".graphiql-execute-button");

    // 5. A socket to this server's /graphql: connection_init carries the
    // Headers tab's Authorization, the server acknowledges, the subscribe follows.
    const socketDeadline = Date.now() + STEP_TIMEOUT_MS;
    let socket;
    while (!socket) {
      assert.ok(Date.now() < socketDeadline, "GraphiQL should open a WebSocket and subscribe");
      socket = [...sockets.values()].find(
        (s) =>
          messages(s, "received").some((m) => m.type === "connection_ack") &&
          messages(s, "sent").some((m) => m.type === "subscribe"),
      );
      if (!socket) await sleep(50);
    }
    assert.equal(socket.url, `ws://127.0.0.1:${port}/graphql`);
    const init = messages(socket, "sent").find((m) => m.type === "connection_init");
    assert.deepEqual(init, { type: "connection_init", payload: { Authorization: `Bearer ${key}` } });

    // 6. The server registers a subscription asynchronously: create probe
    // cities until the result pane shows one, then the city this test is about.
    const probeDeadline = Date.now() + STEP_TIMEOUT_MS;
    for (let n = 1; ; n += 1) {
      assert.ok(Date.now() < probeDeadline, `no probe city reached the result pane (${n - 1} sent)`);
      await createCity(`probe-${n}`, `Probe ${n}`);
      const shown = await page
        .waitForFunction(
          () => /"probe-\d+"/.test(document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? ""),
          { timeout: 500 },
        )
        .then(() => true, () => false);
      if (shown) {
        t.diagnostic(`subscription live after ${n} probe cit${n === 1 ? "y" : "ies"}`);
        break;
      }
    }
    await createCity("kirkenes", "Kirkenes");
    await waitFor(page, "Kirkenes in the result pane", () =>
      (document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? "").includes('"kirkenes"'),
    );
    const result = withoutCost(JSON.parse(await resultPane(page)));
    assert.deepEqual(result, {
      data: {
        recordChanged: {
          action: "CREATED",
          recordKey: "kirkenes",
          record: { name: "Kirkenes" },
          change: { actor: "browser-test", operation: "createCity" },
        },
      },
    });
    t.diagnostic(`result pane: ${JSON.stringify(result)}`);

    // 7. The stop button ends the subscription and closes its socket.
    await page.click(".graphiql-execute-button");
    await waitFor(page, "the run button after stopping", () =>
      /execute/i.test(document.querySelector(".graphiql-execute-button")?.getAttribute("aria-label") ?? ""),
    );
    const closeDeadline = Date.now() + STEP_TIMEOUT_MS;
    while (!socket.closed) {
      assert.ok(Date.now() < closeDeadline, "stopping the subscription should close its WebSocket");
      await sleep(50);
    }

    // 8. A forged key in the Headers tab: the server closes with 4403, and
    // the result pane says so at once (no retrying with the same key).
    await typeHeaders("Bearer tw_000000000000_" + "0".repeat(64));
    const refusedAt = Date.now();
    await page.click(".graphiql-execute-button");
    await waitFor(page, "the refusal in the result pane", () =>
      (document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? "").includes("4403"),
    );
    const refusal = JSON.parse(await resultPane(page));
    assert.equal(refusal.data, undefined);
    assert.match(refusal.errors?.[0]?.message ?? "", /4403/);
    assert.ok(Date.now() - refusedAt < 5_000, `the refusal should show at once, it took ${Date.now() - refusedAt} ms`);
    t.diagnostic(`refused: ${refusal.errors[0].message}`);

    // 9. Nothing went anywhere but this server, and the page raised no errors.
    const offHost = [...requests, ...[...sockets.values()].map((s) => s.url)].filter((u) => !onServer(u));
    assert.deepEqual(offHost, [], "every request of the page should go to the server on 127.0.0.1");
    assert.deepEqual(pageErrors, [], "the page should raise no uncaught errors");
    t.diagnostic(`${sockets.size} web sockets; ${Date.now() - started} ms in all`);
  }, async (artifacts) => {
    if (page && !page.isClosed()) {
      const shot = path.join(artifacts, `graphiql-subscription-failure-${Date.now()}.png`);
      await Promise.race([page.screenshot({ path: shot, fullPage: true }).catch(() => {}), timeout(5_000)]);
      if (existsSync(shot)) console.error(`# screenshot: ${shot}`);
      console.error(`# result pane:\n${await Promise.race([resultPane(page).catch(() => ""), timeout(2_000)])}`);
    }
    for (const [id, s] of sockets) {
      console.error(`# web socket ${id} ${s.url}${s.closed ? " (closed)" : ""}`);
      for (const f of s.sent) console.error(`#   > ${f.slice(0, 300)}`);
      for (const f of s.received) console.error(`#   < ${f.slice(0, 300)}`);
    }
    if (pageErrors.length) console.error("# page errors:\n" + pageErrors.map((s) => `#   ${s}`).join("\n"));
    if (consoleErrors.length) console.error("# console errors:\n" + consoleErrors.map((s) => `#   ${s}`).join("\n"));
  });
});
