package rund.cli.client;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A stdout and a stderr for runc in tests: each keeps its own bytes, and {@link #interleaved()} shows the order of
 * the writes across both ("o:" and "e:" before each write).
 */
class RecordedOutput {

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream interleaved = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(new Tagged(stdout, "o:"), false, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(new Tagged(stderr, "e:"), false, StandardCharsets.UTF_8);

    String out() {
        return text(stdout);
    }

    String err() {
        return text(stderr);
    }

    String interleaved() {
        return text(interleaved);
    }

    private String text(ByteArrayOutputStream bytes) {
        synchronized (interleaved) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** Called before each write reaches the recording; a test may block or interrupt there. */
    void beforeWrite(String tag) {}

    private final class Tagged extends OutputStream {
        private final ByteArrayOutputStream own;
        private final String tag;

        Tagged(ByteArrayOutputStream own, String tag) {
            this.own = own;
            this.tag = tag;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            beforeWrite(tag);
            synchronized (interleaved) {
                own.write(b, off, len);
                interleaved.writeBytes(tag.getBytes(StandardCharsets.UTF_8));
                interleaved.write(b, off, len);
            }
        }
    }
}
