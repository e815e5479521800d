package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.approximateRange;
import static io.recall.coordinator.CatalogEvents.backup;
import static io.recall.coordinator.CatalogEvents.gap;
import static io.recall.coordinator.CatalogEvents.segment;
import static io.recall.coordinator.CatalogEvents.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.layout.RestorePointMarker;
import io.recall.coordinator.SourceRegistrationIT.SourceDb;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreEvent;
import io.recall.schemas.restore.RestoreMode;
import io.recall.schemas.restore.RestorePhase;
import io.recall.schemas.restore.RestoreRequest;
import io.recall.schemas.restore.RestoreStatus;
import io.recall.schemas.restore.RestoreTargetSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Restores through the REST API and Kafka: validation of requests against a source's recovery window (built from
 * catalog events, as a stream worker would report them), the job on {@code recall.restore-jobs} with its target
 * connection string sealed (I5), jobs written straight to the topic, workers' events on {@code recall.restore-events},
 * cancellation, and named restore points read from a real source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class RestoreApiIT extends CoordinatorIT {

    private static final String JOBS_TOPIC = "recall.restore-jobs";
    private static final String EVENTS_TOPIC = "recall.restore-events";
    private static final String EVENTS_GROUP = "recall-coordinator-restore-events";
    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    private static final Lsn DURABLE = Lsn.parse("FF/0");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TARGET_PASSWORD = "Target-Secret-" + UUID.randomUUID();
    private static final String TARGET = PG.connectionUri("restorer", TARGET_PASSWORD, "restored_db");

    /** A registered source whose window is 0/1000@t0..0/3000@t2 and 0/8000@t10..0/9100@t12, gap 0/3000..0/8000. */
    private SourceDb src;

    private String sourceId;
    private JsonNode window;

    private static Instant t(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    @BeforeAll
    void sourceWithAWindow() {
        src = SourceRegistrationIT.sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        Api.Response r =
                admin().post("/api/v1/sources", SourceRegistrationIT.body("restore-" + UUID.randomUUID(), src.uri()));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        sourceId = r.json().get("id").asText();
        String id = sourceId;
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), t(0), "INITIAL", 4096));
        send(id, segment(id, Lsn.parse("0/1000"), Lsn.parse("0/1F00"), 5, t(0), t(1), Lsn.parse("0/2000"), t(1)));
        send(id, segment(id, Lsn.parse("0/2000"), Lsn.parse("0/3000"), 0, null, null, Lsn.parse("0/3000"), t(2)));
        send(id, gap(Lsn.parse("0/3000"), "replication slot lost its WAL"));
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/8000"), t(10), "AFTER_GAP", 4096));
        send(id, segment(id, Lsn.parse("0/8000"), Lsn.parse("0/9000"), 3, t(11), t(12), Lsn.parse("0/9100"), t(12)));
        send(
                id,
                SourceStatusReport.newBuilder()
                        .setState(CaptureState.STREAMING)
                        .setDurableLsn(DURABLE.value())
                        .setDurableCommitTime(t(13))
                        .build());
        CatalogEvents.await(
                "the window and the durable watermark",
                () -> admin().get("/api/v1/sources/" + id)
                                .json()
                                .path("durableLsn")
                                .asText()
                                .equals(DURABLE.toString())
                        && admin().get("/api/v1/sources/" + id + "/recovery-window")
                                        .json()
                                        .get("intervals")
                                        .size()
                                == 2);
        window = admin().get("/api/v1/sources/" + id + "/recovery-window").json();
        assertThat(RecoveryWindowIT.intervals(window))
                .containsExactly("0/1000@" + t(0) + "..0/3000@" + t(2), "0/8000@" + t(10) + "..0/9100@" + t(12));
    }

    private Map<String, Object> request(Object target, Object... extra) {
        Map<String, Object> b = new HashMap<>();
        b.put("sourceId", sourceId);
        b.put("target", target);
        b.put("targetConnectionString", TARGET);
        for (int i = 0; i < extra.length; i += 2) {
            b.put((String) extra[i], extra[i + 1]);
        }
        return b;
    }

    private Api.Response restore(Object body) {
        return admin().post("/api/v1/restores", body);
    }

    private JsonNode accepted(Object body) {
        Api.Response r = restore(body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json();
    }

    private static void assertProblem(Api.Response r, int status, String type, String detail) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).contains("application/problem+json");
        assertThat(r.json().get("type").asText()).as(r.body()).endsWith("/" + type);
        assertThat(r.json().get("detail").asText()).as(r.body()).contains(detail);
        assertThat(r.body()).doesNotContain(TARGET_PASSWORD);
    }

    @Test
    void malformedRequestsAnswer400SayingWhatToDo() {
        assertProblem(admin().post("/api/v1/restores", "{not json"), 400, "invalid-request", "");
        assertProblem(restore(request(null)), 400, "invalid-request", "target is required");
        assertProblem(restore(request(Map.of("lsn", "0/2000", "xid", 1234))), 400, "invalid-request", "exactly one of");
        assertProblem(restore(request(Map.of())), 400, "invalid-request", "exactly one of");
        assertProblem(restore(request(Map.of("lsn", "2000"))), 400, "invalid-request", "not an LSN");
        assertProblem(restore(request(Map.of("time", "2026-11-20T10:00:00"))), 400, "invalid-request", "zone offset");
        assertProblem(restore(request(Map.of("xid", "twelve"))), 400, "invalid-request", "not a transaction id");
        assertProblem(restore(request(Map.of("latest", false))), 400, "invalid-request", "must be true");
        Map<String, Object> noSource = request(Map.of("latest", true));
        noSource.remove("sourceId");
        assertProblem(restore(noSource), 400, "invalid-request", "sourceId is required");
        assertProblem(
                restore(request(Map.of("latest", true), "sourceId", "nope")),
                400,
                "invalid-request",
                "not a source id");
        assertProblem(
                restore(request(Map.of("latest", true), "targetConnectionString", "just some words")),
                400,
                "invalid-connection-string",
                "targetConnectionString");
        assertProblem(
                restore(request(
                        Map.of("latest", true),
                        "targetConnectionString",
                        "mysql://restorer:" + TARGET_PASSWORD + "@127.0.0.1/db")),
                400,
                "invalid-connection-string",
                "not a PostgreSQL connection string");
        Map<String, Object> noTarget = request(Map.of("latest", true));
        noTarget.remove("targetConnectionString");
        assertProblem(restore(noTarget), 400, "invalid-connection-string", "targetConnectionString is required");
        assertProblem(restore(request(Map.of("latest", true), "mode", "merge")), 400, "invalid-request", "overwrite");
        assertProblem(
                restore(request(Map.of("latest", true), "tables", List.of("t"))),
                400,
                "invalid-request",
                "\"schema.table\"");
        assertProblem(admin().get("/api/v1/restores?status=DONE"), 400, "invalid-request", "QUEUED");
        assertProblem(admin().get("/api/v1/restores/not-a-uuid"), 400, "invalid-request", "restore id");
    }

    @Test
    void unknownSourcesAndRestoresAnswer404() {
        assertProblem(
                restore(request(
                        Map.of("latest", true), "sourceId", UUID.randomUUID().toString())),
                404,
                "not-found",
                "does not exist");
        assertProblem(admin().get("/api/v1/restores/" + UUID.randomUUID()), 404, "not-found", "does not exist");
        assertProblem(
                admin().post("/api/v1/restores/" + UUID.randomUUID() + "/cancel", null),
                404,
                "not-found",
                "does not exist");
    }

    @Test
    void targetsOutsideTheWindowAnswer422WithTheWindow() {
        Map<String, String> refused = Map.of(
                "0/800", "before the recovery window",
                "0/5000", "inside a gap",
                "100/0", "past the latest durable position");
        refused.forEach((lsn, why) -> {
            Api.Response r = restore(request(Map.of("lsn", lsn)));
            assertProblem(r, 422, "target-outside-recovery-window", why);
            assertThat(r.json().get("window")).as(lsn).isEqualTo(window);
        });
        Api.Response early = restore(request(Map.of("time", t(-1).toString())));
        assertProblem(early, 422, "target-outside-recovery-window", "before the recovery window");
        assertThat(early.json().get("window")).isEqualTo(window);
        Api.Response inGap = restore(request(Map.of("time", t(5).toString())));
        assertProblem(inGap, 422, "target-outside-recovery-window", "inside a gap");
        assertThat(query("SELECT count(*) FROM restores WHERE target->>'lsn' IN ('0/800', '0/5000', '100/0')"
                                + " OR target->>'time' IN ('" + t(-1) + "', '" + t(5) + "')")
                        .getFirst()
                        .getFirst())
                .as("nothing refused is recorded")
                .isEqualTo(0L);
    }

    @Test
    void aTargetInsideAnApproximateRangeIsAcceptedAndSaysSo() {
        String id = registerSource("restore-approximate");
        String reason = "ALTER TABLE t ADD COLUMN c: added without its earlier values";
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), t(0), "INITIAL", 4096));
        send(id, segment(id, Lsn.parse("0/1000"), Lsn.parse("0/1F00"), 5, t(0), t(1), Lsn.parse("0/2000"), t(1)));
        send(id, approximateRange(Lsn.parse("0/2000"), null, reason));
        send(id, approximateRange(Lsn.parse("0/2000"), null, reason));
        send(id, segment(id, Lsn.parse("0/2000"), Lsn.parse("0/5F00"), 5, t(2), t(6), Lsn.parse("0/6000"), t(6)));
        send(id, backup(id, UUID.randomUUID().toString(), Lsn.parse("0/4000"), t(4), "REQUESTED", 4096));
        CatalogEvents.await("the range closed and the window grown", () -> {
            JsonNode w =
                    admin().get("/api/v1/sources/" + id + "/recovery-window").json();
            return RecoveryWindowIT.approximate(w).equals(List.of("0/2000..0/4000 " + reason))
                    && RecoveryWindowIT.intervals(w).equals(List.of("0/1000@" + t(0) + "..0/6000@" + t(6)));
        });
        execute("INSERT INTO restore_points (source_id, name, lsn, point_time, created_at) VALUES ('" + id
                + "', 'mid-migration', " + Lsn.parse("0/3800").value() + ", '" + t(3) + "', now())");

        Map<Object, String> inside = new LinkedHashMap<>();
        inside.put(Map.of("lsn", "0/2000"), "target LSN 0/2000");
        inside.put(Map.of("lsn", "0/3FFF"), "target LSN 0/3FFF");
        inside.put(Map.of("restorePoint", "mid-migration"), "restore point 'mid-migration' at 0/3800");
        // after the latest archived time before the range, before the snapshot of the backup that ends it
        inside.put(Map.of("time", t(3).toString()), "target time " + t(3));
        inside.forEach((target, what) -> {
            JsonNode job = accepted(request(target, "sourceId", id));
            assertThat(job.get("status").asText()).as(what).isEqualTo("QUEUED");
            assertThat(job.get("approximate").asBoolean()).as(what).isTrue();
            assertThat(job.get("approximateReason").asText()).as(what).contains(what, "from 0/2000 to 0/4000", reason);
            assertThat(admin().get("/api/v1/restores/" + job.get("id").asText()).json())
                    .as(what)
                    .isEqualTo(job);
        });

        for (Object target : List.of(
                Map.of("lsn", "0/1FFF"),
                Map.of("lsn", "0/4000"),
                Map.of("lsn", "0/6000"),
                Map.of("time", t(1).toString()),
                Map.of("time", t(4).toString()),
                Map.of("latest", true))) {
            JsonNode job = accepted(request(target, "sourceId", id));
            assertThat(job.get("approximate").isBoolean()).as(target.toString()).isTrue();
            assertThat(job.get("approximate").asBoolean()).as(target.toString()).isFalse();
            assertThat(job.get("approximateReason").isNull())
                    .as(target.toString())
                    .isTrue();
        }
        // an xid is resolved by the worker alone: not judged
        JsonNode xid = accepted(request(Map.of("xid", 1234), "sourceId", id));
        assertThat(xid.get("approximate").isNull()).isTrue();
        assertThat(xid.get("approximateReason").isNull()).isTrue();

        assertThat(query("SELECT count(*) FILTER (WHERE approximate), count(*) FILTER (WHERE NOT approximate),"
                                + " count(*) FILTER (WHERE approximate IS NULL) FROM restores WHERE source_id = '"
                                + id + "'")
                        .getFirst())
                .containsExactly(4L, 6L, 1L);
    }

    @Test
    void theSourceItselfIsNeverATarget() {
        String itself = PG.connectionUri(src.user(), "anything", src.database());
        assertProblem(
                restore(request(Map.of("latest", true), "targetConnectionString", itself)),
                422,
                "target-is-source",
                "restores never target the source itself");
        String byName = itself.replace("@127.0.0.1:", "@localhost:");
        assertProblem(
                restore(request(Map.of("latest", true), "targetConnectionString", byName)),
                422,
                "target-is-source",
                "restores never target the source itself");
    }

    @Test
    void aValidRequestIsQueuedAndPublishedWithItsConnectionStringSealed(CapturedOutput output) throws Exception {
        Api.Response r = restore(request(
                Map.of("lsn", "0/2000"),
                "inclusive",
                false,
                "mode",
                "Overwrite",
                "tables",
                List.of("public.t", "app.*"),
                "createDatabase",
                true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = r.json();
        String id = job.get("id").asText();
        assertThat(r.location()).isEqualTo("/api/v1/restores/" + id);
        assertThat(job.get("sourceId").asText()).isEqualTo(sourceId);
        assertThat(job.get("status").asText()).isEqualTo("QUEUED");
        assertThat(job.get("target")).isEqualTo(JSON.readTree("{\"lsn\": \"0/2000\"}"));
        assertThat(job.get("inclusive").asBoolean()).isFalse();
        assertThat(job.get("approximate").isBoolean()).isTrue();
        assertThat(job.get("approximate").asBoolean())
                .as("no approximate range")
                .isFalse();
        assertThat(job.get("approximateReason").isNull()).isTrue();
        assertThat(job.get("mode").asText()).isEqualTo("OVERWRITE");
        assertThat(job.get("createDatabase").asBoolean()).isTrue();
        assertThat(job.get("tables")).extracting(JsonNode::asText).containsExactly("public.t", "app.*");
        assertThat(job.get("targetDatabase").asText())
                .isEqualTo("postgresql://restorer:****@127.0.0.1:" + PG.port() + "/restored_db");
        assertThat(job.get("requestedBy").asText()).isEqualTo("bootstrap-admin");
        assertThat(job.get("cancelRequested").asBoolean()).isFalse();
        assertThat(job.get("restoredTo").isNull()).isTrue();
        assertThat(job.get("progress").get("phase").isNull()).isTrue();
        assertThat(fieldNames(job))
                .containsExactly(
                        "id",
                        "sourceId",
                        "status",
                        "target",
                        "inclusive",
                        "approximate",
                        "approximateReason",
                        "targetDatabase",
                        "mode",
                        "createDatabase",
                        "tables",
                        "requestedAt",
                        "requestedBy",
                        "startedAt",
                        "finishedAt",
                        "cancelRequested",
                        "progress",
                        "baseBackupId",
                        "cutoffLsn",
                        "restoredTo",
                        "error",
                        "worker",
                        "attempt");
        assertThat(admin().get("/api/v1/restores/" + id).json()).isEqualTo(job);

        List<List<Object>> row =
                query("SELECT status, target_connection_ciphertext, t::text FROM restores t WHERE id = '" + id + "'");
        assertThat(row.getFirst().get(0)).isEqualTo("QUEUED");
        assertThat((String) row.getFirst().get(1)).startsWith("v1:k1:");
        assertThat((String) row.getFirst().get(2)).doesNotContain(TARGET_PASSWORD);

        List<ConsumerRecord<String, byte[]>> records =
                KafkaRecords.await(KAFKA.bootstrapServers(), JOBS_TOPIC, id, rs -> !rs.isEmpty());
        assertThat(records).hasSize(1);
        assertThat(new String(records.getFirst().value(), StandardCharsets.ISO_8859_1))
                .doesNotContain(TARGET_PASSWORD);
        RestoreCommand command = command(records.getFirst().value());
        assertThat(command.getRestoreId()).isEqualTo(id);
        assertThat(command.getRequestedBy()).isEqualTo("bootstrap-admin");
        RestoreRequest request = (RestoreRequest) command.getCommand();
        assertThat(request.getSourceId()).isEqualTo(sourceId);
        assertThat(request.getTarget().getLsn()).isEqualTo("0/2000");
        assertThat(request.getInclusive()).isFalse();
        assertThat(request.getMode()).isEqualTo(RestoreMode.OVERWRITE);
        assertThat(request.getCreateDatabase()).isTrue();
        assertThat(request.getTables()).containsExactly("public.t", "app.*");
        assertThat(request.getTargetConnectionString()).startsWith("v1:");
        assertThat(new SecretCipher(Map.of("k1", SECRETS_KEY), "k1").decrypt(request.getTargetConnectionString()))
                .isEqualTo(TARGET);
        assertThat(request.getSourceDatabase()).isEqualTo(src.database());
        assertThat(request.getSourceSystemIdentifier()).isNotBlank();
        assertThat(request.getLatestLsn()).isNull();

        // latest: the durable watermark when the job was accepted travels with it
        String latest = accepted(request(Map.of("latest", true))).get("id").asText();
        RestoreRequest latestRequest = (RestoreRequest)
                command(KafkaRecords.await(KAFKA.bootstrapServers(), JOBS_TOPIC, latest, rs -> !rs.isEmpty())
                                .getFirst()
                                .value())
                        .getCommand();
        assertThat(latestRequest.getTarget().getLatest()).isTrue();
        assertThat(latestRequest.getLatestLsn()).isEqualTo(DURABLE.toString());
        // xid and time targets need only the window
        assertThat(accepted(request(Map.of("xid", 1234)))
                        .get("target")
                        .get("xid")
                        .asLong())
                .isEqualTo(1234);
        assertThat(accepted(request(Map.of("time", t(1).toString())))
                        .get("status")
                        .asText())
                .isEqualTo("QUEUED");

        // the API's own record, read back by the intake, changes nothing
        KafkaRecords.sleep(1000);
        assertThat(admin().get("/api/v1/restores/" + id).json()).isEqualTo(job);
        assertThat(output.getAll()).doesNotContain(TARGET_PASSWORD);
    }

    @Test
    void listsAreNewestFirstAndFilter() {
        String first = accepted(request(Map.of("latest", true))).get("id").asText();
        String second = accepted(request(Map.of("latest", true))).get("id").asText();
        assertThat(cancel(first).status()).isEqualTo(202);
        List<String> all = ids(admin().get("/api/v1/restores?sourceId=" + sourceId));
        assertThat(all).containsSubsequence(second, first);
        List<String> queued = ids(admin().get("/api/v1/restores?sourceId=" + sourceId + "&status=queued"));
        assertThat(queued).contains(second).doesNotContain(first);
        assertThat(ids(admin().get("/api/v1/restores?status=CANCELLED"))).contains(first);
        assertThat(ids(admin().get("/api/v1/restores?sourceId=" + UUID.randomUUID())))
                .isEmpty();
        assertThat(ids(admin().get("/api/v1/restores?sourceId=" + sourceId + "&limit=1")))
                .hasSize(1);
    }

    @Test
    void aRequestWrittenStraightToTheTopicIsRecordedSealed() {
        String id = UUID.randomUUID().toString();
        RestoreCommand command = RestoreCommand.newBuilder()
                .setRestoreId(id)
                .setRequestedAt(t(20))
                .setRequestedBy("nightly-refresh")
                .setCommand(RestoreRequest.newBuilder()
                        .setSourceId(sourceId)
                        .setTarget(RestoreTargetSpec.newBuilder().setTime(t(12)).build())
                        .setInclusive(true)
                        .setTargetConnectionString(TARGET)
                        .setMode(RestoreMode.EMPTY)
                        .setCreateDatabase(false)
                        .setTables(List.of("public.t"))
                        .build())
                .build();
        sendCommand(id, command);

        JsonNode job = awaitRestore(id, j -> true);
        assertThat(job.get("status").asText()).isEqualTo("QUEUED");
        assertThat(job.get("sourceId").asText()).isEqualTo(sourceId);
        assertThat(job.get("target").get("time").asText()).isEqualTo(t(12).toString());
        assertThat(job.get("requestedBy").asText()).isEqualTo("nightly-refresh");
        assertThat(Instant.parse(job.get("requestedAt").asText())).isEqualTo(t(20));
        assertThat(job.get("targetDatabase").asText()).contains(":****@").doesNotContain(TARGET_PASSWORD);
        assertThat(job.get("tables")).extracting(JsonNode::asText).containsExactly("public.t");
        assertThat(job.get("approximate").isNull()).as("not judged").isTrue();
        assertThat(ids(admin().get("/api/v1/restores?sourceId=" + sourceId))).contains(id);
        String stored = (String) query("SELECT target_connection_ciphertext FROM restores WHERE id = '" + id + "'")
                .getFirst()
                .getFirst();
        assertThat(stored).startsWith("v1:k1:").doesNotContain(TARGET_PASSWORD);

        // a cancellation on the topic marks it
        sendCommand(
                id,
                RestoreCommand.newBuilder()
                        .setRestoreId(id)
                        .setRequestedAt(t(21))
                        .setCommand(RestoreCancel.newBuilder()
                                .setReason("changed my mind")
                                .build())
                        .build());
        assertThat(awaitRestore(id, j -> j.get("cancelRequested").asBoolean())
                        .get("status")
                        .asText())
                .isEqualTo("QUEUED");
    }

    @Test
    void workerEventsShowInTheJobAndOlderAttemptsChangeNothing() throws Exception {
        String id = accepted(request(Map.of("lsn", "0/9000"))).get("id").asText();
        String backupId = UUID.randomUUID().toString();

        event(
                id,
                1,
                "worker-a",
                RestoreStatus.RUNNING,
                RestorePhase.REPLAYING,
                e -> e.setBaseBackupId(backupId)
                        .setCutoffLsn("0/9001")
                        .setMessage("replaying segment 2 of 5")
                        .setSegmentsTotal(5)
                        .setSegmentsApplied(2)
                        .setBytesTotal(50_000)
                        .setBytesRead(20_000)
                        .setTransactionsApplied(40)
                        .setRowsApplied(400)
                        .setRowsPerSecond(1234.5)
                        .setEtaSeconds(7L));
        JsonNode running = awaitRestore(id, j -> j.get("status").asText().equals("RUNNING"));
        JsonNode progress = running.get("progress");
        assertThat(progress.get("phase").asText()).isEqualTo("REPLAYING");
        assertThat(progress.get("message").asText()).isEqualTo("replaying segment 2 of 5");
        assertThat(progress.get("segmentsApplied").asLong()).isEqualTo(2);
        assertThat(progress.get("segmentsTotal").asLong()).isEqualTo(5);
        assertThat(progress.get("bytesRead").asLong()).isEqualTo(20_000);
        assertThat(progress.get("bytesTotal").asLong()).isEqualTo(50_000);
        assertThat(progress.get("transactionsApplied").asLong()).isEqualTo(40);
        assertThat(progress.get("rowsApplied").asLong()).isEqualTo(400);
        assertThat(progress.get("rowsPerSecond").asDouble()).isEqualTo(1234.5);
        assertThat(progress.get("etaSeconds").asLong()).isEqualTo(7);
        assertThat(running.get("baseBackupId").asText()).isEqualTo(backupId);
        assertThat(running.get("cutoffLsn").asText()).isEqualTo("0/9001");
        assertThat(running.get("worker").asText()).isEqualTo("worker-a");
        assertThat(running.get("attempt").asInt()).isEqualTo(1);
        assertThat(Instant.parse(running.get("startedAt").asText())).isEqualTo(t(30));
        assertThat(running.get("finishedAt").isNull()).isTrue();

        // worker-a died; worker-b restarts the job and finishes it
        event(id, 2, "worker-b", RestoreStatus.RUNNING, RestorePhase.RESTORING_BASE, e -> e.setBaseBackupId(backupId));
        event(
                id,
                2,
                "worker-b",
                RestoreStatus.SUCCEEDED,
                RestorePhase.DONE,
                e -> e.setBaseBackupId(backupId)
                        .setCutoffLsn("0/9001")
                        .setSegmentsTotal(5)
                        .setSegmentsApplied(5)
                        .setTransactionsApplied(100)
                        .setRowsApplied(1000)
                        .setRestoredToLsn("0/8F00")
                        .setRestoredToTime(t(12)));
        JsonNode done = awaitRestore(id, j -> j.get("status").asText().equals("SUCCEEDED"));
        assertThat(done.get("restoredTo").get("lsn").asText()).isEqualTo("0/8F00");
        assertThat(Instant.parse(done.get("restoredTo").get("time").asText())).isEqualTo(t(12));
        assertThat(done.get("worker").asText()).isEqualTo("worker-b");
        assertThat(done.get("attempt").asInt()).isEqualTo(2);
        assertThat(done.get("progress").get("rowsApplied").asLong()).isEqualTo(1000);
        assertThat(Instant.parse(done.get("startedAt").asText()))
                .as("the first start")
                .isEqualTo(t(30));
        assertThat(done.get("finishedAt").isNull()).isFalse();

        // worker-a's late report of the older attempt, and a stray report of the finished one, change nothing
        event(id, 1, "worker-a", RestoreStatus.FAILED, RestorePhase.REPLAYING, e -> e.setError("connection lost"));
        RecordMetadata last =
                event(id, 2, "worker-b", RestoreStatus.RUNNING, RestorePhase.VERIFYING, e -> e.setRowsApplied(1));
        awaitConsumed(EVENTS_GROUP, last);
        assertThat(admin().get("/api/v1/restores/" + id).json()).isEqualTo(done);

        // a finished job cannot be cancelled
        assertProblem(cancel(id), 409, "conflict", "already ended");
    }

    @Test
    void anEventBeforeItsRequestIsKeptAndTheRequestFillsItIn() {
        String id = UUID.randomUUID().toString();
        event(id, 1, "worker-c", RestoreStatus.RUNNING, RestorePhase.VALIDATING, e -> e.setMessage("checking target"));
        JsonNode early = awaitRestore(id, j -> j.get("status").asText().equals("RUNNING"));
        assertThat(early.get("sourceId").asText()).isEqualTo(sourceId);
        assertThat(early.get("target").isNull()).isTrue();
        assertThat(early.get("worker").asText()).isEqualTo("worker-c");

        sendCommand(
                id,
                RestoreCommand.newBuilder()
                        .setRestoreId(id)
                        .setRequestedAt(t(29))
                        .setRequestedBy("orchestrator")
                        .setCommand(RestoreRequest.newBuilder()
                                .setSourceId(sourceId)
                                .setTarget(RestoreTargetSpec.newBuilder()
                                        .setXid(777L)
                                        .build())
                                .setTargetConnectionString(TARGET)
                                .build())
                        .build());
        JsonNode filled = awaitRestore(id, j -> !j.get("target").isNull());
        assertThat(filled.get("target").get("xid").asLong()).isEqualTo(777);
        assertThat(filled.get("requestedBy").asText()).isEqualTo("orchestrator");
        assertThat(filled.get("targetDatabase").asText()).contains(":****@");
        assertThat(filled.get("status").asText())
                .as("the worker's report stands")
                .isEqualTo("RUNNING");
        assertThat(filled.get("progress").get("message").asText()).isEqualTo("checking target");
    }

    @Test
    void cancellingAQueuedJobEndsItAndTellsTheWorkers() {
        String id = accepted(request(Map.of("latest", true))).get("id").asText();
        Api.Response r = cancel(id);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("status").asText()).isEqualTo("CANCELLED");
        assertThat(r.json().get("cancelRequested").asBoolean()).isTrue();
        assertThat(r.json().get("finishedAt").isNull()).isFalse();
        assertThat(admin().get("/api/v1/restores/" + id).json().get("status").asText())
                .isEqualTo("CANCELLED");
        List<ConsumerRecord<String, byte[]>> records =
                KafkaRecords.await(KAFKA.bootstrapServers(), JOBS_TOPIC, id, rs -> rs.size() == 2);
        assertThat(command(records.get(0).value()).getCommand()).isInstanceOf(RestoreRequest.class);
        RestoreCommand cancel = command(records.get(1).value());
        assertThat(cancel.getCommand()).isInstanceOf(RestoreCancel.class);
        assertThat(cancel.getRequestedBy()).isEqualTo("bootstrap-admin");
        assertProblem(cancel(id), 409, "conflict", "already ended");
    }

    @Test
    void restorePointsLandAtTheSourcesPositionAndCanBeRestoredTo() throws Exception {
        Lsn before = currentWalLsn();
        Api.Response created =
                admin().post("/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", "before-migration"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode point = created.json();
        assertThat(fieldNames(point)).containsExactly("sourceId", "name", "lsn", "time");
        assertThat(point.get("sourceId").asText()).isEqualTo(sourceId);
        assertThat(point.get("name").asText()).isEqualTo("before-migration");
        Lsn lsn = Lsn.parse(point.get("lsn").asText());
        assertThat(lsn).isGreaterThanOrEqualTo(before);
        assertThat(OffsetDateTime.parse(point.get("time").asText()).toInstant())
                .isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(60));
        assertThat(created.location()).isEqualTo("/api/v1/sources/" + sourceId + "/restore-points/before-migration");
        assertThat(admin().get(created.location()).json()).isEqualTo(point);
        assertThat(admin().get("/api/v1/sources/" + sourceId + "/restore-points")
                        .json())
                .contains(point);

        RestorePointMarker marker;
        try (InputStream in = STORE.open(RestorePointMarker.key(SourceId.parse(sourceId), "before-migration"))) {
            marker = new ObjectMapper().findAndRegisterModules().readValue(in, RestorePointMarker.class);
        }
        assertThat(marker.formatVersion()).isEqualTo(RestorePointMarker.FORMAT_VERSION);
        assertThat(marker.sourceId()).isEqualTo(sourceId);
        assertThat(marker.lsn()).isEqualTo(lsn.toString());
        assertThat(marker.time())
                .isEqualTo(OffsetDateTime.parse(point.get("time").asText()).toInstant());

        assertProblem(
                admin().post("/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", "before-migration")),
                409,
                "conflict",
                "already has a restore point named 'before-migration'");
        assertProblem(
                admin().post("/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", "../escape")),
                400,
                "invalid-request",
                "is not valid");
        assertProblem(
                admin().post("/api/v1/sources/" + UUID.randomUUID() + "/restore-points", Map.of("name", "x")),
                404,
                "not-found",
                "does not exist");

        // restoring to it: its LSN travels with the job
        String id = accepted(request(Map.of("restorePoint", "before-migration")))
                .get("id")
                .asText();
        RestoreRequest request = (RestoreRequest)
                command(KafkaRecords.await(KAFKA.bootstrapServers(), JOBS_TOPIC, id, rs -> !rs.isEmpty())
                                .getFirst()
                                .value())
                        .getCommand();
        assertThat(request.getTarget().getRestorePoint()).isEqualTo("before-migration");
        assertThat(request.getRestorePointLsn()).isEqualTo(lsn.toString());
        assertProblem(
                restore(request(Map.of("restorePoint", "no-such-point"))),
                422,
                "unknown-restore-point",
                "no restore point named 'no-such-point'");
    }

    private Lsn currentWalLsn() throws Exception {
        try (Connection c = PG.connect(src.database());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private Api.Response cancel(String id) {
        return admin().post("/api/v1/restores/" + id + "/cancel", null);
    }

    /** Reads the job until {@code done} holds, for up to 30 s. */
    private JsonNode awaitRestore(String id, Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Api.Response r = admin().get("/api/v1/restores/" + id);
            if (r.status() == 200 && done.test(r.json())) {
                return r.json();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("restore " + id + " never matched; last: " + r.status() + " " + r.body());
            }
            KafkaRecords.sleep(100);
        }
    }

    /** A worker's report, at t(30) plus the attempt in minutes. */
    private RecordMetadata event(
            String id,
            int attempt,
            String worker,
            RestoreStatus status,
            RestorePhase phase,
            Consumer<RestoreEvent.Builder> details) {
        RestoreEvent.Builder b = RestoreEvent.newBuilder()
                .setRestoreId(id)
                .setSourceId(sourceId)
                .setAt(t(30 + attempt - 1))
                .setWorker(worker)
                .setAttempt(attempt)
                .setStatus(status)
                .setPhase(phase);
        details.accept(b);
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all");
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(EVENTS_TOPIC, id, bytes(b.build()::toByteBuffer)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("could not write to " + EVENTS_TOPIC, e);
        }
    }

    /** Waits until the consumer group has committed past {@code record}. */
    private static void awaitConsumed(String group, RecordMetadata record) throws Exception {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            CatalogEvents.await(group + " consumed offset " + record.offset(), () -> {
                try {
                    OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata()
                            .get(10, TimeUnit.SECONDS)
                            .get(partition);
                    return committed != null && committed.offset() > record.offset();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    private static void sendCommand(String id, RestoreCommand command) {
        KafkaRecords.send(KAFKA.bootstrapServers(), JOBS_TOPIC, id, bytes(command::toByteBuffer));
    }

    /** Avro single-object encoding ({@code x::toByteBuffer}), as the topics carry it. */
    private interface Encoded {
        ByteBuffer encode() throws IOException;
    }

    private static byte[] bytes(Encoded value) {
        try {
            ByteBuffer b = value.encode();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RestoreCommand command(byte[] value) {
        try {
            return RestoreCommand.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> ids(Api.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        r.json().forEach(j -> ids.add(j.get("id").asText()));
        return ids;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
