package dev.archcore.pacman;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Pacman version comparison, a port of libalpm's {@code alpm_pkg_vercmp}
 * ({@code lib/libalpm/version.c}: {@code parseEVR} + {@code rpmvercmp}, pacman 6.0).
 *
 * <p>Strings are compared as their UTF-8 bytes, like the C code, so a non-ASCII
 * character counts as a separator run of its byte length. Only ASCII letters and
 * digits are segment characters.
 *
 * <p>This is not a total order in the strict sense: {@code 1.0} equals both
 * {@code 1.0-1} and {@code 1.0-2}, which differ from each other.
 */
public final class Vercmp {

    private static final Comparator<String> COMPARATOR = Vercmp::compare;

    private Vercmp() {
    }

    /** Comparator form of {@link #compare}; accepts nulls (null sorts first). */
    public static Comparator<String> comparator() {
        return COMPARATOR;
    }

    /**
     * Compares two {@code [epoch:]version[-pkgrel]} strings.
     *
     * @return -1 if {@code a} is older, 0 if equal, 1 if newer; null is older than anything
     */
    public static int compare(String a, String b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a.equals(b)) {
            return 0;
        }
        Evr x = Evr.parse(a);
        Evr y = Evr.parse(b);
        int ret = rpmvercmp(x.epoch, y.epoch);
        if (ret == 0) {
            ret = rpmvercmp(x.version, y.version);
            // A release only counts when both sides have one: "1.5" == "1.5-1".
            if (ret == 0 && x.release != null && y.release != null) {
                ret = rpmvercmp(x.release, y.release);
            }
        }
        return ret;
    }

    private record Evr(byte[] epoch, byte[] version, byte[] release) {

        private static final byte[] ZERO = {'0'};

        static Evr parse(String evr) {
            byte[] s = evr.getBytes(StandardCharsets.UTF_8);
            int i = 0;
            while (i < s.length && isDigit(s[i])) {
                i++;
            }
            // The last '-' anywhere: digits before i cannot be '-', so this matches strrchr(s, '-').
            int dash = lastIndexOf(s, (byte) '-');
            int end = dash >= 0 ? dash : s.length;
            byte[] release = dash >= 0 ? Arrays.copyOfRange(s, dash + 1, s.length) : null;
            if (i < s.length && s[i] == ':') {
                byte[] epoch = i == 0 ? ZERO : Arrays.copyOfRange(s, 0, i);
                return new Evr(epoch, Arrays.copyOfRange(s, i + 1, end), release);
            }
            // Unlike rpm, a missing epoch is always 0 (so "4.34" < "1:001").
            return new Evr(ZERO, Arrays.copyOfRange(s, 0, end), release);
        }
    }

    /** rpm 4.8.1's segment comparison, kept structurally close to the C so it can be checked line by line. */
    static int rpmvercmp(byte[] a, byte[] b) {
        if (Arrays.equals(a, b)) {
            return 0;
        }
        int one = 0;
        int two = 0;
        int ptr1 = 0;
        int ptr2 = 0;
        while (one < a.length && two < b.length) {
            while (one < a.length && !isAlnum(a[one])) {
                one++;
            }
            while (two < b.length && !isAlnum(b[two])) {
                two++;
            }
            // Exhaustion is checked before separator lengths, so trailing separators
            // never decide on their own ("1.0." == "1.0..").
            if (one == a.length || two == b.length) {
                break;
            }
            // Longer separator run is newer: "1.0" < "1..0".
            if (one - ptr1 != two - ptr2) {
                return one - ptr1 < two - ptr2 ? -1 : 1;
            }
            ptr1 = one;
            ptr2 = two;
            // The segment type is decided by a alone; b's segment may then be empty.
            boolean numeric = isDigit(a[ptr1]);
            if (numeric) {
                while (ptr1 < a.length && isDigit(a[ptr1])) {
                    ptr1++;
                }
                while (ptr2 < b.length && isDigit(b[ptr2])) {
                    ptr2++;
                }
            } else {
                while (ptr1 < a.length && isAlpha(a[ptr1])) {
                    ptr1++;
                }
                while (ptr2 < b.length && isAlpha(b[ptr2])) {
                    ptr2++;
                }
            }
            // Different segment types: a number always beats letters.
            if (two == ptr2) {
                return numeric ? 1 : -1;
            }
            if (numeric) {
                // Compare as numbers of any size: drop leading zeros, then more digits wins.
                while (one < ptr1 && a[one] == '0') {
                    one++;
                }
                while (two < ptr2 && b[two] == '0') {
                    two++;
                }
                int len1 = ptr1 - one;
                int len2 = ptr2 - two;
                if (len1 != len2) {
                    return len1 > len2 ? 1 : -1;
                }
            }
            int rc = Arrays.compareUnsigned(a, one, ptr1, b, two, ptr2); // strcmp
            if (rc != 0) {
                return rc < 0 ? -1 : 1;
            }
            one = ptr1;
            two = ptr2;
        }
        if (one == a.length && two == b.length) {
            return 0;
        }
        // Tail rule: a leftover letter run loses ("1.0a" < "1.0"), anything else wins
        // ("1.0" < "1.0.1", "1.0" < "1.0.a").
        boolean oneEmpty = one == a.length;
        boolean twoAlpha = two < b.length && isAlpha(b[two]);
        if ((oneEmpty && !twoAlpha) || (!oneEmpty && isAlpha(a[one]))) {
            return -1;
        }
        return 1;
    }

    private static int lastIndexOf(byte[] s, byte c) {
        for (int i = s.length - 1; i >= 0; i--) {
            if (s[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlpha(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAlnum(byte c) {
        return isDigit(c) || isAlpha(c);
    }
}
