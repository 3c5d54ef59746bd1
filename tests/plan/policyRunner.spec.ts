import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allPolicies } from "../../policies/rules";
import type { Plan, PlanResource } from "../../src/report/plan";
import { evaluatePolicies } from "../../tools/policy";

const ROOT = path.resolve(__dirname, "../..");
const STACK = "urn:pulumi:dev::ecr-private-access::pulumi:pulumi:Stack::ecr-private-access-dev";

function resource(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    id: string,
): PlanResource {
    return {
        urn: `urn:pulumi:dev::ecr-private-access::${type}::${name}`,
        id,
        type,
        name,
        parent: STACK,
        inputs,
        outputs: { ...inputs, id },
    };
}

const zone = (name: string) =>
    resource(
        "aws:route53/zone:Zone",
        "zone",
        { name, vpcs: [{ vpcId: "vpc-1", vpcRegion: "ap-northeast-1" }] },
        "Z123",
    );

function plan(resources: PlanResource[]): Plan {
    return { project: "ecr-private-access", stack: "dev", resources, outputs: {}, violations: [] };
}

/** `npm run policy -- <file>` as a user runs it. */
function policyCli(p: Plan, extra: string[] = []) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
    const file = path.join(dir, "plan.json");
    fs.writeFileSync(file, JSON.stringify(p));
    const res = spawnSync(
        process.execPath,
        [
            "-r",
            path.join(ROOT, "tools/register.js"),
            path.join(ROOT, "tools/policy.ts"),
            file,
            ...extra,
        ],
        {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
        },
    );
    return { code: res.status, stdout: res.stdout, stderr: res.stderr, dir };
}

const aRecordPlan = plan([
    zone("api.ecr.ap-southeast-1.amazonaws.com"),
    resource(
        "aws:route53/record:Record",
        "api-a",
        {
            zoneId: "Z123",
            name: "api.ecr.ap-southeast-1.amazonaws.com",
            type: "A",
            ttl: 60,
            records: ["10.0.1.23"],
        },
        "Z123_api_A",
    ),
]);

describe("policy runner (npm run policy)", function () {
    this.timeout(60_000);

    it("exits 1 and names ecr-dns-cname-not-a for an A record with a literal IP on api.ecr.<region>", () => {
        const res = policyCli(aRecordPlan);
        expect(res.code, res.stderr).to.equal(1);
        expect(res.stdout).to.match(/\[mandatory\] ecr-dns-cname-not-a: /);
        expect(res.stdout).to.contain("api.ecr.ap-southeast-1.amazonaws.com");
    });

    it("exits 1 and names no-apex-overrides for a private zone named <region>.amazonaws.com", () => {
        const res = policyCli(plan([zone("ap-southeast-1.amazonaws.com")]));
        expect(res.code, res.stderr).to.equal(1);
        expect(res.stdout).to.match(/\[mandatory\] no-apex-overrides: /);
    });

    it("exits 0 for the same zone set with CNAMEs to the endpoint", () => {
        const res = policyCli(
            plan([
                zone("ecr.ap-southeast-1.amazonaws.com"),
                resource(
                    "aws:route53/record:Record",
                    "api",
                    {
                        zoneId: "Z123",
                        name: "api",
                        type: "CNAME",
                        ttl: 60,
                        records: [
                            "vpce-0a1b2c3d4e5f67890-abcdefgh.api.ecr.ap-southeast-1.vpce.amazonaws.com",
                        ],
                    },
                    "Z123_api_CNAME",
                ),
            ]),
        );
        expect(res.code, res.stdout + res.stderr).to.equal(0);
        expect(res.stdout).to.not.contain("[mandatory]");
    });

    it("lets a stack opt out of a rule through policy config, as CrossGuard does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cfg-"));
        const cfg = path.join(dir, "policy.json");
        fs.writeFileSync(cfg, JSON.stringify({ "ecr-dns-cname-not-a": "advisory" }));
        const res = policyCli(aRecordPlan, ["--config", cfg]);
        expect(res.code, res.stderr).to.equal(0);
        expect(res.stdout).to.match(/\[advisory\] ecr-dns-cname-not-a: /);
    });

    it("applies configSchema defaults and user values to getConfig", async () => {
        const seen: unknown[] = [];
        const probe = {
            name: "probe",
            description: "Records its config.",
            enforcementLevel: "advisory" as const,
            configSchema: {
                properties: {
                    limit: { type: "number" as const, default: 3 },
                    mode: { type: "string" as const, default: "a" },
                },
            },
            validateResource: (args: any) => {
                seen.push(args.getConfig());
            },
        };
        await evaluatePolicies(plan([zone("x.example")]), [probe], {
            probe: { enforcementLevel: "mandatory", mode: "b" },
        });
        expect(seen).to.deep.equal([{ limit: 3, mode: "b" }]);
    });

    it("runs every shipped rule without throwing on a plan with unknown values", async () => {
        const unknownPlan = plan([
            resource(
                "aws:route53/record:Record",
                "r",
                { zoneId: "[unknown]", name: "[unknown]", type: "A", ttl: 60 },
                "",
            ),
        ]);
        const violations = await evaluatePolicies(unknownPlan, allPolicies);
        expect(violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
    });
});
