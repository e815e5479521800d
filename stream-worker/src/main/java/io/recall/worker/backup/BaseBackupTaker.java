package io.recall.worker.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.errors.RecallException;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a base backup under an exported snapshot: {@code pg_dump -Fc --snapshot=...} streamed straight into
 * storage (no local copy), then the manifest. The connection that exported the snapshot must stay open and idle
 * until {@link #take} returns. Thread-safe (no state besides its collaborators).
 */
public final class BaseBackupTaker {

    private static final Logger log = LoggerFactory.getLogger(BaseBackupTaker.class);
    static final String DUMP_FILE = BaseBackupManifest.DUMP_FILE;
    /** Recall's own schema on a source: never dumped, so a restore never recreates it. */
    public static final String RECALL_SCHEMA = "_recall";

    private final BlobStore store;
    private final Duration lockWait;
    private final ClientTools tools;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final java.util.concurrent.Semaphore concurrency;
    private final String compression;

    /**
     * @param maxConcurrent how many dumps may run at once in this worker (each is a pg_dump process)
     * @param lockWait how long pg_dump waits for a table lock before it gives up (the backup is retried)
     * @param compression pg_dump's {@code --compress} value: a gzip level, or a method such as {@code zstd:3} where
     *     pg_dump is 16 or newer
     */
    public BaseBackupTaker(
            BlobStore store, ClientTools tools, Clock clock, int maxConcurrent, Duration lockWait, String compression) {
        this.lockWait = lockWait;
        this.compression = java.util.Objects.requireNonNull(compression, "compression");
        this.store = store;
        this.tools = tools;
        this.clock = clock;
        this.concurrency = new java.util.concurrent.Semaphore(maxConcurrent, true);
    }

    /** What a finished backup is, for the catalog event. */
    public record Result(
            String backupId,
            String prefix,
            Lsn consistentLsn,
            Instant snapshotTime,
            long totalBytes,
            String manifestSha256) {}

    /** Storage prefix of a source's base backups. */
    public static String basePrefix(SourceId source) {
        return "sources/" + source + "/base/";
    }

    /**
     * Dumps the database under {@code snapshotName}.
     *
     * @param tables the captured tables (their data is dumped); every other table's definition is dumped without data
     * @param otherTables tables whose data is left out ({@code --exclude-table-data})
     * @param systemIdentifier the source cluster's system identifier, recorded so restores can refuse the source itself
     * @param requestId the request this backup answers, recorded in the manifest; null for a slot's first backup
     */
    public Result take(
            SourceId source,
            ConnectionString connection,
            String snapshotName,
            Lsn consistentLsn,
            Instant snapshotTime,
            String serverVersion,
            int serverVersionNum,
            String systemIdentifier,
            List<String> tables,
            List<String> otherTables,
            String requestId) {
        try {
            concurrency.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecallException("interrupted while waiting for a base backup slot", e);
        }
        // at most maxConcurrent dumps at once: each is a pg_dump process and a stream into storage
        try {
            // a requested backup is named by its request id, so the coordinator can complete the request's row
            String backupId = isUuid(requestId) ? requestId : UUID.randomUUID().toString();
            String prefix = basePrefix(source) + backupId + "/";
            ClientTools.Tool pgDump = tools.find("pg_dump")
                    .orElseThrow(() -> new RecallException("pg_dump not found in " + tools.searchPath()));
            List<String> command = new ArrayList<>(List.of(
                    pgDump.path().toString(),
                    "--format=custom",
                    "--compress=" + compression,
                    "--snapshot=" + snapshotName,
                    // ends the one stall the capture's table lock guard can cause (see TableLockGuard): the backup
                    // fails and is retried rather than waiting forever
                    "--lock-wait-timeout=" + Math.max(1, lockWait.toMillis()),
                    "--no-publications",
                    "--no-subscriptions",
                    "--exclude-schema=" + pattern(RECALL_SCHEMA)));
            for (String t : otherTables) {
                command.add("--exclude-table-data=" + t);
            }
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(connection.libpqEnvironment());
            long started = System.nanoTime();
            BlobInfo dump;
            String dumpSha;
            try {
                Process process = pb.start();
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                Thread errReader = Thread.ofVirtual().start(() -> drain(process.getErrorStream(), stderr));
                MessageDigest sha = sha256();
                try (BlobWriter writer = store.create(prefix + DUMP_FILE);
                        InputStream out = process.getInputStream()) {
                    DigestOutputStream digest = new DigestOutputStream(writer, sha);
                    out.transferTo(digest);
                    digest.flush();
                    int exit = process.waitFor();
                    errReader.join(TimeUnit.SECONDS.toMillis(10));
                    if (exit != 0) {
                        throw new RecallException("pg_dump failed (exit " + exit + "): " + tail(stderr));
                    }
                    dump = writer.commit();
                } finally {
                    process.destroy();
                }
                dumpSha = HexFormat.of().formatHex(sha.digest());
            } catch (IOException e) {
                throw new RecallException("base backup of " + source + " failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RecallException("base backup of " + source + " interrupted", e);
            }
            BaseBackupManifest manifest = new BaseBackupManifest(
                    BaseBackupManifest.FORMAT_VERSION,
                    source.toString(),
                    backupId,
                    consistentLsn.toString(),
                    snapshotTime,
                    serverVersion,
                    serverVersionNum,
                    pgDump.version(),
                    tables,
                    List.of(new BaseBackupManifest.FileEntry(DUMP_FILE, dump.size(), dumpSha)),
                    requestId,
                    clock.instant(),
                    systemIdentifier,
                    connection.database());
            byte[] manifestBytes;
            try {
                manifestBytes = json.writeValueAsBytes(manifest);
            } catch (IOException e) {
                throw new IllegalStateException("cannot serialise the manifest", e);
            }
            store.put(prefix + BaseBackupManifest.FILE_NAME, manifestBytes);
            log.info(
                    "base backup {} of {} done: {} bytes at consistent point {} in {} ms",
                    backupId,
                    source,
                    dump.size(),
                    consistentLsn,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return new Result(
                    backupId,
                    prefix,
                    consistentLsn,
                    snapshotTime,
                    dump.size() + manifestBytes.length,
                    HexFormat.of().formatHex(sha256().digest(manifestBytes)));
        } finally {
            concurrency.release();
        }
    }

    /** Reads every complete base backup's manifest of a source, oldest consistent point first. */
    public List<BaseBackupManifest> completed(SourceId source) {
        return BaseBackupManifest.listCompleted(store, source);
    }

    private static boolean isUuid(String s) {
        if (s == null) {
            return false;
        }
        try {
            return UUID.fromString(s).toString().equals(s.toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A pg_dump pattern matching exactly this name (double quotes make every character literal). */
    public static String pattern(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        try {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (sink) {
                    if (sink.size() < 64 * 1024) {
                        sink.write(buf, 0, n);
                    }
                }
            }
        } catch (IOException ignored) {
            // the process ended; what was read is enough for the error message
        }
    }

    private static String tail(ByteArrayOutputStream err) {
        synchronized (err) {
            String s = err.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        }
    }
}
