// `kiln eval <checkpoint>`: validation metrics of a checkpoint on its dataset, printed in the
// book's format. Writes nothing. Imports only the public entry.

import { train } from "../index.ts";
import { intAtLeast } from "./args.ts";
import { openCheckpoint } from "./checkpoint.ts";

export function evalCommand(checkpoint: string, flags: { batchSize: string }): void {
  const batchSize = intAtLeast(1)(flags.batchSize);
  const { meta, args, model } = openCheckpoint(checkpoint);
  const app = new train.ClassifierApp({ ...args, batchSize, resume: null, numWorkers: 0 });
  app.model = model;
  const metrics_t = app.doValidation(meta.epoch, app.initValDl());
  const result = train.classificationMetrics(metrics_t, {
    numClasses: app.numClasses,
    classNames: app.classNames(),
  });
  for (const line of train.formatMetricsLines(meta.epoch, "val", result)) console.log(line);
}
