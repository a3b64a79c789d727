package dev.archcore.testing;

/**
 * Go's {@code path.Match}, which fleet uses for Conflicts, Replaces and MachineOf globs: {@code *} (no {@code /}),
 * {@code ?}, {@code [...]} with ranges and {@code ^}, backslash escapes. A malformed pattern matches nothing (fleet
 * ignores path.Match's error). Ported from Go's source for {@link FleetSimulator}.
 */
final class GoPath {
    private GoPath() {
    }

    private static final class BadPattern extends Exception {
    }

    static boolean match(String pattern, String name) {
        try {
            return matches(pattern, name);
        } catch (BadPattern e) {
            return false;
        }
    }

    private static boolean matches(String pattern, String name) throws BadPattern {
        pattern:
        while (!pattern.isEmpty()) {
            boolean star = false;
            while (!pattern.isEmpty() && pattern.charAt(0) == '*') {
                pattern = pattern.substring(1);
                star = true;
            }
            int i = chunkEnd(pattern);
            String chunk = pattern.substring(0, i);
            pattern = pattern.substring(i);
            if (star && chunk.isEmpty()) {
                return name.indexOf('/') < 0;
            }
            String t = matchChunk(chunk, name);
            if (t != null && (t.isEmpty() || !pattern.isEmpty())) {
                name = t;
                continue;
            }
            if (star) {
                for (int j = 0; j < name.length() && name.charAt(j) != '/'; j++) {
                    t = matchChunk(chunk, name.substring(j + 1));
                    if (t != null) {
                        if (pattern.isEmpty() && !t.isEmpty()) {
                            continue;
                        }
                        name = t;
                        continue pattern;
                    }
                }
            }
            return false;
        }
        return name.isEmpty();
    }

    private static int chunkEnd(String pattern) {
        boolean inRange = false;
        int i;
        for (i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                if (i + 1 < pattern.length()) {
                    i++;
                }
            } else if (c == '[') {
                inRange = true;
            } else if (c == ']') {
                inRange = false;
            } else if (c == '*' && !inRange) {
                break;
            }
        }
        return i;
    }

    /** The rest of {@code s} after {@code chunk} matched its start, or null. */
    private static String matchChunk(String chunk, String s) throws BadPattern {
        while (!chunk.isEmpty()) {
            if (s.isEmpty()) {
                return null;
            }
            char c = chunk.charAt(0);
            if (c == '[') {
                char r = s.charAt(0);
                s = s.substring(1);
                chunk = chunk.substring(1);
                boolean notNegated = true;
                if (!chunk.isEmpty() && chunk.charAt(0) == '^') {
                    notNegated = false;
                    chunk = chunk.substring(1);
                }
                boolean match = false;
                int ranges = 0;
                while (true) {
                    if (!chunk.isEmpty() && chunk.charAt(0) == ']' && ranges > 0) {
                        chunk = chunk.substring(1);
                        break;
                    }
                    String[] rest = new String[1];
                    char lo = escaped(chunk, rest);
                    chunk = rest[0];
                    char hi = lo;
                    if (chunk.charAt(0) == '-') {
                        hi = escaped(chunk.substring(1), rest);
                        chunk = rest[0];
                    }
                    if (lo <= r && r <= hi) {
                        match = true;
                    }
                    ranges++;
                }
                if (match != notNegated) {
                    return null;
                }
            } else if (c == '?') {
                if (s.charAt(0) == '/') {
                    return null;
                }
                s = s.substring(1);
                chunk = chunk.substring(1);
            } else {
                if (c == '\\') {
                    chunk = chunk.substring(1);
                    if (chunk.isEmpty()) {
                        throw new BadPattern();
                    }
                }
                if (chunk.charAt(0) != s.charAt(0)) {
                    return null;
                }
                s = s.substring(1);
                chunk = chunk.substring(1);
            }
        }
        return s;
    }

    private static char escaped(String chunk, String[] rest) throws BadPattern {
        if (chunk.isEmpty() || chunk.charAt(0) == '-' || chunk.charAt(0) == ']') {
            throw new BadPattern();
        }
        if (chunk.charAt(0) == '\\') {
            chunk = chunk.substring(1);
            if (chunk.isEmpty()) {
                throw new BadPattern();
            }
        }
        char r = chunk.charAt(0);
        rest[0] = chunk.substring(1);
        if (rest[0].isEmpty()) {
            throw new BadPattern();
        }
        return r;
    }
}
