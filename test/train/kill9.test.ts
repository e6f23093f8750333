// kill -9 during checkpoint writes (issue 17). Processes are SIGKILLed at random moments, with
// KILN_TEST_SLOW_WRITES stretching every write phase (temporary file written, renamed, manifest
// removed, set files written, manifest written, marker removed, old sets pruned) so the kills land
// inside them. After every kill each checkpoint set on disk is complete and hash-consistent
// (openCheckpointSet accepts it) or recognisably incomplete (a pending marker of the dead process;
// readers refuse it); the next process removes the dead one's temporary files and incomplete sets.
// Two kinds of victims: tools/kill9-writer.ts, which writes checkpoint sets as `kiln train` does
// without training (cheap to start: KILN_KILL9_WRITER_KILLS, default 50), and `kiln train` itself
// on a tiny CSV dataset, half of the runs resumed from a surviving set (KILN_KILL9_TRAIN_KILLS,
// default 9; each costs a CLI start-up).

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cleanCheckpointDir, openCheckpointSet, SET_SUFFIXES } from "../../src/train/checkpoint.ts";
import { type KilnResult, ROOT, startKiln, tempDir } from "./helpers.ts";

const tmp = tempDir("kill9");
after(() => tmp.cleanup());

const WRITER_KILLS = Number(process.env.KILN_KILL9_WRITER_KILLS ?? 50);
const TRAIN_KILLS = Number(process.env.KILN_KILL9_TRAIN_KILLS ?? 9);
const LANES = 3;
process.env.KILN_TEST_SLOW_WRITES = "6";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;
const PENDING = /^\.(.+)\.(\d+)\.pending$/;

interface DiskState {
  complete: string[];
  /** Stems of sets with files but no manifest. */
  incomplete: string[];
  pendingPids: number[];
  tempPids: number[];
}

/** Classifies every file of a models directory; fails on a manifest that does not verify. */
function inspect(models: string): DiskState {
  const state: DiskState = { complete: [], incomplete: [], pendingPids: [], tempPids: [] };
  if (!existsSync(models)) return state;
  const names = readdirSync(models);
  const pendingStems = new Set<string>();
  const stems = new Set<string>();
  for (const name of names) {
    const t = TEMP.exec(name);
    if (t !== null) {
      state.tempPids.push(Number(t[1]));
      continue;
    }
    const p = PENDING.exec(name);
    if (p !== null) {
      state.pendingPids.push(Number(p[2]));
      pendingStems.add(p[1]!);
      continue;
    }
    const suffix = [...SET_SUFFIXES]
      .sort((a, b) => b.length - a.length)
      .find((s) => name.endsWith(s));
    assert.ok(suffix !== undefined, `unexpected file ${name}`);
    stems.add(name.slice(0, -suffix.length));
  }
  for (const stem of stems) {
    if (names.includes(`${stem}.manifest.json`)) {
      // Complete and hash-consistent, or a pending rewrite/removal whose manifest is not yet gone
      // (then the old set it describes must still verify too).
      const set = openCheckpointSet(join(models, `${stem}.safetensors`));
      assert.equal(set.meta.weightsFile, `${stem}.safetensors`);
      state.complete.push(join(models, `${stem}.safetensors`));
    } else {
      assert.ok(
        pendingStems.has(stem),
        `set ${stem} has files but neither a manifest nor a pending marker`,
      );
      assert.throws(() => openCheckpointSet(join(models, `${stem}.safetensors`)), {
        name: "FormatError",
      });
      state.incomplete.push(stem);
    }
  }
  return state;
}

function staleTemps(dir: string, pids: Set<number>): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => {
    const m = TEMP.exec(n) ?? PENDING.exec(n);
    return m !== null && pids.has(Number(m[m.length - 1]));
  });
}

function runDirs(out: string): string[] {
  const runs = join(out, "runs", "kiln");
  return existsSync(runs) ? readdirSync(runs).map((d) => join(runs, d)) : [];
}

type Phases = { clean: number; temp: number; pending: number; incompleteSet: number };

/**
 * Kills `kills` victims, `LANES` at a time, each lane in its own directory: `start` spawns one (it
 * may look at the surviving complete sets), which is killed a random time after it prints `ready`.
 */
