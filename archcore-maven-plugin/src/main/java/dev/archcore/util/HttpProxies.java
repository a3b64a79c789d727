package dev.archcore.util;

import okhttp3.Authenticator;
import okhttp3.Credentials;
import okhttp3.OkHttpClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The HTTP proxies of the user's settings (Maven's {@code <proxies>}, already filtered to the active ones and
 * decrypted), chosen per URL the way Maven's own resolver chooses them: the first proxy whose protocol is the
 * URL's scheme, an {@code http} proxy also serving {@code https} URLs when no {@code https} one is given, none for a
 * host matched by that proxy's {@code nonProxyHosts} ({@code |}- or {@code ,}-separated, {@code *} wildcards, no
 * case). With no proxies, clients keep the JVM's default selector ({@code -Dhttps.proxyHost} and friends).
 */
public record HttpProxies(List<Entry> entries) {

    public static final HttpProxies NONE = new HttpProxies(List.of());

    /**
     * One proxy.
     *
     * @param protocol      the scheme of the URLs it serves: {@code http} or {@code https} (Maven's default is http)
     * @param username      null: the proxy asks for no credentials
     * @param nonProxyHosts host patterns reached directly, e.g. {@code localhost|*.example.com}; null for none
     */
    public record Entry(String protocol, String host, int port, String username, String password,
                        String nonProxyHosts) {
        public Entry {
            protocol = protocol == null || protocol.isBlank() ? "http" : protocol.strip().toLowerCase(Locale.ROOT);
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("a proxy needs a host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("the proxy " + host + " has no valid port (" + port + ")");
            }
        }

        /** Whether {@code host} is reached directly: it matches one of the nonProxyHosts patterns. */
        public boolean bypasses(String host) {
            if (nonProxyHosts == null || host == null) {
                return false;
            }
            for (String pattern : nonProxyHosts.split("[|,]")) {
                String p = pattern.strip();
                if (p.isEmpty()) {
                    continue;
                }
                String regex = Pattern.quote(p).replace("*", "\\E.*\\Q");
                if (Pattern.compile(regex, Pattern.CASE_INSENSITIVE).matcher(host).matches()) {
                    return true;
                }
            }
            return false;
        }

        /** host:port and the user, never the password. */
        @Override
        public String toString() {
            return protocol + " proxy " + (username == null ? "" : username + "@") + host + ":" + port
                    + (nonProxyHosts == null ? "" : " (not for " + nonProxyHosts + ")");
        }
    }

    public HttpProxies {
        entries = List.copyOf(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The proxy for a URL with this scheme and host, or null to connect directly. */
    public Entry forUrl(String scheme, String host) {
        String s = scheme.toLowerCase(Locale.ROOT);
        Entry exact = first(s, host);
        return exact != null || !s.equals("https") ? exact : first("http", host);
    }

    private Entry first(String protocol, String host) {
        for (Entry e : entries) {
            // as Maven: the first proxy of a protocol that does not exclude the host
            if (e.protocol().equals(protocol) && !e.bypasses(host)) {
                return e;
            }
        }
        return null;
    }

    /** {@code builder} with these proxies and their credentials; unchanged when there are none. */
    public OkHttpClient.Builder applyTo(OkHttpClient.Builder builder) {
        if (isEmpty()) {
            return builder;
        }
        return builder.proxySelector(selector()).proxyAuthenticator(authenticator());
    }

    ProxySelector selector() {
        return new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                Entry e = forUrl(uri.getScheme(), uri.getHost());
                return List.of(e == null ? Proxy.NO_PROXY
                        : new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(e.host(), e.port())));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress address, IOException e) {
                // the call fails with okhttp's message naming the proxy; there is no other proxy to try
            }
        };
    }

    /**
     * Answers okhttp's pre-emptive challenge before a CONNECT and a proxy's 407 with Basic credentials of the proxy
     * the selector chose for the URL (a CONNECT's URL is the tunnel's target). A 407 to credentials already sent,
     * or from a proxy given none, ends the call with {@link ProxyRefused}: asking again would not help.
     */
    Authenticator authenticator() {
        return (route, response) -> {
            Entry e = forUrl(response.request().url().scheme(), response.request().url().host());
            if (e == null) {
                return null;
            }
            boolean preemptive = "OkHttp-Preemptive".equals(response.header("Proxy-Authenticate"));
            if (response.request().header("Proxy-Authorization") != null) {
                throw new ProxyRefused("the " + e.protocol() + " proxy " + e.host() + ":" + e.port() + " (settings.xml"
                        + " <proxies>) refused the credentials of user " + e.username() + " (HTTP 407); check that"
                        + " <proxy>'s <username> and <password>");
            }
            if (e.username() == null) {
                if (preemptive) {
                    return null;
                }
                throw new ProxyRefused("the " + e.protocol() + " proxy " + e.host() + ":" + e.port() + " (settings.xml"
                        + " <proxies>) asks for credentials (HTTP 407); give that <proxy> a <username> and <password>");
            }
            String password = e.password() == null ? "" : e.password();
            return response.request().newBuilder()
                    .header("Proxy-Authorization", Credentials.basic(e.username(), password, StandardCharsets.UTF_8))
                    .build();
        };
    }

    /** A proxy refused the credentials it was given, or asked for some it was not given: retrying will not help. */
    public static final class ProxyRefused extends IOException {
        ProxyRefused(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
