package io.recall.coordinator;

import static io.recall.coordinator.SourceRegistrationIT.body;
import static io.recall.coordinator.SourceRegistrationIT.sourceDb;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.coordinator.SourceRegistrationIT.SourceDb;
import io.recall.schemas.catalog.ArchiveStatus;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.BaseBackupFailed;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SourceStatusReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** What workers report on {@code recall.catalog} shows up in the API and the metadata database. */
class CatalogIT extends CoordinatorIT {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private String register(String prefix) {
        SourceDb src = sourceDb(PG, "CREATE TABLE t (id int PRIMARY KEY)");
        Api.Response r = admin().post("/api/v1/sources", body(prefix + "-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private void report(String id, Object body) {
        KafkaRecords.sendCatalog(KAFKA.bootstrapServers(), id, body);
    }

    private static SourceStatusReport status(
            CaptureState state, Lsn durable, Instant commitTime, Long lag, String error) {
        return SourceStatusReport.newBuilder()
                .setState(state)
                .setDurableLsn(durable == null ? null : durable.value())
                .setDurableCommitTime(commitTime)
                .setSlotLagBytes(lag)
                .setLastError(error)
                .build();
    }

    private static BaseBackupCompleted completed(String backupId, Lsn consistent, Instant snapshot, String reason) {
        return BaseBackupCompleted.newBuilder()
                .setBackupId(backupId)
                .setConsistentLsn(consistent.value())
                .setSnapshotTime(snapshot)
                .setServerVersion("15.18")
                .setStoragePrefix("sources/x/base/" + backupId + "/")
                .setTotalBytes(123_456)
                .setManifestSha256("ab".repeat(32))
                .setReason(reason)
                .build();
    }

    /** Reads GET /sources/{id} until {@code done} holds, for up to 30 s. */
    private JsonNode awaitSource(String id, Predicate<JsonNode> done) {
        return await("/api/v1/sources/" + id, done);
    }

    private JsonNode await(String path, Predicate<JsonNode> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Api.Response r = admin().get(path);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            if (done.test(r.json())) {
                return r.json();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("GET " + path + " never matched; last: " + r.body());
            }
            KafkaRecords.sleep(100);
        }
    }

    @Test
    void aBaseBackupAndAStatusReportShowUpInTheApi() {
        String id = register("catalog");
        Instant snapshot = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MICROS);
        Instant commit = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.MICROS);
        String backupId = UUID.randomUUID().toString();

        report(id, completed(backupId, Lsn.parse("0/1A2B3C0"), snapshot, "INITIAL"));
        report(id, status(CaptureState.STREAMING, Lsn.parse("0/1A2B400"), commit, 4096L, null));

        JsonNode s = awaitSource(id, v -> "STREAMING".equals(v.path("status").asText()));
        assertThat(s.get("durableLsn").asText()).isEqualTo("0/1A2B400");
        assertThat(OffsetDateTime.parse(s.get("durableCommitTime").asText()).toInstant())
                .isEqualTo(commit);
        assertThat(s.get("slotLagBytes").asLong()).isEqualTo(4096);
        assertThat(s.get("statusDetail").asText()).contains("test-worker");
        assertThat(s.has("lastError")).isFalse();

        JsonNode backups =
                admin().get("/api/v1/sources/" + id + "/base-backups").json();
        assertThat(backups).hasSize(1);
        JsonNode b = backups.get(0);
        assertThat(b.get("id").asText()).isEqualTo(backupId);
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(b.get("consistentLsn").asText()).isEqualTo("0/1A2B3C0");
        assertThat(OffsetDateTime.parse(b.get("snapshotTime").asText()).toInstant())
                .isEqualTo(snapshot);
        assertThat(b.get("totalBytes").asLong()).isEqualTo(123_456);
        assertThat(b.get("storagePrefix").asText()).isEqualTo("sources/x/base/" + backupId + "/");
        assertThat(b.get("reason").asText()).isEqualTo("INITIAL");
        assertThat(b.get("manifestSha256").asText()).isEqualTo("ab".repeat(32));
        assertThat(b.get("finishedAt").asText()).isNotBlank();

