package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.await;
import static io.recall.coordinator.CatalogEvents.gap;
import static io.recall.coordinator.CatalogEvents.send;
import static io.recall.coordinator.StoredObjects.heartbeat;
import static io.recall.coordinator.StoredObjects.transaction;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.recall.common.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The catalog rebuilt from storage alone gives the same recovery window, gaps included. */
class RebuildIT extends CoordinatorIT {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private final StoredObjects objects = new StoredObjects(STORE);

    private static Instant t(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    private JsonNode window(String id) {
        Api.Response r = admin().get("/api/v1/sources/" + id + "/recovery-window");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** The segments listing without the announcement time (a rebuild takes the object's modification time). */
    private List<JsonNode> segments(String id) {
        List<JsonNode> out = new ArrayList<>();
        admin().get("/api/v1/sources/" + id + "/segments")
                .json()
                .get("segments")
                .forEach(s -> {
                    ObjectNode copy = s.deepCopy();
                    copy.remove("sealedAt");
                    out.add(copy);
                });
        return out;
    }

    /** What storage says about each base backup (reason, request and finish times are the catalog's own). */
    private List<String> backups(String id) {
        List<String> out = new ArrayList<>();
        admin().get("/api/v1/sources/" + id + "/base-backups")
                .json()
                .forEach(b -> out.add(String.join(
                        " ",
                        b.get("id").asText(),
                        b.get("status").asText(),
                        b.get("consistentLsn").asText(),
                        Instant.parse(b.get("snapshotTime").asText()).toString(),
                        b.get("serverVersion").asText(),
                        b.get("totalBytes").asText(),
                        b.get("storagePrefix").asText(),
                        b.get("manifestSha256").asText())));
        return out;
    }

    private static void wipe(String id) {
        execute(
                "DELETE FROM segments WHERE source_id = '" + id + "'",
                "DELETE FROM base_backups WHERE source_id = '" + id + "'",
                "DELETE FROM stream_gaps WHERE source_id = '" + id + "'",
                "DELETE FROM restore_points WHERE source_id = '" + id + "'",
                "UPDATE sources SET archived_lsn = NULL, archived_time = NULL WHERE id = '" + id + "'");
    }

    private JsonNode rebuild(String query) {
        Api.Response r = admin().post("/api/v1/admin/catalog/rebuild" + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** A source captured across a slot loss: two base backups, three segments, a gap, all announced and stored. */
    private String capturedAcrossAGap() {
        String id = registerSource("rebuild");
        send(id, objects.baseBackup(id, UUID.randomUUID().toString(), Lsn.parse("0/1000"), t(0), "INITIAL"));
        send(
                id,
                objects.segment(
                        id,
                        Lsn.INVALID,
                        null,
                        transaction(id, 700, Lsn.parse("0/1100"), Lsn.parse("0/1180"), t(1)),
                        transaction(id, 701, Lsn.parse("0/1200"), Lsn.parse("0/1280"), t(2)),
                        heartbeat(id, Lsn.parse("0/1300"), t(3))));
        send(
                id,
                objects.segment(
                        id,
                        Lsn.parse("0/1300"),
                        t(3),
                        heartbeat(id, Lsn.parse("0/1400"), t(4)),
                        heartbeat(id, Lsn.parse("0/2000"), t(5))));
        send(id, gap(Lsn.parse("0/2000"), "replication slot lost its WAL (wal_status = lost)"));
        send(id, objects.baseBackup(id, UUID.randomUUID().toString(), Lsn.parse("0/5000"), t(10), "AFTER_GAP"));
        send(
                id,
                objects.segment(
                        id,
                        Lsn.parse("0/2000"),
                        t(5),
                        transaction(id, 800, Lsn.parse("0/5100"), Lsn.parse("0/5180"), t(11))));
        await(
                "the catalog caught up",
                () -> window(id).get("intervals").size() == 2
                        && window(id)
                                .get("intervals")
                                .get(1)
                                .get("toLsn")
                                .asText()
                                .equals("0/5180"));
        return id;
    }

    @Test
    void aCatalogWipedAndRebuiltFromStorageShowsTheSameRecoveryWindow() {
        String id = capturedAcrossAGap();
        Api.Response point = admin().post("/api/v1/sources/" + id + "/restore-points", Map.of("name", "pre-migration"));
        assertThat(point.status()).as(point.body()).isEqualTo(201);
        JsonNode pointsBefore =
                admin().get("/api/v1/sources/" + id + "/restore-points").json();
        JsonNode before = window(id);
        assertThat(RecoveryWindowIT.intervals(before))
                .containsExactly("0/1000@" + t(0) + "..0/2000@" + t(5), "0/5000@" + t(10) + "..0/5180@" + t(11));
        assertThat(RecoveryWindowIT.gaps(before))
                .containsExactly("0/2000..0/5000 replication slot lost its WAL (wal_status = lost)");
        List<JsonNode> segmentsBefore = segments(id);
        List<String> backupsBefore = backups(id);
        String archivedBefore =
                admin().get("/api/v1/sources/" + id).json().get("archivedTime").asText();

        wipe(id);
        assertThat(window(id).get("intervals")).isEmpty();
        assertThat(window(id).get("gaps")).isEmpty();

        JsonNode result = rebuild("?sourceId=" + id);
        JsonNode rebuilt = result.get("sources").get(0);
        assertThat(rebuilt.get("sourceId").asText()).isEqualTo(id);
        assertThat(rebuilt.get("baseBackups").asInt()).isEqualTo(2);
        assertThat(rebuilt.get("segments").asInt()).isEqualTo(3);
        assertThat(rebuilt.get("gaps").asInt()).isEqualTo(1);
        assertThat(rebuilt.get("restorePoints").asInt()).isEqualTo(1);
        assertThat(rebuilt.get("archivedLsn").asText()).isEqualTo("0/5180");
        assertThat(rebuilt.get("unreadable")).isEmpty();
        assertThat(rebuilt.get("baseBackupsNotInStorage").asInt()).isZero();
        assertThat(rebuilt.get("segmentsNotInStorage").asInt()).isZero();

        assertThat(window(id)).isEqualTo(before);
        assertThat(segments(id)).isEqualTo(segmentsBefore);
        assertThat(backups(id)).isEqualTo(backupsBefore);
        assertThat(admin().get("/api/v1/sources/" + id + "/restore-points").json())
                .as("restore points come back from their markers")
                .isEqualTo(pointsBefore);
        JsonNode source = admin().get("/api/v1/sources/" + id).json();
        assertThat(source.get("archivedLsn").asText()).isEqualTo("0/5180");
        assertThat(Instant.parse(source.get("archivedTime").asText())).isEqualTo(Instant.parse(archivedBefore));
        assertThat(admin().get("/api/v1/sources/" + id + "/base-backups")
                        .json()
                        .get(0)
                        .get("reason")
                        .asText())
                .as("manifests do not say why a backup was taken")
                .isEqualTo("UNKNOWN");

        // again, and for every source at once: nothing changes
        JsonNode all = rebuild("");
        List<String> ids = new ArrayList<>();
        all.get("sources").forEach(s -> ids.add(s.get("sourceId").asText()));
        assertThat(ids).contains(id);
        assertThat(window(id)).isEqualTo(before);
        assertThat(segments(id)).isEqualTo(segmentsBefore);
    }

    @Test
    void aRebuildKeepsWhatOnlyTheCatalogKnowsAndCountsWhatStorageLost() {
        String id = capturedAcrossAGap();
        Api.Response point = admin().post("/api/v1/sources/" + id + "/restore-points", Map.of("name", "pre-migration"));
        assertThat(point.status()).as(point.body()).isEqualTo(201);
        JsonNode pointsBefore =
                admin().get("/api/v1/sources/" + id + "/restore-points").json();
        JsonNode before = window(id);
        String requested = admin().post("/api/v1/sources/" + id + "/base-backups", null)
                .json()
                .get("requestId")
                .asText();
        // an object deleted behind the catalog's back
        String lost = admin().get("/api/v1/sources/" + id + "/segments")
                .json()
                .get("segments")
                .get(1)
                .get("objectKey")
                .asText();
        STORE.delete(lost);

        JsonNode rebuilt = rebuild("?sourceId=" + id).get("sources").get(0);

        assertThat(rebuilt.get("segments").asInt()).isEqualTo(2);
        assertThat(rebuilt.get("segmentsNotInStorage").asInt()).isEqualTo(1);
        assertThat(window(id)).isEqualTo(before);
        assertThat(admin().get("/api/v1/sources/" + id + "/base-backups").body())
                .contains(requested);
    }

    @Test
    void unreadableFilesAreReportedAndDoNotStopTheRebuild() {
        String id = capturedAcrossAGap();
        Api.Response point = admin().post("/api/v1/sources/" + id + "/restore-points", Map.of("name", "pre-migration"));
        assertThat(point.status()).as(point.body()).isEqualTo(201);
        JsonNode pointsBefore =
                admin().get("/api/v1/sources/" + id + "/restore-points").json();
        JsonNode before = window(id);
        String segments = "sources/" + id + "/segments/";
        STORE.put(segments + "notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
        STORE.put(segments + "0000000000009000-0000000000009100.avro", "not avro".getBytes(StandardCharsets.UTF_8));
        STORE.put("sources/" + id + "/base/broken/manifest.json", "{".getBytes(StandardCharsets.UTF_8));
        wipe(id);

        JsonNode rebuilt = rebuild("?sourceId=" + id).get("sources").get(0);

        List<String> unreadable = new ArrayList<>();
        rebuilt.get("unreadable").forEach(u -> unreadable.add(u.asText()));
        assertThat(unreadable).hasSize(3);
        assertThat(unreadable)
                .anyMatch(u -> u.startsWith(segments + "notes.txt"))
                .anyMatch(u -> u.startsWith(segments + "0000000000009000-0000000000009100.avro"))
                .anyMatch(u -> u.startsWith("sources/" + id + "/base/broken/manifest.json"));
        assertThat(rebuilt.get("segments").asInt()).isEqualTo(3);
        assertThat(window(id)).isEqualTo(before);
    }

    @Test
    void aRebuildWaitsForRetentionAndNamesOnlyKnownSources() {
        Api.Response unknown = admin().post("/api/v1/admin/catalog/rebuild?sourceId=" + UUID.randomUUID(), null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(admin().post("/api/v1/admin/catalog/rebuild?sourceId=nope", null)
                        .status())
                .isEqualTo(400);

        String id = registerSource("rebuild-locked");
        execute("INSERT INTO shedlock (name, lock_until, locked_at, locked_by) VALUES ('catalog-maintenance',"
                + " now() + interval '1 minute', now(), 'another coordinator') ON CONFLICT (name) DO UPDATE SET"
                + " lock_until = excluded.lock_until, locked_by = excluded.locked_by");
        try {
            Api.Response busy = admin().post("/api/v1/admin/catalog/rebuild?sourceId=" + id, null);
            assertThat(busy.status()).as(busy.body()).isEqualTo(409);
            assertThat(busy.json().get("detail").asText()).contains("retention");
        } finally {
            execute("UPDATE shedlock SET lock_until = now() WHERE name = 'catalog-maintenance'");
        }
        assertThat(admin().post("/api/v1/admin/catalog/rebuild?sourceId=" + id, null)
                        .status())
                .isEqualTo(200);
    }
}
