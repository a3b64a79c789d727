package dev.archcore.provision.pki;

import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where an environment's cluster PKI lives: {@code <archcoreHome>/<artifactId>/<environment>/pki}, one per
 * environment (staging, production), so that switching profiles never re-issues the other cluster's registry
 * certificate. Before 0.1.0 one {@code <archcoreHome>/<artifactId>/pki} served every environment: it is copied
 * (never moved: both clusters' nodes trust its CA) into an environment that has none yet, or, for a read-only run
 * (a dry run), only read from where it is.
 */
public final class PkiLocation {
    private static final Pattern ENVIRONMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private PkiLocation() {
    }

    /** The folder of the environment, without looking at the disk. */
    public static Path of(Path archcoreHome, String artifactId, String environment) throws PkiException {
        if (environment == null || !ENVIRONMENT.matcher(environment).matches() || environment.contains("..")) {
            throw new PkiException("archcore.environment='" + environment + "' cannot name a folder of the cluster PKI: "
                    + "use letters, digits, '.', '_' or '-' (the staging and production profiles set it to their name)");
        }
        return archcoreHome.resolve(artifactId).resolve(environment).resolve("pki");
    }

    /** The folder every environment shared before the PKI was kept per environment. */
    public static Path shared(Path archcoreHome, String artifactId) {
        return archcoreHome.resolve(artifactId).resolve("pki");
    }

    /**
     * The environment's PKI folder to use. When it has no CA yet but the shared folder of earlier versions has one:
     * copies that folder's files there (modes kept) and says so, or with {@code readOnly} returns the shared folder
     * itself, which the caller must then not write either.
     */
    public static Path resolve(Path archcoreHome, String artifactId, String environment, boolean readOnly, Log log)
            throws PkiException {
        Path dir = of(archcoreHome, artifactId, environment);
        Path old = shared(archcoreHome, artifactId);
        if (Files.exists(ClusterPki.caCertificate(dir)) || !Files.isRegularFile(ClusterPki.caCertificate(old))) {
            return dir;
        }
        Log out = log == null ? Log.NONE : log;
        if (readOnly) {
            out.warn("Reading the cluster PKI of environment " + environment + " from " + old + ", where versions before "
                    + "0.1.0 kept one PKI for every environment; a run that may write (not a dry run) copies it to " + dir);
            return old;
        }
        try {
            copy(old, dir);
        } catch (IOException e) {
            throw new PkiException("cannot copy the shared cluster PKI " + old + " to " + dir + " (environment "
                    + environment + "): " + e.getMessage() + ". Copy the folder yourself (cp -a) or set archcore.pkiDirectory.", e);
        }
        out.warn("Copied the cluster PKI " + old + " to " + dir + ": each environment keeps its own from now on "
                + "(archcore.environment=" + environment + "). Its CA is the one the nodes already trust; " + old
                + " is left for the other environments, which copy it the same way; remove it once each has its copy.");
        return dir;
    }

    /** Copies the regular files of {@code from} into a new 0700 {@code to}, through a temporary folder beside it. */
    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Path tmp = Files.createTempDirectory(to.getParent(), ".pki-copy",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(f, tmp.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                }
            }
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try (Stream<Path> left = Files.walk(tmp)) {
                left.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            throw e;
        }
    }
}
