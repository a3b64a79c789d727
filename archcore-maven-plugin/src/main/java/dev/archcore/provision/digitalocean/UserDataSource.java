package dev.archcore.provision.digitalocean;

/**
 * The user data of one node (cloud-config or Ignition JSON), kept apart from the renderer so the engine needs
 * none. The master's is asked for with {@code masterPublicIp} null (it is created first); every worker's with
 * the master's public IPv4, known once the master is active.
 */
public interface UserDataSource {
    byte[] userData(NodeSpec node, String masterPublicIp);

    /** Where the user data of {@code node} comes from, for messages. */
    default String source(NodeSpec node) {
        return "the user data of " + node.name();
    }
}
