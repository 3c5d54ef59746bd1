import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isReleaseTag } from "../ecr/sharing";

/**
 * A build context's identity, for images the stacks build with
 * `awsx.ecr.Image`: a SHA-256 over every file's relative path and content
 * (sorted, so the order the disk returns them in does not matter), the
 * Dockerfile's path, the platform and the build arguments. The same context
 * always gives the same digest, and any change to a file in it gives another.
 *
 * It names the image tag (`build-<first 12 hex digits>`), so a changed
 * Dockerfile pushes a new, immutable tag, and the offline plan's mock cloud
 * answers with it as the image digest. It is not the registry's manifest
 * digest, which only a real build produces.
 */
export interface BuildSettings {
    /** The build context directory (absolute, or relative to the process's cwd). */
    context: string;
    /** The Dockerfile, relative to the context. @default "Dockerfile" */
    dockerfile?: string;
    /** `linux/amd64` or `linux/arm64`. */
    platform: string;
    /** Build arguments. @default {} */
    args?: Record<string, string>;
}

/** Every regular file under `dir`, as sorted paths relative to it (`/` separators). */
export function contextFiles(dir: string): string[] {
    const files: string[] = [];
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) walk(child);
            else if (entry.isFile()) files.push(child);
        }
    };
    walk("");
    return files.sort();
}

/** The hex SHA-256 of a build context and its settings. */
export function contextDigest(settings: BuildSettings): string {
    const hash = createHash("sha256");
    const field = (name: string, value: string | Buffer) => {
        // Length-prefixed, so no two different inputs hash alike.
        hash.update(`${name}:${Buffer.byteLength(value)}:`);
        hash.update(value);
    };
    field("dockerfile", settings.dockerfile ?? "Dockerfile");
    field("platform", settings.platform);
    for (const [k, v] of Object.entries(settings.args ?? {}).sort(([a], [b]) => a.localeCompare(b)))
        field(`arg:${k}`, v);
    for (const file of contextFiles(settings.context)) {
        field("path", file);
        field("content", fs.readFileSync(path.join(settings.context, file)));
    }
    return hash.digest("hex");
}

/** The tag an image built from this context is pushed with. */
export function buildTag(digest: string): string {
    return `build-${digest.slice(0, 12)}`;
}

/**
 * Config issues of the images a stack builds: each `images.<repository>.context`
 * must be a directory under `projectDir` holding its Dockerfile, and the tag the
 * image is pushed with must match one of the repository's release tag patterns,
 * or the lifecycle policy would expire the image the stack deploys.
 */
export function buildContextIssues(
    images: Record<string, BuildSettings & { dockerfile: string }> | undefined,
    projectDir: string,
    releaseTagPatterns: string[] = [],
): { key: string; message: string }[] {
    const issues: { key: string; message: string }[] = [];
    for (const [name, image] of Object.entries(images ?? {})) {
        const key = `ecr-private-access:images.${name}`;
        const dir = path.resolve(projectDir, image.context);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
            issues.push({
                key: `${key}.context`,
                message: `${image.context} is not a directory (paths are relative to the project directory, ${projectDir})`,
            });
            continue;
        }
        if (!fs.existsSync(path.join(dir, image.dockerfile))) {
            issues.push({
                key: `${key}.dockerfile`,
                message: `${image.dockerfile} is not in the build context ${image.context}`,
            });
            continue;
        }
        const tag = buildTag(contextDigest({ ...image, context: dir }));
        if (!isReleaseTag(tag, releaseTagPatterns)) {
            issues.push({
                key: "ecr-private-access:repositories.lifecycle.releaseTagPatterns",
                message: `no pattern matches ${tag}, the tag ${name} is built with, so the lifecycle policy would expire the image the stack deploys; add "build-*"`,
            });
        }
    }
    return issues;
}
