// Writes a Kiln safetensors checkpoint of the seed's NeuralNet shapes (fc1: 784→128, fc2: 128→10)
// plus a JSON of what Kiln computes with it, for tools/check_safetensors_torch.py to verify with
// PyTorch. Uses only Kiln's public entry. Run:
//   node --import tsx tools/io_kiln_sample.ts /tmp/kiln_sample.safetensors

import * as fs from "node:fs";
import { io, manualSeed, rand, randn } from "../src/index.ts";

const file = process.argv[2] ?? "/tmp/kiln_sample.safetensors";
manualSeed(0);
const state = {
  "fc1.weight": randn(128, 784).mul(0.05),
  "fc1.bias": randn(128).mul(0.05),
  "fc2.weight": randn(10, 128).mul(0.05),
  "fc2.bias": randn(10).mul(0.05),
};
const x = rand(2, 784);
// NeuralNet.forward: fc2(relu(fc1(x))) with Linear(x) = x Wᵀ + b.
const hidden = x.matmul(state["fc1.weight"].t()).add(state["fc1.bias"]).relu();
const y = hidden.matmul(state["fc2.weight"].t()).add(state["fc2.bias"]);
io.saveSafetensors(file, state, { metadata: { format: "pt", producer: "kiln" } });
const expected = {
  input: Array.from(x.dataSync()),
  output: Array.from(y.dataSync()),
  sums: Object.fromEntries(
    Object.entries(state).map(([k, t]) => [k, Array.from(t.dataSync()).reduce((a, b) => a + b, 0)]),
  ),
};
fs.writeFileSync(`${file}.expected.json`, JSON.stringify(expected));
console.log(`wrote ${file} and ${file}.expected.json`);
