// Properties (fast-check): a step with lr 0 and no weight decay changes no parameter, for every
// optimizer and random options, shapes and gradients; loadStateDict(stateDict()) is the identity.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { tensor } from "../../src/index.ts";
import { makeOptimizer, type OptimizerName } from "./helpers.ts";

const NAMES: OptimizerName[] = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"];
/** The random options each optimizer takes (the others are unknown options: a ValueError). */
const TAKES: Record<OptimizerName, readonly string[]> = {
  SGD: ["momentum", "maximize"],
  Adam: ["amsgrad", "maximize"],
  AdamW: ["amsgrad", "maximize"],
  RMSprop: ["momentum", "centered", "maximize"],
  Adagrad: ["lrDecay", "maximize"],
  Adadelta: ["rho", "maximize"],
};
const pick = (name: OptimizerName, o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => TAKES[name].includes(k)));
const finite = fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true });

const optionsArb = fc.record({
  momentum: fc.constantFrom(0, 0.5, 0.9),
  amsgrad: fc.boolean(),
  maximize: fc.boolean(),
  centered: fc.boolean(),
  rho: fc.constantFrom(0.5, 0.9),
  lrDecay: fc.constantFrom(0, 0.1),
});

test("an optimizer step with lr 0 (and no weight decay) changes nothing", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...NAMES),
      optionsArb,
      fc.array(finite, { minLength: 1, maxLength: 6 }),
      fc.array(finite, { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 1, max: 3 }),
      (name, o, values, grads, steps) => {
        const w = tensor(values, { dtype: "float32", requiresGrad: true });
        const before = Array.from(w.dataSync());
        const opt = makeOptimizer(name, [w], { ...pick(name, o), lr: 0, weightDecay: 0 });
        for (let s = 0; s < steps; s++) {
          w.grad = tensor(grads.slice(0, values.length), { dtype: "float32" });
          opt.step();
        }
        // === on purpose: -0 + 0 is +0 in PyTorch too, and equal to -0.
        const after = Array.from(w.dataSync());
        assert.ok(
          after.every((v, i) => v === before[i]),
          `${name}: ${before} became ${after}`,
        );
      },
    ),
    { numRuns: 150 },
  );
});

test("loadStateDict(stateDict()) is the identity", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...NAMES),
      optionsArb,
      fc.array(finite, { minLength: 2, maxLength: 2 }),
      (name, o, g) => {
        const w = tensor([0.5, -1.5], { dtype: "float32", requiresGrad: true });
        const opt = makeOptimizer(name, [w], { ...pick(name, o), lr: 0.01 });
        w.grad = tensor(g, { dtype: "float32" });
        opt.step();
        const sd = opt.stateDict();
        opt.loadStateDict(sd);
        assert.deepEqual(opt.stateDict(), sd);
      },
    ),
    { numRuns: 60 },
  );
});
