package dev.archcore.repo;

import dev.archcore.repo.SignatureCheck.Status;
import dev.archcore.testing.TestKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Signatures made by the real gpg with test keys, judged by {@link Keyring}: each verdict and its message. */
class KeyringTest {

    @TempDir
    static Path work;

    private static TestKeys keys;
    private static Keyring keyring;
    private static Path file;

    @BeforeAll
    static void setUp() throws IOException {
        keys = TestKeys.get();
        keyring = Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING);
        file = work.resolve("payload.bin");
        Files.write(file, "some package bytes\n".repeat(1000).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsThePacmanKeyringFiles() {
        assertThat(keyring.keyCount()).isEqualTo(8);
        assertThat(keyring.trustedCount()).isEqualTo(3);
        assertThat(keyring.revokedCount()).isEqualTo(1);
        assertThat(keyring.fingerprints()).contains(keys.master1, keys.packager).doesNotContain(keys.stranger);
    }

    @Test
    void packagerCertifiedByThreeMastersIsValid() {
        SignatureCheck check = keyring.verify(file, keys.sign(keys.packager, file));
        assertThat(check.status()).isEqualTo(Status.VALID);
        assertThat(check.fingerprint()).isEqualTo(keys.packager);
        assertThat(check.signer()).isEqualTo("Packager <packager@example.invalid>");
        assertThat(check.accepted(false)).isTrue();
    }

    @Test
    void aMasterKeyItselfIsValid() {
        assertThat(keyring.verify(file, keys.sign(keys.master2, file)).status()).isEqualTo(Status.VALID);
    }

    @Test
    void twoCertificationsAreMarginalSoOnlyTrustAllAccepts() {
        SignatureCheck check = keyring.verify(file, keys.sign(keys.marginal, file));
        assertThat(check.status()).isEqualTo(Status.UNTRUSTED);
        assertThat(check.accepted(false)).isFalse();
        assertThat(check.accepted(true)).isTrue();
        assertThat(check.detail()).contains(keys.marginal, "only 2 of the 3", "TrustAll");
    }

    @Test
    void keyNotInTheKeyringIsUnknown() {
        SignatureCheck check = keyring.verify(file, keys.sign(keys.stranger, file));
        assertThat(check.status()).isEqualTo(Status.UNKNOWN_KEY);
        assertThat(check.accepted(true)).isFalse();
        assertThat(check.detail()).contains(keys.stranger, "not in the keyring", TestKeys.KEYRING + ".gpg");
    }

    @Test
    void changedDataIsABadSignature() throws IOException {
        byte[] sig = keys.sign(keys.packager, file);
        byte[] tampered = Files.readAllBytes(file);
        tampered[100] ^= 1;
        SignatureCheck check = keyring.verify(tampered, sig);
        assertThat(check.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(check.accepted(true)).isFalse();
        assertThat(check.detail()).contains(keys.packager, "does not match the data");
    }

    @Test
    void missingOrGarbageSignature() {
        assertThat(keyring.verify(file, null).status()).isEqualTo(Status.NO_SIGNATURE);
        assertThat(keyring.verify(file, new byte[0]).status()).isEqualTo(Status.NO_SIGNATURE);
        SignatureCheck garbage = keyring.verify(file, "not a signature".getBytes(StandardCharsets.UTF_8));
        assertThat(garbage.status()).isEqualTo(Status.BAD_SIGNATURE);
        assertThat(garbage.detail()).contains("not an OpenPGP signature");
    }

    @Test
    void revokedListDisablesAKeyEvenWithTrustAll() {
        SignatureCheck check = keyring.verify(file, keys.sign(keys.disabled, file));
        assertThat(check.status()).isEqualTo(Status.REVOKED);
        assertThat(check.accepted(true)).isFalse();
        assertThat(check.detail()).contains("-revoked");
    }

    @Test
    void keyRevokedByItsOwner() {
        SignatureCheck check = keyring.verify(keys.revokedPayload(), keys.revokedSignature());
        assertThat(check.status()).isEqualTo(Status.REVOKED);
        assertThat(check.accepted(true)).isFalse();
        assertThat(check.detail()).contains(keys.selfRevoked, "revoked by its owner");
    }

    @Test
    void expiredKeyIsUntrustedAndRefusedForSignaturesMadeAfterItExpired() {
        // like pacman: a key that has expired since is no longer trusted, but TrustAll takes the signature
        SignatureCheck inTime = keyring.verify(file, keys.signBeforeExpiry(file));
        assertThat(inTime.status()).isEqualTo(Status.UNTRUSTED);
        assertThat(inTime.accepted(true)).isTrue();
        assertThat(inTime.detail()).contains("expired on", "update the keyring");
        // made after the expiry: refused even with TrustAll (pacman would take it with TrustAll)
        SignatureCheck late = keyring.verify(file, keys.signAfterExpiry(file));
        assertThat(late.status()).isEqualTo(Status.EXPIRED_KEY);
        assertThat(late.accepted(true)).isFalse();
        assertThat(late.detail()).contains(keys.expired, "had expired on");
    }

    @Test
    void projectKeyringTrustsItsKeysIncludingASigningSubkey() {
        Keyring project = Keyring.project(keys.projectKeyFile());
        SignatureCheck check = project.verify(file, keys.sign(keys.signingSubkey + "!", file));
        assertThat(check.status()).isEqualTo(Status.VALID);
        assertThat(check.fingerprint()).isEqualTo(keys.subkeyOwner);
        // the pacman keyring alone does not know the project key
        assertThat(keyring.verify(file, keys.sign(keys.signingSubkey + "!", file)).status())
                .isEqualTo(Status.UNKNOWN_KEY);
    }

    @Test
    void combinedKeyringsKnowBothAndKeepTheRevocations() {
        Keyring both = Keyring.combine(keyring, Keyring.project(keys.strangerKeyFile()),
                Keyring.project(keys.keyringDir().resolve(TestKeys.KEYRING + ".gpg")));
        assertThat(both.keyCount()).isEqualTo(9);
        assertThat(both.verify(file, keys.sign(keys.stranger, file)).status()).isEqualTo(Status.VALID);
        assertThat(both.verify(file, keys.sign(keys.packager, file)).status()).isEqualTo(Status.VALID);
        // trusted through the project keyring now, but the -revoked list still wins
        assertThat(both.verify(file, keys.sign(keys.marginal, file)).status()).isEqualTo(Status.VALID);
        assertThat(both.verify(file, keys.sign(keys.disabled, file)).status()).isEqualTo(Status.REVOKED);
    }

    @Test
    void armoredFileWithSeveralBlocks() throws IOException {
        Path two = work.resolve("two.asc");
        Files.writeString(two, Files.readString(keys.projectKeyFile()) + "\n" + Files.readString(keys.strangerKeyFile()));
        Keyring k = Keyring.project(two);
        assertThat(k.keyCount()).isEqualTo(2);
        assertThat(k.fingerprints()).containsExactlyInAnyOrder(keys.subkeyOwner, keys.stranger);
    }

    @Test
    void unreadableFilesFailNamingTheFileAndTheFix() throws IOException {
        Path missing = work.resolve("nope.gpg");
        assertThatThrownBy(() -> Keyring.project(missing)).isInstanceOf(Keyring.KeyringException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        Path text = Files.writeString(work.resolve("text.gpg"), "hello");
        assertThatThrownBy(() -> Keyring.project(text)).hasMessageContaining(text.toString())
                .hasMessageContaining("gpg --export");
        Path dir = Files.createDirectories(work.resolve("badtrust"));
        Files.copy(keys.keyringDir().resolve(TestKeys.KEYRING + ".gpg"), dir.resolve("x.gpg"));
        Files.writeString(dir.resolve("x-trusted"), keys.master1 + ":4:\nnot-a-fingerprint:4:\n");
        assertThatThrownBy(() -> Keyring.pacman(dir, "x")).hasMessageContaining("x-trusted line 2")
                .hasMessageContaining("FINGERPRINT:LEVEL");
    }

    @Test
    void aLazyKeyringIsReadOnceWhenASignatureIsFirstChecked() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        Keyring lazy = Keyring.lazy(() -> {
            reads.incrementAndGet();
            return Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING);
        });
        assertThat(lazy.toString()).isEqualTo("keyring (read when a signature is checked)");
        assertThat(lazy.verify(file, null).status()).isEqualTo(Status.NO_SIGNATURE);
        Keyring combined = Keyring.combine(Keyring.EMPTY, lazy);
        assertThat(reads).hasValue(0);

        // four builds' threads check at once: one reads the files, all get its keys
        byte[] sig = keys.sign(keys.packager, file);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<SignatureCheck>> checks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                checks.add(pool.submit(() -> {
                    start.await();
                    return lazy.verify(file, sig);
                }));
            }
            start.countDown();
            for (Future<SignatureCheck> check : checks) {
                assertThat(check.get().status()).isEqualTo(Status.VALID);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(reads).hasValue(1);
        assertThat(lazy.keyCount()).isEqualTo(keyring.keyCount());
        assertThat(lazy.fingerprints()).isEqualTo(keyring.fingerprints());
        assertThat(lazy).hasToString(keyring.toString());
        assertThat(reads).hasValue(1);

        // the combination made before the read reads its parts when it is first used, the lazy one is not read again
        assertThat(combined.verify(file, sig).status()).isEqualTo(Status.VALID);
        assertThat(combined).hasToString(keyring.toString());
        assertThat(reads).hasValue(1);
    }

    @Test
    void aLazyKeyringOfABadFileFailsAtTheFirstCheckWithTheMessageOfAnEagerRead() throws IOException {
        Path text = Files.writeString(work.resolve("lazy-text.gpg"), "hello");
        Path missing = work.resolve("lazy-nope.gpg");
        byte[] sig = keys.sign(keys.packager, file);
        for (Path bad : List.of(text, missing)) {
            Throwable eager = catchThrowable(() -> Keyring.project(bad));
            Keyring lazy = Keyring.lazy(() -> Keyring.project(bad));
            assertThat(lazy.verify(file, new byte[0]).status()).isEqualTo(Status.NO_SIGNATURE);
            assertThatThrownBy(() -> lazy.verify(file, sig)).isInstanceOf(Keyring.KeyringException.class)
                    .hasMessage(eager.getMessage()).hasMessageContaining(bad.toString());
            // not remembered as a failure: a later use reads again, and fails the same way
            assertThatThrownBy(lazy::keyCount).hasMessage(eager.getMessage());
        }
    }

    @Test
    void theEmptyKeyringStillSaysWhoseKeyASignatureNeeds() {
        assertThat(Keyring.EMPTY).hasToString("keyring  (0 keys, 0 trusted, 0 revoked)");
        assertThat(Keyring.combine(Keyring.EMPTY, Keyring.EMPTY).keyCount()).isZero();
        SignatureCheck check = Keyring.EMPTY.verify(file, keys.sign(keys.packager, file));
        assertThat(check.status()).isEqualTo(Status.UNKNOWN_KEY);
        assertThat(check.detail()).contains(keys.packager, "not in the keyring ()");
        assertThat(Keyring.EMPTY.verify(file, "garbage".getBytes(StandardCharsets.UTF_8)).detail())
                .isEqualTo("the signature data (7 bytes) is not an OpenPGP signature");
    }
}
