import * as fs from "fs";
import * as path from "path";
import type { Ca } from "./pki";
import { runCmd } from "./process";

/**
 * skopeo as the specs use it against registries on loopback: one attempt
 * (no retries hide a failure), the test CA trusted through a Docker-style
 * certificate directory, credentials on the command line.
 */

/** How skopeo reaches a registry: a certificate directory trusting its CA, and `user:password`. */
export interface SkopeoAuth {
    certDir: string;
    creds: string;
}

/** `<work>/certs.d` holding the CA as `ca.crt`, which skopeo's `--*-cert-dir` options read. */
export function caCertDir(ca: Ca, work: string): string {
    const certDir = path.join(work, "certs.d");
    fs.mkdirSync(certDir);
    fs.copyFileSync(ca.certFile, path.join(certDir, "ca.crt"));
    return certDir;
}

/** One `skopeo copy`, the registry on the `src` or the `dest` side. */
function copy(
    side: "src" | "dest",
    from: string,
    to: string,
    auth: SkopeoAuth,
    timeoutMs: number,
): Promise<string> {
    return runCmd(
        "skopeo",
        [
            "--insecure-policy",
            "copy",
            "--retry-times",
            "0",
            `--${side}-cert-dir`,
            auth.certDir,
            `--${side}-creds`,
            auth.creds,
            from,
            to,
        ],
        timeoutMs,
    );
}

/** Copies `from` (e.g. `oci:<layout>:v1`) into a registry, `to` = `docker://<host>/<image>`. */
export function skopeoPush(
    from: string,
    to: string,
    auth: SkopeoAuth,
    timeoutMs = 30000,
): Promise<string> {
    return copy("dest", from, to, auth, timeoutMs);
}

/** Copies an image out of a registry, `from` = `docker://<host>/<image>`, into `to` (`oci:...`, `dir:...`). */
export function skopeoPull(
    from: string,
    to: string,
    auth: SkopeoAuth,
    timeoutMs = 30000,
): Promise<string> {
    return copy("src", from, to, auth, timeoutMs);
}
