// Loads TypeScript for the offline plan, the tools and the tests: esbuild
// strips the types of each .ts file as it is required (no type-checking here;
// `npm run build` is the strict tsc check). It is about 1 s faster per run than
// ts-node's TypeScript transpiler, which matters for the plan's speed target.
//
// Source maps are emitted only when node runs with --enable-source-maps (the
// tests do): Pulumi formats a stack trace for every resource it registers, and
// mapping each one back to .ts costs the plan about 0.4 s. For .ts line numbers
// in a plan's stack trace, run it with NODE_OPTIONS=--enable-source-maps.
//
// It also defers two modules the SDK loads and the plan never uses (tools/deferModules.js).
//
// Each transform is cached on disk by the hash of its input (node_modules/.cache/register-ts):
// a run then starts no esbuild service at all, which saves 0.1-0.2 s of every plan and of the
// policy pack's process.
require("./deferModules");

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const sourcemap = process.sourceMapsEnabled ? "inline" : false;
const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "register-ts");
let esbuild;
let salt;

function transform(source, filename) {
    esbuild ??= require("esbuild");
    return esbuild.transformSync(source, {
        loader: "ts",
        format: "cjs",
        target: "node20",
        sourcefile: filename,
        sourcemap,
    }).code;
}

require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    salt ??= `${require("esbuild/package.json").version} ${sourcemap} node20 cjs\n`;
    const key = crypto.createHash("sha1").update(salt).update(filename).update(source);
    const cached = path.join(cacheDir, `${key.digest("hex")}.js`);
    let code;
    try {
        code = fs.readFileSync(cached, "utf8");
    } catch {
        code = transform(source, filename);
        try {
            fs.mkdirSync(cacheDir, { recursive: true });
            const tmp = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, code);
            fs.renameSync(tmp, cached);
        } catch {
            // A read-only tree still works, uncached.
        }
    }
    module._compile(code, filename);
};
