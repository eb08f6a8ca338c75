// The explorer (the page at /) in Debian's headless Chromium, driven by
// playwright-core, against a real server holding the founding example.
//
// The server runs with `--require-trusted-documents anonymous`: the page is
// anonymous, so every query and subscription it sends must be one of its
// trusted documents. One browser context serves every test; every request
// and WebSocket it opens is recorded, and any for a host other than the
// server is aborted and fails the last test.
//
//   - search "Мурманск", open the city: Harbin is the 11th sister city, the
//     map has one arc per partner, hiding ended partnerships and the year
//     slider change the count as the API says; the back button returns to
//     the search;
//   - the Murmansk–Harbin partnership (a deep link): the timeline's order,
//     and partial dates drawn as the span they cover;
//   - a visit recorded through the API while the page is open appears on
//     the timeline without a reload (graphql-ws);
//   - axe-core finds no serious or critical violation on any page;
//   - each page is photographed at desktop and phone width (360 px).
//
// Run: node --test explorer.test.mjs   (or bash .ci/browser-test from the repo)
// Environment:
//   TWINNING_BIN     server binary (default ../../target/debug/twinning)
//   CHROMIUM_BIN     browser (default /usr/bin/chromium; never downloaded)
//   TWINNING_BROWSER_ARTIFACTS  folder for the screenshots (default ./screenshots)

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import {
  TWINNING_BIN,
  createKey,
  freePort,
  printServerLog,
  sleep,
  startServer,
  stopServer,
  waitForHealth,
} from "../support/server.mjs";

const CHROMIUM_BIN = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const HERE = path.dirname(new URL(import.meta.url).pathname);
const ARTIFACTS = path.resolve(process.env.TWINNING_BROWSER_ARTIFACTS || path.join(HERE, "screenshots"));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const STEP_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 90_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const run = { server: undefined, browser: undefined, work: undefined };
let base;
let databaseUrl;
let editorKey;
let page;
const requests = [];
const offOrigin = [];
const pageErrors = [];

/** A query over HTTP as the editor (held to no trusted documents). */
async function api(query, variables = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${editorKey}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, `${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const sisterCount = async (variables) =>
  (await api("query($asOf: PartialDate, $e: Boolean!) { city(key: \"murmansk\") { sisterCities(asOf: $asOf, includeEnded: $e) { ordinal } } }", variables))
    .city.sisterCities.length;

/** axe-core on the page as it is: no serious or critical violation. */
async function checkAccessibility(name) {
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy
  // (no inline scripts) would refuse a script element.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`),
    [],
    `${name}: accessibility violations`,
  );
  return result.violations.length;
}

