package dev.archcore.repo;

import dev.archcore.testing.MirrorServer;
import dev.archcore.testing.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A build that checks no signature loads no Bouncy Castle class and reads no keyring file: {@link NoSignatureProcess}
 * runs in a fresh JVM with {@code -Xlog:class+load}, whose trace is the proof (loading and verifying Bouncy
 * Castle's signed jars cost about 0.15 s of every image build). The keyring it is given does not exist, so reading
 * it would fail the run.
 */
class KeyringClassLoadingTest {

    @TempDir
    static Path shared;

    private static TestRepository repo;
    private static MirrorServer mirror;

    @BeforeAll
    static void repository() {
        repo = TestRepository.create(shared.resolve("repo"), TestKeys.get());
        mirror = repo.serveAll(new MirrorServer(MirrorServer.Fault.NONE));
    }

    @AfterAll
    static void stop() {
        mirror.close();
    }

    @Test
    void noSignatureCheckedMeansNoBouncyCastleAndNoKeyringRead(@TempDir Path work) throws Exception {
        Path missing = work.resolve("no-such-keyring.gpg");
        Run run = run("none", missing, work);

        assertThat(run.out).contains("empty keyring  (0 keys, 0 trusted, 0 revoked) keys=0 trusted=0 revoked=0"
                + " fingerprints=[] sources=[] unsigned=NO_SIGNATURE");
        assertThat(run.out).contains("fetched " + repo.packages.size()
                + " with keyring (read when a signature is checked) loaded=false");
        assertThat(Files.exists(missing)).isFalse();
        assertThat(run.loaded).contains(Keyring.class.getName(), PackageFetcher.class.getName())
                .noneMatch(c -> c.startsWith("org.bouncycastle."))
                .doesNotContain(OpenPgpKeyring.class.getName(), WebOfTrust.class.getName());
    }

    @Test
    void aSignatureCheckedWithTheEmptyKeyringLoadsBouncyCastleAndSaysItIsNoSignature(@TempDir Path work)
            throws Exception {
        Run run = run("verify", work.resolve("no-such-keyring.gpg"), work);

        assertThat(run.out).contains("garbage BAD_SIGNATURE: the signature data (15 bytes) is not an OpenPGP signature");
        assertThat(run.loaded).contains(OpenPgpKeyring.class.getName())
                .anyMatch(c -> c.startsWith("org.bouncycastle.openpgp."));
    }

    private record Run(String out, List<String> loaded) {
    }

    private static Run run(String mode, Path keyring, Path work) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path trace = work.resolve("class-load.log");
        Process p = new ProcessBuilder(java, "-Xlog:class+load=info:file=" + trace, "-cp", classpath,
                NoSignatureProcess.class.getName(), mode, keyring.toString(), work.resolve("cache").toString(),
                repo.database.toString(), mirror.url()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("process did not finish:\n" + out);
        }
        assertThat(p.exitValue()).as(out).isZero();
        // "[0.123s][info][class,load] org.example.Name source: ..."
        List<String> loaded = Files.readAllLines(trace).stream()
                .map(l -> l.replaceFirst("^(\\[[^]]*])+\\s*", ""))
                .map(l -> l.split(" ", 2)[0])
                .toList();
        return new Run(out, loaded);
    }
}
