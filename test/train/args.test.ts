// Rule 2 of shared/API.md for train and the data classes it uses: enumerateWithEstimate takes the
// book's order (iter, desc_str, start_ndx=0, print_ndx=4, backoff=None, iter_len=None, from
// dlwpt-code util/util.py) positionally or as options; classificationMetrics, the TrainingApp
// methods users call, CSVDataset, BalancedSampler and IterableDataset throw a ValueError naming
// an extra positional, an unknown option (with the camelCase hint) or a wrong type.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { data, type nn, type Tensor, tensor, train } from "../../src/index.ts";

function valueError(re: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof ValueError && re.test(e.message);
}

/** The lines enumerateWithEstimate logs over 10 items, with a clock that advances 1 s per read. */
function estimateLines(call: (log: (l: string) => void, now: () => number) => Iterable<unknown>) {
  const lines: string[] = [];
  let t = Date.UTC(2026, 0, 1);
  const now = () => {
    t += 1000;
    return t;
  };
  for (const _ of call((l) => lines.push(l), now));
  return lines;
}

describe("train.enumerateWithEstimate: the book's positional order", () => {
  const items = Array.from({ length: 10 }, (_, i) => i);

  it("(iter, desc, startNdx, printNdx, backoff, iterLen) == the same as options", () => {
    const a = estimateLines((log, now) =>
      train.enumerateWithEstimate(items, "E1 Training", 0, 2, 2, 10, { log, now }),
    );
    const b = estimateLines((log, now) =>
      train.enumerateWithEstimate(items, "E1 Training", {
        startNdx: 0,
        printNdx: 2,
        backoff: 2,
        iterLen: 10,
        log,
        now,
      }),
    );
    // printNdx 2, backoff 2: estimates at 2, 4 and 8, between the "starting" and "done" lines.
    assert.equal(a.length, 5);
    assert.match(a[0]!, /^E1 Training ----\/10, starting$/);
    assert.match(a[1]!, /^E1 Training {4}2\/10, done at /);
    assert.match(a[3]!, /^E1 Training {4}8\/10, done at /);
    assert.deepEqual(b, a);
  });

  it("throws at the call on an extra positional, an unknown option or a wrong type", () => {
    const call = train.enumerateWithEstimate as (...a: unknown[]) => unknown;
    assert.throws(
      () => call(items, "E1", 0, 4, 2, 10, 7),
      valueError(/enumerateWithEstimate: takes 6 positional arguments .* the extra one is 7/),
    );
    assert.throws(
      () => call(items, "E1", { start_ndx: 1 }),
      valueError(/unknown option "start_ndx" \(did you mean "startNdx"\?/),
    );
    assert.throws(() => call(items, 3), valueError(/argument "descStr" must be a string, got 3/));
    assert.throws(() => call(items, "E1", "0"), valueError(/argument "startNdx" must be an int/));
    assert.throws(
      () => (train.enumerateWithEstimateAsync as (...a: unknown[]) => unknown)(items, "E1"),
      valueError(/argument "iter" must be an iterable/),
    );
  });
});

describe("train.classificationMetrics and the TrainingApp methods", () => {
  // Rows label, pred, predProb, loss of three samples.
  const metrics_t = tensor(
    [
      [0, 1, 1],
      [0, 1, 0],
      [0.2, 0.9, 0.4],
      [0.1, 0.2, 0.3],
    ],
    { dtype: "float32" },
  );

  it("classificationMetrics(metrics_t, options) checks its arguments", () => {
    // By hand: 2 of 3 predictions right.
    const r = train.classificationMetrics(metrics_t, { numClasses: 2 });
    assert.ok(Math.abs(r.metrics["correct/all"]! - 200 / 3) < 1e-9);
    const call = train.classificationMetrics as (...a: unknown[]) => unknown;
    assert.throws(
      () => call(metrics_t, { numClasses: 2 }, 1),
      valueError(/classificationMetrics: takes 1 positional argument/),
    );
    assert.throws(
      () => call(metrics_t, { num_classes: 2 }),
      valueError(/unknown option "num_classes" \(did you mean "numClasses"\?/),
    );
    assert.throws(() => call(metrics_t, {}), valueError(/missing required argument "numClasses"/));
    assert.throws(
      () => call([[0]], { numClasses: 2 }),
      valueError(/argument "metrics_t" must be a Tensor/),
    );
  });

  class App extends train.TrainingApp {
    readonly numClasses = 2;
    initModel(): nn.Module {
      throw new Error("not used");
    }
    initTrainDl(): train.Loader {
      throw new Error("not used");
    }
    initValDl(): train.Loader {
      throw new Error("not used");
    }
  }

  it("users' calls with an extra argument throw before doing anything", () => {
    const app = new App({}, () => {});
    const loose = app as unknown as Record<string, (...a: unknown[]) => unknown>;
    const dl = {} as train.Loader;
    assert.throws(
      () => loose.doTraining!.call(app, 1, dl, 3),
      valueError(/TrainingApp\.doTraining: takes 2 arguments but 3 were given/),
    );
    assert.throws(
      () => loose.doValidation!.call(app, 1, dl, 3),
      valueError(/TrainingApp\.doValidation: takes 2 arguments/),
    );
    assert.throws(
      () => loose.logMetrics!.call(app, 1, "val", metrics_t, 0.5, "extra"),
      valueError(/TrainingApp\.logMetrics: takes 4 arguments .* the extra one is "extra"/),
    );
    assert.throws(
      () => loose.computeBatchLoss!.call(app, 0, [metrics_t, metrics_t], 3, metrics_t, 1),
      valueError(/TrainingApp\.computeBatchLoss: takes 4 arguments/),
    );
    assert.throws(
      () => new (App as unknown as new (...a: unknown[]) => App)({}, () => {}, 3),
      valueError(/TrainingApp: takes 2 arguments/),
    );
  });

  it("a subclass override keeps its own parameters", () => {
    class Wider extends App {
      override computeBatchLoss(
        batchNdx: number,
        batch: train.Batch,
        batchSize: number,
        metrics_g: Tensor,
        scale = 1,
      ): Tensor {
        return metrics_g.sum().mul(scale + batchNdx + batchSize + batch.length);
      }
    }
    const app = new Wider({}, () => {});
    const m = tensor([1, 2], { dtype: "float32" });
    // (1 + 2) * (2 + 0 + 2 + 2)
    assert.equal(app.computeBatchLoss(0, [m, m], 2, m, 2).item(), 18);
  });
});

describe("CSVDataset, BalancedSampler, IterableDataset", () => {
  it("CSVDataset(path, options) throws on an extra positional, an unknown option, a wrong type", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kiln-csv-args-")), "t.csv");
    fs.writeFileSync(file, "a,b,label\n1,2,0\n3,4,1\n");
    assert.equal(new data.datasets.CSVDataset(file, { labelColumn: "label" }).length, 2);
    const Csv = data.datasets.CSVDataset as unknown as new (...a: unknown[]) => unknown;
    assert.throws(
      () => new Csv(file, { labelColumn: "label" }, 1),
      valueError(/CSVDataset: takes 1 positional argument/),
    );
    assert.throws(
      () => new Csv(file, { label_column: "label" }),
      valueError(/unknown option "label_column" \(did you mean "labelColumn"\?/),
    );
    assert.throws(() => new Csv(file, { header: "yes" }), valueError(/argument "header" must be/));
  });

  it("BalancedSampler(labels, options)", () => {
    assert.equal(new data.BalancedSampler([1, 0, 0], { ratio: 2, numSamples: 6 }).length, 6);
    const Balanced = data.BalancedSampler as unknown as new (...a: unknown[]) => unknown;
    assert.throws(
      () => new Balanced([1, 0], { ratio: 1 }, 3),
      valueError(/BalancedSampler: takes 1 positional argument/),
    );
    assert.throws(
      () => new Balanced([1, 0], { num_samples: 4 }),
      valueError(/unknown option "num_samples" \(did you mean "numSamples"\?/),
    );
    assert.throws(
      () => new Balanced([1, 0], { shuffle: 1 }),
      valueError(/argument "shuffle" must be a boolean/),
    );
  });

  it("IterableDataset takes no arguments", () => {
    class Stream extends data.IterableDataset<number> {
      *[Symbol.iterator](): Iterator<number> {
        yield 1;
      }
    }
    assert.deepEqual([...new Stream()], [1]);
    const Loose = Stream as unknown as new (...a: unknown[]) => Stream;
    assert.throws(() => new Loose(5), valueError(/IterableDataset: takes 0 arguments/));
  });
});
