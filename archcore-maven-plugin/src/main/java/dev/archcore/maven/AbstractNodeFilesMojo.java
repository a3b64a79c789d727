package dev.archcore.maven;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.registry.Credentials;
import dev.archcore.util.Log;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node-file renderer's inputs, shared by archcore:iso and archcore:provision under the same properties, so
 * one profile configures both.
 */
abstract class AbstractNodeFilesMojo extends AbstractClusterPkiMojo {

    /** The master's template (fleet, etcd and the registry). */
    @Parameter(property = "archcore.registryTemplate", defaultValue = "${project.basedir}/cloud-config/user_data.registry.yaml")
    File registryTemplate;

    /** The workers' template (fleet only). */
    @Parameter(property = "archcore.workerTemplate", defaultValue = "${project.basedir}/cloud-config/user_data.slave.yaml")
    File workerTemplate;

    /** sshd's port on every node ({@code $SSH_PORT}). */
    @Parameter(property = "archcore.sshPort", defaultValue = "2222")
    String sshPort;

    /** etcd's client port on the master ({@code $ETCD_PORT}). */
    @Parameter(property = "archcore.etcdPort", defaultValue = "2479")
    String etcdPort;

    /** The registry's port on the master ({@code $REGISTRY_PORT}). */
    @Parameter(property = "archcore.registryPort", defaultValue = "5443")
    String registryPort;

    /** The app's port ({@code $APP_PORT}). */
    @Parameter(property = "archcore.appPort", defaultValue = "8080")
    String appPort;

    /**
     * The master's address as the workers reach it ({@code $REGISTRY_IP}); the profiles set it. It is in the
     * registry's certificate and etcd's URLs; archcore:provision gives the workers the master's actual public IPv4.
     */
    @Parameter(property = "archcore.registryIp")
    String registryIp;

    /**
     * The registry as images name it, {@code host:port} ({@code $REGISTRY}); default {@code $REGISTRY_IP:$REGISTRY_PORT}.
     * Its host is a name in the registry's certificate, and the settings.xml server with this id gives the
     * registry's user and password (as archcore:push reads them).
     */
    @Parameter(property = "archcore.registry")
    String registry;

    /** The app's name ({@code $APP_NAME}). */
    @Parameter(property = "archcore.appName", defaultValue = "${project.artifactId}")
    String appName;

    /**
     * The app's description ({@code $DESCRIPTION}, as in a unit's {@code Description=}): the pom's
     * {@code <description>} on one line, else the app's name.
     */
    @Parameter(property = "archcore.description", defaultValue = "${project.description}")
    String description;

    /** Public key files whose keys may log in as core; default every {@code ~/.ssh/id_*.pub}. */
    @Parameter(property = "archcore.sshPublicKeys")
    List<File> sshPublicKeys;

    /**
     * The pin of fleet's release tarball ({@code $FLEET_HASH}, {@code sha512-HEX}) the nodes check before they
     * unpack it. Empty: the templates' fleet parts are left out (nodes for the systemd deploy target), with a warning.
     */
    @Parameter(property = "archcore.fleetHash")
    String fleetHash;

    /** More placeholders for your own templates: {@code <values><NAME>value</NAME></values>} fills {@code $NAME}. */
    @Parameter
    Map<String, String> values;

    /**
     * The plan's request for a master and workers: the registry's user and password come from the settings.xml
     * server whose id is the registry's {@code host:port}, as archcore:push reads them.
     */
    ClusterNodes.Request nodesRequest(String master, List<String> workers, Set<Loosening> allowed,
                                      Map<String, String> origins, Log log) throws MojoFailureException {
        String serverId = registry != null && !registry.isBlank() ? registry.strip()
                : registryIp == null ? null : registryIp.strip() + ":" + (registryPort == null ? "" : registryPort.strip());
        Credentials server = session == null || serverId == null ? null
                : Secrets.server(session.getSettings(), settingsDecrypter, serverId);
        String user = server != null && server.username() != null && !server.username().isBlank()
                ? server.username() : registryUser;
        return new ClusterNodes.Request(registryTemplate.toPath(), workerTemplate.toPath(), master, workers, sshPort,
                etcdPort, registryPort, appPort, registryIp, registry, appName,
                sshPublicKeys == null ? List.of() : sshPublicKeys.stream().map(File::toPath).toList(),
                pkiDir(), user, server == null ? null : server.password(),
                placeholderValues(), allowed, origins, log, readOnlyRun());
    }

    /** {@code <values>}, and {@code $DESCRIPTION}, {@code $FLEET_HASH} and {@code $REGISTRY_PUSH_PORT} unless they give them. */
    private Map<String, String> placeholderValues() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("DESCRIPTION", description == null || description.isBlank() ? appName
                : description.strip().replaceAll("\\s+", " "));
        all.put("FLEET_HASH", fleetHash == null ? "" : fleetHash.strip());
        if (registryPushPort > 0) {
            // 0 only tells archcore:push to skip the push side: the node files keep it at its default port
            all.put(ClusterNodes.REGISTRY_PUSH_PORT, String.valueOf(registryPushPort));
        }
        if (values != null) {
            all.putAll(values);
        }
        return all;
    }
}