/** The page at desktop and at phone width, whole, into ARTIFACTS. */
async function photograph(name) {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(viewport);
    await sleep(100); // one layout at the new width
    await page.screenshot({ path: path.join(ARTIFACTS, `explorer-${name}-${size}.png`), fullPage: true });
    if (size === "phone") {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name}: at 360 px the page scrolls sideways by ${overflow} px`);
    }
  }
  await page.setViewportSize(DESKTOP);
}

describe("the explorer in a real browser", { timeout: 5 * TEST_TIMEOUT_MS }, () => {
  before(async () => {
    assert.ok(existsSync(TWINNING_BIN), `server binary not found: ${TWINNING_BIN} (build it: cargo build --bin twinning)`);
    assert.ok(existsSync(CHROMIUM_BIN), `browser not found: ${CHROMIUM_BIN} (apt-get install -y chromium)`);
    run.work = await mkdtemp(path.join(tmpdir(), "twinning-explorer-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    databaseUrl = `sqlite://${path.join(run.work, "explorer.db")}?mode=rwc`;
    run.server = startServer(port, databaseUrl, ["--require-trusted-documents", "anonymous"]);
    await waitForHealth(base, run.server, Date.now() + STEP_TIMEOUT_MS);
    editorKey = await createKey(databaseUrl, "explorer-test", "editor", STEP_TIMEOUT_MS);

    run.browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      timeout: STEP_TIMEOUT_MS,
    });
    const context = await run.browser.newContext({ viewport: DESKTOP, serviceWorkers: "block" });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const origin = new URL(base);
    const onServer = (u) => {
      const url = new URL(u);
      if (["data:", "blob:", "about:"].includes(url.protocol)) return true;
      return url.host === origin.host;
    };
    // Every request is recorded; one for any other host is never sent.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(url);
      if (onServer(url)) return route.continue();
      offOrigin.push(url);
      return route.abort("blockedbyclient");
    });
    page = await context.newPage();
    page.on("websocket", (ws) => {
      requests.push(ws.url());
      if (!onServer(ws.url().replace(/^ws/, "http"))) offOrigin.push(ws.url());
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await run.browser?.close().catch(() => {});
    await stopServer(run.server);
    if (run.work) await rm(run.work, { recursive: true, force: true }).catch(() => {});
  });

  const step = (name, fn) =>
    it(name, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      try {
        await fn(t);
      } catch (err) {
        await mkdir(ARTIFACTS, { recursive: true }).catch(() => {});
        const shot = path.join(ARTIFACTS, `explorer-failure-${Date.now()}.png`);
        await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
        console.error(`# screenshot: ${shot}\n# url: ${page?.url()}\n# page errors: ${pageErrors.join("; ")}`);
        printServerLog(run.server);
        throw err;
      }
    });

  step("an anonymous client that is not the explorer runs only trusted documents", async () => {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ city(key: \"murmansk\") { name } }" }),
    });
    const body = await res.json();
    assert.equal(body.errors?.[0]?.extensions?.code, "UNTRUSTED_DOCUMENT", JSON.stringify(body));
  });

  step("search in Cyrillic, open the city: Harbin is the 11th, one arc per partner, ended hidden on demand", async (t) => {
    await page.goto(`${base}/`);
    await checkAccessibility("home");
    await photograph("home");
    const box = page.getByLabel("Search cities, partnerships, visits, topics");
    // Other scripts and languages: the page lists, by kind, what the API finds.
    for (const words of ["哈尔滨", "cerebral palsy"]) {
      await box.fill(words);
      const expected = (await api("query($q: String!) { search(query: $q, first: 30) { nodes { __typename title } } }", { q: words })).search.nodes;
      assert.ok(expected.length > 0, `the example has results for ${words}`);
      await page.getByRole("heading", { level: 1, name: `Search: “${words}”` }).waitFor();
      // The previous answer stays shown, busy, until this one arrives.
      await page.locator('.search-results[aria-busy="false"]').waitFor();
      const shown = await page.locator(".results").evaluateAll((lists) =>
        lists.flatMap((ul) => [...ul.querySelectorAll(":scope > li > :first-child")].map((a) => ({ __typename: ul.dataset.kind, title: a.textContent }))),
      );
      const byKind = (xs) => [...xs].sort((a, b) => a.__typename.localeCompare(b.__typename) || a.title.localeCompare(b.title));
      assert.deepEqual(byKind(shown), byKind(expected), `results for ${words}`);
    }
    await box.fill("");
    await box.pressSequentially("Мурманск", { delay: 30 });
    const cities = page.locator("section.result-group", { has: page.getByRole("heading", { name: "Cities" }) });
    await cities.getByRole("link", { name: "Murmansk" }).waitFor();
    assert.match(page.url(), /\/search\?q=%D0%9C/);
    assert.ok((await page.locator("mark").count()) > 0, "the matched words are marked");
    await checkAccessibility("search");
    await photograph("search");
    await cities.getByRole("link", { name: "Murmansk" }).click();

    await page.waitForURL(`${base}/city/murmansk`);
    await page.getByRole("heading", { level: 1, name: /Murmansk/ }).waitFor();
    assert.equal(await page.locator("h1 [lang]").getAttribute("lang"), "ru", "the native name carries its language");
    const all = await sisterCount({ e: true });
    await page.locator(`.sisters li`).nth(all - 1).waitFor();
    const harbin = page.locator(`.sisters li[data-partner="harbin"]`);
    assert.equal(await harbin.getAttribute("data-ordinal"), "11");
    assert.match(await harbin.innerText(), /^Harbin 哈尔滨 .*— 11th, 2016-09-09/);
    assert.equal(await harbin.locator("[lang]").getAttribute("lang"), "zh");
    assert.equal(await page.locator(".sisters li").count(), all);
    assert.equal(await page.locator("svg.map path.arc").count(), all, "one arc per partner");
    await checkAccessibility("city");
    await photograph("city");

    // Hide ended partnerships: the list and the arcs shrink to what the API says.
    const current = await sisterCount({ e: false });
    assert.ok(current < all, `the example has ended partnerships (${current} of ${all} current)`);
    await page.getByLabel("Show ended partnerships").uncheck();
    await page.waitForURL(`${base}/city/murmansk?ended=hide`);
    await page.waitForFunction((n) => document.querySelectorAll(".sisters li").length === n, current);
    assert.equal(await page.locator("svg.map path.arc").count(), current);
    assert.equal(await page.locator("svg.map path.arc.status-ended").count(), 0);

    // Murmansk's partners in 2015, by the year slider.
    const in2015 = await sisterCount({ e: false, asOf: "2015" });
    await page.getByRole("slider", { name: /As of/ }).fill("2015");
    await page.waitForURL(`${base}/city/murmansk?ended=hide&asOf=2015`);
    await page.waitForFunction((n) => document.querySelectorAll("svg.map path.arc").length === n && /in 2015/.test(document.querySelector("#partner-count")?.textContent ?? ""), in2015);
    assert.equal(await page.locator(".sisters li").count(), in2015);
    t.diagnostic(`sister cities: ${all} in all, ${current} current, ${in2015} current in 2015`);

    // The back button returns to the search (the toggles replaced the entry).
    await page.goBack();
    await page.waitForURL(/\/search\?q=/);
    await page.getByRole("heading", { level: 1, name: /Search/ }).waitFor();
    assert.equal(await page.getByLabel("Search cities, partnerships, visits, topics").inputValue(), "Мурманск");
  });

  step("the Murmansk–Harbin timeline: in order, partial dates drawn as the span they cover", async () => {
    await page.goto(`${base}/partnership/murmansk-harbin`);
    await page.getByRole("heading", { level: 1, name: "Murmansk – Harbin" }).waitFor();
    const items = page.locator(".timeline-list > li");
    await items.first().waitFor();
    const listed = await items.evaluateAll((lis) => lis.map((li) => ({ kind: li.dataset.kind, date: li.dataset.date, text: li.textContent })));
    assert.equal(listed[0].kind, "Visit");
    assert.match(listed[0].date, /^2014-03/, "the first item is the March 2014 visit");
    const protocol = listed.findIndex((i) => i.kind === "Protocol" && i.date === "2015-10-13");
    const festival = listed.findIndex((i) => i.kind === "Event" && i.date === "2016-09-09" && /festival/i.test(i.text));
    assert.ok(protocol >= 0 && festival >= 0, "the protocol of 13 October 2015 and the festival of 9 September 2016 are listed");
    assert.ok(protocol < festival, "the protocol comes before the festival");
    // Each item is drawn; a year-long date as a bar from one year tick to the next, a month as a month.
    assert.equal(await page.locator("svg.timeline rect.item").count(), listed.length);
    const geometry = await page.evaluate(() => {
      const svg = document.querySelector("svg.timeline");
      const from = Number(svg.dataset.from);
      const to = Number(svg.dataset.to);
      const pick = (sel) => {
        const r = svg.querySelector(sel);
        return r && { x: r.x.baseVal.value, width: r.width.baseVal.value, start: Number(r.dataset.start), end: Number(r.dataset.end), value: r.dataset.value };
      };
      return { from, to, year: pick('rect[data-precision="YEAR"]'), month: pick('rect[data-precision="MONTH"]'), ticks: [...svg.querySelectorAll(".tick line")].map((l) => l.x1.baseVal.value) };
    });
    assert.ok(geometry.year, "a year-long date is drawn");
    const yearIndex = Number(geometry.year.value) - new Date(geometry.from).getUTCFullYear();
    const tickGap = geometry.ticks[yearIndex + 1] - geometry.ticks[yearIndex];
    assert.ok(Math.abs(geometry.year.x - geometry.ticks[yearIndex]) < 0.5, `"${geometry.year.value}" starts at its year's tick`);
    assert.ok(Math.abs(geometry.year.width - tickGap) < 0.5, `"${geometry.year.value}" spans its year (${geometry.year.width} of ${tickGap})`);
    const monthDays = (geometry.month.end - geometry.month.start) / 86_400_000;
    assert.ok(monthDays >= 28 && monthDays <= 31, `"${geometry.month.value}" covers a month (${monthDays} days)`);
    assert.ok(geometry.month.width < geometry.year.width / 6, `"${geometry.month.value}" is drawn as a month, not a year`);
    // An item of the chart opens its details in the list.
    await page.locator('svg.timeline rect[data-item^="protocol-"]').first().click();
    await page.locator(".timeline-list details[open]").first().waitFor();
    assert.match(await page.locator(".timeline-list details[open]").first().innerText(), /Sources/);
    await checkAccessibility("partnership");
    await photograph("partnership");
  });

  step("a visit recorded through the API appears on the open timeline without a reload", async (t) => {
    await page.goto(`${base}/partnership/murmansk-harbin`);
    await page.locator(".timeline-list > li").first().waitFor();
    await page.locator('[data-live="live"]').waitFor(); // graphql-ws connected
    const navigations = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    const record = async (key, startDate, purpose) => {
      const data = await api(
        "mutation($input: VisitInput!) { createVisit(input: $input) { visit { key } userErrors { field message } } }",
        { input: { key, partnership: "murmansk-harbin", fromCity: "harbin", toCity: "murmansk", startDate, purpose, topics: ["trade"] } },
      );
      assert.deepEqual(data.createVisit, { visit: { key }, userErrors: [] });
    };
    // The server takes the page's subscription in asynchronously: record
    // probe visits until one shows, then the visit this test is about.
    for (let n = 1; ; n += 1) {
      assert.ok(n <= 20, "no probe visit reached the page");
      await record(`explorer-probe-${n}`, "2025-01-0" + Math.min(n, 9), `Probe ${n}`);
      const shown = await page.locator(`#visit-explorer-probe-${n}`).waitFor({ timeout: 1_000 }).then(() => true, () => false);
      if (shown) break;
    }
    const sent = Date.now();
    await record("explorer-live-visit", "2026-11-20", "Trade talks, recorded while the page was open");
    const item = page.locator("#visit-explorer-live-visit");
    await item.waitFor();
    t.diagnostic(`the visit showed ${Date.now() - sent} ms after the mutation returned`);
    assert.match(await item.innerText(), /20 November 2026/);
    assert.equal(await item.getAttribute("class"), "fresh");
    const dates = await page.locator(".timeline-list > li").evaluateAll((lis) => lis.map((li) => li.dataset.date));
    assert.equal(dates.at(-1), "2026-11-20", "the new visit takes its place in time order");
    assert.equal(await page.locator('svg.timeline rect[data-item="visit-explorer-live-visit"]').count(), 1);
    assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation").length), navigations, "no reload");
  });

  step("topics, a topic and the statistics: accessible, and photographed", async () => {
    await page.goto(`${base}/topics`);
    await page.getByRole("link", { name: "Health care" }).click();
    await page.waitForURL(`${base}/topic/health-care`);
    await page.getByRole("heading", { level: 1, name: "Health care" }).waitFor();
    // A topic lists the visits about it or its subtopics.
    const visits = (await api('{ topic(key: "health-care") { visits(first: 100) { totalCount } } }')).topic.visits.totalCount;
    await page.getByRole("heading", { name: `Visits (${visits})` }).waitFor();
    await checkAccessibility("topic");
    await photograph("topic");
    await page.goBack();
    await page.waitForURL(`${base}/topics`);
    await page.getByRole("heading", { level: 1, name: "Topics" }).waitFor();
    await checkAccessibility("topics");
    await photograph("topics");

    await page.getByRole("link", { name: "Statistics" }).click();
    await page.getByRole("heading", { name: "Partnerships by year established" }).waitFor();
    const stats = (await api("{ stats { partnershipsByYear { key count } } }")).stats;
    assert.equal(await page.locator("svg.chart rect.bar").count(), stats.partnershipsByYear.length, "a bar per year");
    await checkAccessibility("stats");
    await photograph("stats");
  });

  step("first meaningful paint of a city page (measured, not asserted)", async (t) => {
    // The map is the city page's meaningful content: note the first frame
    // after its arcs are in the document.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (!document.querySelector("svg.map path.arc")) return;
        observer.disconnect();
        requestAnimationFrame(() => (window.__meaningfulPaint = performance.now()));
      }).observe(document, { childList: true, subtree: true });
    });
    const samples = [];
    for (let i = 0; i < 5; i += 1) {
      await page.goto("about:blank");
      await page.goto(`${base}/city/harbin`);
      await page.locator("svg.map path.arc").first().waitFor();
      await page.waitForFunction(() => window.__meaningfulPaint !== undefined);
      samples.push(
        await page.evaluate(() => ({
          fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
          meaningful: window.__meaningfulPaint,
        })),
      );
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    t.diagnostic(
      `city page, median of ${samples.length}: first contentful paint ${median(samples.map((s) => s.fcp)).toFixed(0)} ms, ` +
        `the map and the list painted by ${median(samples.map((s) => s.meaningful)).toFixed(0)} ms`,
    );
  });

  step("nothing left the origin, and the page raised no errors", async (t) => {
    assert.deepEqual(offOrigin, [], "every request of the page should go to the server");
    assert.deepEqual(pageErrors, [], "the page should raise no uncaught errors");
    t.diagnostic(`${requests.length} requests and web sockets, all to ${base}; screenshots in ${ARTIFACTS}`);
  });
});
