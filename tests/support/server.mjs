// Shared by the JavaScript tests (tests/browser, tests/clients): start the
// real `twinning` binary on a free port with its own database, wait until it
// answers, make API keys with its CLI, stop it, and show its log when a test
// fails. One copy, so that every suite launches the server the same way.
//
// Node built-ins only: tests/browser and tests/clients each have their own
// node_modules, and this folder has none.
//
// Environment:
//   TWINNING_BIN   server binary (default ../../target/debug/twinning). A
//                  relative path resolves against this folder, which sits
//                  beside tests/browser and tests/clients, so it means the
//                  same as it did from either test folder.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The server binary under test (the one `cargo test` builds, by default). */
export const TWINNING_BIN = path.resolve(HERE, process.env.TWINNING_BIN || "../../target/debug/twinning");

/** How long `createKey` waits for the CLI, unless told otherwise. */
const CLI_TIMEOUT_MS = 15_000;

/** The server log is kept to about this many characters (the tail is what matters). */
const LOG_KEEP_CHARS = 100_000;

/** How much of the log a failure report prints. */
const LOG_TAIL_CHARS = 4_000;

// The log is read by people in a CI log: colour codes would only be noise
// (NO_COLOR is set as well; this catches whatever ignores it).
// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]/g;
export const stripAnsi = (s) => s.replace(ANSI, "");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Like sleep, but does not keep the process alive: for the losing side of a race. */
export const timeout = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * A port that was free a moment ago on 127.0.0.1. Asking the OS for port 0
 * lets suites run side by side (node --test runs files in parallel).
 */
export function freePort() {
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

/**
 * The environment for the server and the CLI: this database, the founding
 * example data, a plain log. Variables that would override the command line
 * or make the log machine-readable are dropped, whatever the caller's shell has.
 */
export function serverEnv(databaseUrl) {
  const env = { ...process.env, DATABASE_URL: databaseUrl, EXAMPLE_DATA: "true", NO_COLOR: "1" };
  delete env.LISTEN_ADDR; // --listen decides
  delete env.LOG_JSON; // human-readable log, for the failure report
  return env;
}

/**
 * Starts `twinning serve --listen 127.0.0.1:<port> ...args`; `args` are extra
 * flags for the test at hand. Returns the child, a promise of its exit
 * ({ code, signal }) and a getter for its log (stdout and stderr, colourless).
 * It does not wait for the server: see waitForHealth.
 */
export function startServer(port, databaseUrl, args = []) {
  const child = spawn(TWINNING_BIN, ["serve", "--listen", `127.0.0.1:${port}`, ...args], {
    env: serverEnv(databaseUrl),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const append = (chunk) => {
    log += stripAnsi(chunk.toString("utf8"));
    if (log.length > 2 * LOG_KEEP_CHARS) log = log.slice(-LOG_KEEP_CHARS);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.once("error", (err) => append(`spawn error: ${err.message}\n`));
  return { child, exited, log: () => log };
}

/**
 * Polls GET /health until it answers 200, the server exits, or `deadline`
 * (a Date.now() value) passes. The port is bound before the database is
 * ready, so an open port alone does not mean the server can answer.
 */
export async function waitForHealth(base, server, deadline) {
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

/**
 * SIGTERM, then SIGKILL if it has not exited within `graceMs`: a server that
 * hangs on shutdown must not outlive the test run. Safe to call twice, or
 * with no server.
 */
export async function stopServer(server, graceMs = 5_000) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const done = await Promise.race([server.exited.then(() => true), timeout(graceMs).then(() => false)]);
  if (!done) {
    server.child.kill("SIGKILL");
    await Promise.race([server.exited, timeout(2_000)]);
  }
}

/**
 * `twinning keys create`: the new key, printed alone on stdout. Keys are only
 * made by the CLI (there is no API for it), against the server's database.
 */
export async function createKey(databaseUrl, name, role, timeoutMs = CLI_TIMEOUT_MS) {
  const { stdout } = await promisify(execFile)(TWINNING_BIN, ["keys", "create", "--name", name, "--role", role], {
    env: serverEnv(databaseUrl),
    timeout: timeoutMs,
  });
  const key = stdout.trim();
  assert.match(key, /^\S+$/, `keys create should print one key on stdout, printed: ${JSON.stringify(stdout)}`);
  return key;
}

/** Prints the tail of the server's log to stderr, for whoever reads a failed run. */
export function printServerLog(server) {
  console.error(`# server log (last ${LOG_TAIL_CHARS} chars):\n` + (server?.log() ?? "").slice(-LOG_TAIL_CHARS));
}

/**
 * Runs `fn`; on failure prints the server's log before failing, since the
 * cause is often only there. `server` may be the server or a function that
 * returns it (for suites that start it in `before`).
 */
export async function withServerLog(server, fn) {
  try {
    return await fn();
  } catch (err) {
    printServerLog(typeof server === "function" ? server() : server);
    throw err;
  }
}

/**
 * A GraphQL response body without the `extensions.cost` every response
 * carries (its figures depend on the budget), for comparing whole bodies.
 */
export function withoutCost(body) {
  if (!body || typeof body !== "object" || !body.extensions) return body;
  const { cost, ...extensions } = body.extensions;
  const { extensions: _, ...rest } = body;
  return Object.keys(extensions).length ? { ...rest, extensions } : rest;
}
