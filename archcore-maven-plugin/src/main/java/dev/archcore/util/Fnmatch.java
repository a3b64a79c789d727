package dev.archcore.util;

import java.util.regex.Pattern;

/**
 * Shell patterns as {@code fnmatch(pattern, string, 0)} matches them, which is how pacman compares
 * {@code IgnorePkg}/{@code IgnoreGroup} entries with names: {@code *} and {@code ?} match any character
 * (a slash too), {@code [...]} is a bracket expression ({@code !} or {@code ^} negates it; {@code [:alpha:]} and the
 * other POSIX classes work inside it), and a backslash makes the next character literal. pacman's {@code NoExtract}
 * uses the same matching.
 */
public final class Fnmatch {
    private final Pattern regex;

    private Fnmatch(Pattern regex) {
        this.regex = regex;
    }

    public static Fnmatch compile(String pattern) {
        return new Fnmatch(Pattern.compile(toRegex(pattern), Pattern.DOTALL));
    }

    public static boolean matches(String pattern, String text) {
        return compile(pattern).matches(text);
    }

    public boolean matches(String text) {
        return regex.matcher(text).matches();
    }

    private static String toRegex(String pattern) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (c == '*') {
                out.append(".*");
                i++;
            } else if (c == '?') {
                out.append('.');
                i++;
            } else if (c == '\\' && i + 1 < pattern.length()) {
                out.append(Pattern.quote(String.valueOf(pattern.charAt(i + 1))));
                i += 2;
            } else if (c == '[') {
                int end = bracketEnd(pattern, i);
                if (end < 0) {
                    // an unclosed '[' is an ordinary character for fnmatch
                    out.append("\\[");
                    i++;
                } else {
                    out.append(bracket(pattern.substring(i + 1, end)));
                    i = end + 1;
                }
            } else {
                out.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return out.toString();
    }

    /** Index of the ']' closing the bracket expression opened at {@code open}, or -1. */
    private static int bracketEnd(String pattern, int open) {
        int i = open + 1;
        if (i < pattern.length() && (pattern.charAt(i) == '!' || pattern.charAt(i) == '^')) {
            i++;
        }
        if (i < pattern.length() && pattern.charAt(i) == ']') {
            i++; // a ']' first in the set is a member
        }
        for (; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '[' && pattern.startsWith("[:", i) && pattern.indexOf(":]", i + 2) > 0) {
                i = pattern.indexOf(":]", i + 2) + 1; // a [:class:] does not close the set
            } else if (c == ']') {
                return i;
            }
        }
        return -1;
    }

    private static String bracket(String body) {
        StringBuilder out = new StringBuilder("[");
        int start = 0;
        if (!body.isEmpty() && (body.charAt(0) == '!' || body.charAt(0) == '^')) {
            out.append('^');
            start = 1;
        }
        for (int i = start; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '[' && body.startsWith("[:", i) && body.indexOf(":]", i + 2) > 0) {
                int close = body.indexOf(":]", i + 2);
                out.append("\\p{").append(posixClass(body.substring(i + 2, close))).append('}');
                i = close + 1;
                continue;
            }
            boolean escaped = c == '\\' && i + 1 < body.length();
            if (escaped) {
                c = body.charAt(++i);
            }
            if (c == '-' && !escaped && i > start && i < body.length() - 1) {
                out.append('-');
            } else if (Character.isLetterOrDigit(c)) {
                out.append(c);
            } else {
                out.append('\\').append(c);
            }
        }
        return out.append(']').toString();
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
            default -> throw new IllegalArgumentException("unsupported character class [:" + name + ":]");
        };
    }
}
