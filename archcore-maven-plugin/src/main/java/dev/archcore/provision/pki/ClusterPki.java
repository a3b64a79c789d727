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
 * client certificates, which etcd asks for (client-certificate authentication against this CA): one for archcore
 * itself (the update window's health check) and one for fleet on each node ({@link #fleetClients}, common name the
 * node's name, sent to the node over SSH, never in user data). Later runs reuse every file;
 * a certificate is issued again only when its names no longer cover the master (a new IP), it expires within 30
 * days or another CA signed it, so the nodes keep trusting the same CA.
 * <p>
 * The registry password is the one given (from settings.xml, as push reads it), else the one stored in
 * {@code registry.password} (0600), else a new random one written there. It is never logged. The nodes log in as
 * a second user, {@code <user>-pull}, with its own generated password ({@code registry-pull.password}); the
 * htpasswd file here holds both, and the master gets each in its own file: docker-registry's htpasswd auth gives
 * every user it knows every right, so only the push side may know the push user and only the read-only side the
 * pull user ({@link Material#pushHtpasswd()}, {@link Material#pullHtpasswd()}). A read-only request (a dry run)
 * writes nothing and leaves every file as it was.
 */
public final class ClusterPki {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration CERT_VALIDITY = Duration.ofDays(825);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,252}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Where the files are, and what the nodes need of them (the private keys and the pull password stay out of
     * logs). {@code htpasswd} holds the push user's and the pull user's bcrypt hashes; the push password itself is
     * not here: it never goes to a node.
     */
    public record Material(Path directory, String caCertificatePem, String registryCertificatePem,
                           String registryKeyPem, String htpasswd, String username, String etcdCertificatePem,
                           String etcdKeyPem, String pullUsername, String pullPassword) {
        /** The push user's line only: the registry's push side (on the master's 127.0.0.1) accepts no one else. */
        public String pushHtpasswd() {
            return linesOf(htpasswd, username);
        }

        /** The pull user's line only: the read-only registry the nodes pull from accepts no one else. */
        public String pullHtpasswd() {
            return linesOf(htpasswd, pullUsername);
        }

        @Override
        public String toString() {
            return "ClusterPki.Material[" + directory + ", user " + username + ", pull user " + pullUsername + "]";
        }
    }

    private static String linesOf(String htpasswd, String user) {
        StringBuilder out = new StringBuilder();
        for (String line : htpasswd.split("\n")) {
            if (line.startsWith(user + ":")) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * @param directory      the PKI folder (created 0700)
     * @param clusterName    the CA's common name part, e.g. the project's artifactId
     * @param registryNames  IP addresses and DNS names the registry is reached by
     * @param username       the registry user
     * @param password       the registry password, or null to use the stored or a new generated one
     * @param readOnly       write nothing (a dry run): what is missing or due is made in memory only, and said so
     */
    public record Request(Path directory, String clusterName, List<String> registryNames, String username,
                          String password, Log log, boolean readOnly) {
        public Request(Path directory, String clusterName, List<String> registryNames, String username, String password,
                       Log log) {
            this(directory, clusterName, registryNames, username, password, log, false);
        }

        /** The same request for other registry names (the addresses the nodes really use). */
        public Request withRegistryNames(List<String> names) {
            return new Request(directory, clusterName, names, username, password, log, readOnly);
        }

        /** The same request writing nothing. */
        public Request readOnlyCopy() {
            return new Request(directory, clusterName, registryNames, username, password, log, true);
        }

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

    /** The pull user's password (generated, 0600): the nodes log in with it; it is not the push password. */
    public static Path pullPasswordFile(Path directory) {
        return directory.resolve("registry-pull.password");
    }

    /** The pull user of a push user: its own htpasswd line and password. */
    public static String pullUser(String username) {
        return username + "-pull";
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
        Store store = new Store(request.readOnly(), log);
        try {
            if (!request.readOnly()) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            Instant now = Instant.now();

            Path caKeyFile = dir.resolve("ca.key");
            Path caCertFile = caCertificate(dir);
            KeyPair caKeys;
            X509CertificateHolder ca;
            if (store.isFile(caKeyFile) && store.isFile(caCertFile)) {
                caKeys = readKeyPair(store, caKeyFile, caCertFile);
                ca = readCertificate(store, caCertFile);
            } else {
                caKeys = newKeyPair();
                ca = issueCa(caKeys, "archcore " + request.clusterName() + " cluster CA", now);
                store.writePrivate(caKeyFile, pem(caKeys.getPrivate()));
                store.writePublic(caCertFile, pem(ca));
                store.said("Created the cluster CA " + caCertFile);
            }

            Leaf registry = leaf(store, dir, "registry", "the registry certificate", request.registryNames(),
                    KeyPurposeId.id_kp_serverAuth, caKeys, ca, caCertFile, now);
            Leaf etcd = leaf(store, dir, "etcd", "etcd's server certificate", etcdNames(request.registryNames()),
                    KeyPurposeId.id_kp_serverAuth, caKeys, ca, caCertFile, now);
            leaf(store, dir, "etcd-archcore", "archcore's etcd client certificate", List.of(),
                    KeyPurposeId.id_kp_clientAuth, caKeys, ca, caCertFile, now);

            String password = request.password();
            Path passwordFile = passwordFile(dir);
            if (password == null || password.isEmpty()) {
                Optional<String> stored = store.isFile(passwordFile)
                        ? Optional.of(store.read(passwordFile).strip()) : Optional.empty();
                if (stored.isPresent()) {
                    password = stored.get();
                } else {
                    password = newPassword();
                    store.writePrivate(passwordFile, password + "\n");
                    // what archcore:push really does (AbstractClusterMojo.pkiCredentials): this file is its last resort
                    store.said("Generated the registry password for user " + request.username() + " into " + passwordFile
                            + " (0600). archcore:push and archcore:deploy use it from there (archcore.pkiDirectory) "
                            + "when no other credentials for the registry are given (archcore.registry.username/password, "
                            + "a settings.xml <server> with the registry's host:port as id, Docker's config.json, "
                            + "ARCHCORE_REGISTRY_USERNAME/ARCHCORE_REGISTRY_PASSWORD); to choose the password yourself, "
                            + "put it in that settings.xml <server> and run archcore:iso again.");
                }
            }
            // the nodes' own login: generated, never the push password (docs/decisions.md says what it may do)
            String pullUser = pullUser(request.username());
            Path pullPasswordFile = pullPasswordFile(dir);
            String pullPassword;
            if (store.isFile(pullPasswordFile)) {
                pullPassword = store.read(pullPasswordFile).strip();
            } else {
                pullPassword = newPassword();
                store.writePrivate(pullPasswordFile, pullPassword + "\n");
                store.said("Generated the registry's pull password for user " + pullUser + " into " + pullPasswordFile
                        + " (0600): the nodes pull with it; archcore writes it to them over SSH when an update starts");
            }
            Path htpasswdFile = dir.resolve("htpasswd");
            String htpasswd = store.isFile(htpasswdFile) ? store.read(htpasswdFile) : "";
            if (!htpasswdMatches(htpasswd, request.username(), password) || !htpasswdMatches(htpasswd, pullUser, pullPassword)) {
                htpasswd = htpasswdLine(request.username(), password) + htpasswdLine(pullUser, pullPassword);
                store.writePrivate(htpasswdFile, htpasswd);
                store.said("Wrote the registry's htpasswd file " + htpasswdFile + " (bcrypt; users " + request.username()
                        + " and " + pullUser + ")");
            }
            return new Material(dir, store.read(caCertFile), registry.certificatePem(), registry.keyPem(),
                    htpasswd, request.username(), etcd.certificatePem(), etcd.keyPem(), pullUser, pullPassword);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new PkiException("cannot create or read the cluster PKI in " + dir + ": " + e.getMessage()
                    + ". Check the folder (archcore.pkiDirectory) is writable; delete a damaged file there to have it made again.", e);
        }
    }

    /** fleet's etcd client certificate and key for one node; the key is never logged. */
    public record ClientCertificate(String node, String certificatePem, String keyPem) {
        @Override
        public String toString() {
            return "ClientCertificate[" + node + "]";
        }
    }

    /** fleet's etcd client certificate of {@code node} in a PKI folder ({@code etcd-fleet-<node>.crt}). */
    public static Path fleetEtcdCertificate(Path directory, String node) {
        return directory.resolve("etcd-fleet-" + node + ".crt");
    }

    /** Its key ({@code etcd-fleet-<node>.key}, 0600). */
    public static Path fleetEtcdKey(Path directory, String node) {
        return directory.resolve("etcd-fleet-" + node + ".key");
    }

    /**
     * fleet's etcd client certificate for each node, issued by the cluster CA on first use (clientAuth, common name
     * the node's name) and reused like the others: one key per node, so a key found where it should not be names
     * the node it was taken from, and a node's key can be replaced (delete its two files) without touching the
     * others. The CA must exist ({@link #ensure} made it). They reach the nodes over SSH, never in user data.
     *
     * @param nodes the nodes' names (archcore:provision's names, else the address archcore reaches them at)
     */
    public static List<ClientCertificate> fleetClients(Request request, List<String> nodes) throws PkiException {
        Path dir = request.directory();
        Log log = request.log() == null ? Log.NONE : request.log();
        for (String node : nodes) {
            if (node == null || !NODE_NAME.matcher(node).matches()) {
                throw new PkiException("fleet's etcd client certificate cannot be issued for the node '" + node + "': a "
                        + "node's name must be 1 to 253 letters, digits, '.', '_', ':' or '-', starting with a letter or "
                        + "digit (its files are named after it in " + dir + "); rename the node in "
                        + "target/archcore/nodes.json or archcore.deploy.nodes");
            }
        }
        Store store = new Store(request.readOnly(), log);
        Path caKeyFile = dir.resolve("ca.key");
        Path caCertFile = caCertificate(dir);
        if (!store.isFile(caKeyFile) || !store.isFile(caCertFile)) {
            throw new PkiException("the cluster CA is not in " + dir + " (ca.key, ca.crt): fleet's etcd client "
                    + "certificates are issued by it. Run mvn archcore:iso with the archcore.pkiDirectory the cluster's "
                    + "node files were made with");
        }
        try {
            KeyPair caKeys = readKeyPair(store, caKeyFile, caCertFile);
            X509CertificateHolder ca = readCertificate(store, caCertFile);
            Instant now = Instant.now();
            List<ClientCertificate> out = new ArrayList<>();
            for (String node : new LinkedHashSet<>(nodes)) {
                Leaf leaf = leaf(store, dir, "etcd-fleet-" + node, node, "fleet's etcd client certificate for " + node,
                        List.of(), KeyPurposeId.id_kp_clientAuth, caKeys, ca, caCertFile, now);
                out.add(new ClientCertificate(node, leaf.certificatePem(), leaf.keyPem()));
            }
            return out;
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new PkiException("cannot issue or read fleet's etcd client certificates in " + dir + ": " + e.getMessage()
                    + ". Check the folder (archcore.pkiDirectory) is writable; delete a damaged etcd-fleet-*.crt/.key "
                    + "there to have it issued again.", e);
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
    private static Leaf leaf(Store store, Path dir, String name, String what, List<String> names, KeyPurposeId purpose,
                             KeyPair caKeys, X509CertificateHolder ca, Path caCertFile, Instant now)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        return leaf(store, dir, name, names.isEmpty() ? name : names.get(0), what, names, purpose, caKeys, ca, caCertFile, now);
    }

    private static Leaf leaf(Store store, Path dir, String name, String commonName, String what, List<String> names,
                             KeyPurposeId purpose, KeyPair caKeys, X509CertificateHolder ca, Path caCertFile, Instant now)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        Path keyFile = dir.resolve(name + ".key");
        Path certFile = dir.resolve(name + ".crt");
        String reason = null;
        if (!store.isFile(keyFile) || !store.isFile(certFile)) {
            reason = "first run";
        } else {
            X509CertificateHolder cert = readCertificate(store, certFile);
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
            X509CertificateHolder cert = issueLeaf(keys, caKeys.getPrivate(), ca, commonName,
                    names, purpose, now);
            store.writePrivate(keyFile, pem(keys.getPrivate()));
            store.writePublic(certFile, pem(cert));
            store.said("Issued " + what + " " + certFile + (names.isEmpty() ? "" : " for " + String.join(", ", names))
                    + " (" + reason + ")");
        }
        return new Leaf(store.read(certFile), store.read(keyFile));
    }

    private static String newPassword() {
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    private static String htpasswdLine(String user, String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return user + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 10) + "\n";
    }

    /**
     * The PKI folder as this run sees it: its files, and what the run wrote. A read-only run (a dry run) keeps what
     * it would write in memory, so it shows what a real run would make, and says it wrote nothing.
     */
    private static final class Store {
        private final boolean readOnly;
        private final Log log;
        private final java.util.Map<Path, String> pending = new java.util.HashMap<>();

        Store(boolean readOnly, Log log) {
            this.readOnly = readOnly;
            this.log = log;
        }

        boolean isFile(Path file) {
            return pending.containsKey(file) || Files.isRegularFile(file);
        }

        String read(Path file) throws IOException {
            String p = pending.get(file);
            return p != null ? p : Files.readString(file, StandardCharsets.UTF_8);
        }

        void writePrivate(Path file, String text) throws IOException {
            if (readOnly) {
                pending.put(file, text);
            } else {
                ClusterPki.writePrivate(file, text);
            }
        }

        void writePublic(Path file, String text) throws IOException {
            if (readOnly) {
                pending.put(file, text);
            } else {
                ClusterPki.writePublic(file, text);
            }
        }

        void said(String message) {
            log.info(readOnly ? "Dry run, the cluster PKI is left as it is; a real run would say: " + message : message);
        }
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

    private static KeyPair readKeyPair(Store store, Path keyFile, Path certFile) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(store.read(keyFile)))) {
            Object o = parser.readObject();
            if (!(o instanceof PrivateKeyInfo info)) {
                throw new IOException(keyFile + " holds no PKCS#8 private key");
            }
            PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(info);
            return new KeyPair(new JcaPEMKeyConverter().getPublicKey(readCertificate(store, certFile).getSubjectPublicKeyInfo()), key);
        }
    }

    private static X509CertificateHolder readCertificate(Store store, Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(store.read(file)))) {
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
