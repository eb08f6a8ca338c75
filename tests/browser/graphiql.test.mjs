// A real browser runs a query in Twinning's GraphiQL playground.
//
// The test starts the server binary on a free port with a fresh SQLite
// database (the server loads the founding example, Murmansk–Harbin, into an
// empty database), opens /graphql in Debian's headless Chromium, replaces the
// query, presses the run button and waits for Harbin's native name in the
// result pane. It also checks that the page loaded nothing from any host but
// the server itself (no CDN).
//
// Run: node --test graphiql.test.mjs   (or bash .ci/browser-test from the repo)
// Environment:
//   TWINNING_BIN     server binary (default ../../target/debug/twinning)
//   CHROMIUM_BIN     browser (default /usr/bin/chromium; never downloaded)
//   TWINNING_BROWSER_ARTIFACTS  folder for the failure screenshot (default: a temp folder)

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TWINNING_BIN = path.resolve(HERE, process.env.TWINNING_BIN || "../../target/debug/twinning");
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

const TEST_TIMEOUT_MS = 60_000; // the whole test, everything included
const STEP_TIMEOUT_MS = 20_000; // any one wait inside it

const QUERY = '{ city(key: "harbin") { name nativeName } }';
const EXPECTED = "哈尔滨";

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]/g;
const stripAnsi = (s) => s.replace(ANSI, "");

/** A port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Like sleep, but does not keep the process alive: for the losing side of a race. */
const timeout = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** Starts `twinning serve`; returns the child and a getter for its log. */
function startServer(port, databaseUrl) {
  const env = { ...process.env, DATABASE_URL: databaseUrl, EXAMPLE_DATA: "true", NO_COLOR: "1" };
  delete env.LISTEN_ADDR; // --listen below decides
  delete env.LOG_JSON; // human-readable log, for the failure report
  const child = spawn(TWINNING_BIN, ["serve", "--listen", `127.0.0.1:${port}`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const append = (chunk) => {
    log += stripAnsi(chunk.toString("utf8"));
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.once("error", (err) => append(`spawn error: ${err.message}\n`));
  return { child, exited, log: () => log };
}

/** Polls GET /health until it answers 200, the server exits, or time runs out. */
async function waitForHealth(base, server, deadline) {
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`server exited early (code ${server.child.exitCode}, signal ${server.child.signalCode})`);
    }
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err.cause?.code || err.message;
    }
    await sleep(100);
  }
  throw new Error(`server did not answer /health in time (${lastError})`);
}

/** page.waitForFunction, with a failure message that says what was awaited. */
async function waitFor(page, what, fn, ...args) {
  try {
    return await page.waitForFunction(fn, {}, ...args);
  } catch (err) {
    throw new Error(`timed out waiting for ${what} (${err.message})`, { cause: err });
  }
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopServer(server, graceMs = 5_000) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const done = await Promise.race([server.exited.then(() => true), timeout(graceMs).then(() => false)]);
  if (!done) {
    server.child.kill("SIGKILL");
    await Promise.race([server.exited, timeout(2_000)]);
  }
}

test("GraphiQL runs a query in a real browser, with no request off 127.0.0.1", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
  assert.ok(existsSync(CHROMIUM_BIN), `browser not found: ${CHROMIUM_BIN} (apt-get install -y chromium)`);

  const started = Date.now();
  const deadline = started + TEST_TIMEOUT_MS - 5_000; // leave time to clean up
  const work = await mkdtemp(path.join(tmpdir(), "twinning-browser-"));
  const profile = path.join(work, "chromium-profile");
  await mkdir(profile);

  let server;
  let browser;
  let page;
  const requests = []; // { method, url, postData }
  const webSockets = [];
  const pageErrors = [];
  const consoleErrors = [];
  const failedRequests = [];

  // A hard stop independent of the test runner: whatever hangs, the server
  // and the browser are ended before the runner's own timeout fires.
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
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
    server?.child.kill("SIGKILL");
    browser?.process()?.kill("SIGKILL");
  };
  process.once("exit", onExit);

  try {
    // 1. The server, on a free port, with a fresh database.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = startServer(port, `sqlite://${path.join(work, "browser.db")}?mode=rwc`);
    await waitForHealth(base, server, Math.min(deadline, Date.now() + STEP_TIMEOUT_MS));
    t.diagnostic(`server up on ${base} after ${Date.now() - started} ms`);

    // 2. The browser: Debian's Chromium, headless, a throw-away profile.
    browser = await puppeteer.launch({
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
    const result = JSON.parse(resultText);
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
  } catch (err) {
    // Evidence for whoever reads the CI log.
    const artifacts = process.env.TWINNING_BROWSER_ARTIFACTS || (await mkdtemp(path.join(tmpdir(), "twinning-browser-failure-")));
    await mkdir(artifacts, { recursive: true }).catch(() => {});
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
    if (server) console.error("# server log (last 4000 chars):\n" + server.log().slice(-4_000));
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
});
