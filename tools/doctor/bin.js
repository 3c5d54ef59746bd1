#!/usr/bin/env node
// `ecr-doctor`: the connectivity doctor as a command (see README). Runs the
// TypeScript sources through the project's loader (esbuild, which `npm ci` installs).
require("../register");
require("./cli")
    .main(process.argv.slice(2))
    .then((code) => {
        process.exitCode = code;
    });