async function killLoop(
  name: string,
  kills: number,
  maxDelayMs: number,
  ready: RegExp,
  start: (
    laneDir: string,
    complete: string[],
    random: () => number,
  ) => { child: ChildProcess; done: Promise<KilnResult>; resumed: boolean },
): Promise<void> {
  const started = performance.now();
  const random = rng(17);
  const phases: Phases = { clean: 0, temp: 0, pending: 0, incompleteSet: 0 };
  let resumed = 0;
  let done = 0;
  const lane = async (laneNdx: number) => {
    const out = join(tmp.dir, `${name}${laneNdx}`);
    const models = join(out, "models", "kiln");
    const dead = new Set<number>();
    while (done < kills) {
      done++;
      const before = inspect(models);
      const run = start(out, before.complete, random);
      const delay = random() * maxDelayMs;
      let timer: NodeJS.Timeout | undefined;
      let isReady = false;
      const seen = { text: "" };
      run.child.stdout!.on("data", (d: Buffer | string) => {
        seen.text += String(d);
        if (!isReady && ready.test(seen.text)) {
          isReady = true;
          timer = setTimeout(() => run.child.kill("SIGKILL"), delay);
        }
      });
      const r = await run.done;
      clearTimeout(timer);
      assert.ok(isReady, `${name}: the victim did not start: ${r.stderr.slice(-2000)}`);
      assert.equal(
        r.signal,
        "SIGKILL",
        `${name}: ended by itself: ${r.code}\n${r.stderr.slice(-2000)}`,
      );
      if (run.resumed) {
        assert.match(r.stdout, /^Resumed from /m);
        resumed++;
      }
      // The victim cleaned what the dead ones before it left, before it became ready.
      for (const d of [models, ...runDirs(out)]) {
        assert.deepEqual(staleTemps(d, dead), [], `stale files of dead processes in ${d}`);
      }
      dead.add(run.child.pid!);
      const after = inspect(models);
      if (after.incomplete.length > 0) phases.incompleteSet++;
      else if (after.pendingPids.length > 0) phases.pending++;
      else if (after.tempPids.length > 0) phases.temp++;
      else phases.clean++;
    }
    // What the last kill left goes with the cleanup every run does first.
    cleanCheckpointDir(models);
    const end = inspect(models);
    assert.deepEqual([end.incomplete, end.pendingPids, end.tempPids], [[], [], []]);
  };
  await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `kill9 ${name}: ${done} kills in ${seconds} s, ${resumed} resumed; disk after the kill: ${JSON.stringify(phases)}`,
  );
  assert.ok(done >= kills);
  // The kills landed inside write phases, not only between them.
  const mid = phases.incompleteSet + phases.pending + phases.temp;
  assert.ok(mid >= Math.min(3, kills / 5), `${name}: ${JSON.stringify(phases)}`);
}

test(`kill -9 of a checkpoint writer at ${WRITER_KILLS} random points`, async () => {
  // Bundled once with esbuild (tsx's own compiler), the writer starts in a tenth of the time.
  const { buildSync } = await import("esbuild");
  const writer = join(tmp.dir, "kill9-writer.mjs");
  buildSync({
    entryPoints: [join(ROOT, "tools", "kill9-writer.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: writer,
    logLevel: "warning",
  });
  await killLoop("writer", WRITER_KILLS, 400, /^ready$/m, (out, _complete, random) => {
    const models = join(out, "models", "kiln");
    const child = spawn(process.execPath, [writer, models, String(Math.floor(random() * 1000))], {
      cwd: ROOT,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr!.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const done = new Promise<KilnResult>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done, resumed: false };
  });
});

test(`kill -9 of kiln train at ${TRAIN_KILLS} random points; runs resume from survivors`, async () => {
  const csv = join(tmp.dir, "tiny.csv");
  const rows = ["a,b,c,d,label"];
  for (let i = 0; i < 96; i++)
    rows.push(`${i % 7},${(i * 3) % 5},${i % 2},${(i * 7) % 11},${i % 3}`);
  writeFileSync(csv, `${rows.join("\n")}\n`);
  // --epochs large: a run never ends by itself; every epoch validates and writes its sets.
  const flags = ["--dataset", `csv:${csv}`, "--epochs", "100000"];
  await killLoop("train", TRAIN_KILLS, 1500, /^Epoch \d+ of /m, (out, complete, random) => {
    const resume = complete.length > 0 && random() < 0.5;
    const args = ["train", ...flags, "--out", out];
    if (resume) args.push("--resume", complete[Math.floor(random() * complete.length)]!);
    return { ...startKiln(args), resumed: resume };
  });
});
