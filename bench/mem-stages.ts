// Where `kiln train`'s memory goes: runs the default job (the seed MLP on bundled MNIST, one
// epoch) through train.ClassifierApp and prints process.memoryUsage() and the peak RSS (VmHWM)
// at each stage: data loaded, model built, DataLoaders made, epoch start and end, validation.
// Run: node --import tsx bench/mem-stages.ts [--epochs n] (tsx itself adds ~70 MB of RSS; the
// bench's memory row runs the CLI bundled). Depends on the public API only.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Tensor, train } from "../src/index.ts";

const mb = (x: number) => (x / 2 ** 20).toFixed(0).padStart(5);

function stage(name: string): void {
  const m = process.memoryUsage();
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0";
  console.log(
    `${name.padEnd(30)} rss ${mb(m.rss)} MiB, peak ${mb(Number(hwm) * 1024)} MiB, JS heap ${mb(m.heapUsed)} MiB, ArrayBuffers ${mb(m.arrayBuffers)} MiB, external ${mb(m.external)} MiB`,
  );
}

type Loader = ReturnType<train.ClassifierApp["initTrainDl"]>;

/** ClassifierApp with a memory line at each stage. */
class Staged extends train.ClassifierApp {
  override initTrainDl(): Loader {
    const dl = super.initTrainDl();
    stage("training DataLoader made");
    return dl;
  }
  override initValDl(): Loader {
    const dl = super.initValDl();
    stage("validation DataLoader made");
    return dl;
  }
  override async doTrainingAsync(epoch: number, dl: Loader): Promise<Tensor> {
    stage(`epoch ${epoch} start`);
    const metrics = await super.doTrainingAsync(epoch, dl);
    stage(`epoch ${epoch} end`);
    return metrics;
  }
  override async doValidationAsync(epoch: number, dl: Loader): Promise<Tensor> {
    const metrics = await super.doValidationAsync(epoch, dl);
    stage(`epoch ${epoch} validated`);
    return metrics;
  }
}

const epochsArg = process.argv.indexOf("--epochs");
const epochs = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 1;
const out = mkdtempSync(join(tmpdir(), "kiln-mem-stages-"));
stage("start (Kiln imported)");
const app = new Staged({ epochs, out, progressBar: false }, () => {});
stage("data loaded");
app.prepare();
stage("model and optimizer built");
await app.main();
stage("end");
rmSync(out, { recursive: true, force: true });
