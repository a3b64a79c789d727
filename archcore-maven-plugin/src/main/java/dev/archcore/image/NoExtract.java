package dev.archcore.image;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * pacman's {@code NoExtract}: fnmatch(3) patterns without flags ({@code *} also matches {@code /}) against the
 * entry's path as stored in the package (no leading slash, directories with a trailing one); a leading
 * {@code !} negates, a leading {@code \} is dropped, and the last matching pattern decides
 * ({@code _alpm_fnmatch_patterns} walks the list backwards).
 */
public final class NoExtract {
    private record Rule(String pattern, Pattern regex, boolean negated) {
    }

    private final List<Rule> rules = new ArrayList<>();

    public NoExtract(List<String> patterns) {
        for (String p : patterns == null ? List.<String>of() : patterns) {
            boolean negated = p.startsWith("!");
            String glob = negated || p.startsWith("\\") ? p.substring(1) : p;
            rules.add(new Rule(p, Pattern.compile(toRegex(glob), Pattern.DOTALL), negated));
        }
    }

    public boolean excludes(String entryName) {
        for (int i = rules.size() - 1; i >= 0; i--) {
            Rule r = rules.get(i);
            if (r.regex.matcher(entryName).matches()) {
                return !r.negated;
            }
        }
        return false;
    }

    public List<String> patterns() {
        return rules.stream().map(Rule::pattern).toList();
    }

    /** fnmatch with flags 0: {@code * ? [...]} and backslash escapes, nothing special about {@code /} or dots. */
    static String toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '\\' -> {
                    if (i + 1 < glob.length()) {
                        re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                    } else {
                        re.append("\\\\");
                    }
                }
                case '[' -> {
                    int end = bracketEnd(glob, i);
                    if (end < 0) {
                        re.append("\\[");
                    } else {
                        re.append(bracket(glob.substring(i + 1, end)));
                        i = end;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }

    private static int bracketEnd(String glob, int open) {
        int i = open + 1;
        if (i < glob.length() && (glob.charAt(i) == '!' || glob.charAt(i) == '^')) {
            i++;
        }
        if (i < glob.length() && glob.charAt(i) == ']') {
            i++; // a ']' right after the opening is literal
        }
        for (; i < glob.length(); i++) {
            if (glob.charAt(i) == '[' && i + 1 < glob.length() && glob.charAt(i + 1) == ':') {
                int close = glob.indexOf(":]", i + 2);
                if (close > 0) {
                    i = close + 1;
                    continue;
                }
            }
            if (glob.charAt(i) == ']') {
                return i;
            }
        }
        return -1;
    }

    private static String bracket(String body) {
        StringBuilder re = new StringBuilder("[");
        int i = 0;
        if (!body.isEmpty() && (body.charAt(0) == '!' || body.charAt(0) == '^')) {
            re.append('^');
            i = 1;
        }
        for (; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '[' && body.startsWith("[:", i)) {
                int close = body.indexOf(":]", i + 2);
                String name = body.substring(i + 2, close);
                re.append("\\p{").append(posixClass(name)).append('}');
                i = close + 1;
            } else if (c == '-' && i > 0 && i + 1 < body.length()) {
                re.append('-');
            } else if (c == '\\' || c == '[' || c == ']' || c == '^' || c == '&' || c == '-') {
                re.append('\\').append(c);
            } else {
                re.append(c);
            }
        }
        return re.append(']').toString();
    }

    private static String posixClass(String name) {
        return switch (name) {
            case "alpha" -> "Alpha";
            case "digit" -> "Digit";
            case "alnum" -> "Alnum";
            case "upper" -> "Upper";
            case "lower" -> "Lower";
            case "space" -> "Space";
            case "punct" -> "Punct";
            case "xdigit" -> "XDigit";
            default -> throw new ImageBuildException("NoExtract: unsupported character class [:" + name + ":]");
        };
    }
}
