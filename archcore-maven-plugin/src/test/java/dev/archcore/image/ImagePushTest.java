package dev.archcore.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.registry.PushRequest;
import dev.archcore.registry.PushResult;
import dev.archcore.registry.RegistryClient;
import dev.archcore.registry.RegistryReference;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TcpProxy;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real archcore image (the image tests' closure) pushed to the real registry, then the same image after an
 * app-only change: the second push sends only the app layer and the config (counted on the wire by a TCP proxy
 * and cross-checked with the registry's access log), and skopeo sees both digests.
 */
class ImagePushTest {
    @TempDir
    static Path tmp;

    @Test
    void appOnlyChangePushesOnlyTheAppLayerAndConfig() throws Exception {
        TestClosure closure = TestClosure.make(tmp);
        Path cache = tmp.resolve("cache");
        Path v1 = tmp.resolve("out1/oci");
        ImageResult first = ImageBuilder.build(ImageBuilderTest.request(closure.packages(), cache, v1, null, dev.archcore.util.Log.NONE));
        Path app2 = TestClosure.app(tmp, tmp.resolve("pkgs"), "2.0");
        List<ImagePackage> changed = List.of(ImagePackage.dependency(closure.basefs), ImagePackage.dependency(closure.busybox),
                ImagePackage.dependency(closure.owners), ImagePackage.app(app2));
        Path v2 = tmp.resolve("out2/oci");
        ImageResult second = ImageBuilder.build(ImageBuilderTest.request(changed, cache, v2, null, dev.archcore.util.Log.NONE));

        try (RegistryServer registry = RegistryServer.plain(tmp.resolve("registry"));
             TcpProxy proxy = new TcpProxy(registry.port)) {
            String repo = "127.0.0.1:" + proxy.port() + "/archcore/real-app";
            List<String> log = new ArrayList<>();
            long start = System.nanoTime();
            PushResult r1 = RegistryClient.push(new PushRequest(v1, RegistryReference.parse(repo + ":1.0")).insecure(true)
                    .log(dev.archcore.image.ImageBuilderTest.collector(log)));
            double firstSeconds = (System.nanoTime() - start) / 1e9;
            long firstWire = proxy.clientBytes.get();
            int firstUploads = uploads(registry.log());

            start = System.nanoTime();
            PushResult r2 = RegistryClient.push(new PushRequest(v2, RegistryReference.parse(repo + ":2.0")).insecure(true)
                    .log(dev.archcore.image.ImageBuilderTest.collector(log)));
            double secondSeconds = (System.nanoTime() - start) / 1e9;
            long secondWire = proxy.clientBytes.get() - firstWire;
            int secondUploads = uploads(registry.log()) - firstUploads;
            log.forEach(l -> System.out.println("  " + l));
            System.out.printf("real test image: first push %d blobs %d bytes (%d on the wire) in %.2f s; after an app change "
                            + "%d blobs %d bytes (%d on the wire) in %.2f s%n", r1.sent(), r1.bytesSent(), firstWire, firstSeconds,
                    r2.sent(), r2.bytesSent(), secondWire, secondSeconds);

            assertThat(r1.digest()).isEqualTo(first.manifestDigest());
            assertThat(r1.sent()).isEqualTo(first.layers().size() + 1);
            assertThat(r2.digest()).isEqualTo(second.manifestDigest());
            assertThat(r2.sent()).isEqualTo(2);
            assertThat(r2.skipped()).isEqualTo(second.layers().size() - 1);
            List<String> firstDigests = first.layers().stream().map(ImageResult.Layer::digest).toList();
            List<ImageResult.Layer> changedLayers = second.layers().stream().filter(l -> !firstDigests.contains(l.digest())).toList();
            assertThat(changedLayers).singleElement().satisfies(l -> assertThat(l.packages()).contains("demo-app"));
            assertThat(r2.missing()).containsExactlyInAnyOrder(changedLayers.get(0).digest(), second.configDigest());
            assertThat(secondUploads).isEqualTo(2); // the registry saw two blob uploads, as the client says
            assertThat(secondWire).isLessThan(r2.bytesSent() + 32 * 1024).isLessThan(firstWire / 2);

            ObjectMapper json = new ObjectMapper();
            for (String[] tagDigest : List.of(new String[]{"1.0", first.manifestDigest()}, new String[]{"2.0", second.manifestDigest()})) {
                String out = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false",
                        "docker://" + registry.host() + "/archcore/real-app:" + tagDigest[0]).ok("skopeo inspect").text();
                assertThat(json.readTree(out).path("Digest").asText()).isEqualTo(tagDigest[1]);
            }
        }
    }

    /** Finished blob uploads (PUT .../blobs/uploads/...?digest=) in the registry's access log. */
    static int uploads(String registryLog) {
        Matcher m = Pattern.compile("\"PUT /v2/[^\" ]*/blobs/uploads/[^\" ]*digest=[^\"]*\" 201").matcher(registryLog);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
