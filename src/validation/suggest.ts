/**
 * "Did you mean ...?" for config keys and namespaces: the closest known word by
 * edit distance, compared case-insensitively, or nothing when no known word is
 * close enough to be a plausible typo.
 */

/** Levenshtein distance between two strings (insert, delete, substitute: cost 1 each). */
export function editDistance(a: string, b: string): number {
    if (a === b) return 0;
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The known word closest to `word`, when the distance is at most a third of
 * its length (at least 1, at most 3): `ecr-private-acess` -> `ecr-private-access`,
 * `azcount` -> `azCount`, but `xyz` suggests nothing. Failing that, a known
 * word that starts with it or that it starts with (4 characters or more).
 */
export function closest(word: string, known: readonly string[]): string | undefined {
    const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
    let best: { word: string; distance: number } | undefined;
    for (const candidate of known) {
        const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (distance <= limit && (!best || distance < best.distance)) {
            best = { word: candidate, distance };
        }
    }
    if (best) return best.word;
    // A word cut short or run long (`securityGroupRules` for `securityGroupRulesPerGroup`).
    const lower = word.toLowerCase();
    return lower.length < 4
        ? undefined
        : known.find((c) => {
              const other = c.toLowerCase();
              return other.length >= 4 && (other.startsWith(lower) || lower.startsWith(other));
          });
}

/** `; did you mean "x"?` or an empty string. */
export function didYouMean(
    word: string,
    known: readonly string[],
    format = (w: string) => `"${w}"`,
): string {
    const match = closest(word, known);
    return match === undefined ? "" : `; did you mean ${format(match)}?`;
}
