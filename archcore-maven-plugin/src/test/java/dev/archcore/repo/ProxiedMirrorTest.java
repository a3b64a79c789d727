package dev.archcore.repo;

import dev.archcore.testing.HttpProxy;
import dev.archcore.testing.RepoServer;
import dev.archcore.testing.SyntheticPackages;
import dev.archcore.testing.SyntheticPackages.Spec;
import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Sync databases and packages from a plain-http mirror come through the user's proxy (absolute-URI requests to a
 * real proxy process on the loopback, which counts them), and straight from the mirror when its host is in
 * nonProxyHosts.
 */
class ProxiedMirrorTest {

    @Test
    void databasesAndPackagesComeThroughTheProxyUnlessTheHostIsExcluded(@TempDir Path tmp) throws IOException {
        Path core = tmp.resolve("srv/core");
        Files.createDirectories(core);
        Path glibc = SyntheticPackages.write(Spec.of("glibc", "2.40-1"), core);
        Path libfoo = SyntheticPackages.write(Spec.of("libfoo", "1.3-1").depends("glibc"), core);
        new RepoWriter(core, "core", 1).add(List.of(glibc, libfoo));

        try (RepoServer server = new RepoServer(tmp.resolve("srv")); HttpProxy proxy = new HttpProxy()) {
            Path confFile = tmp.resolve("pacman.conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\n\n"
                    + "[core]\nServer = " + server.url() + "/$repo\n");
            PacmanConf conf = PacmanConf.read(confFile);
            String mirror = server.url() + "/core/";

            HttpProxies proxies = new HttpProxies(List.of(new HttpProxies.Entry("http", "127.0.0.1", proxy.port(),
                    null, null, null)));
            DependencyClosure.Result result = DependencyClosure.resolve(new ClosureRequest(conf, List.of("libfoo"),
                    Keyring.EMPTY, tmp.resolve("cache"), null, false, false, Log.NONE).proxies(proxies));
            assertThat(result.packages()).hasSize(2).allMatch(PackageFetcher.Fetched::downloaded);
            assertThat(proxy.forwarded).contains("GET " + mirror + "core.db",
                    "GET " + mirror + glibc.getFileName(), "GET " + mirror + libfoo.getFileName());

            // the mirror's host in nonProxyHosts: straight to it, the proxy sees nothing
            proxy.forwarded.clear();
            HttpProxies excluded = new HttpProxies(List.of(new HttpProxies.Entry("http", "127.0.0.1", proxy.port(),
                    null, null, "localhost|127.0.0.1")));
            DependencyClosure.Result direct = DependencyClosure.resolve(new ClosureRequest(conf, List.of("libfoo"),
                    Keyring.EMPTY, tmp.resolve("cache2"), null, false, false, Log.NONE).proxies(excluded));
            assertThat(direct.packages()).hasSize(2).allMatch(PackageFetcher.Fetched::downloaded);
            assertThat(proxy.forwarded).isEmpty();
        }
    }

    @Test
    void aProxyThatWantsCredentialsItWasNotGivenIsNamed(@TempDir Path tmp) throws IOException {
        Path core = tmp.resolve("srv/core");
        Files.createDirectories(core);
        new RepoWriter(core, "core", 1).add(List.of(SyntheticPackages.write(Spec.of("glibc", "2.40-1"), core)));
        try (RepoServer server = new RepoServer(tmp.resolve("srv")); HttpProxy proxy = new HttpProxy("u", "p4ss")) {
            Path confFile = tmp.resolve("pacman.conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\n\n"
                    + "[core]\nServer = " + server.url() + "/$repo\n");
            HttpProxies proxies = new HttpProxies(List.of(new HttpProxies.Entry("http", "127.0.0.1", proxy.port(),
                    null, null, null)));
            Throwable error = catchThrowable(() -> DependencyClosure.resolve(new ClosureRequest(
                    PacmanConf.read(confFile), List.of("glibc"), Keyring.EMPTY, tmp.resolve("cache"), null, false,
                    false, Log.NONE).proxies(proxies)));
            assertThat(error).isInstanceOf(FetchException.class).hasMessageContaining("[core]")
                    .hasMessageContaining("the http proxy 127.0.0.1:" + proxy.port() + " (settings.xml <proxies>) asks"
                            + " for credentials (HTTP 407); give that <proxy> a <username> and <password>");
            assertThat(proxy.forwarded).isEmpty();
        }
    }
}
