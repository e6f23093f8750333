// A matrix of bad input to every `kiln` command: bad flags and values, missing, corrupt and
// truncated files of each kind (checkpoints and their sidecars, CSV / IDX / gzip / CIFAR
// datasets, PNG and IDX images, run directories), and unwritable outputs. Each case must end with
// exit code 1 or 2 and exactly one non-empty line on stderr that names the problem, with no stack
// frame, in bounded time, and nothing may appear outside its --out directory.
//
// Unwritable outputs: the tests run as root, so chmod does not stop writes; they use a path under
// a regular file (ENOTDIR), a regular file as a directory, /proc (a kernel file system; Node's
// recursive mkdir even loops there) and /sys (read-only or EPERM in containers), /dev/null, and an
// existing directory where a file is expected.
//
// The suite spawns the CLI about 170 times, 4 at a time: about a minute with `dist/` up to date
// (`npm run build`), about twice that through tsx on an idle 2-core machine.
//
// Every case runs in its own directory (the CLI's cwd) holding only its --out; the fixtures are
// shared read-only. Afterwards the case directory may hold nothing but --out, the fixtures are
// unchanged, and nothing new is in the temp directory (so `--tb-prefix ../../..` escaping --out
// is caught).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { kiln, only, ROOT, tempDir, trainTinyMlp } from "./helpers.ts";

const tmp = tempDir("matrix");
const FIX = join(tmp.dir, "fixtures");
/**
 * How to start the CLI: the built `dist/cli/main.js` when it is newer than every source file (a
 * third of tsx's start-up time), else `src/cli/main.ts` through tsx (resolved absolutely, as the
 * cases run in their own directories).
 */
const CLI: string[] = distIsFresh()
  ? [join(ROOT, "dist", "cli", "main.js")]
  : ["--import", import.meta.resolve("tsx"), join(ROOT, "src", "cli", "main.ts")];

/** Whether every source file has a built counterpart in dist/ at least as new. */
function distIsFresh(): boolean {
  const walk = (d: string): boolean =>
    readdirSync(d).every((name) => {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) return walk(p);
      if (!name.endsWith(".ts")) return true;
      const built = join(ROOT, "dist", relative(join(ROOT, "src"), p)).replace(/\.ts$/, ".js");
      return existsSync(built) && statSync(built).mtimeMs >= st.mtimeMs;
    });
  return walk(join(ROOT, "src"));
}

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A case that runs past this is a hang (the CLI must refuse in bounded time). */
const CASE_TIMEOUT_MS = 90_000;

/** Runs `kiln <args>` with `cwd` as its working directory (tsx resolved absolutely). */
function run(cwd: string, args: readonly string[]): Promise<Result> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), CASE_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Every path under `dir` (relative), with a digest of each file's bytes. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.set(`${relative(dir, p)}/`, "dir");
        walk(p);
      } else {
        out.set(relative(dir, p), createHash("sha1").update(readFileSync(p)).digest("hex"));
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function changes(a: Map<string, string>, b: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) diff.push(k);
  for (const k of a.keys()) if (!b.has(k)) diff.push(`-${k}`);
  return diff;
}

// ---- fixtures ---------------------------------------------------------------------------

let weights = ""; // the good checkpoint (an MLP on MNIST)
let stemPrefix = ""; // its files: <stemPrefix>*
let png = ""; // a valid 28x28 PNG
let goodRun = ""; // a run directory written by kiln train

