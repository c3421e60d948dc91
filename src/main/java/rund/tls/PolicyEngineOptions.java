package rund.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK SSL engine, with {@link TlsPolicy#NAMED_GROUPS} set on every engine it creates.
 *
 * <p>Vert.x 5 has no option for key-exchange groups, and the JDK's only other control, the
 * {@code jdk.tls.namedGroups} system property, is process-wide and read once when JSSE initialises,
 * so setting it from here could come too late. Vert.x does let the engine options supply the
 * factory of its Netty {@link SslContext}; this one wraps the JDK factory's context so that each
 * new {@link SSLEngine} gets the groups through {@link SSLParameters#setNamedGroups} before Vert.x
 * applies its own settings (protocols, endpoint identification), which keep them because Vert.x
 * updates the engine's parameters rather than replacing them.
 *
 * <p>Subclassing {@link JdkSSLEngineOptions} (rather than {@code SSLEngineOptions}) keeps Vert.x's
 * own handling of the JDK engine, such as its ALPN availability check.
 */
final class PolicyEngineOptions extends JdkSSLEngineOptions {

    PolicyEngineOptions() {}

    private PolicyEngineOptions(PolicyEngineOptions other) {
        super(other);
    }

    @Override
    public PolicyEngineOptions copy() {
        // Vert.x copies options when it builds a server or client: the copy must keep the policy.
        return new PolicyEngineOptions(this);
    }

    @Override
    public SslContextFactory sslContextFactory() {
        return new GroupsFactory(super.sslContextFactory(), TlsPolicy.NAMED_GROUPS);
    }

    /**
     * Forwards every setting to the JDK factory and wraps what it creates. Each method of the SPI
     * must be forwarded: the interface's defaults silently drop a setting.
     */
    private static final class GroupsFactory implements SslContextFactory {
        private final SslContextFactory delegate;
        private final String[] groups;

        GroupsFactory(SslContextFactory delegate, List<String> groups) {
            this.delegate = delegate;
            this.groups = groups.toArray(String[]::new);
        }

        @Override
        public SslContextFactory useAlpn(boolean useAlpn) {
            delegate.useAlpn(useAlpn);
            return this;
        }

        @Override
        public SslContextFactory clientAuth(ClientAuth clientAuth) {
            delegate.clientAuth(clientAuth);
            return this;
        }

        @Override
        public SslContextFactory forClient(boolean forClient) {
            delegate.forClient(forClient);
            return this;
        }

        @Override
        public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
            delegate.keyMananagerFactory(kmf);
            return this;
        }

        @Override
        public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
            delegate.trustManagerFactory(tmf);
            return this;
        }

        @Override
        public SslContextFactory enabledCipherSuites(Set<String> cipherSuites) {
            delegate.enabledCipherSuites(cipherSuites);
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> protocols) {
            delegate.applicationProtocols(protocols);
            return this;
        }

        @Override
        public SslContextFactory serverName(String serverName) {
            delegate.serverName(serverName);
            return this;
        }

        @Override
        public SslContext create() throws SSLException {
            String[] groups = this.groups;
            return new DelegatingSslContext(delegate.create()) {
                @Override
                protected void initEngine(SSLEngine engine) {
                    SSLParameters params = engine.getSSLParameters();
                    params.setNamedGroups(groups);
                    engine.setSSLParameters(params);
                }
            };
        }
    }
}
