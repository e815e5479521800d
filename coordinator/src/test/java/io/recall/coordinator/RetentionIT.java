package io.recall.coordinator;

import static io.recall.coordinator.CatalogEvents.approximateRange;
import static io.recall.coordinator.CatalogEvents.await;
import static io.recall.coordinator.CatalogEvents.gap;
import static io.recall.coordinator.CatalogEvents.schemaChange;
import static io.recall.coordinator.CatalogEvents.send;
import static io.recall.coordinator.StoredObjects.heartbeat;
import static io.recall.coordinator.StoredObjects.transaction;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import io.recall.coordinator.retention.RetentionDuty;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** Retention deletes exactly what a source's policy allows, from storage and the catalog, on a fake clock. */
class RetentionIT extends CoordinatorIT {

    private static final Instant NOW = Instant.parse("2026-12-31T12:00:00Z");

    @Autowired
    RetentionDuty retention;

    @Autowired
    TestClock clock;

    private final StoredObjects objects = new StoredObjects(STORE);

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private static Instant daysAgo(double days) {
        return NOW.minus(Duration.ofMinutes((long) (days * 24 * 60)));
    }

    private void retainAt(Instant at) {
        clock.set(at);
        retention.run();
    }

    private BaseBackupCompleted backup(String id, String consistent, Instant snapshot, String reason) {
        BaseBackupCompleted b =
                objects.baseBackup(id, UUID.randomUUID().toString(), Lsn.parse(consistent), snapshot, reason);
        send(id, b);
        return b;
    }

    /** A stored and announced segment of one transaction per commit LSN (ending 0x80 after it). */
    private SegmentSealed segment(String id, Instant time, String... commits) {
        List<ChangeEnvelope> records = new ArrayList<>();
        long xid = 1000;
        for (String c : commits) {
            Lsn commit = Lsn.parse(c);
            records.add(transaction(id, xid++, commit, new Lsn(commit.value() + 0x80), time));
        }
        SegmentSealed s = objects.segment(id, Lsn.INVALID, null, records.toArray(ChangeEnvelope[]::new));
        send(id, s);
        return s;
    }

    private static List<String> rows(String sql) {
        List<String> out = new ArrayList<>();
        query(sql).forEach(r -> out.add(String.valueOf(r.getFirst())));
        return out;
    }

    private static List<String> succeeded(String id) {
        return rows("SELECT id FROM base_backups WHERE source_id = '" + id + "' AND status = 'SUCCEEDED' ORDER BY"
                + " consistent_lsn");
    }

    private static List<String> segmentKeys(String id) {
        return rows("SELECT object_key FROM segments WHERE source_id = '" + id + "' ORDER BY first_lsn");
    }

    private static List<String> schemaChanges(String id) {
        return rows("SELECT commit_lsn FROM schema_changes WHERE source_id = '" + id + "' ORDER BY commit_lsn");
    }

    private static boolean stored(String prefix) {
        return !STORE.list(prefix).isEmpty();
    }

    private void awaitCatalog(String id, int backups, int segments) {
        await(
                backups + " backups and " + segments + " segments recorded",
                () -> succeeded(id).size() == backups && segmentKeys(id).size() == segments);
    }

    private static void failedAttempt(String id, UUID backupId, Instant requestedAt) {
        execute("INSERT INTO base_backups (id, source_id, status, reason, error, requested_at, finished_at) VALUES ('"
                + backupId + "', '" + id + "', 'FAILED', 'SCHEDULED', 'pg_dump exited with 1', '" + requestedAt + "',"
                + " '" + requestedAt + "')");
    }