function write(rel: string, data: string | Uint8Array): string {
  const p = join(FIX, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  return p;
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function u32be(...v: number[]): Uint8Array {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => {
    dv.setUint32(4 * i, x);
  });
  return b;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * A copy of the good checkpoint's files in `ck/<name>/`, after `mutate` changed them (given the
 * copied weights path and its sidecar path); returns the copied weights path.
 */
function variant(name: string, mutate: (w: string, sidecar: string) => void): string {
  const dir = join(FIX, "ck", name);
  mkdirSync(dir, { recursive: true });
  const src = dirname(weights);
  for (const f of readdirSync(src)) {
    if (f.startsWith(stemPrefix)) copyFileSync(join(src, f), join(dir, f));
  }
  const w = join(dir, basename(weights));
  mutate(w, w.replace(/\.safetensors$/, ".json"));
  return w;
}

function editJson(path: string, edit: (j: Record<string, unknown>) => unknown): void {
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")))));
}

function halve(path: string): void {
  truncateSync(path, Math.floor(statSync(path).size / 2));
}

const V: Record<string, string> = {};

before(async () => {
  mkdirSync(FIX, { recursive: true });
  const out = join(FIX, "train");
  weights = await trainTinyMlp(out);
  stemPrefix = basename(weights).replace(/safetensors$/, "");
  goodRun = only(join(out, "runs", "kiln"), /^[\d_.-]+-kiln$/);

  const img = new PNG({ width: 28, height: 28 });
  img.data.fill(200);
  png = write("digit.png", PNG.sync.write(img));

  // Checkpoint variants: the weights file.
  V.wGarbage = variant("w-garbage", (w) => writeFileSync(w, bytes(4096)));
  V.wEmpty = variant("w-empty", (w) => writeFileSync(w, ""));
  V.wTruncated = variant("w-truncated", (w) => halve(w));
  V.wHugeHeader = variant("w-huge-header", (w) => {
    const b = readFileSync(w);
    b.writeBigUInt64LE(2n ** 40n, 0);
    writeFileSync(w, b);
  });
  V.wDir = variant("w-dir", (w) => {
    rmSync(w);
    mkdirSync(w);
  });
  // The sidecar.
  V.jMissing = variant("j-missing", (_, j) => rmSync(j));
  V.jEmpty = variant("j-empty", (_, j) => writeFileSync(j, ""));
  V.jBrace = variant("j-brace", (_, j) => writeFileSync(j, "{"));
  V.jArray = variant("j-array", (_, j) => writeFileSync(j, "[]"));
  V.jNull = variant("j-null", (_, j) => writeFileSync(j, "null"));
  V.jTruncated = variant("j-truncated", (_, j) => halve(j));
  V.jNoArgs = variant("j-no-args", (_, j) => editJson(j, ({ args: _a, ...rest }) => rest));
  V.jNoRng = variant("j-no-rng", (_, j) => editJson(j, ({ rng: _r, ...rest }) => rest));
  V.jItemShapeString = variant("j-itemshape-string", (_, j) =>
    editJson(j, (m) => ({ ...m, extras: { ...(m.extras as object), itemShape: "x" } })),
  );
  V.jItemShapeHuge = variant("j-itemshape-huge", (_, j) =>
    editJson(j, (m) => ({ ...m, extras: { ...(m.extras as object), itemShape: [1, 2000, 2000] } })),
  );
  V.jOptimizerEscape = variant("j-optimizer-escape", (_, j) =>
    editJson(j, (m) => ({ ...m, optimizerFile: "../../x.safetensors" })),
  );
  V.jOptimizerNumber = variant("j-optimizer-number", (_, j) =>
    editJson(j, (m) => ({ ...m, optimizerFile: 5 })),
  );
  V.jModelUnknown = variant("j-model-unknown", (_, j) =>
    editJson(j, (m) => ({ ...m, args: { ...(m.args as object), model: "resnet" } })),
  );
  V.jTbPrefixEscape = variant("j-tbprefix-escape", (_, j) =>
    editJson(j, (m) => ({ ...m, args: { ...(m.args as object), tbPrefix: "../../../escaped" } })),
  );
  // The optimizer state.
  V.oGarbage = variant("o-garbage", (w) =>
    writeFileSync(w.replace(/\.safetensors$/, ".optim.safetensors"), bytes(2048, 7)),
  );

  // Datasets.
  write("csv/empty.csv", "");
  write("csv/header-only.csv", "a,b,label\n");
  write("csv/label-text.csv", "a,label\n1,cat\n");
  write("csv/label-huge.csv", "a,label\n1,0\n2,1e9\n");
  write("csv/label-1e400.csv", "a,label\n1,0\n2,1e400\n");
  write("csv/label-negative.csv", "a,label\n1,0\n2,-1\n");
  write("csv/label-fraction.csv", "a,label\n1,0\n2,1.5\n");
  write("csv/label-2e31.csv", "a,label\n1,0\n2,2147483648\n");
  write("csv/ragged.csv", "a,b,label\n1,2,0\n3,1\n");
  write("csv/feature-text.csv", "a,b,label\n1,x,0\n3,4,1\n");
  write("csv/binary.csv", bytes(3000, 3));
  mkdirSync(join(FIX, "csv", "a-directory"), { recursive: true });
  mkdirSync(join(FIX, "idx-empty"), { recursive: true });
  const idxNames = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
  ];
  for (const n of idxNames) {
    write(`idx-gz-header/${n}.gz`, Uint8Array.of(0x1f, 0x8b, 0x08, 0x00));
    write(`idx-garbage/${n}`, bytes(5000, 5));
    // Declares 60000 images of 28x28 but holds 10.
    write(
      `idx-truncated/${n}`,
      n.includes("images")
        ? cat(u32be(0x803, 60000, 28, 28), bytes(7840))
        : cat(u32be(0x801, 60000), bytes(10)),
    );
    // Declares 2^31 images: the size must be refused before any allocation.
    write(
      `idx-huge/${n}.gz`,
      gzipSync(
        n.includes("images")
          ? cat(u32be(0x803, 2 ** 31 - 1, 28, 28), bytes(64))
          : cat(u32be(0x801, 2 ** 31 - 1), bytes(64)),
      ),
    );
  }
  for (const k of [1, 2, 3, 4, 5]) write(`cifar-garbage/data_batch_${k}.bin`, bytes(1000, k));
  write("cifar-garbage/test_batch.bin", bytes(1000, 9));
  write("cifar-garbage/batches.meta.txt", "a\nb\n");
  write("not-a-dir", "x");

  // Images.
  write("img/garbage.png", bytes(500, 11));
  write("img/truncated.png", readFileSync(png).subarray(0, 40));
  write("img/empty.png", "");
  write("img/t.idx.gz", Uint8Array.of(0x1f, 0x8b, 0x08, 0x00));
  write("img/garbage.idx", bytes(100, 13));
  write("img/truncated.idx", cat(u32be(0x803, 5, 28, 28), bytes(100)));
  write("img/labels.idx", cat(u32be(0x801, 3), bytes(3)));
  // A 2x2 PNG whose header claims 5000x5000 pixels: refused before anything is inflated.
  const big = PNG.sync.write(new PNG({ width: 2, height: 2 }));
  new DataView(big.buffer, big.byteOffset).setUint32(16, 5000);
  new DataView(big.buffer, big.byteOffset).setUint32(20, 5000);
  write("img/big.png", big);
  mkdirSync(join(FIX, "img", "dir.png"), { recursive: true });

  // Run directories.
  const runVariant = (name: string, mutate: (dir: string) => void): string => {
    const dir = join(FIX, "runs", name);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(goodRun)) {
      if (statSync(join(goodRun, f)).isFile()) copyFileSync(join(goodRun, f), join(dir, f));
    }
    mutate(dir);
    return dir;
  };
  V.runBrace = runVariant("run-json-brace", (d) => writeFileSync(join(d, "run.json"), "{"));
  V.runTitle = runVariant("run-json-title", (d) =>
    writeFileSync(join(d, "run.json"), '{"title":5}'),
  );
  V.runArray = runVariant("run-json-array", (d) => writeFileSync(join(d, "run.json"), "[1,2]"));
  V.metricsGarbage = runVariant("metrics-garbage", (d) =>
    writeFileSync(join(d, "metrics.jsonl"), bytes(400, 17)),
  );
  V.metricsTitle = runVariant("metrics-title", (d) =>
    writeFileSync(join(d, "metrics.jsonl"), '{"title":5}\n'),
  );
  V.metricsWrongTypes = runVariant("metrics-wrong-types", (d) =>
    writeFileSync(
      join(d, "metrics.jsonl"),
      '{"epoch":"x","mode":5,"metrics":[],"confusion":"y"}\n',
    ),
  );
  V.metricsTruncated = runVariant("metrics-truncated", (d) => halve(join(d, "metrics.jsonl")));
  V.runNoMetrics = runVariant("no-metrics", (d) => rmSync(join(d, "metrics.jsonl")));
  V.reportIsDir = runVariant("report-is-dir", (d) => {
    rmSync(join(d, "report.html"), { force: true });
    mkdirSync(join(d, "report.html"));
  });
});

