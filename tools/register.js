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
// The output is cached under node_modules/.cache, keyed by the source text,
// the file name, esbuild's version and the options: a run whose files are all
// cached never starts esbuild's service process (about 0.15 s of `npm start`).
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const sourcemap = process.sourceMapsEnabled ? "inline" : false;
const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "ecr-private-access-ts");
const ESBUILD_VERSION = require("esbuild/package.json").version;

let esbuild;
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

function cached(source, filename) {
    const key = crypto
        .createHash("sha256")
        .update(`${ESBUILD_VERSION}\0${sourcemap}\0${filename}\0${source}`)
        .digest("hex");
    const file = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        // Not cached yet.
    }
    const code = transform(source, filename);
    try {
        // Written whole, then renamed: a concurrent run reads all of it or nothing.
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, file);
    } catch {
        // A read-only tree still runs, uncached.
    }
    return code;
}

require.extensions[".ts"] = (module, filename) => {
    module._compile(cached(fs.readFileSync(filename, "utf8"), filename), filename);
};
