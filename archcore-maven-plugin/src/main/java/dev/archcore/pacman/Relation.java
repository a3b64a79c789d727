package dev.archcore.pacman;

import java.util.Objects;

/**
 * A pacman relation string as used by {@code depends}, {@code provides}, {@code conflicts},
 * {@code replaces} and {@code optdepends}: {@code name[op version][: description]}.
 * Parsing follows libalpm's {@code alpm_dep_from_string} ({@code lib/libalpm/deps.c}).
 *
 * @param name        package, provision or soname name; never empty
 * @param op          version operator; {@link Op#ANY} when unversioned
 * @param version     the version after the operator; null exactly when {@code op} is ANY
 * @param description optdepends description after {@code ": "}, or null
 */
public record Relation(String name, Op op, String version, String description) {

    /** Version operators; {@link #symbol()} is their spelling in relation strings. */
    public enum Op {
        ANY(""), EQ("="), GE(">="), LE("<="), GT(">"), LT("<");

        private final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }
    }

    public Relation {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(op, "op");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty name in relation: " + name + op.symbol()
                    + Objects.requireNonNullElse(version, ""));
        }
        if ((op == Op.ANY) != (version == null)) {
            throw new IllegalArgumentException("operator " + op + " and version " + version
                    + " do not fit together in relation for " + name);
        }
    }

    /** Parses {@code name[op version][: description]}. */
    public static Relation parse(String s) {
        Objects.requireNonNull(s, "relation");
        // ": " with the space, so an epoch colon ("foo=1:2") is not taken for a description.
        int colon = s.indexOf(": ");
        String spec = colon >= 0 ? s.substring(0, colon) : s;
        String description = colon >= 0 ? s.substring(colon + 2) : null;

        // libalpm's search order: any '<' first, then '>', then '='.
        Op op;
        int at = spec.indexOf('<');
        if (at >= 0) {
            op = spec.startsWith("=", at + 1) ? Op.LE : Op.LT;
        } else if ((at = spec.indexOf('>')) >= 0) {
            op = spec.startsWith("=", at + 1) ? Op.GE : Op.GT;
        } else if ((at = spec.indexOf('=')) >= 0) {
            op = Op.EQ;
        } else {
            op = Op.ANY;
            at = spec.length();
        }
        if (at == 0) {
            throw new IllegalArgumentException("empty name in relation: '" + s + "'");
        }
        String version = op == Op.ANY ? null : spec.substring(at + op.symbol().length());
        return new Relation(spec.substring(0, at), op, version, description);
    }

    /**
     * Whether a package or provision with {@code candidateVersion} satisfies this relation
     * (libalpm {@code dep_vercmp}). A relation version without pkgrel matches any pkgrel.
     * A null candidate (an unversioned provision) satisfies only an unversioned relation.
     */
    public boolean satisfiedBy(String candidateVersion) {
        if (op == Op.ANY) {
            return true;
        }
        if (candidateVersion == null) {
            return false;
        }
        int cmp = Vercmp.compare(candidateVersion, version);
        return switch (op) {
            case EQ -> cmp == 0;
            case GE -> cmp >= 0;
            case LE -> cmp <= 0;
            case GT -> cmp > 0;
            case LT -> cmp < 0;
            case ANY -> true;
        };
    }

    /** The canonical string, as {@code alpm_dep_compute_string} writes it. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(op.symbol());
        if (version != null) {
            sb.append(version);
        }
        if (description != null) {
            sb.append(": ").append(description);
        }
        return sb.toString();
    }
}
