package dev.archcore.maven;

import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.settings.crypto.SettingsDecrypter;

import dev.archcore.provision.pki.PkiException;
import dev.archcore.provision.pki.PkiLocation;
import org.apache.maven.plugin.MojoFailureException;

import java.io.File;
import java.nio.file.Path;

/**
 * What every goal that works on the cluster shares, under the same properties: the cluster PKI (made by
 * archcore:iso and archcore:provision, read by archcore:push and archcore:deploy), its registry user, and the
 * session's settings.xml servers.
 */
abstract class AbstractClusterPkiMojo extends AbstractMojo {

    /**
     * Where the cluster CA, the registry certificate and key, the htpasswd file and the generated registry passwords
     * are made and kept: outside the project, so they never reach version control. archcore:push and
     * archcore:deploy trust its {@code ca.crt} and fall back on its {@code registry.password}, so a cluster made by
     * archcore needs no settings.xml entry to push to. Default: {@code ~/.archcore/<artifactId>/<environment>/pki},
     * one per {@code archcore.environment}.
     */
    @Parameter(property = "archcore.pkiDirectory")
    File pkiDirectory;

    /**
     * The environment (cluster) the build works on; each keeps its own PKI. The staging and production profiles set
     * it to their name.
     */
    @Parameter(property = "archcore.environment", defaultValue = "default")
    String environment;

    @Parameter(defaultValue = "${project.artifactId}", readonly = true)
    String projectArtifactId;

    /**
     * The registry's push side's port on the master's 127.0.0.1 ({@code $REGISTRY_PUSH_PORT}): archcore:push reaches
     * it through its SSH connection; the nodes pull from the read-only side on archcore.registryPort. 0: push
     * straight to archcore.registry (a master whose node files predate the split, or a registry not on the master).
     */
    @Parameter(property = "archcore.registryPushPort", defaultValue = dev.archcore.provision.ClusterNodes.DEFAULT_REGISTRY_PUSH_PORT)
    int registryPushPort;

    /** The registry user when the settings.xml server names none. */
    @Parameter(property = "archcore.registryUser", defaultValue = "archcore")
    String registryUser;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    boolean skip;

    @Parameter(defaultValue = "${session}", readonly = true)
    MavenSession session;

    @Component
    SettingsDecrypter settingsDecrypter;

    /**
     * The PKI folder: {@code archcore.pkiDirectory}, else the environment's; a PKI that earlier versions shared
     * between environments is copied into it, or only read when {@code readOnly} (a dry run).
     */
    Path pkiDir() throws MojoFailureException {
        if (pkiDirectory != null) {
            return pkiDirectory.toPath();
        }
        if (resolvedPki != null) {
            return resolvedPki;
        }
        boolean readOnly = readOnlyRun();
        try {
            return resolvedPki = PkiLocation.resolve(Path.of(System.getProperty("user.home"), ".archcore"),
                    projectArtifactId == null ? "standalone-pom" : projectArtifactId, environment == null ? "default"
                            : environment.strip(), readOnly, new MavenLog(getLog()));
        } catch (PkiException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    /** A run that must change nothing (a dry run, a report): it reads the PKI and writes none of it. */
    boolean readOnlyRun() {
        return false;
    }

    private Path resolvedPki;

    /** The active proxies of settings.xml, decrypted, for every HTTP client of the goal. */
    dev.archcore.util.HttpProxies proxies() throws org.apache.maven.plugin.MojoFailureException {
        return session == null ? dev.archcore.util.HttpProxies.NONE
                : Secrets.proxies(session.getSettings(), settingsDecrypter);
    }
}
