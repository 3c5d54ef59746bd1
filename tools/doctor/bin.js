#!/usr/bin/env node
// `ecr-doctor`: the connectivity doctor as a command (see README). Runs the
// TypeScript sources through ts-node, which `npm ci` installs.
require("ts-node/register/transpile-only");
require("./cli")
    .main(process.argv.slice(2))
    .then((code) => {
        process.exitCode = code;
    });