let tmpBefore = new Map<string, string>();
let fixturesBefore = new Map<string, string>();
after(() => tmp.cleanup());

// ---- the cases --------------------------------------------------------------------------

/**
 * [name, argv given the case's --out path, what the stderr line must mention]. `train` cases get
 * `--out <case>/out` unless they give --out themselves.
 */
type Case = [string, (out: string) => string[], RegExp];
const f = (rel: string) => join(FIX, rel);
const T = ["--limit", "64", "--val-limit", "32", "--epochs", "1"];

const cases: Case[] = [
  // Global.
  ["no command", () => [], /missing command/],
  ["unknown command", () => ["fly"], /unknown command 'fly'/],
  ["unknown global option", () => ["--bogus"], /unknown option '--bogus'/],
  // train: flags and values (refused before any data is read).
  ["train: unknown option", () => ["train", "--bogus"], /--bogus/],
  ["train: --lr abc", () => ["train", "--lr", "abc"], /--lr.*'abc'/],
  ["train: --lr 0", () => ["train", "--lr", "0"], /--lr.*'0'/],
  ["train: --lr -1", () => ["train", "--lr", "-1"], /--lr.*'-1'/],
  ["train: --lr Infinity", () => ["train", "--lr", "Infinity"], /--lr.*'Infinity'/],
  ["train: --lr NaN", () => ["train", "--lr", "NaN"], /--lr.*'NaN'/],
  ["train: --lr missing value", () => ["train", "--lr"], /--lr/],
  ["train: --epochs 0", () => ["train", "--epochs", "0"], /--epochs.*'0'/],
  ["train: --epochs 1.5", () => ["train", "--epochs", "1.5"], /--epochs.*'1\.5'/],
  ["train: --epochs -3", () => ["train", "--epochs", "-3"], /--epochs.*'-3'/],
  ["train: --epochs 1e400", () => ["train", "--epochs", "1e400"], /--epochs.*'1e400'/],
  ["train: --epochs empty", () => ["train", "--epochs", ""], /--epochs/],
  ["train: --batch-size 0", () => ["train", "--batch-size", "0"], /--batch-size.*'0'/],
  ["train: --batch-size 0x10", () => ["train", "--batch-size", "1.5e"], /--batch-size/],
  ["train: --momentum 2", () => ["train", "--momentum", "2"], /--momentum.*'2'/],
  ["train: --momentum -0.1", () => ["train", "--momentum", "-0.1"], /--momentum.*'-0\.1'/],
  ["train: --weight-decay -1", () => ["train", "--weight-decay", "-1"], /--weight-decay/],
  ["train: --model resnet", () => ["train", "--model", "resnet"], /--model.*'resnet'/],
  ["train: --optimizer lbfgs", () => ["train", "--optimizer", "lbfgs"], /--optimizer.*'lbfgs'/],
  ["train: --scheduler exp", () => ["train", "--scheduler", "exp"], /--scheduler.*'exp'/],
  ["train: --scheduler-step hour", () => ["train", "--scheduler-step", "hour"], /--scheduler-step/],
  ["train: --seed -1", () => ["train", "--seed", "-1"], /--seed.*'-1'/],
  ["train: --num-workers -1", () => ["train", "--num-workers", "-1"], /--num-workers/],
  ["train: --val-cadence 0", () => ["train", "--val-cadence", "0"], /--val-cadence/],
  ["train: --patience -1", () => ["train", "--patience", "-1"], /--patience/],
  ["train: --clip-grad-norm -1", () => ["train", "--clip-grad-norm", "-1"], /--clip-grad-norm/],
  ["train: --score-by auc", () => ["train", "--score-by", "auc"], /--score-by.*'auc'/],
  ["train: --limit -1", () => ["train", "--limit", "-1"], /--limit.*'-1'/],
  ["train: --val-limit x", () => ["train", "--val-limit", "x"], /--val-limit.*'x'/],
  ["train: --keep-last 0", () => ["train", "--keep-last", "0"], /--keep-last.*'0'/],
  ["train: --keep-last 1.5", () => ["train", "--keep-last", "1.5"], /--keep-last.*'1\.5'/],
  ["train: --backend gpu", () => ["train", "--backend", "gpu"], /--backend.*'gpu'/],
  ["train: --binary -1", () => ["train", "--binary", "-1"], /--binary.*'-1'/],
  ["train: --binary 12", () => ["train", "--binary", "12", ...T], /--binary.*12/],
  ["train: --balanced without --binary", () => ["train", "--balanced", ...T], /--balanced/],
  ["train: comment with a slash", () => ["train", "a/b"], /comment 'a\/b'/],
  ["train: comment too long", () => ["train", "x".repeat(300)], /comment/],
  ["train: two comments", () => ["train", "a", "b"], /too many arguments|unexpected|'b'/],
  [
    "train: --tb-prefix ../../../x",
    () => ["train", "--tb-prefix", "../../../x", ...T],
    /--tb-prefix/,
  ],
  [
    "train: --tb-prefix a/../../x",
    () => ["train", "--tb-prefix", "a/../../x", ...T],
    /--tb-prefix/,
  ],
  [
    "train: --tb-prefix absolute",
    () => ["train", "--tb-prefix", "/tmp/kiln-escape", ...T],
    /--tb-prefix/,
  ],
  ["train: --tb-prefix empty", () => ["train", "--tb-prefix", "", ...T], /--tb-prefix/],
  // train: datasets.
  ["train: unknown dataset", () => ["train", "--dataset", "imagenet"], /imagenet/],
  [
    "train: csv: missing file",
    () => ["train", "--dataset", `csv:${f("csv/missing.csv")}`],
    /missing\.csv/,
  ],
  [
    "train: csv: a directory",
    () => ["train", "--dataset", `csv:${f("csv/a-directory")}`],
    /a-directory/,
  ],
  ["train: csv: empty path", () => ["train", "--dataset", "csv:"], /csv/],
  [
    "train: csv: empty file",
    () => ["train", "--dataset", `csv:${f("csv/empty.csv")}`],
    /empty\.csv/,
  ],
  [
    "train: csv: header only",
    () => ["train", "--dataset", `csv:${f("csv/header-only.csv")}`],
    /header-only\.csv/,
  ],
  [
    "train: csv: one row of word labels (nothing left to train on after the split)",
    () => ["train", "--dataset", `csv:${f("csv/label-text.csv")}`],
    /label-text\.csv: 1 data row; training needs at least 2/,
  ],
  [
    "train: csv: label 1e9",
    () => ["train", "--dataset", `csv:${f("csv/label-huge.csv")}`],
    /label-huge\.csv/,
  ],
  [
    "train: csv: label 1e400",
    () => ["train", "--dataset", `csv:${f("csv/label-1e400.csv")}`],
    /label-1e400\.csv/,
  ],
  [
    "train: csv: label -1",
    () => ["train", "--dataset", `csv:${f("csv/label-negative.csv")}`],
    /label-negative\.csv/,
  ],
  [
    "train: csv: label 1.5",
    () => ["train", "--dataset", `csv:${f("csv/label-fraction.csv")}`],
    /label-fraction\.csv/,
  ],
  [
    "train: csv: label 2^31",
    () => ["train", "--dataset", `csv:${f("csv/label-2e31.csv")}`],
    /label-2e31\.csv/,
  ],
  [
    "train: csv: ragged rows",
    () => ["train", "--dataset", `csv:${f("csv/ragged.csv")}`],
    /ragged\.csv/,
  ],
  [
    "train: csv: text feature",
    () => ["train", "--dataset", `csv:${f("csv/feature-text.csv")}`],
    /feature-text\.csv/,
  ],
  [
    "train: csv: binary bytes",
    () => ["train", "--dataset", `csv:${f("csv/binary.csv")}`],
    /binary\.csv/,
  ],
  [
    "train: fashion-mnist: missing dir",
    () => ["train", "--dataset", `fashion-mnist:${f("nope")}`],
    /nope/,
  ],
  [
    "train: fashion-mnist: empty dir",
    () => ["train", "--dataset", `fashion-mnist:${f("idx-empty")}`],
    /idx-empty/,
  ],
  [
    "train: fashion-mnist: a file",
    () => ["train", "--dataset", `fashion-mnist:${f("not-a-dir")}`],
    /not-a-dir/,
  ],
  [
    "train: fashion-mnist: 4-byte gzip",
    () => ["train", "--dataset", `fashion-mnist:${f("idx-gz-header")}`],
    /idx-gz-header/,
  ],
  [
    "train: kmnist: garbage IDX",
    () => ["train", "--dataset", `kmnist:${f("idx-garbage")}`],
    /idx-garbage/,
  ],
  [
    "train: kmnist: truncated IDX",
    () => ["train", "--dataset", `kmnist:${f("idx-truncated")}`],
    /idx-truncated/,
  ],
  [
    "train: fashion-mnist: IDX declaring 2^31 images",
    () => ["train", "--dataset", `fashion-mnist:${f("idx-huge")}`],
    /idx-huge/,
  ],
  ["train: cifar10: missing dir", () => ["train", "--dataset", `cifar10:${f("nope")}`], /nope/],
  [
    "train: cifar10: garbage batches",
    () => ["train", "--dataset", `cifar10:${f("cifar-garbage")}`],
    /cifar-garbage|data_batch/,
  ],
  [
    "train: cnn on tabular data",
    () => ["train", "--model", "cnn", "--dataset", `csv:${f("csv/label-negative.csv")}`],
    /cnn|label-negative/,
  ],
  // train: outputs.
  ["train: --out a regular file", () => ["train", "--out", f("not-a-dir")], /not-a-dir/],
  [
    "train: --out under a regular file",
    () => ["train", "--out", join(f("not-a-dir"), "sub")],
    /not-a-dir/,
  ],
  ["train: --out under /proc", () => ["train", "--out", "/proc/kiln-matrix-out", ...T], /\/proc/],
  ["train: --out under /sys", () => ["train", "--out", "/sys/kiln-matrix-out", ...T], /\/sys/],
  ["train: --out /dev/null", () => ["train", "--out", "/dev/null", ...T], /\/dev\/null/],
  // train --resume.
  [
    "train --resume: missing",
    () => ["train", "--resume", f("nope.safetensors")],
    /nope\.safetensors/,
  ],
  ["train --resume: a directory", () => ["train", "--resume", f("idx-empty")], /idx-empty/],
  [
    "train --resume: garbage weights",
    (o) => ["train", "--resume", V.wGarbage!, "--out", o],
    /w-garbage/,
  ],
  ["train --resume: empty weights", (o) => ["train", "--resume", V.wEmpty!, "--out", o], /w-empty/],
  [
    "train --resume: truncated weights",
    (o) => ["train", "--resume", V.wTruncated!, "--out", o],
    /w-truncated/,
  ],
  [
    "train --resume: huge header length",
    (o) => ["train", "--resume", V.wHugeHeader!, "--out", o],
    /w-huge-header/,
  ],
  [
    "train --resume: weights a directory",
    (o) => ["train", "--resume", V.wDir!, "--out", o],
    /w-dir/,
  ],
  [
    "train --resume: sidecar missing",
    (o) => ["train", "--resume", V.jMissing!, "--out", o],
    /j-missing/,
  ],
  ["train --resume: sidecar '{'", (o) => ["train", "--resume", V.jBrace!, "--out", o], /j-brace/],
  ["train --resume: sidecar empty", (o) => ["train", "--resume", V.jEmpty!, "--out", o], /j-empty/],
  ["train --resume: sidecar []", (o) => ["train", "--resume", V.jArray!, "--out", o], /j-array/],
  ["train --resume: sidecar null", (o) => ["train", "--resume", V.jNull!, "--out", o], /j-null/],
  [
    "train --resume: sidecar truncated",
    (o) => ["train", "--resume", V.jTruncated!, "--out", o],
    /j-truncated/,
  ],
  [
    "train --resume: sidecar without args",
    (o) => ["train", "--resume", V.jNoArgs!, "--out", o, ...T],
    /j-no-args/,
  ],
  [
    "train --resume: sidecar without rng",
    (o) => ["train", "--resume", V.jNoRng!, "--out", o, ...T],
    /j-no-rng/,
  ],
  [
    "train --resume: optimizerFile escapes",
    (o) => ["train", "--resume", V.jOptimizerEscape!, "--out", o, ...T],
    /j-optimizer-escape|optimizerFile/,
  ],
  [
    "train --resume: optimizerFile a number",
    (o) => ["train", "--resume", V.jOptimizerNumber!, "--out", o, ...T],
    /j-optimizer-number|optimizerFile/,
  ],
  [
    "train --resume: garbage optimizer state",
    (o) => ["train", "--resume", V.oGarbage!, "--out", o, ...T],
    /o-garbage/,
  ],
  [
    "train --resume: saved tbPrefix escapes",
    (o) => ["train", "--resume", V.jTbPrefixEscape!, "--out", o, ...T],
    /tb-prefix|tbPrefix|j-tbprefix-escape/,
  ],
  [
    "train --resume: mlp as cnn",
    (o) => ["train", "--resume", weights, "--model", "cnn", "--out", o],
    /NeuralNet|ConvNet/,
  ],
  // eval.
  ["eval: no checkpoint", () => ["eval"], /checkpoint/],
  ["eval: missing checkpoint", () => ["eval", f("nope.safetensors")], /nope\.safetensors/],
  ["eval: a directory", () => ["eval", f("idx-empty")], /idx-empty/],
  ["eval: garbage weights", () => ["eval", V.wGarbage!], /w-garbage/],
  ["eval: empty weights", () => ["eval", V.wEmpty!], /w-empty/],
  ["eval: truncated weights", () => ["eval", V.wTruncated!], /w-truncated/],
  ["eval: huge header length", () => ["eval", V.wHugeHeader!], /w-huge-header/],
  ["eval: sidecar missing", () => ["eval", V.jMissing!], /j-missing/],
  ["eval: sidecar '{'", () => ["eval", V.jBrace!], /j-brace/],
  ["eval: sidecar null", () => ["eval", V.jNull!], /j-null/],
  ["eval: sidecar truncated", () => ["eval", V.jTruncated!], /j-truncated/],
  ["eval: sidecar without args", () => ["eval", V.jNoArgs!], /j-no-args/],
  ["eval: itemShape a string", () => ["eval", V.jItemShapeString!], /j-itemshape-string|itemShape/],
  ["eval: unknown model in sidecar", () => ["eval", V.jModelUnknown!], /j-model-unknown|resnet/],
  ["eval: --batch-size 0", () => ["eval", weights, "--batch-size", "0"], /'0'/],
  ["eval: --batch-size x", () => ["eval", weights, "--batch-size", "x"], /'x'/],
  // info.
  ["info: missing checkpoint", () => ["info", f("nope.safetensors")], /nope\.safetensors/],
  ["info: a directory", () => ["info", f("idx-empty")], /idx-empty/],
  ["info: garbage weights", () => ["info", V.wGarbage!], /w-garbage/],
  ["info: empty weights", () => ["info", V.wEmpty!], /w-empty/],
  ["info: truncated weights", () => ["info", V.wTruncated!], /w-truncated/],
  ["info: weights a directory", () => ["info", V.wDir!], /w-dir/],
  ["info: sidecar missing", () => ["info", V.jMissing!], /j-missing/],
  ["info: sidecar '{'", () => ["info", V.jBrace!], /j-brace/],
  ["info: sidecar []", () => ["info", V.jArray!], /j-array/],
  ["info: sidecar empty", () => ["info", V.jEmpty!], /j-empty/],
  ["info: itemShape a string", () => ["info", V.jItemShapeString!], /j-itemshape-string|itemShape/],
  [
    "info: itemShape [1, 2000, 2000]",
    () => ["info", V.jItemShapeHuge!],
    /j-itemshape-huge|itemShape|2000/,
  ],
  ["info: unknown option", () => ["info", weights, "--bogus"], /--bogus/],
  // predict.
  [
    "predict: missing checkpoint",
    () => ["predict", f("nope.safetensors"), png],
    /nope\.safetensors/,
  ],
  ["predict: garbage weights", () => ["predict", V.wGarbage!, png], /w-garbage/],
  ["predict: sidecar '{'", () => ["predict", V.jBrace!, png], /j-brace/],
  ["predict: missing input", () => ["predict", weights, f("nope.png")], /nope\.png/],
  ["predict: input a directory", () => ["predict", weights, f("img/dir.png")], /dir\.png/],
  ["predict: garbage PNG", () => ["predict", weights, f("img/garbage.png")], /garbage\.png/],
  ["predict: truncated PNG", () => ["predict", weights, f("img/truncated.png")], /truncated\.png/],
  ["predict: empty PNG", () => ["predict", weights, f("img/empty.png")], /empty\.png/],
  [
    "predict: PNG larger than predict reads",
    () => ["predict", weights, f("img/big.png")],
    /big\.png' is 5000x5000 pixels, more than/,
  ],
  ["predict: 4-byte gzip IDX", () => ["predict", weights, f("img/t.idx.gz")], /t\.idx\.gz/],
  ["predict: garbage IDX", () => ["predict", weights, f("img/garbage.idx")], /garbage\.idx/],
  ["predict: truncated IDX", () => ["predict", weights, f("img/truncated.idx")], /truncated\.idx/],
  ["predict: a labels IDX", () => ["predict", weights, f("img/labels.idx")], /labels\.idx/],
  ["predict: a CSV", () => ["predict", weights, f("csv/ragged.csv")], /ragged\.csv/],
  ["predict: --count 0", () => ["predict", weights, png, "--count", "0"], /'0'/],
  ["predict: one argument", () => ["predict", weights], /input/],
  // export.
  [
    "export: missing checkpoint",
    (o) => ["export", f("nope.safetensors"), join(o, "m.onnx")],
    /nope\.safetensors/,
  ],
  ["export: garbage weights", (o) => ["export", V.wGarbage!, join(o, "m.onnx")], /w-garbage/],
  ["export: truncated weights", (o) => ["export", V.wTruncated!, join(o, "m.onnx")], /w-truncated/],
  ["export: sidecar '{'", (o) => ["export", V.jBrace!, join(o, "m.onnx")], /j-brace/],
  ["export: sidecar missing", (o) => ["export", V.jMissing!, join(o, "m.onnx")], /j-missing/],
  ["export: to an existing directory", () => ["export", weights, f("idx-empty")], /idx-empty/],
  [
    "export: under a regular file",
    () => ["export", weights, join(f("not-a-dir"), "m.onnx")],
    /not-a-dir/,
  ],
  ["export: under /proc", () => ["export", weights, "/proc/kiln-matrix/m.onnx"], /\/proc/],
  ["export: under /sys", () => ["export", weights, "/sys/kiln-matrix.onnx"], /\/sys/],
  [
    "export: --opset 12",
    (o) => ["export", weights, join(o, "m.onnx"), "--opset", "12"],
    /--opset.*'12'/,
  ],
  [
    "export: --opset 18",
    (o) => ["export", weights, join(o, "m.onnx"), "--opset", "18"],
    /--opset.*'18'/,
  ],
  [
    "export: --opset x",
    (o) => ["export", weights, join(o, "m.onnx"), "--opset", "x"],
    /--opset.*'x'/,
  ],
  ["export: no output", () => ["export", weights], /out/],
  // report.
  ["report: missing dir", () => ["report", f("nope")], /nope/],
  ["report: a file", () => ["report", f("not-a-dir")], /not-a-dir/],
  ["report: no metrics.jsonl", () => ["report", V.runNoMetrics!], /no-metrics/],
  ["report: run.json '{'", () => ["report", V.runBrace!], /run-json-brace|run\.json/],
  [
    "report: run.json title a number",
    () => ["report", V.runTitle!],
    /run-json-title|run\.json|title/,
  ],
  ["report: run.json an array", () => ["report", V.runArray!], /run-json-array|run\.json/],
  [
    "report: garbage metrics.jsonl",
    () => ["report", V.metricsGarbage!],
    /metrics-garbage|metrics\.jsonl/,
  ],
  [
    "report: metrics.jsonl {title: 5}",
    () => ["report", V.metricsTitle!],
    /metrics-title|metrics\.jsonl/,
  ],
  [
    "report: metrics.jsonl wrong types",
    () => ["report", V.metricsWrongTypes!],
    /metrics-wrong-types|metrics\.jsonl/,
  ],
  [
    "report: report.html a directory",
    () => ["report", V.reportIsDir!],
    /report-is-dir|report\.html/,
  ],
];

