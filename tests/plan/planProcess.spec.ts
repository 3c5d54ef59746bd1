import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tunePlanProcess } from "../../tools/planProcess";
import { runStack } from "../../tools/runStack";

const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
    leakedPromises: () => [Set<Promise<unknown>>, string];
};

describe("plan process settings (tools/planProcess.ts)", () => {
    before(() => tunePlanProcess());

    it("no longer parses a stack trace for each resource's source position", () => {
        expect(
            (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites(),
        ).to.deep.equal([]);
    });

    it("debuggablePromise keeps the SDK's leak tracking, without stack traces", async () => {
        debuggable.leakedPromises();
        await debuggable.debuggablePromise(Promise.resolve(0), "warm-up");
        const never = new Promise<number>(() => undefined);
        const wrappedNever = debuggable.debuggablePromise(never, "never");
        const done = debuggable.debuggablePromise(Promise.resolve(42), "done");
        expect(await done).to.equal(42);
        const [leaked, message] = debuggable.leakedPromises();
        expect([...leaked]).to.deep.equal([never]);
        expect(message).to.match(/^The Pulumi runtime detected that 1 promise was still active/);
        expect(Object.getOwnPropertyNames(never)).to.not.include("_debugStackTrace");
        expect(wrappedNever).to.not.equal(never);
        // Leaks found and reported: nothing left for the exit hook.
        expect(debuggable.leakedPromises()[0].size).to.equal(0);
        expect(Error.stackTraceLimit).to.be.greaterThan(0);
    });

    it("debuggablePromise passes a rejection on with the SDK's `promise` annotation", async () => {
        const failing = Promise.reject(new Error("boom"));
        const wrapped = debuggable.debuggablePromise(failing, "failing");
        const err = await wrapped.then(
            () => undefined,
            (e: Error & { promise?: unknown }) => e,
        );
        expect(err?.message).to.equal("boom");
        expect(err?.promise).to.equal(failing);
        expect(debuggable.leakedPromises()[0].size).to.equal(0);
    });

    it("a plan still registers and records every resource", async function () {
        this.timeout(30_000);
        const run = await runStack({
            project: "ecr-private-access",
            stack: "process",
            account: "111122223333",
            region: "us-east-1",
            config: {},
            program: () => {
                const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
                new aws.s3.Bucket("child", { bucket: "b" }, { parent });
                return {};
            },
        });
        expect(run.resources.map((r) => [r.type, r.name])).to.deep.equal([
            ["test:index:Parent", "parent"],
            ["aws:s3/bucket:Bucket", "child"],
        ]);
        expect(debuggable.leakedPromises()[0].size).to.equal(0);
    });
});
