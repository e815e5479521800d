package io.recall.common.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.RecallException;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code manifest.json} of a base backup, as the stream worker writes it (format version {@value #FORMAT_VERSION})
 * under {@code sources/{sourceId}/base/{backupId}/}. The manifest is written last: a backup without one is
 * incomplete and never listed.
 *
 * @param consistentLsn every transaction with commit LSN below it is in the dump; replay starts at it
 * @param snapshotTime the source's clock when the snapshot was exported
 * @param tables the captured tables whose data the dump holds
 * @param files every file of the backup (relative to the backup's prefix) with its size and SHA-256
 * @param requestId the operator's request this backup answers (null for the first backup of a slot)
 * @param systemIdentifier the source cluster's system identifier (IDENTIFY_SYSTEM), so a restore can refuse to write
 *     into the source itself; null in manifests written before it was recorded
 * @param database the source database's name; null in manifests written before it was recorded
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BaseBackupManifest(
        int formatVersion,
        String sourceId,
        String backupId,
        String consistentLsn,
        Instant snapshotTime,
        String serverVersion,
        int serverVersionNum,
        String pgDumpVersion,
        List<String> tables,
        List<FileEntry> files,
        String requestId,
        Instant completedAt,
        String systemIdentifier,
        String database) {

    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "manifest.json";
    /** The custom-format archive {@code pg_dump -Fc} wrote. */
    public static final String DUMP_FILE = "dump.pgdump";

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /** One file of the backup, relative to the backup's prefix. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(String name, long size, String sha256) {}

    /** The consistent point as an LSN. */
    public Lsn consistentPoint() {
        return Lsn.parse(consistentLsn);
    }

    /** Storage prefix of this backup's files, ending in {@code '/'}. */
    public String prefix() {
        return prefix(sourceId, backupId);
    }

    /** Storage prefix of the backup {@code backupId} of {@code sourceId}, ending in {@code '/'}. */
    public static String prefix(String sourceId, String backupId) {
        return "sources/" + sourceId + "/base/" + backupId + "/";
    }

    /** The entry for {@code name}, or an error naming the backup when the manifest does not list it. */
    public FileEntry file(String name) {
        return files.stream()
                .filter(f -> f.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new BaseBackupCorruptException(
                        "base backup " + backupId + " lists no " + name + " in its manifest"));
    }

    /**
     * Reads one manifest.
     *
     * @throws BaseBackupCorruptException if it cannot be parsed or has a format version this code does not know
     */
    public static BaseBackupManifest read(BlobStore store, String key) {
        BaseBackupManifest m;
        try (InputStream in = store.open(key)) {
            m = JSON.readValue(in, BaseBackupManifest.class);
        } catch (IOException e) {
            throw new BaseBackupCorruptException("unreadable base backup manifest " + key + ": " + e.getMessage(), e);
        }
        if (m.formatVersion() != FORMAT_VERSION) {
            throw new BaseBackupCorruptException("base backup manifest " + key + " has format version "
                    + m.formatVersion() + "; this restore worker reads version " + FORMAT_VERSION);
        }
        if (m.consistentLsn() == null || m.backupId() == null || m.sourceId() == null || m.files() == null) {
            throw new BaseBackupCorruptException("base backup manifest " + key + " lacks required fields");
        }
        return m;
    }

    /** Every complete base backup of a source, oldest consistent point first. */
    public static List<BaseBackupManifest> listCompleted(BlobStore store, SourceId source) {
        List<BaseBackupManifest> out = new ArrayList<>();
        for (BlobInfo info : store.list("sources/" + source + "/base/")) {
            if (info.key().endsWith("/" + FILE_NAME)) {
                out.add(read(store, info.key()));
            }
        }
        out.sort(Comparator.comparing(BaseBackupManifest::consistentPoint));
        return out;
    }

    /** Serialises a manifest as the stream worker does (for tests and tools that write backups). */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new RecallException("cannot serialise manifest of " + backupId, e);
        }
    }
}
