/**
 * The doctor against a registry that really answers on a public address:
 * everything runs in the test's own network namespace (the address exists
 * only on that namespace's loopback), see tests/helpers/scenarios/publicAddress.ts.
 */
import { expect } from "chai";
import { DoctorResult } from "../../tools/doctor/types";
import { haveTool } from "../helpers/dnsServers";
import { step } from "../helpers/doctorResult";
import { netnsUnavailable, runInNetns } from "../helpers/netns";

type Result = Record<"public" | "allowPublic" | "publicLayer", DoctorResult>;

const HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
const LAYER_HOST = "prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com";

describe("doctor: ECR names on a public address (own network namespace)", function () {
    this.timeout(120000);
    let result: Result;

    before(async function () {
        const missing = ["unbound", "docker-registry", "skopeo", "htpasswd", "openssl"].filter(
            (t) => !haveTool(t),
        );
        const reason =
            netnsUnavailable() ?? (missing.length ? `missing ${missing.join(", ")}` : undefined);
        if (reason) {
            // CI runs as root with the tools installed: never a silent pass there.
            if (process.env.CI) throw new Error(reason);
            console.log(`      skipped: ${reason}`);
            this.skip();
        }
        result = await runInNetns<Result>({
            script: "tests/helpers/scenarios/publicAddress.ts",
            input: null,
            addresses: ["203.0.113.10", "203.0.113.11", "203.0.113.12"],
        });
    });

    it("fails at dns with the DNS fix although the registry answers there", () => {
        const r = result.public;
        expect(step(r, "dns")).to.include({
            status: "fail",
            summary: `${HOST} -> 203.0.113.10 (public: 203.0.113.10)`,
        });
        expect(step(r, "dns").hint).to.match(
            /^the ECR name resolves to public addresses, so traffic leaves the private path: make the DNS this machine uses answer it with a CNAME/,
        );
        expect(r.steps.slice(1).every((s) => s.status === "skip")).to.equal(true);
        expect(r.exitCode).to.equal(1);
    });

    it("with --allow-public the same registry passes (warnings), proving it answers there", () => {
        const r = result.allowPublic;
        expect(r.steps.map((s) => [s.id, s.status])).to.deep.equal([
            ["dns", "warn"],
            ["dns-api", "warn"],
            ["tcp", "pass"],
            ["tls", "pass"],
            ["challenge", "pass"],
            ["auth", "pass"],
            ["layer-dns", "warn"],
            ["layer-tcp", "pass"],
            ["layer-tls", "pass"],
            ["manifest", "pass"],
            ["blob", "pass"],
            ["storage-dns", "warn"],
            ["storage-tcp", "pass"],
            ["storage-tls", "pass"],
            ["storage-get", "pass"],
        ]);
        expect(step(r, "storage-get").summary).to.match(
            new RegExp(
                `digest verified; landed on ${LAYER_HOST.replace(/\./g, "\\.")} \\(public\\)$`,
            ),
        );
        expect(step(r, "storage-get").details).to.include(
            `landed on ${LAYER_HOST} (public: 203.0.113.11)`,
        );
        expect(r.exitCode).to.equal(0);
    });

    it("fails at layer-dns when only the layer bucket host is public", () => {
        const r = result.publicLayer;
        expect(step(r, "dns").status).to.equal("pass");
        expect(step(r, "auth").status).to.equal("pass");
        expect(step(r, "layer-dns")).to.include({
            status: "fail",
            summary: `${LAYER_HOST} -> 203.0.113.11 (public: 203.0.113.11)`,
        });
        expect(step(r, "layer-dns").hint).to.match(
            /^ECR's layer bucket host resolves to public addresses, so layer downloads leave the private path/,
        );
        expect(r.exitCode).to.equal(1);
    });
});
