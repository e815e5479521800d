package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.await;
import static io.recall.coordinator.CatalogEvents.object;
import static io.recall.coordinator.CatalogEvents.schemaChange;
import static io.recall.coordinator.CatalogEvents.send;
import static io.recall.coordinator.RecoveryWindowIT.fieldNames;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SourceStatusReport;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Schema changes capture reports ({@code SchemaChanged} on {@code recall.catalog}) make up the source's schema history,
 * and the DDL capture mode it reports shows in the source.
 */
class SchemaHistoryIT extends CoordinatorIT {

    /** Microseconds, as Avro's timestamp-micros carries commit times. */
    private static final Instant T0 = Instant.parse("2026-11-20T08:00:00.123456Z");

    private static Instant t(int seconds) {
        return T0.plusSeconds(seconds);
    }

    private JsonNode history(String id, String query) {
        Api.Response r = admin().get("/api/v1/sources/" + id + "/schema-history" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** Waits until the history holds a change at {@code lsn}: every event sent before it has been applied too. */
    private JsonNode awaitHistoryWith(String id, String lsn) {
        await(
                "a schema change at " + lsn + " listed",
                () -> lsns(history(id, "")).contains(lsn));
        return history(id, "");
    }

    private JsonNode awaitSource(String id, Predicate<JsonNode> done) {
        JsonNode[] last = new JsonNode[1];
        await("GET /api/v1/sources/" + id + " to match", () -> {
            last[0] = admin().get("/api/v1/sources/" + id).json();
            return done.test(last[0]);
        });
        return last[0];
    }

    /** Each change as "lsn#ordinal". */
    private static List<String> keys(JsonNode history) {
        List<String> out = new ArrayList<>();
        history.get("changes")
                .forEach(c ->
                        out.add(c.get("lsn").asText() + "#" + c.get("ordinal").asInt()));
        return out;
    }

    private static List<String> lsns(JsonNode history) {
        List<String> out = new ArrayList<>();
        history.get("changes").forEach(c -> out.add(c.get("lsn").asText()));
        return out;
    }

    @Test
    void changesAreListedInLsnOrderOnceEachWithTheirObjects() {
        String id = registerSource("history");
        SchemaChanged alter = schemaChange(
                Lsn.parse("0/16B3748"), t(10), 4711, 0, "ALTER TABLE", object("table", "public.orders", "ALTER", true));
        // the second DDL command of one transaction, reported before the first
        send(
                id,
                schemaChange(
                        Lsn.parse("0/2A00010"),
                        t(20),
                        4712,
                        1,
                        "CREATE INDEX",
                        object("index", "public.orders_total_idx", "CREATE", true)));
        send(
                id,
                schemaChange(
                        Lsn.parse("0/2A00010"),
                        t(20),
                        4712,
                        0,
                        "CREATE TABLE",
                        object("table", "public.lines", "CREATE", true),
                        object("sequence", "public.lines_id_seq", "CREATE", true)));
        send(id, alter);
        // a worker that crashed after publishing reports it again
        send(id, alter);
        SchemaChanged approximate = SchemaChanged.newBuilder(schemaChange(
                        Lsn.parse("1/0"),
                        t(30),
                        4800,
                        0,
                        "CREATE POLICY",
                        object("policy", "p on public.orders", "CREATE", false)))
                .setApproximate(true)
                .build();
        send(id, approximate);

        JsonNode history = awaitHistoryWith(id, "1/0");
        assertThat(history.get("sourceId").asText()).isEqualTo(id);
        assertThat(keys(history)).containsExactly("0/16B3748#0", "0/2A00010#0", "0/2A00010#1", "1/0#0");
        assertThat(query("SELECT count(*) FROM schema_changes WHERE source_id = '" + id + "'"))
                .as("the repeated report is one row")
                .containsExactly(List.of(4L));

        JsonNode first = history.get("changes").get(0);
        assertThat(fieldNames(history)).containsExactly("sourceId", "changes");
        assertThat(fieldNames(first))
                .containsExactly("lsn", "time", "xid", "ordinal", "commandTag", "objects", "approximate");
        assertThat(first.get("time").asText()).isEqualTo("2026-11-20T08:00:10.123456Z");
        assertThat(first.get("xid").asLong()).isEqualTo(4711);
        assertThat(first.get("commandTag").asText()).isEqualTo("ALTER TABLE");
        assertThat(first.get("approximate").asBoolean()).isFalse();
        assertThat(first.get("objects")).hasSize(1);
        JsonNode orders = first.get("objects").get(0);
        assertThat(fieldNames(orders)).containsExactly("objectType", "identity", "action", "replayed");
        assertThat(orders.get("objectType").asText()).isEqualTo("table");
        assertThat(orders.get("identity").asText()).isEqualTo("public.orders");
        assertThat(orders.get("action").asText()).isEqualTo("ALTER");
        assertThat(orders.get("replayed").asBoolean()).isTrue();

        JsonNode create = history.get("changes").get(1);
        assertThat(create.get("commandTag").asText()).isEqualTo("CREATE TABLE");
        assertThat(OffsetDateTime.parse(create.get("time").asText()).toInstant())
                .isEqualTo(t(20));
        assertThat(create.get("objects").findValuesAsText("identity"))
                .containsExactly("public.lines", "public.lines_id_seq");

        JsonNode last = history.get("changes").get(3);
        assertThat(last.get("approximate").asBoolean()).isTrue();
        assertThat(last.get("objects").get(0).get("replayed").asBoolean()).isFalse();

        // from and to bound the commit LSN, both inclusive
        assertThat(keys(history(id, "?from=0/2A00010&to=0/2A00010"))).containsExactly("0/2A00010#0", "0/2A00010#1");
        assertThat(keys(history(id, "?from=0/2A00011"))).containsExactly("1/0#0");
        assertThat(keys(history(id, "?to=0/2A0000F"))).containsExactly("0/16B3748#0");
        assertThat(keys(history(id, "?from=2/0"))).isEmpty();
    }

    @Test
    void badBoundsAnUnknownSourceAndADeletedOneAreRefused() {
        String id = registerSource("history-errors");
        Api.Response notAnLsn = admin().get("/api/v1/sources/" + id + "/schema-history?from=yesterday");
        assertThat(notAnLsn.status()).as(notAnLsn.body()).isEqualTo(400);
        assertThat(notAnLsn.json().get("detail").asText()).contains("from").contains("yesterday");
        Api.Response reversed = admin().get("/api/v1/sources/" + id + "/schema-history?from=0/2000&to=0/1000");
        assertThat(reversed.status()).as(reversed.body()).isEqualTo(400);

        Api.Response unknown = admin().get("/api/v1/sources/" + UUID.randomUUID() + "/schema-history");
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(404);
        assertThat(unknown.contentType()).contains("application/problem+json");
        assertThat(unknown.json().get("type").asText()).endsWith("/not-found");
        assertThat(admin().get("/api/v1/sources/not-a-uuid/schema-history").status())
                .isEqualTo(400);

        // an empty history is a history
        assertThat(history(id, "").get("changes")).isEmpty();

        // deleting the source deletes its history
        send(
                id,
                schemaChange(
                        Lsn.parse("0/3000"), t(0), 900, 0, "DROP TABLE", object("table", "public.t", "DROP", true)));
        awaitHistoryWith(id, "0/3000");
        Api.Response deleted = admin().delete("/api/v1/sources/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(query("SELECT count(*) FROM schema_changes WHERE source_id = '" + id + "'"))
                .containsExactly(List.of(0L));
        assertThat(admin().get("/api/v1/sources/" + id + "/schema-history").status())
                .isEqualTo(404);
    }

    @Test
    void theReportedDdlCaptureModeShowsInTheSource() {
        String id = registerSource("ddl-mode");
        String other = registerSource("ddl-mode-other");
        JsonNode registered = admin().get("/api/v1/sources/" + id).json();
        assertThat(registered.has("ddlCapture"))
                .as("no worker has reported yet")
                .isFalse();
        assertThat(registered.get("ddlCaptureMode").asText())
                .as("what the probe expects stays beside it")
                .isNotBlank();

        send(
                id,
                SourceStatusReport.newBuilder()
                        .setState(CaptureState.STREAMING)
                        .setDurableLsn(Lsn.parse("0/5000").value())
                        .setDdlCapture(new DdlCaptureMode(
                                "EVENT_TRIGGER", "MESSAGE", "superuser: event triggers installed, logical messages"))
                        .build());
        JsonNode s = awaitSource(id, v -> v.has("ddlCapture"));
        JsonNode ddl = s.get("ddlCapture");
        assertThat(fieldNames(ddl)).containsExactly("mode", "transport", "detail");
        assertThat(ddl.get("mode").asText()).isEqualTo("EVENT_TRIGGER");
        assertThat(ddl.get("transport").asText()).isEqualTo("MESSAGE");
        assertThat(ddl.get("detail").asText()).isEqualTo("superuser: event triggers installed, logical messages");

        // the list shows it too, and only for the source that reported it
        Api.Response list = admin().get("/api/v1/sources");
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        for (JsonNode v : list.json()) {
            if (v.get("id").asText().equals(id)) {
                assertThat(v.get("ddlCapture")).isEqualTo(ddl);
            } else if (v.get("id").asText().equals(other)) {
                assertThat(v.has("ddlCapture")).isFalse();
            }
        }

        // a report without the field keeps the mode
        send(
                id,
                SourceStatusReport.newBuilder()
                        .setState(CaptureState.STREAMING)
                        .setDurableLsn(Lsn.parse("0/6000").value())
                        .build());
        JsonNode kept =
                awaitSource(id, v -> "0/6000".equals(v.path("durableLsn").asText()));
        assertThat(kept.get("ddlCapture")).isEqualTo(ddl);

        // a new mode replaces it whole
        send(
                id,
                SourceStatusReport.newBuilder()
                        .setState(CaptureState.STREAMING)
                        .setDdlCapture(
                                new DdlCaptureMode("NONE", null, "not a superuser: schema changes are not captured"))
                        .build());
        JsonNode none = awaitSource(
                id, v -> "NONE".equals(v.path("ddlCapture").path("mode").asText()));
        assertThat(none.get("ddlCapture").has("transport")).isFalse();
        assertThat(none.get("ddlCapture").get("detail").asText()).contains("not a superuser");
    }
}
