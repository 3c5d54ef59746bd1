/**
 * The self-hosted registry's htpasswd file, built from bcrypt hashes. The
 * distribution registry accepts only bcrypt entries (its htpasswd access
 * controller compares with golang.org/x/crypto/bcrypt), so MD5 (`$apr1$`),
 * SHA1 (`{SHA}`) and crypt lines are refused here rather than at login.
 *
 * The hashes come from @pulumi/random's RandomPassword `bcryptHash` output
 * (the provider hashes its own `result` with bcrypt, cost 10): the program
 * never sees or hashes a password itself.
 */

/** A bcrypt hash in the modular crypt format: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 53 characters of salt and hash. */
export const BCRYPT_HASH = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/**
 * User names this project accepts: lower-case letters, digits and `. _ -`,
 * starting with a letter or digit, at most 64 characters. htpasswd itself
 * only forbids `:`; the narrower set keeps names safe in URLs, shells and
 * Secrets Manager keys.
 */
export const HTPASSWD_USER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface HtpasswdEntry {
    user: string;
    bcryptHash: string;
}

/** `user:hash`, after checking both. */
export function htpasswdLine(entry: HtpasswdEntry): string {
    if (!HTPASSWD_USER.test(entry.user)) {
        throw new Error(
            `htpasswd user ${JSON.stringify(entry.user)} is not a valid user name (1-64 lower-case letters, digits and . _ -, starting with a letter or digit)`,
        );
    }
    if (!BCRYPT_HASH.test(entry.bcryptHash)) {
        throw new Error(
            `htpasswd user ${entry.user}: the password hash is not a bcrypt hash ($2a$/$2b$/$2y$); the registry accepts only bcrypt`,
        );
    }
    return `${entry.user}:${entry.bcryptHash}`;
}

/** The whole file: one line per user, in the order given, newline-terminated. */
export function htpasswdFile(entries: HtpasswdEntry[]): string {
    if (entries.length === 0) {
        throw new Error(
            "the htpasswd file needs at least one user (the registry would refuse everyone)",
        );
    }
    const seen = new Set<string>();
    for (const e of entries) {
        if (seen.has(e.user)) throw new Error(`htpasswd user ${e.user} is listed twice`);
        seen.add(e.user);
    }
    return entries.map(htpasswdLine).join("\n") + "\n";
}
