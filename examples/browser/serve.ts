// npm run demo: serves the repository (the demo page, dist/browser/ and the MNIST IDX files under
// /mnist/) with the cross-origin isolation headers, so the training worker gets wasm threads, and
// prints the demo's URL. PORT picks the port (default 8080). Run `npm run build:browser` first
// (npm run demo does).

import { serveDirectory } from "../../test/browser/server.ts";

const port = Number.parseInt(process.env.PORT ?? "8080", 10);
const served = await serveDirectory({
  isolated: true,
  port,
  host: process.env.HOST ?? "127.0.0.1",
});
console.log(`Kiln browser demo: ${served.url}/examples/browser/  (Ctrl-C stops)`);
