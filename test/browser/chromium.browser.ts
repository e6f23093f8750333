// The browser tests (npm run test:browser): builds dist/browser/ (failing on any Node import in
// the bundle), then drives Debian's chromium headless through playwright-core (no browser
// download) against test/browser/server.ts: the backend conformance cases in a Worker of a
// cross-origin isolated page (threaded wasm) and on a plain page's main thread (single-threaded),
// the public bundle on a plain page, and the demo (examples/browser/) training the seed MLP for one
// epoch to at least 95% validation accuracy, with a screenshot in test/browser/out/demo.png.
// Without chromium it skips naming the package; with CI=true it fails instead.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { buildBrowser, bundle } from "../../tools/build-browser.mjs";
import type { ConformanceOptions, ConformanceReport } from "./conformance-page.ts";
import { REPO_ROOT, type Served, serveDirectory } from "./server.ts";

const CHROMIUM = process.env.KILN_CHROMIUM || "/usr/bin/chromium";
const CI = process.env.CI === "true" || process.env.CI === "1";
const OUT = join(REPO_ROOT, "test", "browser", "out");
const MISSING = `no chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set KILN_CHROMIUM`;

const WASM = { wasm: "/dist/browser/kiln.wasm", wasmThreaded: "/dist/browser/kiln-mt.wasm" };

/** Loads a page and fails the test on the page's uncaught errors. */
async function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1040, height: 1300 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // The bundle check asks for a missing file on purpose (fetchBytes's HTTP error).
    if (m.type() === "error" && !m.location().url.includes("no-such-file")) errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}

