package dev.archcore.maven;

import dev.archcore.provision.digitalocean.DigitalOceanClient;
import dev.archcore.registry.TestLayouts;
import dev.archcore.testing.DigitalOceanSimulator;
import dev.archcore.testing.HttpProxy;
import dev.archcore.testing.MojoFields;
import dev.archcore.repo.RepoWriter;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.RepoServer;
import dev.archcore.testing.SyntheticPackages;
import dev.archcore.testing.TestPackages;
import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;
import org.apache.maven.execution.DefaultMavenExecutionRequest;
import org.apache.maven.execution.DefaultMavenExecutionResult;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.model.Model;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.Proxy;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.crypto.DefaultSettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonatype.plexus.components.cipher.DefaultPlexusCipher;
import org.sonatype.plexus.components.sec.dispatcher.DefaultSecDispatcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * settings.xml {@code <proxies>} as Maven reads them, with Maven's own decrypter and a settings-security.xml (as
 * {@code mvn --encrypt-password} makes them), through real proxy processes on the loopback: archcore:push to a TLS
 * registry goes through the active proxy's CONNECT tunnel with the decrypted password, an inactive proxy is never
 * used, and a password that cannot be decrypted fails naming the proxy.
 */
class ProxySettingsTest {
    static final String PROXY_USER = "builder";
    static final String PROXY_PASSWORD = "pr0xy-Pa55word";

    @TempDir
    Path tmp;

    private SettingsDecrypter decrypter(String master) throws Exception {
        DefaultPlexusCipher cipher = new DefaultPlexusCipher();
        Path security = tmp.resolve("settings-security.xml");
        Files.writeString(security, "<settingsSecurity>\n  <master>" + cipher.encryptAndDecorate(master, "settings.security")
                + "</master>\n</settingsSecurity>\n");
        return new DefaultSettingsDecrypter(new DefaultSecDispatcher(cipher, Map.of(), security.toString()));
    }

    static Proxy proxy(String id, boolean active, String protocol, int port, String user, String password,
                       String nonProxyHosts) {
        Proxy p = new Proxy();
        p.setId(id);
        p.setActive(active);
        p.setProtocol(protocol);
        p.setHost("127.0.0.1");
        p.setPort(port);
        p.setUsername(user);
        p.setPassword(password);
        p.setNonProxyHosts(nonProxyHosts);
        return p;
    }

