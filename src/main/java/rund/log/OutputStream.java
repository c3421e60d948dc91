package rund.log;

/** Which of the job's two output streams a piece of output came from; the byte is what the log file stores. */
public enum OutputStream {
  STDOUT((byte) 1),
  STDERR((byte) 2);

  private final byte code;

  OutputStream(byte code) {
    this.code = code;
  }

  public byte code() {
    return code;
  }

  public static OutputStream ofCode(byte code) {
    return switch (code) {
      case 1 -> STDOUT;
      case 2 -> STDERR;
      default -> throw new IllegalArgumentException("corrupt log record: stream code " + code);
    };
  }
}
