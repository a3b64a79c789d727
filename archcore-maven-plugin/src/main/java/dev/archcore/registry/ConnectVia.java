package dev.archcore.registry;

import okhttp3.OkHttpClient;

import javax.net.SocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.List;

/**
 * Makes an HTTP client send every connection to one address (an SSH tunnel's local end) while the URLs keep the
 * registry's own {@code host:port}: TLS still checks the certificate for that name, the credentials' server id and
 * a signature's {@code docker-reference} stay the registry's, and no DNS lookup or HTTP proxy is involved.
 */
public final class ConnectVia {
    private ConnectVia() {
    }

    /** {@code builder} connecting only to {@code via}; unchanged when {@code via} is null. */
    public static OkHttpClient.Builder applyTo(OkHttpClient.Builder builder, InetSocketAddress via) {
        if (via == null) {
            return builder;
        }
        byte[] loopback = via.getAddress().getAddress();
        return builder.proxy(Proxy.NO_PROXY)
                .dns(host -> List.of(InetAddress.getByAddress(host, loopback)))
                .socketFactory(new Redirecting(via));
    }

    private static final class Redirecting extends SocketFactory {
        private final InetSocketAddress via;

        Redirecting(InetSocketAddress via) {
            this.via = via;
        }

        @Override
        public Socket createSocket() {
            return new Socket() {
                @Override
                public void connect(SocketAddress endpoint, int timeout) throws IOException {
                    super.connect(via, timeout);
                }
            };
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return connected();
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return connected();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return connected();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return connected();
        }

        private Socket connected() throws IOException {
            Socket s = createSocket();
            s.connect(via);
            return s;
        }
    }
}
