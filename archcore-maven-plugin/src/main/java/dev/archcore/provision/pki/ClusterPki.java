package dev.archcore.provision.pki;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Log;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.IPAddress;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The cluster's own PKI, made on first use and kept in a folder outside version control: a CA, the registry's
 * TLS certificate (signed by the CA, the registry's addresses and names as subject alternative names), the
 * registry's bcrypt htpasswd file, and etcd's: its server certificate (the master's addresses and 127.0.0.1) and
 * two client certificates, one for fleet on every node and one for archcore itself (the update window's health
 * check), which etcd asks for (client-certificate authentication against this CA). Later runs reuse every file;
 * a certificate is issued again only when its names no longer cover the master (a new IP), it expires within 30
 * days or another CA signed it, so the nodes keep trusting the same CA.
 * <p>
 * The registry password is the one given (from settings.xml, as push reads it), else the one stored in
 * {@code registry.password} (0600), else a new random one written there. It is never logged.
 */
public final class ClusterPki {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration CERT_VALIDITY = Duration.ofDays(825);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._-]+");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where the files are, and what the node files need of them (the private key stays out of logs). */
    public record Material(Path directory, String caCertificatePem, String registryCertificatePem,
                           String registryKeyPem, String htpasswd, String username, String etcdCertificatePem,
                           String etcdKeyPem, String fleetEtcdCertificatePem, String fleetEtcdKeyPem) {
        @Override
        public String toString() {
            return "ClusterPki.Material[" + directory + ", user " + username + "]";
        }
    }

    /**
     * @param directory      the PKI folder (created 0700)
     * @param clusterName    the CA's common name part, e.g. the project's artifactId
     * @param registryNames  IP addresses and DNS names the registry is reached by
     * @param username       the registry user
     * @param password       the registry password, or null to use the stored or a new generated one
     */
    public record Request(Path directory, String clusterName, List<String> registryNames, String username,
                          String password, Log log) {
        @Override
        public String toString() {
            return "ClusterPki.Request[" + directory + ", " + registryNames + ", user " + username + "]";
        }
    }

    private ClusterPki() {
    }

    /** The CA certificate in a PKI folder, which the registry's clients trust (archcore:push, Docker on the nodes). */
    public static Path caCertificate(Path directory) {
        return directory.resolve("ca.crt");
    }

    /** The registry password generated into a PKI folder, or empty when there is no such file (it came from settings.xml). */
    public static Optional<String> storedPassword(Path directory) throws IOException {
        Path file = passwordFile(directory);
        return Files.isRegularFile(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip()) : Optional.empty();
    }

    public static Path passwordFile(Path directory) {
        return directory.resolve("registry.password");
    }

    /** archcore's own etcd client certificate (for the update window's health check), never sent to a node. */
    public static Path archcoreEtcdCertificate(Path directory) {
        return directory.resolve("etcd-archcore.crt");
    }

    public static Path archcoreEtcdKey(Path directory) {
        return directory.resolve("etcd-archcore.key");
    }

    /** The names etcd's server certificate carries: the master's, and loopback (the tunnel's end, fleet on the master). */
    static List<String> etcdNames(List<String> registryNames) {
        Set<String> names = new LinkedHashSet<>(registryNames);
        names.add("127.0.0.1");
        names.add("localhost");
        return List.copyOf(names);
    }

    public static Material ensure(Request request) throws PkiException {
        Path dir = request.directory();
        Log log = request.log() == null ? Log.NONE : request.log();
        if (request.username() == null || !USER.matcher(request.username()).matches()) {
            throw new PkiException("the registry user name '" + request.username() + "' is not usable in an htpasswd "
                    + "file: use letters, digits, '.', '_' or '-' (settings.xml <username> of the registry's server)");
        }
        if (request.registryNames().isEmpty()) {
            throw new PkiException("the registry certificate needs at least one address or name (archcore.registryIp)");
        }
        for (String name : request.registryNames()) {
            // Bouncy Castle would only say "IP Address is invalid", naming neither the address nor its parameter
            if (isIpAddress(name) && !IPAddress.isValid(name)) {
                throw new PkiException("the registry certificate cannot name '" + name + "': it is not a valid IP address "
                        + "(archcore.registryIp, or the host of archcore.registry)");
            }
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Instant now = Instant.now();

            Path caKeyFile = dir.resolve("ca.key");
            Path caCertFile = caCertificate(dir);
            KeyPair caKeys;
            X509CertificateHolder ca;
            if (Files.isRegularFile(caKeyFile) && Files.isRegularFile(caCertFile)) {
                caKeys = readKeyPair(caKeyFile, caCertFile);
                ca = readCertificate(caCertFile);
            } else {
                caKeys = newKeyPair();
                ca = issueCa(caKeys, "archcore " + request.clusterName() + " cluster CA", now);
                writePrivate(caKeyFile, pem(caKeys.getPrivate()));
                writePublic(caCertFile, pem(ca));
                log.info("Created the cluster CA " + caCertFile);
            }

            Leaf registry = leaf(dir, "registry", "the registry certificate", request.registryNames(),
                    KeyPurposeId.id_kp_serverAuth, caKeys, ca, caCertFile, now, log);
            Leaf etcd = leaf(dir, "etcd", "etcd's server certificate", etcdNames(request.registryNames()),
                    KeyPurposeId.id_kp_serverAuth, caKeys, ca, caCertFile, now, log);
            Leaf fleet = leaf(dir, "etcd-fleet", "fleet's etcd client certificate", List.of(),
                    KeyPurposeId.id_kp_clientAuth, caKeys, ca, caCertFile, now, log);
            leaf(dir, "etcd-archcore", "archcore's etcd client certificate", List.of(),
                    KeyPurposeId.id_kp_clientAuth, caKeys, ca, caCertFile, now, log);

            String password = request.password();
            Path passwordFile = passwordFile(dir);
            if (password == null || password.isEmpty()) {
                Optional<String> stored = storedPassword(dir);
                if (stored.isPresent()) {
                    password = stored.get();
                } else {
                    byte[] secret = new byte[24];
                    RANDOM.nextBytes(secret);
                    password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
                    writePrivate(passwordFile, password + "\n");
                    // what archcore:push really does (AbstractClusterMojo.pkiCredentials): this file is its last resort
                    log.info("Generated the registry password for user " + request.username() + " into " + passwordFile
                            + " (0600). archcore:push and archcore:deploy use it from there (archcore.pkiDirectory) "
                            + "when no other credentials for the registry are given (archcore.registry.username/password, "
                            + "a settings.xml <server> with the registry's host:port as id, Docker's config.json, "
                            + "ARCHCORE_REGISTRY_USERNAME/ARCHCORE_REGISTRY_PASSWORD); to choose the password yourself, "
                            + "put it in that settings.xml <server> and run archcore:iso again.");
                }
            }
            Path htpasswdFile = dir.resolve("htpasswd");
            String htpasswd = Files.isRegularFile(htpasswdFile) ? Files.readString(htpasswdFile, StandardCharsets.UTF_8) : "";
            if (!htpasswdMatches(htpasswd, request.username(), password)) {
                byte[] salt = new byte[16];
                RANDOM.nextBytes(salt);
                htpasswd = request.username() + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 10) + "\n";
                writePrivate(htpasswdFile, htpasswd);
                log.info("Wrote the registry's htpasswd file " + htpasswdFile + " (bcrypt)");
            }
            return new Material(dir, Files.readString(caCertFile), registry.certificatePem(), registry.keyPem(),
                    htpasswd, request.username(), etcd.certificatePem(), etcd.keyPem(), fleet.certificatePem(),
                    fleet.keyPem());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new PkiException("cannot create or read the cluster PKI in " + dir + ": " + e.getMessage()
                    + ". Check the folder (archcore.pkiDirectory) is writable; delete a damaged file there to have it made again.", e);
        }
    }

    private record Leaf(String certificatePem, String keyPem) {
        @Override
        public String toString() {
            return "Leaf[certificate]";
        }
    }

    /**
     * {@code <name>.key} (0600) and {@code <name>.crt}, signed by the CA for {@code purpose}, with {@code names} as
     * subject alternative names (a server) or none (a client, named by its common name); kept while it names them
     * all, lasts 30 more days and was signed by this CA, else issued again.
     */
    private static Leaf leaf(Path dir, String name, String what, List<String> names, KeyPurposeId purpose, KeyPair caKeys,
                             X509CertificateHolder ca, Path caCertFile, Instant now, Log log)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        Path keyFile = dir.resolve(name + ".key");
        Path certFile = dir.resolve(name + ".crt");
        String reason = null;
        if (!Files.isRegularFile(keyFile) || !Files.isRegularFile(certFile)) {
            reason = "first run";
        } else {
            X509CertificateHolder cert = readCertificate(certFile);
            Set<String> missing = new LinkedHashSet<>(names);
            missing.removeAll(subjectAltNames(cert));
            if (!missing.isEmpty()) {
                reason = "it does not name " + String.join(", ", missing);
            } else if (cert.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
                reason = "it expires on " + cert.getNotAfter().toInstant();
            } else if (!signedBy(cert, ca)) {
                reason = "it is not signed by " + caCertFile;
            }
        }
        if (reason != null) {
            KeyPair keys = newKeyPair();
            X509CertificateHolder cert = issueLeaf(keys, caKeys.getPrivate(), ca, names.isEmpty() ? name : names.get(0),
                    names, purpose, now);
            writePrivate(keyFile, pem(keys.getPrivate()));
            writePublic(certFile, pem(cert));
            log.info("Issued " + what + " " + certFile + (names.isEmpty() ? "" : " for " + String.join(", ", names))
                    + " (" + reason + ")");
        }
        return new Leaf(Files.readString(certFile), Files.readString(keyFile));
    }

    static boolean htpasswdMatches(String htpasswd, String user, String password) {
        for (String line : htpasswd.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equals(user)) {
                String hash = line.substring(colon + 1).strip();
                try {
                    return hash.startsWith("$2y$") && OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
                } catch (IllegalArgumentException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509CertificateHolder issueCa(KeyPair keys, String name, Instant now)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        X500Name subject = new X500Name("CN=" + name.replaceAll("[,+=\"\\\\<>;]", "_"));
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), subject, keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        return builder.build(signer(keys.getPrivate()));
    }

    private static X509CertificateHolder issueLeaf(KeyPair keys, PrivateKey caKey, X509CertificateHolder ca, String commonName,
                                                   List<String> names, KeyPurposeId purpose, Instant now)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        X500Name subject = new X500Name("CN=" + commonName.replaceAll("[,+=\"\\\\<>;]", "_"));
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.getSubject(), serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CERT_VALIDITY)), subject, keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        if (!names.isEmpty()) {
            List<GeneralName> sans = new ArrayList<>();
            for (String n : names) {
                sans.add(isIpAddress(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
        }
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                ext.createAuthorityKeyIdentifier(ca.getSubjectPublicKeyInfo()));
        return builder.build(signer(caKey));
    }

    static boolean isIpAddress(String name) {
        return name.matches("[0-9.]+") || name.contains(":");
    }

    static Set<String> subjectAltNames(X509CertificateHolder cert) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        GeneralNames sans = GeneralNames.fromExtensions(cert.getExtensions(), Extension.subjectAlternativeName);
        if (sans != null) {
            for (GeneralName n : sans.getNames()) {
                if (n.getTagNo() == GeneralName.dNSName) {
                    names.add(n.getName().toString());
                } else if (n.getTagNo() == GeneralName.iPAddress) {
                    byte[] raw = org.bouncycastle.asn1.ASN1OctetString.getInstance(n.getName()).getOctets();
                    names.add(InetAddress.getByAddress(raw).getHostAddress());
                }
            }
        }
        return names;
    }

    private static boolean signedBy(X509CertificateHolder cert, X509CertificateHolder ca) {
        try {
            return cert.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca));
        } catch (Exception e) {
            return false;
        }
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair readKeyPair(Path keyFile, Path certFile) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(Files.readString(keyFile)))) {
            Object o = parser.readObject();
            if (!(o instanceof PrivateKeyInfo info)) {
                throw new IOException(keyFile + " holds no PKCS#8 private key");
            }
            PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(info);
            return new KeyPair(new JcaPEMKeyConverter().getPublicKey(readCertificate(certFile).getSubjectPublicKeyInfo()), key);
        }
    }

    private static X509CertificateHolder readCertificate(Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(Files.readString(file)))) {
            Object o = parser.readObject();
            if (!(o instanceof X509CertificateHolder holder)) {
                throw new IOException(file + " holds no PEM certificate");
            }
            return holder;
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(o instanceof PrivateKey key ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null) : o);
        }
        return out.toString();
    }

    private static void writePrivate(Path file, String text) throws IOException {
        AtomicFiles.write(file, "rw-------", out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void writePublic(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
