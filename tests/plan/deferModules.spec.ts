import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

/** Runs a script in a fresh Node process with the tools' preload, as `npm start` does. */
function run(script: string, preload = true) {
    const res = spawnSync(
        process.execPath,
        [...(preload ? ["-r", path.join(ROOT, "tools/register.js")] : []), "-e", script],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    expect(res.status, res.stderr).to.equal(0);
    return JSON.parse(res.stdout);
}

const probe = `
const loaded = () => ({
    typescript: Object.keys(require.cache).some((k) => k.endsWith("/typescript/lib/typescript.js")),
    arborist: Object.keys(require.cache).some((k) => k.includes("/@npmcli/arborist/")),
    automation: Object.keys(require.cache).some((k) => k.includes("/@pulumi/pulumi/automation/")),
    normalize: Object.keys(require.cache).some((k) => k.includes("/normalize-package-data/")),
});
const pulumi = require("@pulumi/pulumi");
const before = loaded();
pulumi.runtime
    .serializeFunction(function handler() { return 42; })
    .then(async (f) => {
        const paths = await pulumi.runtime.computeCodePaths();
        const workspace = typeof pulumi.automation.LocalWorkspace.create;
        console.log(JSON.stringify({ before, after: loaded(), text: f.text.includes("42"), paths: paths.size, workspace }));
    });
`;

describe("deferred SDK modules (tools/deferModules.js)", function () {
    this.timeout(60_000);

    it("keeps TypeScript, Arborist, normalize-package-data and the Automation API unloaded until used, and they then work as without", () => {
        const deferred = run(probe);
        const all = { typescript: true, arborist: true, automation: true, normalize: true };
        expect(deferred.before).to.deep.equal({
            typescript: false,
            arborist: false,
            automation: false,
            normalize: false,
        });
        expect(deferred.after).to.deep.equal(all);
        expect(deferred.workspace).to.equal("function");
        const plain = run(probe, false);
        expect(plain.before).to.deep.equal(all);
        expect(deferred.text).to.equal(true);
        expect(deferred.paths).to.equal(plain.paths);
    });
});
