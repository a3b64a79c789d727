package dev.archcore.repo;

import java.util.List;
import java.util.Locale;

/**
 * pacman.conf's {@code SigLevel} for one repository, split as pacman does into what packages and what the
 * database need: {@code Never}, {@code Optional} or {@code Required}, with {@code TrustedOnly} (the default)
 * or {@code TrustAll}. Words may carry a {@code Package}/{@code Database} prefix.
 */
public record SigLevel(Check packages, boolean packagesTrustAll, Check database, boolean databaseTrustAll) {

    public enum Check { NEVER, OPTIONAL, REQUIRED }

    /**
     * The stock pacman.conf line {@code SigLevel = Required DatabaseOptional}, what Arch ships; pacman without any
     * SigLevel line uses {@link PacmanConf#BUILT_IN_SIG_LEVEL}.
     */
    public static final SigLevel DEFAULT = new SigLevel(Check.REQUIRED, false, Check.OPTIONAL, false);

    public static final SigLevel NEVER = new SigLevel(Check.NEVER, false, Check.NEVER, false);

    /** Applies the words of a {@code SigLevel} line on top of {@code base} (pacman's override semantics). */
    public static SigLevel parse(List<String> words, SigLevel base) {
        SigLevel level = base;
        for (String word : words) {
            String w = word.strip();
            boolean pkg = true;
            boolean db = true;
            if (w.startsWith("Package")) {
                db = false;
                w = w.substring("Package".length());
            } else if (w.startsWith("Database")) {
                pkg = false;
                w = w.substring("Database".length());
            }
            level = switch (w) {
                case "Never" -> level.with(pkg, db, Check.NEVER, null);
                case "Optional" -> level.with(pkg, db, Check.OPTIONAL, null);
                case "Required" -> level.with(pkg, db, Check.REQUIRED, null);
                case "TrustedOnly" -> level.with(pkg, db, null, false);
                case "TrustAll" -> level.with(pkg, db, null, true);
                default -> throw new IllegalArgumentException("SigLevel '" + word + "' is not one of Never, Optional, "
                        + "Required, TrustedOnly, TrustAll (optionally prefixed with Package or Database)");
            };
        }
        return level;
    }

    private SigLevel with(boolean pkg, boolean db, Check check, Boolean trustAll) {
        return new SigLevel(
                pkg && check != null ? check : packages,
                pkg && trustAll != null ? trustAll : packagesTrustAll,
                db && check != null ? check : database,
                db && trustAll != null ? trustAll : databaseTrustAll);
    }

    @Override
    public String toString() {
        return "Package" + name(packages) + " Database" + name(database);
    }

    private static String name(Check c) {
        String n = c.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }
}
