// The progress bar: fitted to the terminal's width (the bar shrinks, then goes; ETA and loss are
// never cut), one summary line per loop left in the scrollback, and no message ever on the bar's
// line, Ctrl-C's "Saved model params" included. The screen is rendered by test/train/terminal.ts,
// a small terminal written apart from the bar. Expected lines are derived by hand below.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { train } from "../../src/index.ts";
import { tempDir } from "./helpers.ts";
import { FakeTerminal } from "./terminal.ts";

const { enumerateWithEstimate, layoutProgressLine, TerminalProgress } = train;

// desc "E1 Training" (11 characters), half done, 2 items/s, 2 s left, loss 0.25. The tail is
// " 50%  2.0 it/s  ETA 0:00:02  loss 0.2500" (40 characters) or, closed up,
// " 50% 2.0 it/s ETA 0:00:02 loss 0.2500" (37), or without the rate " 50% ETA 0:00:02 loss 0.2500" (28).
const PARTS = { desc: "E1 Training", frac: 0.5, rate: 2, eta: 2, loss: 0.25 };

describe("layoutProgressLine fits the line to the width", () => {
  test("hand-derived layouts from wide to very narrow", () => {
    const cases: [number, string][] = [
      // 199 - 11 - 40 - 4 (" [", "] ") = 144 for the bar: capped at 30, half of it filled.
      [
        199,
        `E1 Training [${"#".repeat(15)}${".".repeat(15)}]  50%  2.0 it/s  ETA 0:00:02  loss 0.2500`,
      ],
      // 79 - 55 = 24 for the bar, 12 filled.
      [
        79,
        `E1 Training [${"#".repeat(12)}${".".repeat(12)}]  50%  2.0 it/s  ETA 0:00:02  loss 0.2500`,
      ],
      // 59 - 55 = 4 is too short a bar; closed up: 59 - 11 - 37 - 4 = 7, round(3.5) = 4 filled.
      [59, "E1 Training [####...]  50% 2.0 it/s ETA 0:00:02 loss 0.2500"],
      // No room for a bar: it goes first; the closed-up line is 11 + 1 + 37 = 49.
      [49, "E1 Training  50% 2.0 it/s ETA 0:00:02 loss 0.2500"],
      // Then the rate; the description is cut to 39 - 1 - 28 = 10 characters ending in "…".
      [39, "E1 Traini…  50% ETA 0:00:02 loss 0.2500"],
      // Then the labels: " 50% 0:00:02 0.2500" is 19.
      [19, " 50% 0:00:02 0.2500"],
      [14, "0:00:02 0.2500"],
    ];
    for (const [width, want] of cases) {
      assert.equal(layoutProgressLine(PARTS, width), want, `width ${width}`);
      assert.ok(want.length <= width, `width ${width}: ${want.length} characters`);
    }
  });

  test("at every width from 14 to 200 the line fits and keeps ETA and loss whole", () => {
    for (let width = 14; width <= 200; width++) {
      const line = layoutProgressLine(PARTS, width);
      assert.ok(line.length <= width, `width ${width}: ${line}`);
      assert.ok(line.includes("0:00:02") && line.includes("0.2500"), `width ${width}: ${line}`);
      // The bar is never drawn at a width where the whole tail does not fit beside it.
      if (line.includes("[")) assert.ok(line.includes("ETA 0:00:02"), line);
    }
  });
});

/** A clock the test moves by hand (milliseconds). */
function clock() {
  let t = 0;
  return { now: () => t, set: (ms: number) => void (t = ms) };
}

