package rund.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The benchmark's results: one row per metric, printed as a table and written as JSON. */
final class Report {
  /**
   * One measured figure. {@code baseline} and {@code ratio} are null where the metric has no baseline,
   * {@code met} is null where it has no goal (reported for information).
   */
  record Row(String metric, String unit, double rund, Double baseline, String baselineName, Double ratio,
      String goal, Boolean met, String note) {}

  final List<Row> rows = new ArrayList<>();
  final JsonObject machine = new JsonObject();
  final JsonObject details = new JsonObject();
  final List<String> failures = new ArrayList<>();

  void add(Row row) {
    rows.add(row);
    // Table order is the metric's number ("4. ..."), whatever order the sections ran in.
    rows.sort(Comparator.comparingInt(r -> Integer.parseInt(r.metric().substring(0, r.metric().indexOf('.')))));
    System.err.println("bench: " + row.metric() + ": " + format(row.rund()) + " " + row.unit()
        + (row.baseline() == null ? "" : " (baseline " + format(row.baseline()) + ")")
        + (row.met() == null ? "" : row.met() ? ", goal met" : ", goal MISSED"));
  }

  void failed(String section, Throwable e) {
    failures.add(section + ": " + e);
    System.err.println("bench: " + section + " FAILED: " + e);
    e.printStackTrace(System.err);
  }

  static String format(double value) {
    double abs = Math.abs(value);
    if (abs >= 100) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    if (abs >= 10) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    return String.format(Locale.ROOT, "%.2f", value);
  }

  /** A Markdown table: readable on a terminal and pasteable into the README. */
  String table() {
    StringBuilder out = new StringBuilder();
    out.append("| metric | rund | baseline | ratio | goal | met? |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (Row row : rows) {
      out.append("| ").append(row.metric()).append(" | ")
          .append(format(row.rund())).append(' ').append(row.unit()).append(" | ")
          .append(row.baseline() == null ? "-" : format(row.baseline()) + " " + row.unit() + " (" + row.baselineName() + ")")
          .append(" | ")
          .append(row.ratio() == null ? "-" : format(row.ratio()) + "x").append(" | ")
          .append(row.goal()).append(" | ")
          .append(row.met() == null ? "-" : row.met() ? "yes" : "**no**").append(" |\n");
    }
    return out.toString();
  }

  JsonObject json() {
    JsonArray metrics = new JsonArray();
    for (Row row : rows) {
      metrics.add(new JsonObject()
          .put("metric", row.metric())
          .put("unit", row.unit())
          .put("rund", row.rund())
          .put("baseline", row.baseline())
          .put("baseline_name", row.baselineName())
          .put("ratio", row.ratio())
          .put("goal", row.goal())
          .put("met", row.met())
          .put("note", row.note()));
    }
    return new JsonObject()
        .put("machine", machine)
        .put("metrics", metrics)
        .put("details", details)
        .put("failures", new JsonArray(new ArrayList<Object>(failures)));
  }

  void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, json().encodePrettily() + "\n");
  }
}
