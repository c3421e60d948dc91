/**
 * TLS configuration for rund: the policy ({@link rund.tls.TlsPolicy}), Vert.x server and client
 * options built from PEM files ({@link rund.tls.TlsOptions}), checks on those files
 * ({@link rund.tls.KeyFiles}, {@link rund.tls.TlsConfigException}) and the caller's identity as the
 * authorization layer sees it ({@link rund.tls.PeerIdentity}).
 */
package rund.tls;
