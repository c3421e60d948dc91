package rund.testing;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * What most daemon tests start from: a {@link DaemonFixture}, a Vert.x instance and a {@link TestClient}
 * connected to the daemon with the repository's example client certificate. Closing it closes all three.
 */
public final class DaemonSession implements AutoCloseable {
  public final DaemonFixture daemon;
  public final Vertx vertx;
  public final TestClient client;

  private DaemonSession(DaemonFixture daemon, Vertx vertx, TestClient client) {
    this.daemon = daemon;
    this.vertx = vertx;
    this.client = client;
  }

  public static DaemonSession start(Path dataDir) throws Exception {
    return start(dataDir, new JsonObject());
  }

  /** A daemon with {@code overrides} merged over the test defaults of {@link DaemonFixture}. */
  public static DaemonSession start(Path dataDir, JsonObject overrides) throws Exception {
    DaemonFixture daemon = DaemonFixture.start(dataDir, overrides);
    Vertx vertx = Vertx.vertx();
    try {
      TestClient client = TestClient.connect(vertx, daemon.port(), DaemonFixture.TLS.resolve("ca.pem"),
          DaemonFixture.TLS.resolve("client.pem"), DaemonFixture.TLS.resolve("client-key.pem"));
      return new DaemonSession(daemon, vertx, client);
    } catch (Exception | Error e) {
      vertx.close().await();
      daemon.close();
      throw e;
    }
  }

  /** Null-safe, for an @AfterAll that runs after a failed @BeforeAll. */
  public static void close(DaemonSession session) {
    if (session != null) {
      session.close();
    }
  }

  @Override
  public void close() {
    try {
      client.close();
      vertx.close().await();
    } finally {
      daemon.close();
    }
  }
}
