package dev.archcore.pacman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signs with {@link PackageSigner} and verifies with the real gpg, as pacman would. */
class PackageSignerTest {

    /** After the keys' creation, so it is used as is; whole seconds like OpenPGP. */
    private static final Instant BUILD_TIME = Instant.now().plusSeconds(3600).truncatedTo(ChronoUnit.SECONDS);

    @TempDir
    static Path work;

    /** Own short dir under /tmp: gpg-agent's socket path must stay under ~100 characters. */
    private static Path gnupgHome;
    private static String edFingerprint;
    private static String edEncryptSubkey;
    private static String rsaFingerprint;
    private static Path edBinary;
    private static Path edArmored;
    private static Path rsaBinary;
    private static Path rsaArmored;

    @BeforeAll
    static void makeKeys() throws Exception {
        try {
            new ProcessBuilder("gpg", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            fail("gpg not found: run scripts/setup");
        }
        gnupgHome = Files.createTempDirectory(Path.of("/tmp"), "acgpg",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));

        gpgOk("--passphrase", "", "--quick-gen-key", "Test Packager <t@example.invalid>", "ed25519", "sign", "never");
        edFingerprint = fingerprints("t@example.invalid").get(0);
        // an encryption subkey, to check it is skipped and refused for signing
        gpgOk("--passphrase", "", "--quick-add-key", edFingerprint, "cv25519", "encr", "never");
        edEncryptSubkey = fingerprints("t@example.invalid").get(1);
        gpgOk("--passphrase", "secret", "--quick-gen-key", "RSA Packager <rsa@example.invalid>",
                "rsa3072", "sign", "never");
        rsaFingerprint = fingerprints("rsa@example.invalid").get(0);

        edBinary = export(edFingerprint, "", false, "ed.gpg");
        edArmored = export(edFingerprint, "", true, "ed.asc");
        rsaBinary = export(rsaFingerprint, "secret", false, "rsa.gpg");
        rsaArmored = export(rsaFingerprint, "secret", true, "rsa.asc");
        assertThat(Files.readString(edArmored, StandardCharsets.US_ASCII)).startsWith("-----BEGIN PGP PRIVATE KEY BLOCK");
    }

