package dev.archcore.maven;

import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.settings.crypto.SettingsDecrypter;

import java.io.File;

/**
 * What every goal that works on the cluster shares, under the same properties: the cluster PKI (made by
 * archcore:iso and archcore:provision, read by archcore:push and archcore:deploy), its registry user, and the
 * session's settings.xml servers.
 */
abstract class AbstractClusterPkiMojo extends AbstractMojo {

    /**
     * Where the cluster CA, the registry certificate and key, the htpasswd file and a generated registry password
     * are made and kept: outside the project, so they never reach version control. archcore:push and
     * archcore:deploy trust its {@code ca.crt} and fall back on its {@code registry.password}, so a cluster made by
     * archcore needs no settings.xml entry to push to.
     */
    @Parameter(property = "archcore.pkiDirectory", defaultValue = "${user.home}/.archcore/${project.artifactId}/pki")
    File pkiDirectory;

    /** The registry user when the settings.xml server names none. */
    @Parameter(property = "archcore.registryUser", defaultValue = "archcore")
    String registryUser;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    boolean skip;

    @Parameter(defaultValue = "${session}", readonly = true)
    MavenSession session;

    @Component
    SettingsDecrypter settingsDecrypter;

    /** The active proxies of settings.xml, decrypted, for every HTTP client of the goal. */
    dev.archcore.util.HttpProxies proxies() throws org.apache.maven.plugin.MojoFailureException {
        return session == null ? dev.archcore.util.HttpProxies.NONE
                : Secrets.proxies(session.getSettings(), settingsDecrypter);
    }
}
