package io.recall.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SealedSegment;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentWriter;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes what the stream worker stores — base backups with their {@code manifest.json}, segment files — into a blob
 * store, and makes the catalog events that announce them, so tests can hold the catalog against storage.
 */
final class StoredObjects {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final RelationDef RELATION = RelationDef.newBuilder()
            .setRelationId(16400)
            .setSchema$("public")
            .setTable("t")
            .setReplicaIdentity("d")
            .setColumns(List.of(ColumnDef.newBuilder()
                    .setName("id")
                    .setTypeOid(23)
                    .setTypeModifier(-1)
                    .setKey(true)
                    .build()))
            .build();

    private final BlobStore store;
    private final Path spool;

    StoredObjects(BlobStore store) {
        this.store = store;
        try {
            this.spool = Files.createTempDirectory("recall-coordinator-segments");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stores a base backup as capture does (a dump, then the manifest) and returns the event that announces it.
     *
     * @param reason INITIAL, REQUESTED, AFTER_GAP
     */
    BaseBackupCompleted baseBackup(String sourceId, String backupId, Lsn consistent, Instant snapshot, String reason) {
        String prefix = "sources/" + sourceId + "/base/" + backupId + "/";
        byte[] dump = new byte[1000 + new Random(backupId.hashCode()).nextInt(1000)];
        new Random(backupId.hashCode()).nextBytes(dump);
        store.put(prefix + "dump.pgdump", dump);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("formatVersion", 1);
        manifest.put("sourceId", sourceId);
        manifest.put("backupId", backupId);
        manifest.put("consistentLsn", consistent.toString());
        manifest.put("snapshotTime", snapshot);
        manifest.put("serverVersion", "15.18");
        manifest.put("serverVersionNum", 150018);
        manifest.put("pgDumpVersion", "15.18");
        manifest.put("tables", List.of("public.t"));
        manifest.put("files", List.of(Map.of("name", "dump.pgdump", "size", dump.length, "sha256", sha256(dump))));
        manifest.put("requestId", null);
        manifest.put("completedAt", snapshot.plusSeconds(30));
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        store.put(prefix + "manifest.json", bytes);
        return BaseBackupCompleted.newBuilder()
                .setBackupId(backupId)
                .setConsistentLsn(consistent.value())
                .setSnapshotTime(snapshot)
                .setServerVersion("15.18")
                .setStoragePrefix(prefix)
                .setTotalBytes(dump.length + bytes.length)
                .setManifestSha256(sha256(bytes))
                .setReason(reason)
                .build();
    }

    /** Stores a segment of these records, as the sink does, and returns its announcement. */
    SegmentSealed segment(String sourceId, Lsn startWatermark, Instant startTime, ChangeEnvelope... records) {
        try (SegmentWriter writer = SegmentWriter.create(
                SourceId.parse(sourceId), spool, SegmentWriter.Options.DEFAULT, startWatermark, startTime)) {
            for (ChangeEnvelope r : records) {
                writer.append(r);
            }
            SealedSegment sealed = writer.finish();
            try {
                BlobInfo stored = sealed.store(store);
                SegmentMetadata m = sealed.metadata();
                return CatalogEvents.sealed(m, stored.size());
            } finally {
                sealed.delete();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A one-chunk transaction inserting one row, committed at {@code commit} and ending at {@code end}. */
    static ChangeEnvelope transaction(String sourceId, long xid, Lsn commit, Lsn end, Instant time) {
        TransactionChunk chunk = TransactionChunk.newBuilder()
                .setXid(xid)
                .setCommitLsn(commit.value())
                .setCommitTime(time)
                .setChunkIndex(0)
                .setLastChunk(true)
                .setEndLsn(end.value())
                .setRelations(List.of(RELATION))
                .setChanges(List.of(RowChange.newBuilder()
                        .setOp(Op.INSERT)
                        .setRelationId(RELATION.getRelationId())
                        .setNewValues(List.of(Long.toString(xid)))
                        .build()))
                .setLargeValueParts(List.of())
                .build();
        return ChangeEnvelope.newBuilder()
                .setSourceId(sourceId)
                .setCaptureEpoch(1)
                .setBody(chunk)
                .build();
    }

    /** An idle source's heartbeat: the server's position and time. */
    static ChangeEnvelope heartbeat(String sourceId, Lsn walEnd, Instant time) {
        return ChangeEnvelope.newBuilder()
                .setSourceId(sourceId)
                .setCaptureEpoch(1)
                .setBody(Heartbeat.newBuilder()
                        .setWalEnd(walEnd.value())
                        .setServerTime(time)
                        .build())
                .build();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
