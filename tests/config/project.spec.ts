import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { CONFIG_KEYS, PROJECT } from "../../src/config";

const ROOT = path.resolve(__dirname, "../..");
const projectText = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
const project = YAML.parse(projectText) as {
    name: string;
    config?: Record<string, { default?: unknown; value?: unknown }>;
};
const stackFiles = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

describe("Pulumi.yaml", () => {
    it("names the project as the config namespace", () => {
        expect(project.name).to.equal(PROJECT);
    });

    // The Pulumi CLI (ValidateStackConfigAndApplyProjectConfig) rejects a stack
    // that lacks a declared project key with no default: declaring an optional
    // block there would break `pulumi up` on every stack without it.
    it("declares only keys that every shipped stack sets or that have a default", () => {
        const required = Object.entries(project.config ?? {})
            .filter(([key]) => !key.includes(":"))
            .filter(([, decl]) => decl?.default === undefined && decl?.value === undefined)
            .map(([key]) => key);
        expect(required).to.deep.equal(["accountId"]);
        for (const file of stackFiles) {
            const stack = YAML.parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
                config: Record<string, unknown>;
            };
            for (const key of required) {
                expect(stack.config, `${file} lacks ${PROJECT}:${key}`).to.have.property(
                    `${PROJECT}:${key}`,
                );
            }
        }
    });

    it("documents every config key and every field of every block", () => {
        for (const [key, fields] of Object.entries(CONFIG_KEYS)) {
            expect(projectText, key).to.match(new RegExp(`^  #? ?${key}( \\(secret\\))?:`, "m"));
            for (const field of fields) {
                expect(projectText, `${key}.${field}`).to.match(new RegExp(`\\b${field}\\b`));
            }
        }
    });
});
