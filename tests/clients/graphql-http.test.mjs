// The GraphQL-over-HTTP spec audit of the `graphql-http` package (the
// reference implementation's own conformance suite) against Twinning's
// /graphql.
//
// The suite starts the server binary on a free port with a fresh SQLite
// database and runs every audit of `serverAudits`, one test each, in order:
//   - an audit whose name starts with MUST or SHOULD fails its test when it
//     does not pass; the failure says the audit's id, name, reason and the
//     response the server gave (status, content type, body);
//   - a MAY audit that does not pass is only reported (a diagnostic line):
//     the spec leaves it to the server.
// The tail of the server's log is printed once, at the end, when anything
// failed. The server is killed at the end, whatever happened.
//
// Run: npm ci && node --test graphql-http.test.mjs   (or bash .ci/clients-test from the repo)
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
import { serverAudits } from "graphql-http";
import {
  TWINNING_BIN,
  freePort,
  printServerLog,
  startServer,
  stopServer,
  waitForHealth,
  withServerLog,
} from "../support/server.mjs";

const SUITE_TIMEOUT_MS = 90_000; // the whole file, server start included
const STEP_TIMEOUT_MS = 15_000; // server start, and any one request of an audit
const BODY_SHOWN_CHARS = 600; // how much of a failing response's body is printed

/** MUST, SHOULD or MAY: the first word of an audit's name (RFC 2119). */
const requirement = (audit) => audit.name.split(" ")[0];

/** Requirement levels whose audits have to pass; MAY audits are only reported. */
const REQUIRED = new Set(["MUST", "SHOULD"]);

/**
 * What the server answered, for the failure report: status, content type and
 * (the start of) the body. The audit may have read the body already; it then
 * hands over a clone, or nothing can be shown.
 */
async function describeResponse(res) {
  if (!res) return "(no response recorded)";
  const lines = [`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`];
  lines.push(`content-type: ${res.headers.get("content-type") ?? "(none)"}`);
  let body;
  if (res.bodyUsed) {
    body = "(already read by the audit)";
  } else {
    try {
      const text = await res.text();
      body = text.length > BODY_SHOWN_CHARS ? `${text.slice(0, BODY_SHOWN_CHARS)}… (${text.length} chars)` : text;
      if (body === "") body = "(empty)";
    } catch (err) {
      body = `(unreadable: ${err.message})`;
    }
  }
  lines.push(`body: ${body}`);
  return lines.join("\n");
}

/** One audit result as a few indented lines: id, name, reason, response. */
async function describeFailure(result) {
  const response = await describeResponse(result.response);
  return [
    `audit ${result.id} (${result.status}): ${result.name}`,
    `  reason: ${result.reason}`,
    ...response.split("\n").map((line) => `  ${line}`),
  ].join("\n");
}

describe("graphql-http's GraphQL-over-HTTP audit against Twinning's /graphql", { timeout: SUITE_TIMEOUT_MS }, () => {
  let work;
  let server;
  let url;
  const killOnExit = () => server?.child.kill("SIGKILL");
  const notOk = []; // { level, id, name, status, reason }, for the summary

  // Every request of every audit gets a time limit, so that a server that
  // never answers fails one audit rather than hanging the suite.
  const fetchFn = (input, init = {}) => fetch(input, { ...init, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  // The URL is known only once `before` has started the server; the audits
  // ask for it when they run.
  const audits = serverAudits({ url: () => url, fetchFn });

  before(async () => {
    assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
    process.once("exit", killOnExit);
    work = await mkdtemp(path.join(tmpdir(), "twinning-http-audit-"));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    url = `${base}/graphql`;
    server = startServer(port, `sqlite://${path.join(work, "audit.db")}?mode=rwc`);
    await withServerLog(server, () => waitForHealth(base, server, Date.now() + STEP_TIMEOUT_MS));
  });

  after(async () => {
    const failing = notOk.filter((r) => REQUIRED.has(r.level));
    if (notOk.length) {
      const lines = notOk.map((r) => `#   ${REQUIRED.has(r.level) ? "FAIL" : "note"} ${r.id} ${r.name}: ${r.reason}`);
      console.error(
        `# graphql-http audit: ${audits.length - notOk.length} of ${audits.length} pass; ` +
          `${failing.length} MUST/SHOULD failing, ${notOk.length - failing.length} MAY not met\n` +
          lines.join("\n"),
      );
    }
    if (failing.length) printServerLog(server);
    await stopServer(server);
    process.removeListener("exit", killOnExit);
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {});
  });

  for (const audit of audits) {
    const level = requirement(audit);
    it(`${audit.id} ${audit.name}`, async (t) => {
      let result;
      try {
        result = await audit.fn();
      } catch (err) {
        // The audit throws only when it could not run at all (no answer, a
        // timeout): that is a failure whatever the level.
        notOk.push({ level: "MUST", id: audit.id, name: audit.name, reason: `could not run: ${err.message}` });
        throw new Error(`audit ${audit.id} could not run: ${err.message}`, { cause: err });
      }
      if (result.status === "ok") return;
      notOk.push({ level, id: result.id, name: result.name, status: result.status, reason: result.reason });
      const report = await describeFailure(result);
      if (!REQUIRED.has(level)) {
        for (const line of report.split("\n")) t.diagnostic(`not met (optional): ${line}`);
        return;
      }
      assert.fail(`the server does not meet a ${level} of the GraphQL-over-HTTP spec\n${report}`);
    });
  }
});
