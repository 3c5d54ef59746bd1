import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildImages } from "../../components/images";
import { SharedRepository } from "../../components/sharedRepository";
import { parseStackConfig } from "../../src/config";
import { pullCommands } from "../../src/idc/host";
import {
    buildContextIssues,
    buildTag,
    contextDigest,
    contextFiles,
} from "../../src/images/context";
import { loadStackFile, planStack, ROOT } from "../../tools/plan";
import { run } from "../helpers/run";

const IMAGE = "awsx:ecr:Image";

const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh build context in a temp directory: `files` maps relative paths to contents. */
function tempContext(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
    made.push(dir);
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

describe("images built by `pulumi up` (awsx.ecr.Image)", () => {
    const files = {
        Dockerfile: "FROM scratch\nCOPY a.txt /a.txt\n",
        "a.txt": "a",
        "sub/b.txt": "b",
    };
    const settings = (context: string) => ({ context, platform: "linux/amd64" });

    describe("contextDigest", () => {
        it("lists every file of the context, sorted, with / separators", () => {
            expect(contextFiles(tempContext(files))).to.deep.equal([
                "Dockerfile",
                "a.txt",
                "sub/b.txt",
            ]);
        });

        it("is the same for the same context, whatever directory holds it", () => {
            const a = contextDigest(settings(tempContext(files)));
            expect(a).to.match(/^[0-9a-f]{64}$/);
            expect(contextDigest(settings(tempContext(files)))).to.equal(a);
        });

        it("changes with a file's content, a file's name, the Dockerfile, the platform and the build args", () => {
            const base = contextDigest(settings(tempContext(files)));
            const variants = [
                contextDigest(settings(tempContext({ ...files, "a.txt": "A" }))),
                contextDigest(settings(tempContext({ ...files, "sub/c.txt": "b" }))),
                contextDigest(settings(tempContext({ ...files, Dockerfile: "FROM scratch\n" }))),
                contextDigest({ ...settings(tempContext(files)), platform: "linux/arm64" }),
                contextDigest({ ...settings(tempContext(files)), args: { V: "1" } }),
                contextDigest({ ...settings(tempContext(files)), dockerfile: "a.txt" }),
            ];
            expect(new Set([base, ...variants]).size).to.equal(7);
        });

        it("tags with build- and the first 12 hex digits", () => {
            expect(buildTag("fcc0fc3cd77c18960355097f")).to.equal("build-fcc0fc3cd77c");
        });
    });

    describe("config", () => {
        it("names the key of a missing context, a missing Dockerfile and an unprotected tag", () => {
            const dir = tempContext({ "ctx/Dockerfile": "FROM scratch\n", "bare/x": "x" });
            expect(
                buildContextIssues(
                    {
                        "a/missing": {
                            context: "nope",
                            dockerfile: "Dockerfile",
                            platform: "linux/amd64",
                        },
                        "a/bare": {
                            context: "bare",
                            dockerfile: "Dockerfile",
                            platform: "linux/amd64",
                        },
                        "a/ok": {
                            context: "ctx",
                            dockerfile: "Dockerfile",
                            platform: "linux/amd64",
                        },
                    },
                    dir,
                    ["v*"],
                ),
            ).to.deep.equal([
                {
                    key: "ecr-private-access:images.a/missing.context",
                    message: `nope is not a directory (paths are relative to the project directory, ${dir})`,
                },
                {
                    key: "ecr-private-access:images.a/bare.dockerfile",
                    message: "Dockerfile is not in the build context bare",
                },
                {
                    key: "ecr-private-access:repositories.lifecycle.releaseTagPatterns",
                    message: `no pattern matches ${buildTag(contextDigest(settings(path.join(dir, "ctx"))))}, the tag a/ok is built with, so the lifecycle policy would expire the image the stack deploys; add "build-*"`,
                },
            ]);
            expect(
                buildContextIssues(
                    {
                        "a/ok": {
                            context: "ctx",
                            dockerfile: "Dockerfile",
                            platform: "linux/amd64",
                        },
                    },
                    dir,
                    ["build-*"],
                ),
            ).to.deep.equal([]);
        });

        it("refuses an image for a repository the stack does not own, naming the key", () => {
            const raw = loadStackFile(path.join(ROOT, "Pulumi.idc-sim.yaml")).config;
            raw["ecr-private-access:images"] = JSON.stringify({
                "other/repo": { context: "images/idc-hello" },
            });
            expect(() => parseStackConfig(raw, "idc-sim")).to.throw(
                'ecr-private-access:images.other/repo: "other/repo" is not in repositories.names',
            );
        });
    });

    describe("under the mock cloud", () => {
        const program = (projectDir: string) => () => {
            const repo = new SharedRepository("repo", {
                name: "team/app",
                accountId: "444455556666",
                region: "us-west-2",
                lifecycle: {
                    untaggedExpireDays: 7,
                    keepImages: 50,
                    releaseTagPatterns: ["build-*"],
                },
            });
            const built = buildImages(
                {
                    "team/app": {
                        context: "ctx",
                        dockerfile: "Dockerfile",
                        platform: "linux/arm64",
                        args: {},
                    },
                },
                [repo],
                projectDir,
            );
            return { uri: built["team/app"].uri, tag: built["team/app"].tag };
        };

        it("builds into the stack's repository with the context's tag, and answers with its digest", async () => {
            const project = tempContext({
                "ctx/Dockerfile": "FROM scratch\n",
                "ctx/hello.txt": "hi",
            });
            const digest = contextDigest({
                context: path.join(project, "ctx"),
                platform: "linux/arm64",
            });
            const r = await run(program(project), { mock: { projectDir: project } });
            const image = r.one(IMAGE);
            expect(image.inputs).to.deep.equal({
                repositoryUrl: "444455556666.dkr.ecr.us-west-2.amazonaws.com/team/app",
                context: "ctx",
                dockerfile: "ctx/Dockerfile",
                platform: "linux/arm64",
                args: {},
                imageTag: `build-${digest.slice(0, 12)}`,
            });
            expect(r.outputs).to.deep.equal({
                uri: `444455556666.dkr.ecr.us-west-2.amazonaws.com/team/app@sha256:${digest}`,
                tag: `build-${digest.slice(0, 12)}`,
            });
        });

        it("plans another digest and tag when the Dockerfile changes", async () => {
            const one = tempContext({ "ctx/Dockerfile": "FROM scratch\n" });
            const two = tempContext({ "ctx/Dockerfile": "FROM scratch\nLABEL x=1\n" });
            const a = (await run(program(one), { mock: { projectDir: one } })).outputs;
            const b = (await run(program(two), { mock: { projectDir: two } })).outputs;
            expect(a.uri).to.not.equal(b.uri);
            expect(a.tag).to.not.equal(b.tag);
        });
    });

    describe("the idc-sim stack", () => {
        it("builds images/idc-hello into idc-demo/hello and pulls it by digest from the IDC host", async () => {
            const plan = await planStack({
                stackFile: path.join(ROOT, "Pulumi.idc-sim.yaml"),
                stackOutputs: {},
            });
            const digest = contextDigest({
                context: path.join(ROOT, "images/idc-hello"),
                platform: "linux/amd64",
            });
            const uri = `777788889999.dkr.ecr.ap-southeast-1.amazonaws.com/idc-demo/hello@sha256:${digest}`;
            expect(
                plan.resources.filter((r) => r.type === IMAGE).map((r) => r.inputs),
            ).to.deep.equal([
                {
                    repositoryUrl:
                        "777788889999.dkr.ecr.ap-southeast-1.amazonaws.com/idc-demo/hello",
                    context: "images/idc-hello",
                    dockerfile: "images/idc-hello/Dockerfile",
                    platform: "linux/amd64",
                    args: {},
                    imageTag: `build-${digest.slice(0, 12)}`,
                },
            ]);
            expect(plan.outputs.images).to.deep.equal({
                "idc-demo/hello": { tag: `build-${digest.slice(0, 12)}`, uri },
            });
            expect(plan.outputs.idcPullCommands).to.deep.equal(pullCommands(uri, "ap-southeast-1"));
            expect((plan.outputs.idcPullCommands as string[])[1]).to.equal(`docker pull ${uri}`);
        });

        it("ships a context that downloads nothing: FROM scratch and its own files", () => {
            const dockerfile = fs.readFileSync(
                path.join(ROOT, "images/idc-hello/Dockerfile"),
                "utf8",
            );
            expect(dockerfile.split("\n").filter((l) => /^FROM\s/i.test(l))).to.deep.equal([
                "FROM scratch",
            ]);
            expect(dockerfile).to.not.match(/^(RUN|ADD)\s/im);
            expect(contextFiles(path.join(ROOT, "images/idc-hello"))).to.deep.equal([
                "Dockerfile",
                "hello.txt",
            ]);
        });
    });

    it("pullCommands refuses an image that is not pinned by digest", () => {
        expect(() => pullCommands("1.dkr.ecr.us-west-2.amazonaws.com/a:1.0", "us-west-2")).to.throw(
            "is not <registry>/<repository>@sha256:<digest>",
        );
    });
});
