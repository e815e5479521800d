package io.recall.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * charts/recall/dashboards/recall.json: every panel queries something, the topics operators need each have a panel,
 * and every metric its queries use is one the code defines, under the name Micrometer's Prometheus registry gives it
 * (read from the meter builders in the main sources, so a renamed meter breaks this test, not the dashboard).
 */
class GrafanaDashboardTest {

    /** Not defined in Recall's code: Micrometer's Kafka client metrics, bound by Spring Kafka for its consumers. */
    private static final Set<String> EXTERNAL_METRICS = Set.of("kafka_consumer_fetch_manager_records_lag_max");

    /** Topic → the metric a panel for it must query. */
    private static final Map<String, String> REQUIRED = new LinkedHashMap<>();

    static {
        REQUIRED.put("slot lag per source", "recall_capture_slot_lag_bytes");
        REQUIRED.put("RPO seconds", "recall_capture_durable_age_seconds");
        REQUIRED.put("changes per second", "recall_capture_changes_total");
        REQUIRED.put("segment upload rate", "recall_sink_segments_stored");
        REQUIRED.put("waiting segments", "recall_sink_segments_waiting");
        REQUIRED.put("waiting bytes", "recall_sink_segments_waiting_bytes");
        REQUIRED.put("store failures", "recall_sink_store_failures");
        REQUIRED.put("restore jobs running", "recall_restore_jobs_running");
        REQUIRED.put("restores by status", "recall_restores_total");
        REQUIRED.put("restore rows applied", "recall_restore_rows_total");
        REQUIRED.put("Kafka consumer lag", "kafka_consumer_fetch_manager_records_lag_max");
    }

    private static final Pattern METER = Pattern.compile(
            "(Counter|Gauge|Timer|DistributionSummary|FunctionCounter)\\.builder\\(\\s*\"([^\"]+)\"|\\.gauge\\(\\s*\"([^\"]+)\"");
    private static final Pattern BASE_UNIT = Pattern.compile("\\.baseUnit\\(\\s*\"([^\"]+)\"");
    private static final Set<String> PROMQL_WORDS = Set.of(
            "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless");

    private static JsonObject dashboard;
    private static Set<String> defined;

    @BeforeAll
    static void load() throws IOException {
        dashboard = JsonParser.parseString(Repository.read("charts/recall/dashboards/recall.json"))
                .getAsJsonObject();
        defined = definedMetrics(Repository.root());
    }