describe(`${cases.length} bad inputs: exit 1 or 2, one line on stderr, nothing outside --out`, {
  concurrency: 4,
}, () => {
  before(() => {
    tmpBefore = new Map([...snapshot(tmp.dir)].filter(([k]) => !k.startsWith("cases/")));
    fixturesBefore = snapshot(FIX);
  });
  cases.forEach(([name, argv, mention], i) => {
    test(name, async () => {
      const caseDir = join(tmp.dir, "cases", String(i));
      mkdirSync(caseDir, { recursive: true });
      const out = join(caseDir, "out");
      const args = argv(out);
      const full = args[0] === "train" && !args.includes("--out") ? [...args, "--out", out] : args;
      const r = await run(caseDir, full);
      const detail = `kiln ${full.join(" ")}\nexit ${r.code} ${r.signal ?? ""} in ${Math.round(r.ms)} ms\nstderr: ${r.stderr.slice(0, 3000)}\nstdout: ${r.stdout.slice(-1000)}`;
      assert.ok(r.code === 1 || r.code === 2, detail);
      const lines = r.stderr
        .split("\n")
        .filter((l) => l.trim() !== "" && !/^kiln: native backend unavailable/.test(l));
      assert.equal(lines.length, 1, detail);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace: ${detail}`);
      assert.ok(lines[0]!.length < 2000, detail);
      assert.match(lines[0]!, /^kiln( \w+)?: error: /, detail);
      assert.match(lines[0]!, mention, detail);
      const left = readdirSync(caseDir).filter((n) => n !== "out");
      assert.deepEqual(left, [], `written outside --out: ${left.join(", ")}`);
    });
  });
});

test("nothing new outside the cases' directories, and the fixtures unchanged", () => {
  const now = new Map([...snapshot(tmp.dir)].filter(([k]) => !k.startsWith("cases/")));
  assert.deepEqual(changes(fixturesBefore, snapshot(FIX)), []);
  assert.deepEqual(changes(tmpBefore, now), []);
  assert.equal(existsSync("/tmp/kiln-escape"), false);
});

test("--debug adds the stack trace; without it an internal error says it is a bug", async () => {
  const r = await run(tmp.dir, ["--debug", "report", V.runTitle!]);
  assert.ok(r.code === 1 || r.code === 2, r.stderr);
  const last = r.stderr.trim().split("\n").at(-1)!;
  assert.match(last, /^kiln report: error: /);
  if (r.code === 1) assert.match(r.stderr, /\n\s+at /);
  const e = await run(tmp.dir, ["eval", f("nope.safetensors"), "--debug"]);
  assert.equal(e.code, 2, e.stderr);
  assert.match(e.stderr, /\n\s+at /, "--debug after the command prints the trace too");
});

// ---- SIGINT at any moment ---------------------------------------------------------------

/** Starts `kiln train`, sends SIGINT once `when(stdout)` holds, and returns the result. */
async function interrupt(
  args: string[],
  when: (stdout: string) => boolean,
): Promise<Result & { sent: boolean }> {
  const child = spawn(process.execPath, [...CLI, "train", ...args], {
    cwd: tmp.dir,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const t0 = performance.now();
  let stdout = "";
  let stderr = "";
  let sent = false;
  const check = (): void => {
    if (!sent && when(stdout)) {
      sent = true;
      child.kill("SIGINT");
    }
  };
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
    check();
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const poll = setInterval(check, 5);
  const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, sent });
    });
  });
}

/** Every file under `dir` (relative paths). */
function files(dir: string): string[] {
  return [...snapshot(dir).keys()].filter((k) => !k.endsWith("/"));
}

/** The message lines about the interruption, on stdout or stderr. */
function interruptLines(r: Result): string[] {
  return `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /interrupted/i.test(l));
}

/** A consistent output directory: no temporary files, and `kiln info` reads the checkpoint. */
async function assertConsistent(out: string, checkpoint: string | null): Promise<void> {
  const all = files(out);
  assert.deepEqual(
    all.filter((p) => /\.tmp$/.test(p)),
    [],
    "temporary files left",
  );
  if (checkpoint !== null) {
    const info = await kiln("info", checkpoint);
    assert.equal(info.code, 0, `kiln info ${checkpoint}: ${info.stderr}`);
  }
}

describe("SIGINT at any moment: exit 130, one line saying what happened, a consistent --out", {
  concurrency: 2,
}, () => {
  test("while the library and the data load: nothing saved", async () => {
    // NOTE: a SIGINT in the first few hundred milliseconds, before Node has loaded the entry
    // point (tsx's start-up), still kills the process; so the delay grows until a run survives
    // it, and that earliest handled interrupt must say that nothing was saved.
    for (let delay = 200; ; delay = Math.round(delay * 1.5)) {
      const out = join(tmp.dir, `sigint-loading-${delay}`);
      let t0 = 0;
      const r = await interrupt(["--out", out, "--epochs", "1"], () => {
        t0 ||= performance.now();
        return performance.now() - t0 >= delay;
      });
      if (r.signal === "SIGINT" && delay < 20_000) continue;
      assert.equal(r.code, 130, `${r.code} ${r.signal}\n${r.stdout}\n${r.stderr}`);
      const lines = interruptLines(r);
      assert.equal(lines.length, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(lines[0]!, /nothing was saved/, `after ${delay} ms`);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.doesNotMatch(r.stdout, /Run directory/);
      assert.deepEqual(
        files(out).filter((p) => /models\//.test(p)),
        [],
      );
      break;
    }
  });

  test("mid-epoch: the batch finishes and a checkpoint is written", async () => {
    const out = join(tmp.dir, "sigint-epoch");
    const args = ["--limit", "16000", "--val-limit", "64", "--batch-size", "16", "--epochs", "2"];
    const r = await interrupt([...args, "--out", out], (s) =>
      /^E1 Training ----\/1000, starting$/m.test(s),
    );
    assert.ok(r.sent, r.stdout);
    assert.equal(r.code, 130, `${r.code} ${r.signal}\n${r.stderr}`);
    const lines = interruptLines(r);
    assert.equal(lines.length, 1, r.stdout);
    const m = /^Interrupted .*: checkpoint written to (\S+)$/.exec(lines[0]!);
    assert.ok(m, lines[0]);
    await assertConsistent(out, m[1]!);
  });

  test("during validation: the validation finishes, the epoch's checkpoint is written", async () => {
    const out = join(tmp.dir, "sigint-validation");
    const args = ["--limit", "640", "--val-limit", "10000", "--batch-size", "16", "--epochs", "2"];
    const r = await interrupt([...args, "--out", out], (s) => /^E1 Validation +----\//m.test(s));
    assert.ok(r.sent, r.stdout);
    assert.equal(r.code, 130, `${r.code} ${r.signal}\n${r.stderr}`);
    assert.match(r.stdout, /^E1 val /m, "the validation finished");
    const lines = interruptLines(r);
    assert.equal(lines.length, 1, r.stdout);
    const m = /^Interrupted after epoch 1: checkpoint written to (\S+)$/.exec(lines[0]!);
    assert.ok(m, lines[0]);
    await assertConsistent(out, m[1]!);
  });

  test("during the last validation: the run completes and says so", async () => {
    const out = join(tmp.dir, "sigint-last");
    const args = ["--limit", "640", "--val-limit", "10000", "--batch-size", "16", "--epochs", "1"];
    const r = await interrupt([...args, "--out", out], (s) => /^E1 Validation +----\//m.test(s));
    assert.ok(r.sent, r.stdout);
    assert.equal(r.code, 130, `${r.code} ${r.signal}\n${r.stderr}`);
    const lines = interruptLines(r);
    assert.equal(lines.length, 1, r.stdout);
    const m =
      /^Interrupted at the end of the run, which completed; checkpoint written to (\S+)$/.exec(
        lines[0]!,
      );
    assert.ok(m, lines[0]);
    await assertConsistent(out, m[1]!);
  });
});
