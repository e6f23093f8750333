#!/usr/bin/env node
// The `kiln` command line. Imports only from the public entry.

import { Command } from "commander";
import { getBackend } from "../index.ts";

const program = new Command();
program
  .name("kiln")
  .description("Kiln: PyTorch for TypeScript. Train, evaluate and export models.")
  .version("0.1.0");

program
  .command("info")
  .description("print the active backend")
  .action(() => {
    console.log(`backend: ${getBackend()}`);
  });

program.parse();
