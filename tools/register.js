// Loads TypeScript for the offline plan, the tools and the tests: esbuild
// strips the types of each .ts file as it is required (no type-checking here;
// `npm run build` is the strict tsc check). It is about 1 s faster per run than
// ts-node's TypeScript transpiler, which matters for the plan's speed target.
//
// Source maps are emitted only when node runs with --enable-source-maps (the
// tests do): Pulumi formats a stack trace for every resource it registers, and
// mapping each one back to .ts costs the plan about 0.4 s. For .ts line numbers
// in a plan's stack trace, run it with NODE_OPTIONS=--enable-source-maps.
const fs = require("fs");
const esbuild = require("esbuild");

const sourcemap = process.sourceMapsEnabled ? "inline" : false;

require.extensions[".ts"] = (module, filename) => {
    const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), {
        loader: "ts",
        format: "cjs",
        target: "node20",
        sourcefile: filename,
        sourcemap,
    });
    module._compile(code, filename);
};