        // an error, then streaming again: lastError appears, then clears
        report(id, status(CaptureState.ERROR, null, null, null, "connection to the source lost"));
        JsonNode failed = awaitSource(id, v -> "ERROR".equals(v.path("status").asText()));
        assertThat(failed.get("lastError").asText()).isEqualTo("connection to the source lost");
        assertThat(failed.get("durableLsn").asText()).isEqualTo("0/1A2B400");
        report(id, status(CaptureState.STREAMING, Lsn.parse("0/1A2B500"), null, 0L, null));
        JsonNode again =
                awaitSource(id, v -> "0/1A2B500".equals(v.path("durableLsn").asText()));
        assertThat(again.get("status").asText()).isEqualTo("STREAMING");
        assertThat(again.has("lastError")).isFalse();
    }

    @Test
    void aStorageOutageOfTheSinkShowsInTheSourceUntilASegmentIsStored() {
        String id = register("archive");
        report(id, status(CaptureState.STREAMING, Lsn.parse("0/6000000"), null, null, null));
        awaitSource(id, v -> "STREAMING".equals(v.path("status").asText()));
        Instant since = Instant.now().minusSeconds(42).truncatedTo(ChronoUnit.MICROS);

        report(id, new ArchiveStatus(false, "storage refuses sealed segments: 503 Slow Down", since, 3L, 4096L));
        JsonNode down = awaitSource(id, v -> v.hasNonNull("archiveError"));
        assertThat(down.get("archiveError").asText()).contains("503 Slow Down").contains("3 sealed segments");
        assertThat(OffsetDateTime.parse(down.get("archiveErrorSince").asText()).toInstant())
                .isEqualTo(since);
        assertThat(down.get("status").asText()).as("capture itself is fine").isEqualTo("STREAMING");

        // a repeated report keeps when the outage began
        report(id, new ArchiveStatus(false, "storage refuses sealed segments: timeout", Instant.now(), 4L, 8192L));
        JsonNode still = awaitSource(id, v -> v.path("archiveError").asText().contains("timeout"));
        assertThat(OffsetDateTime.parse(still.get("archiveErrorSince").asText()).toInstant())
                .isEqualTo(since);

        report(id, new ArchiveStatus(true, null, null, 0L, 0L));
        JsonNode up = awaitSource(id, v -> !v.hasNonNull("archiveError"));
        assertThat(up.has("archiveErrorSince")).isFalse();
    }

    @Test
    void theDurableLsnNeverMovesBackwards() {
        String id = register("watermark");
        Instant newer = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Instant older = newer.minusSeconds(30);

        report(id, status(CaptureState.STREAMING, Lsn.parse("1/3000000"), newer, 10L, null));
        awaitSource(id, v -> "1/3000000".equals(v.path("durableLsn").asText()));

        // a late report from a worker that lost the source: its watermark is behind
        report(id, status(CaptureState.STREAMING, Lsn.parse("1/2000000"), older, 20L, null));
        JsonNode s = awaitSource(id, v -> v.path("slotLagBytes").asLong() == 20);
        assertThat(s.get("durableLsn").asText()).isEqualTo("1/3000000");
        assertThat(OffsetDateTime.parse(s.get("durableCommitTime").asText()).toInstant())
                .isEqualTo(newer);

        report(id, status(CaptureState.STREAMING, Lsn.parse("1/3000010"), null, 30L, null));
        JsonNode forward = awaitSource(id, v -> v.path("slotLagBytes").asLong() == 30);
        assertThat(forward.get("durableLsn").asText()).isEqualTo("1/3000010");
    }

    @Test
    void waitingForTheSlotKeepsTheStatusAndSaysWhy() {
        String id = register("waiting");
        report(id, status(CaptureState.STREAMING, Lsn.parse("0/5000000"), null, null, null));
        awaitSource(id, v -> "STREAMING".equals(v.path("status").asText()));

        report(id, status(CaptureState.WAITING_FOR_SLOT, null, null, null, "replication slot is active for PID 4242"));
        JsonNode s = awaitSource(id, v -> v.path("statusDetail").asText().contains("PID 4242"));
        assertThat(s.get("status").asText()).isEqualTo("STREAMING");
        assertThat(s.has("lastError")).isFalse();

        report(id, status(CaptureState.PAUSED, Lsn.parse("0/5000000"), null, 777L, null));
        JsonNode paused = awaitSource(id, v -> "PAUSED".equals(v.path("status").asText()));
        assertThat(paused.get("slotLagBytes").asLong()).isEqualTo(777);
    }

    @Test
    void aGapIsRecordedFromTheDurableWatermarkAndClosedByTheNextBaseBackup() throws SQLException {
        String id = register("gap");
        report(id, status(CaptureState.STREAMING, Lsn.parse("2/10"), null, null, null));
        awaitSource(id, v -> "2/10".equals(v.path("durableLsn").asText()));

        // the worker could not say where the stream broke (fromLsn 0): the gap starts at the durable watermark
        report(
                id,
                GapDetected.newBuilder()
                        .setFromLsn(0)
                        .setReason("replication slot lost its WAL")
                        .build());
        List<long[]> gaps = awaitRanges("stream_gaps", id, g -> g.size() == 1);
        assertThat(gaps.getFirst()[0]).isEqualTo(Lsn.parse("2/10").value());
        assertThat(gaps.getFirst()[1]).as("open").isEqualTo(-1);

        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("2/500"), Instant.now(), "AFTER_GAP"));
        gaps = awaitRanges("stream_gaps", id, g -> g.size() == 1 && g.getFirst()[1] != -1);
        assertThat(gaps.getFirst()[1]).isEqualTo(Lsn.parse("2/500").value());

        // a gap whose start the worker knows keeps it
        report(
                id,
                GapDetected.newBuilder()
                        .setFromLsn(Lsn.parse("2/600").value())
                        .setReason("slot dropped")
                        .build());
        gaps = awaitRanges("stream_gaps", id, g -> g.size() == 2);
        assertThat(gaps.get(1)[0]).isEqualTo(Lsn.parse("2/600").value());
        assertThat(gaps.get(1)[1]).isEqualTo(-1);
    }

    @Test
    void onlyABackupWithANewSlotClosesAGap() throws SQLException {
        String id = register("gap-close");
        report(
                id,
                GapDetected.newBuilder()
                        .setFromLsn(Lsn.parse("4/600").value())
                        .setReason("slot dropped")
                        .build());
        awaitRanges("stream_gaps", id, g -> g.size() == 1);

        // an online backup under a temporary slot, running when the main slot was lost, finishes after the gap: the
        // main stream is still broken, so the gap stays open
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("4/500"), Instant.now(), "REQUESTED"));
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("4/700"), Instant.now(), "REQUESTED"));
        await("/api/v1/sources/" + id + "/base-backups", v -> v.size() == 2);
        assertThat(awaitRanges("stream_gaps", id, g -> g.size() == 1).getFirst()[1])
                .as("still open")
                .isEqualTo(-1);

        // the new slot's backup: the stream starts again at its consistent point
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("4/900"), Instant.now(), "AFTER_GAP"));
        List<long[]> gaps = awaitRanges("stream_gaps", id, g -> g.size() == 1 && g.getFirst()[1] != -1);
        assertThat(gaps.getFirst())
                .containsExactly(Lsn.parse("4/600").value(), Lsn.parse("4/900").value());
    }

    @Test
    void gapsAreCopiedToStorageSoThatARebuildFindsThem() throws SQLException {
        String id = register("gap-marker");
        report(
                id,
                GapDetected.newBuilder()
                        .setFromLsn(Lsn.parse("5/100").value())
                        .setReason("slot dropped")
                        .build());
        awaitRanges("stream_gaps", id, g -> g.size() == 1);
        String gapId = query("SELECT id FROM stream_gaps WHERE source_id = '" + id + "'")
                .getFirst()
                .getFirst()
                .toString();
        String key = "sources/" + id + "/gaps/" + gapId + ".json";
        CatalogEvents.await("the marker stored", () -> STORE.exists(key));
        JsonNode open = marker(key);
        assertThat(open.get("sourceId").asText()).isEqualTo(id);
        assertThat(open.get("fromLsn").asText()).isEqualTo("5/100");
        assertThat(open.get("toLsn").isNull()).isTrue();
        assertThat(open.get("reason").asText()).isEqualTo("slot dropped");

        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("5/800"), Instant.now(), "AFTER_GAP"));
        CatalogEvents.await("the marker closed", () -> !marker(key).get("toLsn").isNull());
        assertThat(marker(key).get("toLsn").asText()).isEqualTo("5/800");
    }

    @Test
    void anApproximateRangeIsRecordedOnceAndClosedByTheNextBackupPastItsStart() throws SQLException {
        String id = register("approximate");
        String reason = "ALTER TABLE t ADD COLUMN c: added without its earlier values";
        // a worker that restarts decodes the same transaction again and reports the range again
        report(id, CatalogEvents.approximateRange(Lsn.parse("6/100"), null, reason));
        report(id, CatalogEvents.approximateRange(Lsn.parse("6/100"), null, reason));
        // backups before the change, or at the transaction that showed it, do not hold it
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("6/50"), Instant.now(), "REQUESTED"));
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("6/100"), Instant.now(), "REQUESTED"));
        await("/api/v1/sources/" + id + "/base-backups", v -> v.size() == 2);
        assertThat(awaitRanges("approximate_ranges", id, r -> r.size() == 1))
                .singleElement()
                .satisfies(r -> assertThat(r).containsExactly(Lsn.parse("6/100").value(), -1));

        // any backup past its start ends it, an online one too: the stream never broke
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("6/800"), Instant.now(), "REQUESTED"));
        List<long[]> ranges = awaitRanges("approximate_ranges", id, r -> r.size() == 1 && r.getFirst()[1] != -1);
        assertThat(ranges.getFirst())
                .containsExactly(Lsn.parse("6/100").value(), Lsn.parse("6/800").value());

        // a late repeat never reopens it; a range that ends before it begins is skipped; one whose end the worker
        // knows keeps it, and the next backup leaves it alone
        report(id, CatalogEvents.approximateRange(Lsn.parse("6/100"), null, reason));
        report(id, CatalogEvents.approximateRange(Lsn.parse("6/A00"), Lsn.parse("6/900"), "backwards"));
        report(id, CatalogEvents.approximateRange(Lsn.parse("6/900"), Lsn.parse("6/A00"), "ALTER TYPE mood ADD VALUE"));
        report(id, completed(UUID.randomUUID().toString(), Lsn.parse("6/B00"), Instant.now(), "REQUESTED"));
        await("/api/v1/sources/" + id + "/base-backups", v -> v.size() == 4);
        ranges = awaitRanges("approximate_ranges", id, r -> r.size() == 2);
        assertThat(ranges.get(0))
                .containsExactly(Lsn.parse("6/100").value(), Lsn.parse("6/800").value());
        assertThat(ranges.get(1))
                .containsExactly(Lsn.parse("6/900").value(), Lsn.parse("6/A00").value());
        assertThat(query("SELECT reason FROM approximate_ranges WHERE source_id = '" + id + "' ORDER BY from_lsn"))
                .extracting(List::getFirst)
                .containsExactly(reason, "ALTER TYPE mood ADD VALUE");
        // not a gap: nothing of it is written where restore workers read gaps
        assertThat(STORE.list("sources/" + id + "/gaps/")).isEmpty();
    }

    private static JsonNode marker(String key) {
        try (InputStream in = STORE.open(key)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void deletingWithPurgeDeletesWhatIsStoredAndWhatArrivesLater() {
        StoredObjects objects = new StoredObjects(STORE);
        String purged = register("purged");
        String kept = register("kept");
        for (String id : List.of(purged, kept)) {
            report(
                    id,
                    objects.baseBackup(
                            id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), Instant.now(), "INITIAL"));
            report(
                    id,
                    objects.segment(
                            id,
                            Lsn.INVALID,
                            null,
                            StoredObjects.transaction(id, 1, Lsn.parse("0/1100"), Lsn.parse("0/1180"), Instant.now())));
            report(
                    id,
                    GapDetected.newBuilder()
                            .setFromLsn(Lsn.parse("0/2000").value())
                            .setReason("slot dropped")
                            .build());
        }
        CatalogEvents.await(
                "both sources' gap markers stored",
                () -> !STORE.list("sources/" + purged + "/gaps/").isEmpty()
                        && !STORE.list("sources/" + kept + "/gaps/").isEmpty());
        int stored = STORE.list("sources/" + purged + "/").size();
        assertThat(stored).as("dump, manifest, segment, gap marker").isEqualTo(4);

        Api.Response deleted = admin().delete("/api/v1/sources/" + purged + "?purge=true");
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().get("objectsDeleted").asLong()).isEqualTo(stored);
        assertThat(STORE.list("sources/" + purged + "/")).isEmpty();

        // changes that were still in Kafka are sealed after the deletion: deleted on arrival
        report(
                purged,
                objects.segment(
                        purged,
                        Lsn.parse("0/1180"),
                        Instant.now(),
                        StoredObjects.transaction(purged, 2, Lsn.parse("0/1200"), Lsn.parse("0/1280"), Instant.now())));
        CatalogEvents.await(
                "the late segment deleted",
                () -> STORE.list("sources/" + purged + "/").isEmpty());

        // without purge, what is stored stays
        Api.Response keptDeleted = admin().delete("/api/v1/sources/" + kept);
        assertThat(keptDeleted.status()).as(keptDeleted.body()).isEqualTo(200);
        assertThat(keptDeleted.json().has("objectsDeleted")).isFalse();
        assertThat(STORE.list("sources/" + kept + "/")).hasSize(4);
    }

    @Test
    void aFailedBaseBackupIsListedWithItsError() {
        String id = register("failed");
        report(id, new BaseBackupFailed("unknown", "pg_dump exited with 1: permission denied for table t"));

        JsonNode list = await("/api/v1/sources/" + id + "/base-backups", v -> v.size() == 1);
        assertThat(list.get(0).get("status").asText()).isEqualTo("FAILED");
        assertThat(list.get(0).get("error").asText()).contains("permission denied");
        assertThat(list.get(0).get("finishedAt").asText()).isNotBlank();

        // a requested backup the worker reports under the request id completes the request's row
        Api.Response requested = admin().post("/api/v1/sources/" + id + "/base-backups", null);
        assertThat(requested.status()).as(requested.body()).isEqualTo(202);
        String requestId = requested.json().get("requestId").asText();
        report(id, completed(requestId, Lsn.parse("0/9000000"), Instant.now(), "REQUESTED"));
        JsonNode after = await(
                "/api/v1/sources/" + id + "/base-backups",
                v -> v.size() == 2 && "SUCCEEDED".equals(v.get(0).path("status").asText()));
        assertThat(after.get(0).get("id").asText()).isEqualTo(requestId);
        assertThat(after.get(0).get("consistentLsn").asText()).isEqualTo("0/9000000");
        assertThat(after.get(1).get("status").asText()).isEqualTo("FAILED");
    }

    @Test
    void malformedRecordsAndUnknownSourcesDoNotStopLaterEvents() {
        String id = register("malformed");
        String bootstrap = KAFKA.bootstrapServers();
        KafkaRecords.send(bootstrap, CATALOG_TOPIC, id, "not avro at all".getBytes(StandardCharsets.UTF_8));
        KafkaRecords.send(bootstrap, CATALOG_TOPIC, id, null);
        KafkaRecords.send(bootstrap, CATALOG_TOPIC, id, new byte[] {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        KafkaRecords.send(bootstrap, CATALOG_TOPIC, "not-a-uuid", "x".getBytes(StandardCharsets.UTF_8));
        // a deleted (unknown) source: ignored
        String unknown = UUID.randomUUID().toString();
        report(unknown, status(CaptureState.STREAMING, Lsn.parse("0/100"), null, null, null));
        report(unknown, completed(UUID.randomUUID().toString(), Lsn.parse("0/100"), Instant.now(), "INITIAL"));
        report(unknown, GapDetected.newBuilder().setFromLsn(0).setReason("x").build());

        report(id, status(CaptureState.STREAMING, Lsn.parse("3/ABC"), null, 1L, null));

        JsonNode s = awaitSource(id, v -> "3/ABC".equals(v.path("durableLsn").asText()));
        assertThat(s.get("status").asText()).isEqualTo("STREAMING");
        assertThat(admin().get("/api/v1/sources/" + unknown).status()).isEqualTo(404);
    }

    /**
     * The source's gaps ({@code stream_gaps}) or approximate ranges ({@code approximate_ranges}) as {from, to} (to = -1
     * while open), oldest first; waits until {@code done} holds.
     */
    private List<long[]> awaitRanges(String table, String id, Predicate<List<long[]>> done) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<long[]> gaps = new ArrayList<>();
            try (Connection c = PG.connect(METADATA_DB);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT from_lsn, coalesce(to_lsn, -1) FROM " + table
                            + " WHERE source_id = '" + id + "' ORDER BY from_lsn")) {
                while (rs.next()) {
                    gaps.add(new long[] {rs.getLong(1), rs.getLong(2)});
                }
            }
            if (done.test(gaps)) {
                return gaps;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(table + " of " + id + " never matched; " + gaps.size() + " rows");
            }
            KafkaRecords.sleep(100);
        }
    }
}
