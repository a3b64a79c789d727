package dev.archcore.repo;

import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A build that checks no signature, in its own JVM so that {@link KeyringClassLoadingTest} can trace which classes
 * it loads: {@link Keyring#EMPTY} asked everything but a signature check, and a lazy keyring of a file that does
 * not exist handed to a real fetch from repositories with SigLevel Never. With {@code verify} as the first
 * argument it then checks a garbage signature with {@link Keyring#EMPTY}, which must load Bouncy Castle (the
 * control that shows the trace sees it). Arguments: verify|none, keyring file, cache directory, database file,
 * server URL.
 */
public final class NoSignatureProcess {
    private NoSignatureProcess() {
    }

    public static void main(String[] args) {
        Keyring empty = Keyring.EMPTY;
        System.out.println("empty " + empty + " keys=" + empty.keyCount() + " trusted=" + empty.trustedCount()
                + " revoked=" + empty.revokedCount() + " fingerprints=" + empty.fingerprints()
                + " sources=" + empty.sources() + " unsigned=" + empty.verify(new byte[1], null).status());

        Keyring lazy = Keyring.lazy(() -> Keyring.project(Path.of(args[1])));
        SyncDatabase db = SyncDatabase.read(TestRepository.NAME, Path.of(args[3]));
        List<PackageFetcher.Request> requests = db.packages().stream()
                .map(p -> new PackageFetcher.Request(p, List.of(args[4]), SigLevel.NEVER))
                .toList();
        List<PackageFetcher.Fetched> fetched = new PackageFetcher(new PackageCache(Path.of(args[2]), Log.NONE), lazy,
                Log.NONE).fetch(requests);
        System.out.println("fetched " + fetched.size() + " with " + lazy + " loaded=" + lazy.loaded()
                + " " + Keyring.combine(empty, lazy));

        if (args[0].equals("verify")) {
            SignatureCheck check = empty.verify("data".getBytes(StandardCharsets.UTF_8),
                    "not a signature".getBytes(StandardCharsets.UTF_8));
            System.out.println("garbage " + check.status() + ": " + check.detail());
        }
    }
}