describe("TerminalProgress on a fake terminal", () => {
  test("draws in place at the terminal's width and leaves one summary line", () => {
    const term = new FakeTerminal(60);
    const c = clock();
    const bar = new TerminalProgress(term, { now: c.now });
    bar.start("E1 Training", 4);
    const losses = [0.5, 0.25, 0.75, 0.5];
    losses.forEach((loss, i) => {
      c.set(500 * (i + 1));
      bar.setLoss(loss);
      bar.update(i, (i + 1) / 2);
      // The bar redraws in place: nothing enters the scrollback while it runs.
      assert.deepEqual(term.scrollback(), []);
      assert.ok(term.live().length <= 59, term.live());
    });
    // 2 of 4 done after 1 s: 2.0 it/s, 1 s left; at 60 columns the closed-up layout with a
    // 59 - 11 - 37 - 4 = 7-character bar (as layoutProgressLine above).
    c.set(1000);
    bar.setLoss(0.25);
    const mid = new FakeTerminal(60);
    const midBar = new TerminalProgress(mid, { now: c.now });
    midBar.start("E1 Training", 4);
    midBar.setLoss(0.25);
    midBar.update(1, 1);
    assert.equal(mid.live(), "E1 Training [####...]  50% 2.0 it/s ETA 0:00:01 loss 0.2500");
    c.set(2000);
    bar.end();
    // 4 items in 2 s of wall time: 2.0 it/s; the mean of the five losses given
    // (0.5 + 0.25 + 0.75 + 0.5 + 0.25) / 5 = 0.45.
    assert.deepEqual(term.scrollback(), ["E1 Training 4/4 in 0:00:02, 2.0 it/s, mean loss 0.4500"]);
    assert.equal(term.live(), "");
  });

  test("a message printed while the bar is live goes above it, never on its line", () => {
    const term = new FakeTerminal(80);
    const c = clock();
    const bar = new TerminalProgress(term, { now: c.now });
    bar.start("E1 Training", 10);
    c.set(1000);
    bar.update(4, 1);
    const drawn = term.live();
    assert.match(drawn, /^E1 Training \[#+\.+\] {2}50%/);
    bar.print("Saved model params to m.safetensors");
    assert.deepEqual(term.scrollback(), ["Saved model params to m.safetensors"]);
    assert.equal(term.live(), drawn, "the bar is redrawn below the message");
    bar.end();
    assert.equal(term.scrollback().length, 2);
    assert.match(term.scrollback()[1]!, /^E1 Training 5\/10 \(stopped\) in 0:00:01, 5\.0 it\/s$/);
  });

  test("without summary the bar leaves nothing", () => {
    const term = new FakeTerminal(80);
    const bar = new TerminalProgress(term, { summary: false });
    bar.start("E1 Validation ", 3);
    bar.update(2, 1);
    assert.notEqual(term.live(), "");
    bar.end();
    assert.deepEqual(term.screen(), [""]);
  });

  test("a loop left early (break or error) still ends the bar before the next message", () => {
    for (const how of ["break", "throw"] as const) {
      const term = new FakeTerminal(80);
      const c = clock();
      const bar = new TerminalProgress(term, { now: c.now });
      try {
        for (const [ndx] of enumerateWithEstimate([1, 2, 3, 4], "E1 Training", {
          progress: bar,
          now: c.now,
        })) {
          c.set(1000 * (ndx + 1));
          if (ndx === 1) {
            if (how === "throw") throw new Error("stop");
            break;
          }
        }
      } catch (e) {
        assert.equal((e as Error).message, "stop");
      }
      term.write("Saved model params to m.safetensors\n");
      const lines = term.scrollback();
      assert.equal(lines.length, 2, `${how}: ${JSON.stringify(lines)}`);
      // The loop stopped in (or right after) the second item, which counts as done: 2 items,
      // 2 s on the bar's clock.
      assert.equal(lines[0], "E1 Training 2/4 (stopped) in 0:00:02, 1.0 it/s", how);
      assert.equal(lines[1], "Saved model params to m.safetensors", how);
    }
  });
});

describe("TrainingApp with a progress bar", () => {
  const tmp = tempDir("progress");
  after(() => tmp.cleanup());

  test("Ctrl-C mid-epoch: a stopped summary line, then the checkpoint messages on their own lines", async () => {
    const term = new FakeTerminal(72);
    class App extends train.ClassifierApp {
      override progressStream() {
        return term;
      }
      override computeBatchLoss(...a: Parameters<train.ClassifierApp["computeBatchLoss"]>) {
        // The third training batch: as if SIGINT arrived while it ran.
        if (this.model.training && a[0] === 2) this.interrupted = true;
        return super.computeBatchLoss(...a);
      }
    }
    const app = new App(
      { limit: 1000, valLimit: 200, epochs: 1, progressBar: true, out: tmp.dir },
      (line) => term.write(`${line}\n`),
    );
    try {
      await app.main();
      assert.equal(process.exitCode, 130);
    } finally {
      process.exitCode = undefined;
    }
    const lines = term.scrollback();
    const text = JSON.stringify(lines, null, 1);
    // 1000 / 64 → 16 batches; the third finished before the loop stopped.
    const summary = lines.findIndex((l) =>
      /^E1 Training 3\/16 \(stopped\) in \d+:\d\d:\d\d, [\d.]+ it\/s, mean loss \d\.\d{4}$/.test(l),
    );
    assert.ok(summary >= 0, text);
    const saved = lines.findIndex((l) => l.startsWith("Saved model params to "));
    assert.ok(saved > summary, text);
    assert.match(
      lines.at(-2)!,
      /^Interrupted during epoch 1 after 3 of 16 batches: checkpoint written to /,
    );
    assert.match(lines.at(-1)!, /^Resume with: kiln train --resume /);
    for (const l of lines) assert.ok(!(l.includes("[") && l.includes("Saved")), l);
    assert.equal(term.live(), "", "nothing left on the bar's line");
    // The bar lines themselves never passed the terminal's width.
    for (const w of term.writes.filter((s) => s.startsWith("\r") && s.length > 4)) {
      assert.ok(w.length - "\r\x1b[K".length <= 71, w);
    }
  });
});