    @Test
    void pushGoesThroughTheActiveProxyWithItsDecryptedPassword() throws Exception {
        String encrypted = new DefaultPlexusCipher().encryptAndDecorate(PROXY_PASSWORD, "the-master");
        Path target = tmp.resolve("target");
        Path layout = target.resolve("archcore/image");
        String digest = TestLayouts.write(layout, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 50_000, 5)));
        ImageInfo.write(target.resolve("archcore/image.json"),
                new ImageInfo("archcore/demo-app:1.0", digest, null, null, layout.toString()));
        try (RegistryServer registry = RegistryServer.secure(tmp.resolve("registry"));
             HttpProxy inactive = new HttpProxy();
             HttpProxy proxy = new HttpProxy(PROXY_USER, PROXY_PASSWORD)) {
            DefaultMavenExecutionRequest request = new DefaultMavenExecutionRequest();
            // listed first, of the same protocol: it would win if inactive ones counted
            request.addProxy(proxy("old-office", false, "https", inactive.port(), null, null, null));
            request.addProxy(proxy("office", true, "https", proxy.port(), PROXY_USER, encrypted, "*.internal.example"));
            Server server = new Server();
            server.setId(registry.host());
            server.setUsername(RegistryServer.USER);
            server.setPassword(RegistryServer.PASSWORD);
            request.addServer(server);
            @SuppressWarnings("deprecation")
            MavenSession session = new MavenSession(null, null, request, new DefaultMavenExecutionResult());

            PushMojo mojo = new PushMojo();
            MojoFields.setAll(mojo, "buildDirectory", target.toFile(), "retrySeconds", 3, "parallelUploads", 3,
                    "registry", registry.host(), "caFile", registry.caFile.toFile(),
                    "pkiDirectory", tmp.resolve("no-pki").toFile(), "session", session,
                    "settingsDecrypter", decrypter("the-master"));
            mojo.execute();

            assertThat(Files.readString(target.resolve("archcore/push.digest")).strip()).isEqualTo(digest);
            assertThat(proxy.forwarded).isNotEmpty().allMatch(r -> r.equals("CONNECT " + registry.host()));
            assertThat(proxy.refused).isEmpty();
            assertThat(inactive.forwarded).isEmpty();
            assertThat(inactive.refused).isEmpty();
        }
    }

    @Test
    void imagePackagesComeThroughTheProxyOfSettingsXml() throws Exception {
        Path srv = tmp.resolve("srv/core");
        Files.createDirectories(srv);
        Path glibc = SyntheticPackages.write(SyntheticPackages.Spec.of("glibc", "2.40-1"), srv);
        new RepoWriter(srv, "core", 1).add(List.of(glibc));
        Path app = TestPackages.write(TestPackages.Spec.of("hello", "1.0-1").depends("glibc"),
                Files.createDirectories(tmp.resolve("pkgdir")), tmp, 1_790_000_000L);
        try (RepoServer mirror = new RepoServer(tmp.resolve("srv"));
             HttpProxy proxy = new HttpProxy(PROXY_USER, PROXY_PASSWORD)) {
            Path basedir = Files.createDirectories(tmp.resolve("project"));
            Files.writeString(basedir.resolve("pacman.conf"), "[options]\nArchitecture = x86_64\nSigLevel = Never\n\n"
                    + "[core]\nServer = " + mirror.url() + "/$repo\n");
            DefaultMavenExecutionRequest request = new DefaultMavenExecutionRequest();
            request.addProxy(proxy("office", true, "http", proxy.port(), PROXY_USER,
                    new DefaultPlexusCipher().encryptAndDecorate(PROXY_PASSWORD, "the-master"), null));
            @SuppressWarnings("deprecation")
            MavenSession session = new MavenSession(null, null, request, new DefaultMavenExecutionResult());
            Model model = new Model();
            model.setGroupId("com.example");
            model.setArtifactId("hello");
            model.setVersion("1.0");
            MavenProject project = new MavenProject(model);
            project.setFile(basedir.resolve("pom.xml").toFile());
            ImageMojo mojo = new ImageMojo();
            MojoFields.setAll(mojo, "project", project, "session", session, "settingsDecrypter", decrypter("the-master"),
                    "pacmanConf", basedir.resolve("pacman.conf").toFile(), "cacheDirectory", tmp.resolve("cache").toFile(),
                    "lockFile", basedir.resolve("packages.lock.json").toFile(),
                    "buildDirectory", basedir.resolve("target").toFile(), "outputTimestamp", "2026-09-21T00:00:00Z",
                    "layerCompressionLevel", 6, "recipe", "app", "packageFile", app.toFile());
            mojo.execute();

            String core = mirror.url() + "/core/";
            assertThat(proxy.forwarded).containsExactlyInAnyOrder("GET " + core + "core.db",
                    "GET " + core + glibc.getFileName());
            // the first request of each connection went without credentials (407), then with the right ones
            assertThat(proxy.refused).allMatch(r -> !r.contains(" with "));
            assertThat(basedir.resolve("target/archcore/image/index.json")).isRegularFile();
        }
    }

    @Test
    void onlyActiveProxiesAreReadAndTheirPasswordsDecrypted() throws Exception {
        String encrypted = new DefaultPlexusCipher().encryptAndDecorate(PROXY_PASSWORD, "the-master");
        Settings settings = new Settings();
        settings.addProxy(proxy("off", false, "http", 3128, "x", "y", null));
        settings.addProxy(proxy("plain", true, "http", 3128, null, null, "localhost|127.0.0.1"));
        settings.addProxy(proxy("secure", true, "https", 3129, PROXY_USER, encrypted, null));

        HttpProxies proxies = Secrets.proxies(settings, decrypter("the-master"));
        assertThat(proxies.entries()).containsExactly(
                new HttpProxies.Entry("http", "127.0.0.1", 3128, null, null, "localhost|127.0.0.1"),
                new HttpProxies.Entry("https", "127.0.0.1", 3129, PROXY_USER, PROXY_PASSWORD, null));
        assertThat(Secrets.proxies(new Settings(), decrypter("the-master")).isEmpty()).isTrue();
    }

    @Test
    void aProxyPasswordThatCannotBeDecryptedFailsNamingTheProxy() throws Exception {
        String encrypted = new DefaultPlexusCipher().encryptAndDecorate(PROXY_PASSWORD, "another-master");
        Settings settings = new Settings();
        settings.addProxy(proxy("office", true, "https", 3129, PROXY_USER, encrypted, null));
        SettingsDecrypter decrypter = decrypter("the-master");

        assertThatThrownBy(() -> Secrets.proxies(settings, decrypter))
                .isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("cannot decrypt the secrets of settings.xml proxy 'office'")
                .hasMessageContaining("settings-security.xml");
    }

    @Test
    void theDigitalOceanApiIsReachedThroughTheProxy() throws Exception {
        String token = "dop_v1_" + "ab".repeat(32);
        try (DigitalOceanSimulator api = DigitalOceanSimulator.start(token); HttpProxy proxy = new HttpProxy()) {
            HttpProxies proxies = new HttpProxies(List.of(new HttpProxies.Entry("http", "127.0.0.1", proxy.port(),
                    null, null, null)));
            assertThat(new DigitalOceanClient(api.url(), token, Log.NONE, proxies).dropletsByTag("archcore-demo"))
                    .isEmpty();
            assertThat(proxy.forwarded).singleElement().asString().startsWith("GET " + api.url() + "/v2/droplets?");
            assertThat(api.calls()).hasSize(1);
        }
    }
}
