package dev.archcore.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.HttpProxy;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import dev.archcore.util.HttpProxies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A push to the real registry over TLS through a proxy that wants Basic credentials: every connection is a CONNECT
 * tunnel through the proxy with the proxy's credentials (the registry's own credentials stay inside the tunnel),
 * and a wrong proxy password fails once, clearly, without showing it.
 */
class ProxiedRegistryTest {
    static final String PROXY_USER = "proxy-user";
    static final String PROXY_PASSWORD = "pr0xy-Secret";

    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static Path layout;
    static String digest;

    @BeforeAll
    static void start() {
        registry = RegistryServer.secure(tmp.resolve("registry"));
        layout = tmp.resolve("image");
        digest = TestLayouts.write(layout, "1.0", List.of(RegistryClientTest.DEPS, RegistryClientTest.APP1));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static PushRequest request(String name, HttpProxies proxies, List<String> log) {
        return new PushRequest(layout, RegistryReference.parse(registry.host() + "/" + name + ":1.0"))
                .caFile(registry.caFile).credentials(new Credentials(RegistryServer.USER, RegistryServer.PASSWORD, "test"))
                .log(RegistryClientTest.collector(log)).proxies(proxies)
                .retries(java.time.Duration.ofSeconds(2), java.time.Duration.ofMillis(100));
    }

    @Test
    void anHttpsPushGoesThroughTheAuthenticatedProxysTunnel() throws Exception {
        try (HttpProxy proxy = new HttpProxy(PROXY_USER, PROXY_PASSWORD)) {
            // an http proxy serves https URLs too, and the registry's address is no exception (no loopback bypass)
            HttpProxies proxies = new HttpProxies(List.of(new HttpProxies.Entry("http", "127.0.0.1", proxy.port(),
                    PROXY_USER, PROXY_PASSWORD, null)));
            List<String> log = new ArrayList<>();
            PushResult result = RegistryClient.push(request("archcore/proxied", proxies, log));
            assertThat(result.digest()).isEqualTo(digest);
            // skopeo, straight to the registry, finds what went up through the tunnel
            String out = Tools.run(tmp, "skopeo", "inspect", "--cert-dir", registry.certDir.toString(), "--creds",
                    RegistryServer.USER + ":" + RegistryServer.PASSWORD, "docker://" + registry.host()
                            + "/archcore/proxied:1.0").ok("skopeo inspect").text();
            assertThat(new ObjectMapper().readTree(out).path("Digest").asText()).isEqualTo(digest);
            assertThat(proxy.forwarded).isNotEmpty().allMatch(r -> r.equals("CONNECT " + registry.host()));
            assertThat(proxy.refused).isEmpty();
            assertThat(String.join("\n", log)).doesNotContain(PROXY_PASSWORD);
        }
    }

    @Test
    void aWrongProxyPasswordFailsClearlyWithoutShowingIt() {
        try (HttpProxy proxy = new HttpProxy(PROXY_USER, PROXY_PASSWORD)) {
            HttpProxies proxies = new HttpProxies(List.of(new HttpProxies.Entry("https", "127.0.0.1", proxy.port(),
                    PROXY_USER, "wrong-Password", null)));
            List<String> log = new ArrayList<>();
            assertThatThrownBy(() -> RegistryClient.push(request("archcore/refused", proxies, log)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("proxy 127.0.0.1:" + proxy.port(), "refused the credentials of user "
                            + PROXY_USER, "<password>")
                    .hasMessageNotContaining("wrong-Password");
            assertThat(proxy.forwarded).isEmpty();
            assertThat(proxy.refused).isNotEmpty();
            assertThat(String.join("\n", log)).doesNotContain("wrong-Password");
        }
    }
}