    @Test
    void keepingTwoBackupsDeletesTheOlderOnesAndTheSegmentsGapsApproximateRangesAndSchemaChangesOnlyTheyNeeded() {
        String id = registerSource("keep-two", "retention", Map.of("baseBackups", 2));
        BaseBackupCompleted b1 = backup(id, "0/1000", daysAgo(30), "INITIAL");
        SegmentSealed s1 = objects.segment(
                id,
                Lsn.INVALID,
                null,
                transaction(id, 700, Lsn.parse("0/1100"), Lsn.parse("0/1180"), daysAgo(29)),
                heartbeat(id, Lsn.parse("0/2000"), daysAgo(28)));
        send(id, s1);
        send(id, gap(Lsn.parse("0/2000"), "replication slot lost its WAL (wal_status = lost)"));
        BaseBackupCompleted b2 = backup(id, "0/3000", daysAgo(20), "AFTER_GAP");
        SegmentSealed s2 = segment(id, daysAgo(15), "0/3100", "0/4F00");
        // schema changes fallback DDL capture could not rebuild exactly: the one the third backup ends goes with the
        // backups before it, the one the fourth ends and the open one stay
        send(id, approximateRange(Lsn.parse("0/3100"), null, "ALTER TABLE t ADD COLUMN a"));
        BaseBackupCompleted b3 = backup(id, "0/5000", daysAgo(10), "REQUESTED");
        // a segment across the third backup's consistent point: replay from it needs its later transaction
        SegmentSealed s3 = segment(id, daysAgo(9), "0/4FA0", "0/5100");
        send(id, approximateRange(Lsn.parse("0/5100"), null, "ALTER TABLE t ADD COLUMN b"));
        BaseBackupCompleted b4 = backup(id, "0/7000", daysAgo(1), "REQUESTED");
        SegmentSealed s4 = segment(id, daysAgo(0.5), "0/7100");
        send(id, approximateRange(Lsn.parse("0/7100"), null, "ALTER TABLE t DROP COLUMN a"));
        awaitCatalog(id, 4, 4);
        await(
                "the approximate ranges recorded, two of them closed",
                () -> rows("SELECT coalesce(to_lsn, -1) FROM approximate_ranges WHERE source_id = '" + id
                                + "' ORDER BY from_lsn")
                        .equals(List.of(
                                String.valueOf(Lsn.parse("0/5000").value()),
                                String.valueOf(Lsn.parse("0/7000").value()),
                                "-1")));
        await(
                "the gap closed",
                () -> rows("SELECT to_lsn FROM stream_gaps WHERE source_id = '" + id + "'")
                        .equals(List.of(String.valueOf(Lsn.parse("0/3000").value()))));
        UUID oldFailure = UUID.randomUUID();
        UUID newFailure = UUID.randomUUID();
        failedAttempt(id, oldFailure, daysAgo(25));
        STORE.put("sources/" + id + "/base/" + oldFailure + "/dump.pgdump", new byte[] {1, 2, 3});
        failedAttempt(id, newFailure, daysAgo(5));
        String requested = admin().post("/api/v1/sources/" + id + "/base-backups", null)
                .json()
                .get("requestId")
                .asText();
        String gapMarkers = "sources/" + id + "/gaps/";
        await("the gap marker stored", () -> stored(gapMarkers));
        for (String commit : List.of("0/1100", "0/4F00", "0/5000", "0/7100")) {
            send(id, schemaChange(Lsn.parse(commit), daysAgo(1), 900, 0, "ALTER TABLE"));
        }
        await("4 schema changes recorded", () -> schemaChanges(id).size() == 4);

        retainAt(NOW);

        assertThat(succeeded(id)).containsExactly(b3.getBackupId(), b4.getBackupId());
        assertThat(stored(b1.getStoragePrefix())).isFalse();
        assertThat(stored(b2.getStoragePrefix())).isFalse();
        assertThat(STORE.exists(b3.getStoragePrefix() + "manifest.json")).isTrue();
        assertThat(STORE.exists(b4.getStoragePrefix() + "manifest.json")).isTrue();
        assertThat(segmentKeys(id)).containsExactly(s3.getObjectKey(), s4.getObjectKey());
        assertThat(STORE.exists(s1.getObjectKey())).isFalse();
        assertThat(STORE.exists(s2.getObjectKey())).isFalse();
        assertThat(STORE.exists(s3.getObjectKey())).isTrue();
        assertThat(STORE.exists(s4.getObjectKey())).isTrue();
        assertThat(rows("SELECT id FROM stream_gaps WHERE source_id = '" + id + "'"))
                .isEmpty();
        assertThat(stored(gapMarkers)).isFalse();
        assertThat(rows("SELECT id FROM base_backups WHERE source_id = '" + id + "' AND status <> 'SUCCEEDED'"))
                .containsExactlyInAnyOrder(newFailure.toString(), requested);
        assertThat(stored("sources/" + id + "/base/" + oldFailure + "/")).isFalse();
        // a change committed at the consistent point is replayed after the dump: it stays
        assertThat(schemaChanges(id))
                .containsExactly(
                        String.valueOf(Lsn.parse("0/5000").value()),
                        String.valueOf(Lsn.parse("0/7100").value()));

        JsonNode window =
                admin().get("/api/v1/sources/" + id + "/recovery-window").json();
        assertThat(RecoveryWindowIT.intervals(window))
                .containsExactly("0/5000@" + daysAgo(10) + "..0/7180@" + daysAgo(0.5));
        assertThat(window.get("gaps")).isEmpty();
        assertThat(RecoveryWindowIT.approximate(window))
                .containsExactly(
                        "0/5100..0/7000 ALTER TABLE t ADD COLUMN b", "0/7100..open ALTER TABLE t DROP COLUMN a");

        // nothing more to delete
        retainAt(NOW.plus(Duration.ofDays(365)));
        assertThat(succeeded(id)).containsExactly(b3.getBackupId(), b4.getBackupId());
        assertThat(segmentKeys(id)).containsExactly(s3.getObjectKey(), s4.getObjectKey());
    }

