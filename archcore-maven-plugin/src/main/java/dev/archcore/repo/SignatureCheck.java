package dev.archcore.repo;

/**
 * The outcome of checking one detached signature against a {@link Keyring}: whether it is valid, who made it
 * and, when it is not acceptable, why, in words a user can act on.
 *
 * @param status      what the check found
 * @param fingerprint the signing key's primary fingerprint (uppercase hex), or the issuer key id when the key
 *                    is not in the keyring; empty when there was no usable signature
 * @param signer      the signing key's user id, or empty
 * @param detail      one phrase saying why the signature is not acceptable (empty when valid)
 */
public record SignatureCheck(Status status, String fingerprint, String signer, String detail) {

    public enum Status {
        /** Good signature by a key the keyring trusts. */
        VALID,
        /** No signature was given (no {@code %PGPSIG%} and no {@code .sig}). */
        NO_SIGNATURE,
        /** The signature does not match the data, or is not an OpenPGP signature at all. */
        BAD_SIGNATURE,
        /** The signing key is not in the keyring. */
        UNKNOWN_KEY,
        /** The signing key is in a {@code -revoked} list (pacman "disabled") or revoked by its owner. */
        REVOKED,
        /** The signing key (or subkey) had expired when the signature was made. */
        EXPIRED_KEY,
        /** The signature itself carries an expiry that has passed. */
        EXPIRED_SIGNATURE,
        /** Good signature by a known key that the keyring does not trust: acceptable only with TrustAll. */
        UNTRUSTED
    }

    public static SignatureCheck none() {
        return new SignatureCheck(Status.NO_SIGNATURE, "", "", "no signature");
    }

    public boolean valid() {
        return status == Status.VALID;
    }

    /** pacman's rule: a good signature counts, and so does an untrusted one when the SigLevel says TrustAll. */
    public boolean accepted(boolean trustAll) {
        return status == Status.VALID || (trustAll && status == Status.UNTRUSTED);
    }

    /** Who signed, for messages: {@code "Name <mail> (FINGERPRINT)"} or just the fingerprint. */
    public String who() {
        if (signer.isEmpty()) {
            return fingerprint.isEmpty() ? "an unknown key" : "key " + fingerprint;
        }
        return signer + " (" + fingerprint + ")";
    }

    @Override
    public String toString() {
        return status == Status.VALID ? "valid signature by " + who() : detail;
    }
}
