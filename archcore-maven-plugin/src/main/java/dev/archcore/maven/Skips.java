package dev.archcore.maven;

/**
 * Which skip property applies: {@code archcore.skip} skips every goal, {@code archcore.<goal>.skip} one goal (as
 * the fabric8 plugin's {@code docker.skip.build}, {@code docker.skip.push}), so {@code mvn package
 * -Darchcore.image.skip} makes the package alone.
 */
final class Skips {
    private Skips() {
    }

    /** The property that skips {@code goal}, or null when it runs. */
    static String property(boolean all, boolean goalOnly, String goal) {
        return all ? "archcore.skip" : goalOnly ? "archcore." + goal + ".skip" : null;
    }
}
