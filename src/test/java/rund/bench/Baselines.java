package rund.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** What the benchmarks compare rund with, measured in this JVM in the same run. */
final class Baselines {
  static final String SUITE = "TLS_AES_256_GCM_SHA384";

  private Baselines() {}

  /** Starts {@code command} with the JDK's ProcessBuilder; returns the time until start() returned. */
  static long spawnOnce(String... command) throws Exception {
    long t0 = System.nanoTime();
    Process process = new ProcessBuilder(command).start();
    long elapsed = System.nanoTime() - t0;
    finish(process);
    return elapsed;
  }

  private static void finish(Process process) throws Exception {
    process.waitFor();
    process.getInputStream().close();
    process.getErrorStream().close();
    process.getOutputStream().close();
  }

  /** ProcessBuilder start + waitFor of {@code total} processes, {@code inFlight} at a time: processes per second. */
  static double spawnRate(int total, int inFlight, String... command) throws Exception {
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(inFlight);
    try {
      long t0 = System.nanoTime();
      Future<?>[] lanes = new Future<?>[inFlight];
      for (int i = 0; i < inFlight; i++) {
        lanes[i] = pool.submit(() -> {
          while (next.getAndIncrement() < total) {
            finish(new ProcessBuilder(command).start());
          }
          return null;
        });
      }
      for (Future<?> lane : lanes) {
        lane.get();
      }
      return total / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Raw TLS 1.3 over loopback with {@link #SUITE}: a JDK SSLSocket server pushes {@code bytes} to a JDK
   * SSLSocket client in this JVM, with the repository's example server certificate. Returns bytes per second,
   * timed from the first byte the server writes to the last byte the client reads (handshake excluded).
   */
  static double tlsBulk(Path tlsDir, long bytes) throws Exception {
    SSLContext serverContext = context(tlsDir, true);
    SSLContext clientContext = context(tlsDir, false);
    try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setEnabledProtocols(new String[] {"TLSv1.3"});
      listener.setEnabledCipherSuites(new String[] {SUITE});
      Thread sender = Thread.ofPlatform().name("tls-baseline-sender").start(() -> {
        try (SSLSocket socket = (SSLSocket) listener.accept()) {
          socket.startHandshake();
          InputStream in = socket.getInputStream();
          OutputStream out = socket.getOutputStream();
          if (in.read() != 'g') {
            throw new IOException("no go byte");
          }
          byte[] block = new byte[64 * 1024];
          long left = bytes;
          while (left > 0) {
            int n = (int) Math.min(block.length, left);
            out.write(block, 0, n);
            left -= n;
          }
          out.flush();
          in.read(); // the client's acknowledgement: keeps the socket open until everything was read
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setEnabledCipherSuites(new String[] {SUITE});
        socket.startHandshake();
        if (!SUITE.equals(socket.getSession().getCipherSuite())) {
          throw new IllegalStateException("negotiated " + socket.getSession().getCipherSuite());
        }
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buffer = new byte[256 * 1024];
        long t0 = System.nanoTime();
        out.write('g');
        out.flush();
        long received = 0;
        while (received < bytes) {
          int n = in.read(buffer);
          if (n < 0) {
            throw new IOException("stream ended after " + received + " bytes");
          }
          received += n;
        }
        long elapsed = System.nanoTime() - t0;
        out.write('k');
        out.flush();
        sender.join();
        return bytes / (elapsed / 1e9);
      }
    }
  }

  private static SSLContext context(Path tlsDir, boolean server) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(tlsDir.resolve("ca.pem"))) {
      trust.setCertificateEntry("ca", x509.generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    if (server) {
      Certificate[] chain;
      try (InputStream in = Files.newInputStream(tlsDir.resolve("server.pem"))) {
        chain = x509.generateCertificates(in).toArray(Certificate[]::new);
      }
      char[] password = "bench".toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", pkcs8(tlsDir.resolve("server-key.pem"), chain[0].getPublicKey().getAlgorithm()),
          password, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    } else {
      context.init(null, tmf.getTrustManagers(), null);
    }
    return context;
  }

  private static PrivateKey pkcs8(Path pem, String algorithm) throws Exception {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String body = text.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }
}
