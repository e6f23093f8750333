// Exercises the public browser bundle as a page would (test/browser/bundle.html): initWasm on the
// main thread (single-threaded), an op, safetensors to and from bytes, MNIST from IDX bytes, the
// metrics and the HTML report, and the typed error of a Node-only function. Browser tests only.

import * as kiln from "../../dist/browser/kiln.js";

window.checkBundle = async () => {
  const init = await kiln.initWasm();
  const a = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = kiln.tensor([
    [5, 6],
    [7, 8],
  ]);
  const model = new kiln.nn.Linear(4, 3);
  const bytes = kiln.io.serializeSafetensors(model.stateDict());
  const back = kiln.io.loadSafetensors(bytes);
  const roundTrip =
    back.weight.equal(model.weight.detach()) && back.bias.equal(model.bias.detach());
  const get = (f) => kiln.fetchBytes(`/mnist/${f}`);
  const [images, labels] = await Promise.all([
    get("t10k-images-idx3-ubyte"),
    get("train-labels-idx1-ubyte"),
  ]);
  // Labels of the training split with the test split's images would disagree in count: use the
  // test labels for the dataset, and read the training labels' first byte by hand.
  const testLabels = await get("t10k-labels-idx1-ubyte");
  const ds = kiln.data.datasets.MNIST.fromIdx(images, testLabels, { train: false });
  const [img] = ds.get(0);
  const { METRICS_SIZE, METRICS_LABEL_NDX, METRICS_PRED_NDX } = kiln.train;
  const m = kiln.zeros(METRICS_SIZE, 4);
  m.indexPut_([METRICS_LABEL_NDX], kiln.tensor([0, 1, 1, 2]));
  m.indexPut_([METRICS_PRED_NDX], kiln.tensor([0, 1, 2, 2]));
  const metrics = kiln.train.classificationMetrics(m, { numClasses: 3 });
  const html = kiln.io.renderReport({
    title: "t",
    created: "now",
    epochs: [{ epoch: 1, mode: "val", metrics: metrics.metrics }],
    confusion: metrics.confusion,
    perClass: metrics.perClass,
  });
  let nodeOnly = null;
  try {
    kiln.save(model.stateDict(), "model.pt");
  } catch (e) {
    nodeOnly = `${e.name}: ${e.message}`;
  }
  // torch.save's .pt bytes (zip + pickle, inflated through fflate in the browser) and ONNX bytes.
  const pt = kiln.io.serializeTorch(model.stateDict());
  const fromPt = kiln.load(pt);
  const ptRoundTrip = fromPt.weight.equal(model.weight.detach());
  const onnx = kiln.io.exportOnnxBytes(model, kiln.randn(2, 4));
  const graph = kiln.io.decodeModel(onnx).graph;
  const onnxOps = graph.node.map((n) => n.opType);
  let missing = null;
  try {
    await kiln.fetchBytes("/mnist/no-such-file");
  } catch (e) {
    missing = `${e.name}: ${e.message}`;
  }
  return {
    missing,
    backend: kiln.getBackend(),
    threads: kiln.getNumThreads(),
    init,
    matmul: kiln.matmul(a, b).tolist(),
    roundTrip,
    ptRoundTrip,
    onnxOps,
    firstLabel: labels[8],
    imageShape: [...img.shape],
    datasetLength: ds.length,
    reportHasConfusion: /onfusion/.test(html),
    nodeOnly,
  };
};