    @Test
    void aWindowOfDaysMovesWithTheClockAndKeepsTheNewestBackup() {
        String id = registerSource("keep-week", "retention", Map.of("days", 7));
        BaseBackupCompleted b20 = backup(id, "0/1000", daysAgo(20), "INITIAL");
        SegmentSealed sa = segment(id, daysAgo(19), "0/1100", "0/2000");
        BaseBackupCompleted b10 = backup(id, "0/3000", daysAgo(10), "REQUESTED");
        SegmentSealed sb = segment(id, daysAgo(9), "0/3100", "0/4000");
        BaseBackupCompleted b5 = backup(id, "0/5000", daysAgo(5), "REQUESTED");
        SegmentSealed sc = segment(id, daysAgo(4), "0/5100", "0/6000");
        BaseBackupCompleted b1 = backup(id, "0/7000", daysAgo(1), "REQUESTED");
        SegmentSealed sd = segment(id, daysAgo(0.5), "0/6F00", "0/7100");
        awaitCatalog(id, 4, 4);

        // restoring to seven days ago starts from the backup of ten days ago: it stays
        retainAt(NOW);
        assertThat(succeeded(id)).containsExactly(b10.getBackupId(), b5.getBackupId(), b1.getBackupId());
        assertThat(segmentKeys(id)).containsExactly(sb.getObjectKey(), sc.getObjectKey(), sd.getObjectKey());
        assertThat(stored(b20.getStoragePrefix())).isFalse();
        assertThat(STORE.exists(sa.getObjectKey())).isFalse();

        // four days later the window starts after the backup of five days ago
        retainAt(NOW.plus(Duration.ofDays(4)));
        assertThat(succeeded(id)).containsExactly(b5.getBackupId(), b1.getBackupId());
        assertThat(segmentKeys(id)).containsExactly(sc.getObjectKey(), sd.getObjectKey());
        assertThat(stored(b10.getStoragePrefix())).isFalse();
        assertThat(STORE.exists(sb.getObjectKey())).isFalse();

        // long after the last backup: the newest one always stays, with what replay from it needs
        retainAt(NOW.plus(Duration.ofDays(100)));
        assertThat(succeeded(id)).containsExactly(b1.getBackupId());
        assertThat(segmentKeys(id)).containsExactly(sd.getObjectKey());
        assertThat(STORE.exists(b1.getStoragePrefix() + "manifest.json")).isTrue();
        assertThat(STORE.exists(sd.getObjectKey())).isTrue();
    }

    @Test
    void withoutAPolicyOrWhileARestoreUsesABackupNothingOfItIsDeleted() {
        String unmanaged = registerSource("keep-all");
        BaseBackupCompleted old = backup(unmanaged, "0/1000", daysAgo(400), "INITIAL");
        backup(unmanaged, "0/3000", daysAgo(1), "REQUESTED");
        String restoring = registerSource("restoring", "retention", Map.of("baseBackups", 1));
        BaseBackupCompleted inUse = backup(restoring, "0/1000", daysAgo(3), "INITIAL");
        SegmentSealed needed = segment(restoring, daysAgo(2), "0/1100");
        BaseBackupCompleted newest = backup(restoring, "0/3000", daysAgo(1), "REQUESTED");
        awaitCatalog(unmanaged, 2, 0);
        awaitCatalog(restoring, 2, 1);
        UUID job = UUID.randomUUID();
        execute("INSERT INTO restores (id, source_id, target, inclusive, mode, create_database, status,"
                + " cancel_requested, base_backup_id, submitted_via, requested_at, updated_at) VALUES ('" + job + "', '"
                + restoring + "', '{\"latest\": true}', true, 'EMPTY', false, 'RUNNING', false, '"
                + inUse.getBackupId() + "', 'API', now(), now())");

        retainAt(NOW);
        assertThat(succeeded(unmanaged)).hasSize(2);
        assertThat(STORE.exists(old.getStoragePrefix() + "manifest.json")).isTrue();
        assertThat(succeeded(restoring)).containsExactly(inUse.getBackupId(), newest.getBackupId());
        assertThat(segmentKeys(restoring)).containsExactly(needed.getObjectKey());

        // the restore is done: the policy applies
        execute("UPDATE restores SET status = 'SUCCEEDED' WHERE id = '" + job + "'");
        retainAt(NOW);
        assertThat(succeeded(restoring)).containsExactly(newest.getBackupId());
        assertThat(segmentKeys(restoring)).isEmpty();
        assertThat(stored(inUse.getStoragePrefix())).isFalse();
        assertThat(STORE.exists(needed.getObjectKey())).isFalse();
    }
}
