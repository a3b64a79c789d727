package dev.archcore.cluster;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * TLS to the master's etcd, which asks its clients for a certificate from the cluster CA: archcore's own client
 * certificate and key, and only the cluster CA trusted (not the system's: etcd's certificate comes from it alone).
 * The connection is an SSH channel to etcd's port, so TLS is layered over the channel's streams.
 */
public final class EtcdTls {
    private final SSLSocketFactory factory;
    private final String source;

    private EtcdTls(SSLSocketFactory factory, String source) {
        this.factory = factory;
        this.source = source;
    }

    /** @throws ClusterException naming the file that cannot be read */
    public static EtcdTls load(Path caFile, Path certificateFile, Path keyFile) {
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(x509, caFile)) {
                trust.setCertificateEntry("cluster-ca-" + i++, c);
            }
            Collection<? extends Certificate> chain = certificates(x509, certificateFile);
            if (i == 0 || chain.isEmpty()) {
                throw new ClusterException((i == 0 ? caFile : certificateFile) + " holds no PEM certificate");
            }
            char[] password = new char[16];
            SecureRandom random = new SecureRandom();
            for (int k = 0; k < password.length; k++) {
                password[k] = (char) ('a' + random.nextInt(26));
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("archcore", privateKey(keyFile), password, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), random);
            return new EtcdTls(ssl.getSocketFactory(), certificateFile + " (trusting " + caFile + ")");
        } catch (IOException | GeneralSecurityException e) {
            throw new ClusterException("cannot set up TLS to etcd with " + certificateFile + ", " + keyFile + " and "
                    + caFile + ": " + e.getMessage() + ". archcore:iso writes them into the cluster PKI "
                    + "(archcore.pkiDirectory); delete a damaged one there and run it again", e);
        }
    }

    private static Collection<? extends Certificate> certificates(CertificateFactory x509, Path file)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return x509.generateCertificates(in);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(in)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " holds no unencrypted PEM private key");
        }
    }

    /** Where the certificate comes from, for messages. */
    public String source() {
        return source;
    }

    /**
     * TLS over {@code raw} (closed if the handshake fails): etcd's certificate must be the cluster CA's and name
     * {@code host} (etcd's address as the channel reached it, 127.0.0.1 through the tunnel).
     */
    public StreamConnection wrap(StreamConnection raw, String host, int port) throws IOException {
        SSLSocket socket = null;
        try {
            socket = (SSLSocket) factory.createSocket(new ChannelSocket(raw), host, port, true);
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.setUseClientMode(true);
            socket.startHandshake();
            return StreamConnection.of(socket.getInputStream(), socket.getOutputStream(), socket);
        } catch (IOException | RuntimeException e) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // the handshake's failure is what matters
                }
            }
            raw.close();
            throw e;
        }
    }

    /**
     * The SSH channel as the connected socket the JDK's TLS layers over ({@link SSLSocketFactory#createSocket(Socket,
     * String, int, boolean)} reads and writes only its streams): no TLS engine of our own.
     */
    private static final class ChannelSocket extends Socket {
        private final StreamConnection channel;
        private volatile boolean closed;

        ChannelSocket(StreamConnection channel) {
            this.channel = channel;
        }

        @Override
        public InputStream getInputStream() {
            return channel.in();
        }

        @Override
        public OutputStream getOutputStream() {
            return channel.out();
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public boolean isInputShutdown() {
            return closed;
        }

        @Override
        public boolean isOutputShutdown() {
            return closed;
        }

        @Override
        public void shutdownInput() {
            // a channel closes both ways at once
        }

        @Override
        public void shutdownOutput() {
            // a channel closes both ways at once
        }

        @Override
        public void setSoTimeout(int timeout) {
            // the SSH session's own timeouts apply
        }

        @Override
        public int getSoTimeout() {
            return 0;
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                channel.close();
            }
        }
    }
}