    @AfterAll
    static void killAgent() throws Exception {
        if (gnupgHome == null) {
            return;
        }
        run(List.of("gpgconf", "--kill", "gpg-agent"));
        try (Stream<Path> files = Files.walk(gnupgHome)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void ed25519SignatureVerifiesWithGpgAndTamperingIsCaught() throws Exception {
        PackageSigner signer = PackageSigner.fromSecretKeyring(edBinary, null, new char[0]);
        assertThat(signer.fingerprint()).isEqualTo(edFingerprint);

        Path pkg = randomFile("ed-1.0-1-x86_64.pkg.tar.zst");
        Path sig = Path.of(pkg + ".sig");
        signer.signDetached(pkg, sig, BUILD_TIME);

        byte[] bytes = Files.readAllBytes(sig);
        assertThat(bytes.length).isLessThan(16384);
        assertThat(bytes[0] & 0x80).as("binary packet, not armor").isNotZero();
        assertValid(sig, pkg, edFingerprint, BUILD_TIME);
        assertThat(Files.getPosixFilePermissions(sig)).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        try (Stream<Path> left = Files.list(work)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        byte[] data = Files.readAllBytes(pkg);
        data[data.length / 2] ^= 1;
        Files.write(pkg, data);
        assertThat(gpg("--verify", sig.toString(), pkg.toString()).exit()).isNotZero();
    }

    @Test
    void ed25519SignaturesAreDeterministic() throws Exception {
        // armored export and a 0x short id in lower case pick the same key
        PackageSigner signer = PackageSigner.fromSecretKeyring(edArmored,
                "0x" + edFingerprint.substring(32).toLowerCase(), null);
        assertThat(signer.fingerprint()).isEqualTo(edFingerprint);
        byte[] data = "same input".getBytes(StandardCharsets.UTF_8);

        byte[] first = signer.sign(new ByteArrayInputStream(data), BUILD_TIME);
        byte[] second = PackageSigner.fromSecretKeyring(edBinary, edFingerprint.substring(24), null)
                .sign(new ByteArrayInputStream(data), BUILD_TIME);
        assertThat(second).isEqualTo(first);
        assertThat(signer.sign(new ByteArrayInputStream(data), BUILD_TIME.plusSeconds(1))).isNotEqualTo(first);
    }

    @Test
    void rsaProtectedKeyVerifiesWithGpg() throws Exception {
        for (Path keyring : List.of(rsaBinary, rsaArmored)) {
            PackageSigner signer = PackageSigner.fromSecretKeyring(keyring, rsaFingerprint.toLowerCase(),
                    "secret".toCharArray());
            assertThat(signer.fingerprint()).isEqualTo(rsaFingerprint);
            Path pkg = randomFile("rsa-" + keyring.getFileName() + ".pkg.tar.zst");
            Path sig = Path.of(pkg + ".sig");
            signer.signDetached(pkg, sig, BUILD_TIME);
            assertThat(Files.size(sig)).isLessThan(16384);
            assertValid(sig, pkg, rsaFingerprint, BUILD_TIME);
        }
    }

    @Test
    void buildTimeBeforeKeyCreationUsesKeyCreationTime() throws Exception {
        PackageSigner signer = PackageSigner.fromSecretKeyring(edBinary, edFingerprint, null);
        Path pkg = randomFile("old-1.0-1-any.pkg.tar.zst");
        Path sig = Path.of(pkg + ".sig");
        signer.signDetached(pkg, sig, Instant.parse("2000-01-01T00:00:00Z"));
        Instant keyCreated = Instant.ofEpochSecond(Long.parseLong(
                gpgOk("--with-colons", "--list-keys", edFingerprint).lines()
                        .filter(l -> l.startsWith("pub:")).findFirst().orElseThrow().split(":")[5]));
        assertValid(sig, pkg, edFingerprint, keyCreated);
    }

    @Test
    void wrongPassphraseSaysSoWithoutLeakingIt() {
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(rsaBinary, rsaFingerprint, "hunter2".toCharArray()))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining("wrong passphrase")
                .hasMessageContaining(rsaFingerprint)
                .hasMessageContaining(rsaBinary.toString())
                .hasMessageContaining("ARCHCORE_GPG_PASSPHRASE")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(rsaArmored, null, null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining("no passphrase was given");
    }

    @Test
    void unknownOrUnusableKeysGiveClearErrors() {
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(edBinary, "0xDEADBEEFDEADBEEF", null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining("no secret key 0xDEADBEEFDEADBEEF")
                .hasMessageContaining(edBinary.toString())
                .hasMessageContaining(edFingerprint);
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(edBinary, "not-hex", null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining("'not-hex'")
                .hasMessageContaining(edBinary.toString());
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(edBinary, edEncryptSubkey, null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining("cannot sign (encryption only)")
                .hasMessageContaining(edEncryptSubkey);
        Path missing = work.resolve("missing.gpg");
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(missing, null, null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining(missing + " does not exist")
                .hasMessageContaining("gpg --export-secret-keys");
    }

    @Test
    void publicKeyExportIsRejected() throws Exception {
        Path pub = work.resolve("public.gpg");
        Files.write(pub, gpgBytes("--export", edFingerprint));
        assertThatThrownBy(() -> PackageSigner.fromSecretKeyring(pub, null, null))
                .isInstanceOf(PackageSigner.SigningException.class)
                .hasMessageContaining(pub.toString())
                .hasMessageContaining("--export-secret-keys");
    }

    // ---- gpg plumbing

    private static void assertValid(Path sig, Path file, String fingerprint, Instant time) throws Exception {
        Result r = gpg("--status-fd", "1", "--verify", sig.toString(), file.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        // VALIDSIG <fpr> <date> <timestamp> <expire> <version> <reserved> <pk-algo> <hash-algo> <class>
        String validsig = r.output().lines().filter(l -> l.startsWith("[GNUPG:] VALIDSIG ")).findFirst()
                .orElseThrow(() -> new AssertionError(r.output()));
        String[] f = validsig.split(" ");
        assertThat(f[2]).isEqualTo(fingerprint);
        assertThat(f[4]).isEqualTo(Long.toString(time.getEpochSecond()));
        assertThat(f[9]).as("SHA-256").isEqualTo("8");
        assertThat(f[10]).as("binary document").isEqualTo("00");
    }

    private static Path randomFile(String name) throws IOException {
        byte[] data = new byte[300_000];
        new Random(name.hashCode()).nextBytes(data);
        return Files.write(work.resolve(name), data);
    }

    private static List<String> fingerprints(String uid) throws Exception {
        return gpgOk("--with-colons", "--list-secret-keys", uid).lines()
                .filter(l -> l.startsWith("fpr:")).map(l -> l.split(":")[9]).toList();
    }

    private static Path export(String fingerprint, String passphrase, boolean armor, String name) throws Exception {
        List<String> args = new ArrayList<>(List.of("--passphrase", passphrase));
        if (armor) {
            args.add("--armor");
        }
        args.addAll(List.of("--export-secret-keys", fingerprint));
        return Files.write(work.resolve(name), gpgBytes(args.toArray(String[]::new)));
    }

    private static String gpgOk(String... args) throws Exception {
        Result r = gpg(args);
        assertThat(r.exit()).as("gpg %s: %s", Arrays.toString(args), r.output()).isZero();
        return r.output();
    }

    private static byte[] gpgBytes(String... args) throws Exception {
        Process p = gpgProcess(args).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("gpg %s", Arrays.toString(args)).isTrue();
        assertThat(out).isNotEmpty();
        return out;
    }

    private static Result gpg(String... args) throws Exception {
        return run(gpgProcess(args).command());
    }

    private static ProcessBuilder gpgProcess(String... args) {
        List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("GNUPGHOME", gnupgHome.toString());
        return pb;
    }

    private static Result run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("GNUPGHOME", gnupgHome.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " timed out: " + output);
        }
        return new Result(p.exitValue(), output);
    }

    private record Result(int exit, String output) {
    }
}