    @Test
    void everyPanelHasAQuery() {
        assertThat(panels()).isNotEmpty();
        for (JsonObject panel : panels()) {
            String title = panel.get("title").getAsString();
            assertThat(exprs(panel))
                    .as(title)
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e).as(title).isNotBlank());
            assertThat(panel.getAsJsonObject("datasource").get("uid").getAsString())
                    .as(title)
                    .isEqualTo("${datasource}");
        }
    }

    @Test
    void everyRequiredTopicHasAPanel() {
        REQUIRED.forEach((topic, metric) -> assertThat(panels())
                .as(topic + " (" + metric + ")")
                .anySatisfy(p -> assertThat(exprs(p).stream()
                                .flatMap(e -> metricNames(e).stream())
                                .toList())
                        .contains(metric)));
    }

    @Test
    void everyMetricIsOneTheCodeDefines() {
        assertThat(defined)
                .as("read from the sources")
                .contains(
                        "recall_capture_slot_lag_bytes",
                        "recall_capture_changes_total",
                        "recall_capture_bytes_total",
                        "recall_restores_total",
                        "recall_restore_rows_total");
        for (JsonObject panel : panels()) {
            for (String expr : exprs(panel)) {
                assertThat(metricNames(expr))
                        .as(expr)
                        .isNotEmpty()
                        .allSatisfy(m -> assertThat(defined.contains(m) || EXTERNAL_METRICS.contains(m))
                                .as(panel.get("title").getAsString() + ": " + m
                                        + " is not defined by the code; defined: " + defined)
                                .isTrue());
            }
        }
    }

    @Test
    void theVariablesAreADatasourceAndTheSources() {
        Map<String, JsonObject> variables = new LinkedHashMap<>();
        for (JsonElement v : dashboard.getAsJsonObject("templating").getAsJsonArray("list")) {
            variables.put(v.getAsJsonObject().get("name").getAsString(), v.getAsJsonObject());
        }
        assertThat(variables).containsOnlyKeys("datasource", "source");
        assertThat(variables.get("datasource").get("type").getAsString()).isEqualTo("datasource");
        assertThat(variables.get("datasource").get("query").getAsString()).isEqualTo("prometheus");
        JsonObject source = variables.get("source");
        assertThat(source.get("type").getAsString()).isEqualTo("query");
        String query = source.getAsJsonObject("query").get("query").getAsString();
        assertThat(query).startsWith("label_values(").endsWith(", source)");
        assertThat(metricNames(query.substring("label_values(".length(), query.indexOf(','))))
                .allSatisfy(m -> assertThat(defined).contains(m));
    }

    @Test
    void theMetricNameReaderSeesMetricsNotFunctionsOrLabels() {
        assertThat(metricNames("sum by (source, name) (rate(recall_capture_changes_total{source=~\"$source\"}"
                        + "[$__rate_interval]))"))
                .containsExactly("recall_capture_changes_total");
        assertThat(metricNames("max by (client_id) (kafka_consumer_fetch_manager_records_lag_max) > 10"))
                .containsExactly("kafka_consumer_fetch_manager_records_lag_max");
        assertThat(metricNames("recall_capture_change_total / on (source) recall_capture_bytes_total"))
                .containsExactly("recall_capture_bytes_total", "recall_capture_change_total");
        assertThat(defined).doesNotContain("recall_capture_change_total");
    }

    private static List<JsonObject> panels() {
        List<JsonObject> panels = new ArrayList<>();
        collect(dashboard.getAsJsonArray("panels"), panels);
        return panels;
    }

    /** Panels, rows' nested ones included; rows themselves query nothing. */
    private static void collect(JsonArray array, List<JsonObject> into) {
        for (JsonElement e : array) {
            JsonObject panel = e.getAsJsonObject();
            if ("row".equals(panel.get("type").getAsString())) {
                if (panel.has("panels")) {
                    collect(panel.getAsJsonArray("panels"), into);
                }
            } else {
                into.add(panel);
            }
        }
    }

    private static List<String> exprs(JsonObject panel) {
        List<String> exprs = new ArrayList<>();
        if (panel.has("targets")) {
            for (JsonElement t : panel.getAsJsonArray("targets")) {
                JsonElement expr = t.getAsJsonObject().get("expr");
                exprs.add(expr == null ? "" : expr.getAsString());
            }
        }
        return exprs;
    }

    /** The metric names of a PromQL expression: identifiers that are not functions, keywords or labels. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // strings
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " "); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(\\s*\\()?")
                .matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The Prometheus names of the meters every main source file builds. */
    private static Set<String> definedMetrics(Path root) throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")
                            && p.toString().contains("/src/main/java/")
                            && !p.toString().contains("/target/"))
                    .toList()) {
                String source = read(f);
                Matcher m = METER.matcher(source);
                while (m.find()) {
                    String kind = m.group(1) == null ? "Gauge" : m.group(1);
                    String name = m.group(2) == null ? m.group(3) : m.group(2);
                    String unit = null;
                    if (m.group(1) != null) {
                        // the builder's chain, up to its register call
                        int end = source.indexOf(".register(", m.end());
                        Matcher u = BASE_UNIT.matcher(source.substring(m.end(), end < 0 ? m.end() : end));
                        if (u.find()) {
                            unit = u.group(1);
                        }
                    }
                    names.addAll(prometheusNames(kind, name, unit));
                }
            }
        }
        return names;
    }

    /** As Micrometer's PrometheusNamingConvention and registry write a meter's series names. */
    static List<String> prometheusNames(String kind, String dotted, String baseUnit) {
        String name = dotted.replace('.', '_').replace('-', '_');
        if (kind.equals("Timer")) {
            baseUnit = "seconds";
        }
        if (baseUnit != null && !name.endsWith("_" + baseUnit)) {
            name = name + "_" + baseUnit;
        }
        return switch (kind) {
            case "Counter", "FunctionCounter" -> List.of(name + "_total");
            case "Timer", "DistributionSummary" ->
                List.of(name + "_count", name + "_sum", name + "_max", name + "_bucket");
            default -> List.of(name);
        };
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
