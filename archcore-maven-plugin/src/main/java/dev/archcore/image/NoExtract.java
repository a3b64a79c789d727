package dev.archcore.image;

import dev.archcore.util.Fnmatch;

import java.util.ArrayList;
import java.util.List;

/**
 * pacman's {@code NoExtract}: fnmatch(3) patterns without flags ({@code *} also matches {@code /}) against the
 * entry's path as stored in the package (no leading slash, directories with a trailing one); a leading
 * {@code !} negates, a leading {@code \} is dropped, and the last matching pattern decides
 * ({@code _alpm_fnmatch_patterns} walks the list backwards).
 */
public final class NoExtract {
    private record Rule(String pattern, Fnmatch glob, boolean negated) {
    }

    private final List<Rule> rules = new ArrayList<>();

    public NoExtract(List<String> patterns) {
        for (String p : patterns == null ? List.<String>of() : patterns) {
            boolean negated = p.startsWith("!");
            String glob = negated || p.startsWith("\\") ? p.substring(1) : p;
            try {
                rules.add(new Rule(p, Fnmatch.compile(glob), negated));
            } catch (IllegalArgumentException e) {
                throw new ImageBuildException("NoExtract: " + e.getMessage());
            }
        }
    }

    public boolean excludes(String entryName) {
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule r = rules.get(i);
            if (r.glob.matches(entryName)) {
                return !r.negated;
            }
        }
        return false;
    }

    public List<String> patterns() {
        return rules.stream().map(Rule::pattern).toList();
    }
}
