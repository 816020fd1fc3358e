#!/usr/bin/env node
// `crm-sync <command> [args...]`: runs one of the package's operational scripts (dist/scripts/<command>.js) in the
// caller's directory. A thin dispatcher: each script parses its own arguments; CRM_SYNC_BIN tells it that it was
// started as `crm-sync <command>`, so its usage lines and warnings name the command as a consumer runs it.
"use strict";
const fs = require("fs");
const path = require("path");

const scripts = path.join(__dirname, "..", "dist", "scripts");
const commands = () =>
  (fs.existsSync(scripts) ? fs.readdirSync(scripts) : [])
    .filter((f) => f.endsWith(".js"))
    .map((f) => f.slice(0, -3))
    .sort();

function usage(stream) {
  stream.write(
    `usage: crm-sync <command> [arguments]\n\ncommands:\n${commands()
      .map((c) => `  ${c}`)
      .join("\n")}\n\n` +
      "Run `crm-sync <command> --help` for a command's arguments. Relative paths resolve against the current directory.\n",
  );
}

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h" || command === "help") {
  usage(command ? process.stdout : process.stderr);
  process.exit(command ? 0 : 2);
}
if (!commands().includes(command)) {
  process.stderr.write(
    `crm-sync: unknown command "${command}"${commands().length ? "" : " (the package is not built: dist/scripts is missing)"}\n\n`,
  );
  usage(process.stderr);
  process.exit(2);
}
process.env.CRM_SYNC_BIN = "1";
process.env.CRM_SYNC_COMMAND = command;
// The script sees the argv it would see as `node dist/scripts/<command>.js <args>`.
process.argv = [process.argv[0], path.join(scripts, `${command}.js`), ...rest];
require(path.join(scripts, `${command}.js`));
