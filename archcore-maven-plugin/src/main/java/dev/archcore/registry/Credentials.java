package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A user name and password (or token) for one registry, and where they came from ({@code source}, for
 * messages). {@link #toString()} never shows the password.
 */
public record Credentials(String username, String password, String source) {
    public static final String ENV_USERNAME = "ARCHCORE_REGISTRY_USERNAME";
    public static final String ENV_PASSWORD = "ARCHCORE_REGISTRY_PASSWORD";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String toString() {
        return "Credentials[" + username + ", password ****, from " + source + "]";
    }

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Looks up the credentials for {@code registry} ({@code host[:port]}) in this order: explicit user and
     * password; the settings.xml server whose id is the registry; Docker's config.json ({@code auths},
     * {@code credHelpers}, {@code credsStore}); the environment variables {@value #ENV_USERNAME} and
     * {@value #ENV_PASSWORD}.
     *
     * @param settingsServers settings.xml servers by id, decrypted by the caller
     * @param env the environment (DOCKER_CONFIG, HOME, PATH for credential helpers, ARCHCORE_REGISTRY_*)
     * @param warnings what went wrong on the way (a failing helper), for the log; never contains secrets
     * @return null for anonymous access
     */
    public static Credentials lookup(String registry, String username, String password,
                                     Map<String, Credentials> settingsServers, Map<String, String> env, List<String> warnings) {
        if (username != null && !username.isEmpty() && password != null) {
            return new Credentials(username, password, "the username/password parameters");
        }
        Credentials server = settingsServers == null ? null : settingsServers.get(registry);
        if (server != null && server.username() != null && server.password() != null) {
            return new Credentials(server.username(), server.password(), "settings.xml server " + registry);
        }
        Credentials docker = dockerConfig(registry, env, warnings);
        if (docker != null) {
            return docker;
        }
        String envUser = env.get(ENV_USERNAME);
        String envPassword = env.get(ENV_PASSWORD);
        if (envUser != null && !envUser.isEmpty() && envPassword != null) {
            return new Credentials(envUser, envPassword, "environment " + ENV_USERNAME + "/" + ENV_PASSWORD);
        }
        return null;
    }

    static Path dockerConfigFile(Map<String, String> env) {
        String dir = env.get("DOCKER_CONFIG");
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir, "config.json");
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(home, ".docker", "config.json");
    }

    static Credentials dockerConfig(String registry, Map<String, String> env, List<String> warnings) {
        Path file = dockerConfigFile(env);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            warnings.add("cannot read " + file + ": " + e.getMessage());
            return null;
        }
        JsonNode helpers = root.path("credHelpers");
        for (Iterator<String> it = helpers.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (registryKey(key).equals(registry)) {
                return helper(helpers.get(key).asText(), registry, env, file, warnings);
            }
        }
        JsonNode auths = root.path("auths");
        for (Iterator<String> it = auths.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!registryKey(key).equals(registry)) {
                continue;
            }
            JsonNode entry = auths.get(key);
            String auth = entry.path("auth").asText("");
            if (!auth.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    warnings.add(file + ": auths." + key + ".auth is not base64; ignored");
                    continue;
                }
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1), file + " auths");
                }
                warnings.add(file + ": auths." + key + ".auth is not user:password; ignored");
            } else if (entry.hasNonNull("username") && entry.hasNonNull("password")) {
                return new Credentials(entry.get("username").asText(), entry.get("password").asText(), file + " auths");
            }
        }
        String store = root.path("credsStore").asText("");
        if (!store.isEmpty()) {
            return helper(store, registry, env, file, warnings);
        }
        return null;
    }

    /** {@code https://host:port/v1/} → {@code host:port}. */
    static String registryKey(String key) {
        String k = key.trim();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        return slash >= 0 ? k.substring(0, slash) : k;
    }

    /** Runs {@code docker-credential-<name> get}, the registry on stdin, JSON {@code Username}/{@code Secret} out. */
    static Credentials helper(String name, String registry, Map<String, String> env, Path configFile, List<String> warnings) {
        String program = "docker-credential-" + name;
        Path exe = null;
        for (String dir : env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                exe = p;
                break;
            }
        }
        if (exe == null) {
            warnings.add(configFile + " names the credential helper " + program + ", but it is not on the PATH ("
                    + env.getOrDefault("PATH", "") + "); continuing without it");
            return null;
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(List.of(exe.toString(), "get"));
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().write(registry.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                warnings.add(program + " get did not answer in 30 s; continuing without it");
                return null;
            }
            if (p.exitValue() != 0) {
                // the helper's own message (e.g. "credentials not found in native keychain"), never its stdout
                warnings.add(program + " get exited " + p.exitValue() + ": "
                        + new String(out.length > 0 && err.length == 0 ? new byte[0] : err, StandardCharsets.UTF_8).trim());
                return null;
            }
            JsonNode answer = JSON.readTree(out);
            String user = answer.path("Username").asText("");
            String secret = answer.path("Secret").asText("");
            if (secret.isEmpty()) {
                warnings.add(program + " get answered without a Secret for " + registry);
                return null;
            }
            return new Credentials(user, secret, "credential helper " + program);
        } catch (IOException e) {
            warnings.add(program + " get failed: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while running " + program);
        }
    }
}
