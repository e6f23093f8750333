// Checkpoint sets (issue 17): written as a unit with a manifest of SHA-256s last; readers refuse
// incomplete sets, hash mismatches, sidecars that fail the schema and paths that leave the
// directory; retention and the clean-up of what a killed process left.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { FormatError } from "../../src/index.ts";
import {
  cleanCheckpointDir,
  openCheckpointSet,
  parseCheckpointMeta,
  pruneCheckpoints,
  readCheckpointMeta,
  writeCheckpointSet,
} from "../../src/train/checkpoint.ts";
import { tempDir } from "./helpers.ts";

const tmp = tempDir("ckset");
after(() => tmp.cleanup());

const gen = { seed: 0, s: [1, 2, 3, 4], spare: null };
function sidecar(base: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: "kiln-checkpoint",
    version: 1,
    modelClass: "NeuralNet",
    optimizerClass: "SGD",
    optimizerState: { state: {}, param_groups: [] },
    schedulerState: null,
    epoch: 1,
    totalTrainingSamples_count: 64,
    rng: { default: gen, shuffle: gen },
    bestScore: null,
    sinceBest: 0,
    args: { batchSize: 64 },
    time: "t",
    weightsFile: `${base}.safetensors`,
    weightsSha1: "0".repeat(40),
    optimizerFile: `${base}.optim.safetensors`,
    interrupted: false,
    partialEpoch: null,
    extras: {},
    ...over,
  });
}

function writeSet(dir: string, base: string, over: Record<string, unknown> = {}): string {
  const stem = join(dir, base);
  writeCheckpointSet(stem, [
    { suffix: ".safetensors", data: new Uint8Array([1, 2, 3]) },
    { suffix: ".optim.safetensors", data: new Uint8Array([4, 5]) },
    { suffix: ".json", data: sidecar(base, over) },
  ]);
  return `${stem}.safetensors`;
}

