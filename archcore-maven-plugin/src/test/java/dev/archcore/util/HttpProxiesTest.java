package dev.archcore.util;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which proxy a URL goes through, as Maven's settings reference and its resolver define it: the first active proxy
 * of the URL's protocol (an http one also serving https when there is no https one), and none for a host in its
 * {@code nonProxyHosts} ({@code |}-separated, {@code *} wildcards, any case).
 */
class HttpProxiesTest {
    static final HttpProxies.Entry HTTP = new HttpProxies.Entry("http", "proxy.corp", 3128, "alice", "pa55-word",
            "localhost|127.0.0.1|*.internal.corp");
    static final HttpProxies.Entry HTTPS = new HttpProxies.Entry("https", "secure-proxy.corp", 3129, null, null, null);

    @Test
    void theUrlsProtocolChoosesTheProxy() {
        HttpProxies both = new HttpProxies(List.of(HTTP, HTTPS));
        assertThat(both.forUrl("http", "geo.mirror.pkgbuild.com")).isEqualTo(HTTP);
        assertThat(both.forUrl("https", "registry.example.com")).isEqualTo(HTTPS);
        // no https proxy: the http one serves https URLs too (CONNECT), as Maven's resolver does
        assertThat(new HttpProxies(List.of(HTTP)).forUrl("https", "registry.example.com")).isEqualTo(HTTP);
        // an https proxy alone does not serve http URLs
        assertThat(new HttpProxies(List.of(HTTPS)).forUrl("http", "geo.mirror.pkgbuild.com")).isNull();
        assertThat(HttpProxies.NONE.forUrl("https", "registry.example.com")).isNull();
    }

    @Test
    void nonProxyHostsAreReachedDirectly() {
        HttpProxies proxies = new HttpProxies(List.of(HTTP));
        assertThat(proxies.forUrl("http", "localhost")).isNull();
        assertThat(proxies.forUrl("http", "127.0.0.1")).isNull();
        assertThat(proxies.forUrl("http", "mirror.internal.corp")).isNull();
        assertThat(proxies.forUrl("http", "MIRROR.Internal.Corp")).isNull();
        // the wildcard stands for a part of the name, the dots are literal
        assertThat(proxies.forUrl("http", "internal.corp")).isEqualTo(HTTP);
        assertThat(proxies.forUrl("http", "127.0.0.10")).isEqualTo(HTTP);
        assertThat(proxies.forUrl("http", "127x0x0x1")).isEqualTo(HTTP);
        assertThat(proxies.forUrl("http", "evil-internal.corp.example")).isEqualTo(HTTP);
        // commas separate too (the settings reference calls them common); blanks around patterns are ignored
        HttpProxies commas = new HttpProxies(List.of(new HttpProxies.Entry(null, "p", 8080, null, null,
                "a.example, *.b.example")));
        assertThat(commas.forUrl("http", "a.example")).isNull();
        assertThat(commas.forUrl("http", "x.b.example")).isNull();
        assertThat(commas.forUrl("http", "c.example")).isNotNull();
    }

    @Test
    void aHostExcludedByTheFirstProxyMayUseTheNext() {
        HttpProxies proxies = new HttpProxies(List.of(HTTP, new HttpProxies.Entry("http", "other.corp", 8080, null,
                null, null)));
        assertThat(proxies.forUrl("http", "localhost").host()).isEqualTo("other.corp");
    }

    @Test
    void thePasswordIsNeverShown() {
        assertThat(HTTP.toString()).contains("proxy.corp:3128", "alice").doesNotContain("pa55-word");
        assertThat(new HttpProxies(List.of(HTTP)).toString()).doesNotContain("pa55-word");
    }
}