function failures(r: ConformanceReport): string {
  return r.results
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.error}`)
    .join("\n");
}

function timings(r: ConformanceReport): string {
  return r.results.map((c) => `${c.name} ${(c.ms / 1000).toFixed(1)} s`).join(", ");
}

/** Waits until the demo has made `n` predictions (or failed). */
async function predictions(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (k) => {
      const s = (globalThis as unknown as { demoState: { predictions: number; phase: string } })
        .demoState;
      return s.predictions >= k || s.phase === "error";
    },
    n,
    { timeout: 10_000 },
  );
  const s = await page.evaluate(
    () =>
      (globalThis as unknown as { demoState: { phase: string; error: string | null } }).demoState,
  );
  assert.notEqual(s.phase, "error", s.error ?? "");
}

describe("browser bundle", () => {
  it("builds dist/browser/kiln.js with no Node import (esbuild, platform browser)", async () => {
    await buildBrowser({ quiet: true });
    for (const f of ["kiln.js", "kiln.wasm", "kiln-mt.wasm"]) {
      assert.ok(existsSync(join(REPO_ROOT, "dist", "browser", f)), `dist/browser/${f} was built`);
    }
  });
});

describe("in chromium", { skip: !existsSync(CHROMIUM) && !CI ? MISSING : false }, () => {
  let browser: Browser;
  let isolated: Served;
  let plain: Served;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), MISSING);
    mkdirSync(OUT, { recursive: true });
    await bundle({
      entry: join(REPO_ROOT, "test", "browser", "conformance-page.ts"),
      outfile: join(OUT, "conformance.js"),
      extra: { "node:assert/strict": join(REPO_ROOT, "test", "browser", "assert-shim.ts") },
      minify: false,
    });
    [isolated, plain] = await Promise.all([
      serveDirectory({ isolated: true }),
      serveDirectory({ isolated: false }),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([isolated?.close(), plain?.close()]);
  });

  it("conformance in a Worker of an isolated page: wasm (threaded) against the reference", async (t) => {
    const { page, errors } = await open(browser, `${isolated.url}/test/browser/conformance.html`);
    const o: ConformanceOptions = { ...WASM, threads: 0, fused: true, mostOnly: true };
    const r = await page.evaluate(
      (opts) =>
        (globalThis as unknown as { inWorker(o: unknown): Promise<ConformanceReport> }).inWorker(
          opts,
        ),
      o,
    );
    t.diagnostic(
      `crossOriginIsolated ${r.crossOriginIsolated}, threads ${r.threads.join(" and ")}, ` +
        `${r.results.length} groups; ${r.note ?? ""}`,
    );
    t.diagnostic(`cases per kernel: ${r.counts}`);
    t.diagnostic(timings(r));
    assert.equal(r.crossOriginIsolated, true);
    assert.equal(r.backend, "wasm");
    const cores = await page.evaluate(
      () =>
        (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator
          .hardwareConcurrency,
    );
    if (cores > 1) {
      assert.ok(r.threads.at(-1)! > 1, `threads ran: ${r.threads} (${r.note})`);
    }
    assert.equal(failures(r), "");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("conformance on a plain page's main thread: wasm (single-threaded), binary/reduce/cumsum/matmul/take/put", async (t) => {
    const { page, errors } = await open(browser, `${plain.url}/test/browser/conformance.html`);
    // The slowest groups (unary, where) ran in the Worker above; the same C kernels serve both modules.
    const groups = ["binary", "reduce", "cumsum", "matmul", "take and put"];
    const o: ConformanceOptions = { ...WASM, threads: 0, fused: false, groups };
    const r = await page.evaluate(
      (opts) =>
        (globalThis as unknown as { onMain(o: unknown): Promise<ConformanceReport> }).onMain(opts),
      o,
    );
    t.diagnostic(`crossOriginIsolated ${r.crossOriginIsolated}, threads ${r.threads}; ${r.note}`);
    t.diagnostic(timings(r));
    assert.equal(r.crossOriginIsolated, false);
    assert.equal(r.backend, "wasm");
    assert.deepEqual(r.threads, [1]);
    assert.equal(failures(r), "");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("the public bundle on a plain page: initWasm, ops, safetensors bytes, MNIST bytes, report", async () => {
    const { page, errors } = await open(browser, `${plain.url}/test/browser/bundle.html`);
    const r = await page.evaluate(() =>
      (globalThis as unknown as { checkBundle(): Promise<Record<string, unknown>> }).checkBundle(),
    );
    assert.deepEqual(errors, []);
    assert.equal(r.backend, "wasm");
    assert.equal(r.threads, 1);
    // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
    assert.deepEqual(r.matmul, [
      [19, 22],
      [43, 50],
    ]);
    assert.equal(r.roundTrip, true);
    assert.equal(r.ptRoundTrip, true);
    // nn.Linear exports as one Gemm node (torch.onnx.export's form for a 2-D input).
    assert.deepEqual(r.onnxOps, ["Gemm"]);
    // The first training image of MNIST is a 5 (the label file's first byte, offset 8).
    assert.equal(r.firstLabel, 5);
    assert.deepEqual(r.imageShape, [1, 28, 28]);
    assert.equal(r.reportHasConfusion, true);
    assert.match(String(r.nodeOnly), /NodeOnlyError: .*not available in the browser/);
    assert.match(String(r.missing), /ValueError: fetchBytes: .*no-such-file answered HTTP 404/);
    await page.close();
  });

  it("the demo trains the seed MLP one epoch to >= 95% validation accuracy; screenshot", async (t) => {
    const url = `${isolated.url}/examples/browser/index.html?autostart=1`;
    const { page, errors } = await open(browser, url);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { demoState?: { phase: string } }).demoState;
        return s !== undefined && s.phase !== "idle" && s.phase !== "training";
      },
      undefined,
      { timeout: 120_000, polling: 250 },
    );
    const state = await page.evaluate(
      () =>
        (
          globalThis as unknown as {
            demoState: {
              phase: string;
              error: string | null;
              backend: Record<string, unknown>;
              result: Record<string, number>;
            };
          }
        ).demoState,
    );
    assert.equal(state.phase, "done", state.error ?? "");
    const r = state.result;
    t.diagnostic(
      `validation accuracy ${(100 * r.valAccuracy!).toFixed(2)}% after ${r.train} images, ` +
        `training ${r.trainSeconds!.toFixed(1)} s on ${r.backend} with ${r.threads} thread(s); ` +
        `crossOriginIsolated ${state.backend.crossOriginIsolated}`,
    );
    assert.equal(r.train, 60000);
    assert.ok(r.valAccuracy! >= 0.95, `validation accuracy ${r.valAccuracy} < 0.95`);
    assert.equal(state.backend.crossOriginIsolated, true);
    assert.equal(r.safetensorsRoundTrip, true);
    // A test digit through the UI, then a stroke drawn on the pad: both get a prediction.
    await page.click("#sample");
    await predictions(page, 1);
    const pad = await page.locator("#pad").boundingBox();
    assert.ok(pad !== null);
    await page.click("#clear");
    await page.mouse.move(pad.x + 140, pad.y + 40);
    await page.mouse.down();
    await page.mouse.move(pad.x + 142, pad.y + 140, { steps: 8 });
    await page.mouse.move(pad.x + 144, pad.y + 240, { steps: 8 });
    await page.mouse.up();
    await predictions(page, 2);
    const drawn = await page.evaluate(
      () =>
        (globalThis as unknown as { demoState: { lastPrediction: { digit: number } } }).demoState
          .lastPrediction.digit,
    );
    t.diagnostic(`a vertical stroke is predicted as ${drawn}`);
    // A straight vertical stroke is MNIST's "1" once boxed, centred and normalised as in training.
    assert.equal(drawn, 1);
    const report = page.frameLocator("#report");
    assert.match((await report.locator("body").textContent()) ?? "", /onfusion/);
    await page.screenshot({ path: join(OUT, "demo.png"), fullPage: true });
    t.diagnostic(`screenshot: ${join("test", "browser", "out", "demo.png")}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