describe("checkpoint sets", () => {
  test("a written set opens, with every file's bytes verified", () => {
    const dir = join(tmp.dir, "ok");
    const w = writeSet(dir, "m.64");
    const set = openCheckpointSet(w);
    assert.deepEqual([...set.file("m.64.optim.safetensors")], [4, 5]);
    assert.equal(readCheckpointMeta(w).epoch, 1);
    assert.deepEqual(readdirSync(dir).sort(), [
      "m.64.json",
      "m.64.manifest.json",
      "m.64.optim.safetensors",
      "m.64.safetensors",
    ]);
  });

  test("a changed file, a missing manifest, a foreign manifest entry are refused", () => {
    const dir = join(tmp.dir, "bad");
    const w = writeSet(dir, "m.1");
    writeFileSync(join(dir, "m.1.optim.safetensors"), new Uint8Array([9, 9]));
    assert.throws(() => openCheckpointSet(w), /SHA-256 of m\.1\.optim\.safetensors differs/);
    const w2 = writeSet(dir, "m.2");
    writeFileSync(join(dir, "m.2.safetensors"), new Uint8Array([1, 2, 3, 4]));
    assert.throws(() => readCheckpointMeta(w2), /is 4 bytes, the manifest says 3/);
    const w3 = writeSet(dir, "m.3");
    const manifest = JSON.parse(readFileSync(join(dir, "m.3.manifest.json"), "utf8"));
    manifest.files[0].name = "m.1.safetensors";
    writeFileSync(join(dir, "m.3.manifest.json"), JSON.stringify(manifest));
    assert.throws(() => openCheckpointSet(w3), /not of this set/);
    writeFileSync(join(dir, "old.safetensors"), new Uint8Array([1]));
    writeFileSync(join(dir, "old.json"), sidecar("old"));
    assert.throws(
      () => openCheckpointSet(join(dir, "old.safetensors")),
      (e: Error) => {
        assert.ok(e instanceof FormatError);
        assert.match(e.message, /no manifest old\.manifest\.json: the set is incomplete/);
        return true;
      },
    );
  });

  test("sidecars: schema, paths confined to the directory, short messages", () => {
    const dir = join(tmp.dir, "schema");
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ optimizerFile: "../../x.safetensors" }, /field optimizerFile: expected/],
      [{ optimizerFile: "/etc/passwd" }, /field optimizerFile/],
      [{ optimizerFile: 5 }, /field optimizerFile: expected string, found the number 5/],
      [{ args: undefined }, /field args/],
      [{ rng: { default: gen } }, /field rng\.shuffle/],
      [{ epoch: -1 }, /field epoch/],
      [{ weightsFile: "other.safetensors" }, /weightsFile is other\.safetensors/],
      [
        { optimizerFile: "m.x.optim.safetensors" },
        /names m\.x\.optim\.safetensors, which the manifest lacks/,
      ],
    ];
    bad.forEach(([over, re], i) => {
      const w = writeSet(dir, `m.${i}`, over);
      assert.throws(
        () => openCheckpointSet(w),
        (e: Error) => e instanceof FormatError && re.test(e.message) && e.message.length < 400,
        `case ${i}`,
      );
    });
    assert.throws(() => parseCheckpointMeta("{", "x.json"), /x\.json: not valid JSON/);
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    assert.throws(
      () => parseCheckpointMeta(sidecar("m").replace('"extras":{}', `"extras":{"a":${deep}}`), "d"),
      /nests deeper than 64 levels/,
    );
    const long = "x".repeat(100_000);
    assert.throws(
      () => parseCheckpointMeta(sidecar("m", { modelClass: long }), "l"),
      (e: Error) => e instanceof FormatError && !e.message.includes(long.slice(0, 200)),
    );
  });

  test("a file that is a symlink out of the directory is refused", () => {
    const dir = join(tmp.dir, "link");
    const w = writeSet(dir, "m.1");
    const outside = join(tmp.dir, "outside.bin");
    writeFileSync(outside, readFileSync(join(dir, "m.1.optim.safetensors")));
    const optim = join(dir, "m.1.optim.safetensors");
    rmSync(optim);
    symlinkSync(outside, optim);
    assert.throws(() => openCheckpointSet(w), /leads outside the checkpoint's directory/);
  });

  test("retention keeps the latest numbered sets and the best", () => {
    const dir = join(tmp.dir, "keep");
    for (const tag of ["64", "128", "192", "best"]) writeSet(dir, `m_t_c.${tag}`);
    writeSet(dir, "other_t_c.64");
    pruneCheckpoints(dir, "m_t_c.", 1);
    const left = readdirSync(dir).filter((n) => n.endsWith(".manifest.json"));
    assert.deepEqual(left.sort(), [
      "m_t_c.192.manifest.json",
      "m_t_c.best.manifest.json",
      "other_t_c.64.manifest.json",
    ]);
    assert.ok(!existsSync(join(dir, "m_t_c.64.safetensors")));
  });

  test("the clean-up removes temporary files and incomplete sets of dead processes only", () => {
    const dir = join(tmp.dir, "clean");
    writeSet(dir, "m.64");
    const deadPid = 2 ** 22 + 12345; // above pid_max's default: never a live process
    writeFileSync(join(dir, `.m.128.safetensors.${deadPid}.0123456789ab.tmp`), "x");
    writeFileSync(join(dir, `.m.64.json.${process.pid}.0123456789ab.tmp`), "x");
    writeFileSync(join(dir, "m.128.safetensors"), "half");
    writeFileSync(join(dir, `.m.128.${deadPid}.pending`), "");
    writeFileSync(join(dir, `.m.64.${deadPid}.pending`), "");
    assert.deepEqual(cleanCheckpointDir(dir), { temps: 1, sets: 1 });
    assert.deepEqual(readdirSync(dir).sort(), [
      `.m.64.json.${process.pid}.0123456789ab.tmp`,
      "m.64.json",
      "m.64.manifest.json",
      "m.64.optim.safetensors",
      "m.64.safetensors",
    ]);
    openCheckpointSet(join(dir, "m.64.safetensors"));
  });
});
