package dev.archcore.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A registry token service ({@code GET /token?service=..&scope=..}) on a given loopback address, plain HTTP or TLS
 * with its own self-signed certificate ({@link #caFile}). A real one checks Basic credentials and issues the
 * ES256 JWTs that docker-registry's token auth verifies ({@link #rootCertBundle}); a hostile one only records
 * what it was sent. Every request it gets is kept in {@link #requests}.
 */
public final class TokenService implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    /** The certificate that signs tokens: the registry's {@code rootcertbundle}. */
    public final Path rootCertBundle;
    /** The TLS certificate of this service (PEM), null for plain HTTP. */
    public final Path caFile;
    private final MockWebServer server = new MockWebServer();
    private final boolean tls;
    private final String address;
    private final String user;
    private final String password;
    private final PrivateKey signer;
    private final String x5c;

    private TokenService(Path dir, String address, boolean tls, String user, String password) {
        this.tls = tls;
        this.address = address;
        this.user = user;
        this.password = password;
        try {
            Files.createDirectories(dir);
            Tools.require("openssl");
            Tools.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "signer.key", "-out", "signer.crt", "-days", "2", "-subj", "/CN=archcore token signer").ok("openssl signer");
            Tools.run(dir, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "signer.key", "-outform", "DER", "-out", "signer.der")
                    .ok("openssl pkcs8");
            rootCertBundle = dir.resolve("signer.crt");
            signer = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(dir.resolve("signer.der"))));
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(rootCertBundle)) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            x5c = Base64.getEncoder().encodeToString(cert.getEncoded());
            if (tls) {
                Tools.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", "tls.key", "-out", "tls.crt", "-days", "2", "-subj", "/CN=" + address,
                        "-addext", "subjectAltName=IP:" + address).ok("openssl tls");
                Tools.run(dir, "openssl", "pkcs12", "-export", "-in", "tls.crt", "-inkey", "tls.key", "-out", "tls.p12",
                        "-passout", "pass:test").ok("openssl pkcs12");
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(dir.resolve("tls.p12"))) {
                    ks.load(in, "test".toCharArray());
                }
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, "test".toCharArray());
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(kmf.getKeyManagers(), null, null);
                server.useHttps(ssl.getSocketFactory());
                caFile = dir.resolve("tls.crt");
            } else {
                caFile = null;
            }
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    requests.add(request);
                    return answer(request);
                }
            });
            server.start(InetAddress.getByName(address), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Issues tokens to {@code user}/{@code password}. */
    public static TokenService real(Path dir, String address, boolean tls, String user, String password) {
        return new TokenService(dir, address, tls, user, password);
    }

    /** Answers anyone with a useless token, and keeps what it was sent (the credentials it should never get). */
    public static TokenService hostile(Path dir, String address, boolean tls) {
        return new TokenService(dir, address, tls, null, null);
    }

    public String realm() {
        return (tls ? "https://" : "http://") + address + ":" + server.getPort() + "/token";
    }

    /** The Authorization headers it received (null for a request without one). */
    public List<String> authorizations() {
        return requests.stream().map(r -> r.getHeaders().get("Authorization")).toList();
    }

    private MockResponse answer(RecordedRequest request) {
        if (user == null) {
            return json(200, "{\"token\":\"stolen\"}");
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(request.getHeaders().get("Authorization"))) {
            return json(401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
        }
        try {
            return json(200, JSON.writeValueAsString(JSON.createObjectNode().put("token", jwt(request.getUrl().queryParameterValues("scope")))));
        } catch (IOException | GeneralSecurityException e) {
            return json(500, "{}");
        }
    }

    /** The JWT docker-registry's token auth wants: issuer, audience (service), times, access per scope; ES256 with x5c. */
    private String jwt(List<String> scopes) throws IOException, GeneralSecurityException {
        long now = System.currentTimeMillis() / 1000;
        ObjectNode header = JSON.createObjectNode().put("alg", "ES256").put("typ", "JWT");
        header.putArray("x5c").add(x5c);
        ObjectNode claims = JSON.createObjectNode().put("iss", RegistryServer.TOKEN_ISSUER).put("sub", user)
                .put("aud", RegistryServer.TOKEN_SERVICE).put("exp", now + 300).put("nbf", now - 60).put("iat", now - 60)
                .put("jti", UUID.randomUUID().toString());
        ArrayNode access = claims.putArray("access");
        for (String scope : scopes) {
            if (scope == null) {
                continue;
            }
            for (String one : scope.split(" ")) {
                String[] p = one.split(":");
                ObjectNode a = access.addObject().put("type", p[0]).put("name", p[1]);
                ArrayNode actions = a.putArray("actions");
                for (String action : p[2].split(",")) {
                    actions.add(action);
                }
            }
        }
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signingInput = url.encodeToString(JSON.writeValueAsBytes(header)) + "." + url.encodeToString(JSON.writeValueAsBytes(claims));
        Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
        es256.initSign(signer);
        es256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(es256.sign());
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }

    @Override
    public void close() {
        server.close();
    }
}
