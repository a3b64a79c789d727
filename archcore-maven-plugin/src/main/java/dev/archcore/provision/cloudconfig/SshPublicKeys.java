package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.ProvisionException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Reads OpenSSH public key files ({@code ~/.ssh/id_*.pub}, {@code authorized_keys} style: one key a line,
 * {@code #} comments, options are not allowed). Each key is checked: a known type, base64 that decodes, and a
 * blob that starts with the same type name, as {@code ssh-keygen -l} would. Errors name the file and line and
 * never quote the line (a private key given by mistake must not reach the log).
 */
public final class SshPublicKeys {
    static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss");

    private SshPublicKeys() {
    }

    /** The default: every {@code id_*.pub} in {@code sshDir}, sorted by name. */
    public static List<Path> defaultFiles(Path sshDir) throws ProvisionException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(sshDir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(sshDir, "id_*.pub")) {
                ds.forEach(files::add);
            } catch (IOException e) {
                throw new ProvisionException("cannot list " + sshDir + ": " + e.getMessage());
            }
        }
        if (files.isEmpty()) {
            throw new ProvisionException("no SSH public key: there is no " + sshDir.resolve("id_*.pub") + ". Create one "
                    + "with ssh-keygen -t ed25519, or name the key files with archcore.sshPublicKeys "
                    + "(comma-separated paths of .pub files).");
        }
        files.sort(null);
        return files;
    }

    /** Every key of every file, in order, each as one normalized line {@code type base64 [comment]}. */
    public static List<String> read(List<Path> files) throws ProvisionException {
        List<String> keys = new ArrayList<>();
        for (Path file : files) {
            keys.addAll(read(file));
        }
        return keys;
    }

    public static List<String> read(Path file) throws ProvisionException {
        if (!Files.isRegularFile(file)) {
            throw new ProvisionException("SSH public key file " + file + " does not exist: create it (ssh-keygen -t ed25519) "
                    + "or fix archcore.sshPublicKeys.");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ProvisionException("cannot read SSH public key file " + file + ": " + e.getMessage(), e);
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            keys.add(parse(line, file + " line " + (i + 1)));
        }
        if (keys.isEmpty()) {
            throw new ProvisionException("SSH public key file " + file + " holds no key: put one public key "
                    + "(ssh-ed25519 AAAA... comment) on a line.");
        }
        return keys;
    }

    static String parse(String line, String where) throws ProvisionException {
        if (line.startsWith("-----BEGIN")) {
            throw new ProvisionException(where + ": this is a PEM block (a private key?), not an OpenSSH public key: "
                    + "name the .pub file instead (the key is not shown here).");
        }
        String[] parts = line.split("\\s+", 3);
        if (!TYPES.contains(parts[0])) {
            throw new ProvisionException(where + ": not an OpenSSH public key: it must start with a key type ("
                    + String.join(", ", TYPES.stream().sorted().toList()) + ") followed by the base64 key; "
                    + "key options (from=...) are not allowed here.");
        }
        if (parts.length < 2) {
            throw new ProvisionException(where + ": the " + parts[0] + " key has no base64 part: copy the whole line of the .pub file.");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new ProvisionException(where + ": the " + parts[0] + " key's base64 part does not decode (truncated or "
                    + "edited?): copy the line again from the .pub file.");
        }
        if (!parts[0].equals(blobType(blob))) {
            throw new ProvisionException(where + ": the key says " + parts[0] + " but its data is not a " + parts[0]
                    + " key (truncated or edited?): copy the line again from the .pub file.");
        }
        String comment = parts.length > 2 ? " " + parts[2].replaceAll("[\\p{Cntrl}]", "") : "";
        return parts[0] + " " + parts[1] + comment;
    }

    private static String blobType(byte[] blob) {
        if (blob.length < 4) {
            return null;
        }
        int length = ByteBuffer.wrap(blob).getInt();
        if (length < 0 || length > blob.length - 4) {
            return null;
        }
        return new String(blob, 4, length, StandardCharsets.US_ASCII);
    }
}
