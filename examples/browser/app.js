// The demo page's UI (examples/browser/index.html): starts the training worker (worker.js, which
// runs Kiln), shows its live charts and the report, and turns what is drawn on the canvas into an
// MNIST-like 28x28 input (the stroke's box scaled to 20x20, centred by its centre of mass, as the
// MNIST digits were made) for a prediction. Query: ?train=60000&val=10000&epochs=1&threads=0
// (0: as many as the machine has)&autostart=1. State for tests: window.demoState.

const q = new URLSearchParams(location.search);
const num = (k, d) => (q.has(k) ? Number(q.get(k)) : d);
const options = {
  cmd: "train",
  mnist: q.get("mnist") ?? "/mnist/",
  train: num("train", 60000),
  val: num("val", 10000),
  epochs: num("epochs", 1),
  threads: num("threads", 0),
  seed: num("seed", 1),
};
const $ = (id) => document.getElementById(id);
const state = { phase: "idle", result: null, backend: null, error: null, predictions: 0 };
window.demoState = state;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let nextId = 1;
const waiting = new Map();
function ask(message) {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ ...message, id });
  });
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === "backend") {
    state.backend = m;
    $("backend").textContent =
      `backend: ${m.backend}, ${m.threadsUsed} thread(s); crossOriginIsolated: ${m.crossOriginIsolated}` +
      (m.reason ? ` (${m.reason})` : "");
  } else if (m.type === "status") {
    $("status").textContent = m.text;
  } else if (m.type === "progress") {
    $("status").textContent =
      `epoch ${m.epoch}: ${m.seen} / ${m.total} samples, loss ${m.loss.toFixed(4)}`;
    $("bar").firstElementChild.style.width = `${(100 * m.seen) / m.total}%`;
    $("lossChart").innerHTML = m.charts.loss;
    $("accChart").innerHTML = m.charts.acc;
  } else if (m.type === "done") {
    state.result = { ...m, report: undefined };
    state.phase = "done";
    $("status").textContent =
      `done: validation accuracy ${(100 * m.valAccuracy).toFixed(2)}% on ${m.val} test images after ` +
      `${m.train} training images (${m.trainSeconds.toFixed(1)} s training, ${m.backend}, ${m.threads} thread(s))\n` +
      m.metricsLines.slice(0, 2).join("\n");
    $("report").srcdoc = m.report;
    $("sample").disabled = false;
  } else if (m.type === "error") {
    state.phase = "error";
    state.error = m.text;
    $("status").textContent = `error: ${m.text}`;
  } else if (waiting.has(m.id)) {
    waiting.get(m.id)(m);
    waiting.delete(m.id);
  }
};

function start() {
  state.phase = "training";
  $("start").hidden = true;
  worker.postMessage(options);
}
$("start").onclick = start;
if (q.get("autostart") !== "0") start();
else $("start").hidden = false;

// ---- drawing ------------------------------------------------------------------------------
const pad = $("pad");
const ctx = pad.getContext("2d");
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.lineWidth = 22;
ctx.strokeStyle = "#fff";
let drawing = false;
let last = null;

function at(e) {
  const r = pad.getBoundingClientRect();
  return [
    ((e.clientX - r.left) * pad.width) / r.width,
    ((e.clientY - r.top) * pad.height) / r.height,
  ];
}
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  last = at(e);
  pad.setPointerCapture(e.pointerId);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const p = at(e);
  ctx.beginPath();
  ctx.moveTo(last[0], last[1]);
  ctx.lineTo(p[0], p[1]);
  ctx.stroke();
  last = p;
});
const finish = () => {
  if (!drawing) return;
  drawing = false;
  predictDrawing();
};
pad.addEventListener("pointerup", finish);
pad.addEventListener("pointerleave", finish);
$("clear").onclick = () => {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
  $("pred").textContent = "?";
  $("truth").textContent = "";
  $("probs").innerHTML = "";
};
$("clear").onclick();

/** The drawing as MNIST makes digits: box scaled to fit 20x20, centred by mass in 28x28, in [0, 1]. */
function toMnist() {
  const { width: W, height: H } = pad;
  const img = ctx.getImageData(0, 0, W, H).data;
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (img[4 * (y * W + x)] > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = 20 / side;
  const box = document.createElement("canvas");
  box.width = 28;
  box.height = 28;
  const b = box.getContext("2d", { willReadFrequently: true });
  b.imageSmoothingQuality = "high";
  const w = (x1 - x0 + 1) * scale;
  const h = (y1 - y0 + 1) * scale;
  b.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (28 - w) / 2, (28 - h) / 2, w, h);
  let px = b.getImageData(0, 0, 28, 28).data;
  // Shift so the centre of mass is at the centre (14, 14).
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < 784; i++) {
    const v = px[4 * i];
    m += v;
    cx += v * (i % 28);
    cy += v * Math.floor(i / 28);
  }
  const dx = Math.round(13.5 - cx / m);
  const dy = Math.round(13.5 - cy / m);
  b.clearRect(0, 0, 28, 28);
  b.fillStyle = "#000";
  b.fillRect(0, 0, 28, 28);
  b.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (28 - w) / 2 + dx, (28 - h) / 2 + dy, w, h);
  px = b.getImageData(0, 0, 28, 28).data;
  return Array.from({ length: 784 }, (_, i) => px[4 * i] / 255);
}

function show(pixels, probs, truth) {
  const s = $("small").getContext("2d");
  const im = s.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * pixels[i]);
    im.data.set([v, v, v, 255], 4 * i);
  }
  s.putImageData(im, 0, 0);
  if (probs === null) {
    $("pred").textContent = "…";
    return;
  }
  const best = probs.indexOf(Math.max(...probs));
  $("pred").textContent = String(best);
  $("truth").textContent = truth === undefined ? "" : `label: ${truth}`;
  $("probs").innerHTML = probs
    .map(
      (p, d) =>
        `<div>${d}</div><div><div class="b" style="width:${(140 * p).toFixed(1)}px"></div></div><div>${(100 * p).toFixed(1)}%</div>`,
    )
    .join("");
  state.predictions++;
  state.lastPrediction = { digit: best, probs, truth };
}

async function predictDrawing() {
  const pixels = toMnist();
  if (pixels === null) return;
  const m = await ask({ cmd: "predict", pixels });
  show(pixels, m.probs);
}

$("sample").onclick = async () => {
  const m = await ask({ cmd: "sample" });
  // Paint the test digit large on the pad, so drawing over it can be tried too.
  const big = ctx.createImageData(280, 280);
  for (let y = 0; y < 280; y++) {
    for (let x = 0; x < 280; x++) {
      const v = Math.round(255 * m.pixels[Math.floor(y / 10) * 28 + Math.floor(x / 10)]);
      big.data.set([v, v, v, 255], 4 * (y * 280 + x));
    }
  }
  ctx.putImageData(big, 0, 0);
  show(m.pixels, m.probs, m.label);
};
