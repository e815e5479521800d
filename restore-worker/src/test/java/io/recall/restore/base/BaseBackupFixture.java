package io.recall.restore.base;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.common.storage.BlobStore;
import io.recall.testsupport.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Test-data builder: a base backup in storage as the stream worker lays it out ({@code pg_dump -Fc} of a database
 * plus a manifest with each file's size and SHA-256), without the capture pipeline.
 */
public final class BaseBackupFixture {

    private BaseBackupFixture() {}

    /** Dumps {@code db} and stores it as a base backup of {@code sourceId} with the given consistent point. */
    public static BaseBackupManifest store(
            PostgresCluster pg, String db, BlobStore store, String sourceId, Lsn consistentPoint) throws Exception {
        Path dump = Files.createTempFile("fixture-", ".pgdump");
        try {
            ProcessBuilder pb = new ProcessBuilder(
                            new ClientTools(null)
                                    .find("pg_dump")
                                    .orElseThrow()
                                    .path()
                                    .toString(),
                            "--format=custom",
                            "--no-publications",
                            "--no-subscriptions",
                            "--file=" + dump,
                            "--dbname=" + db)
                    .redirectErrorStream(true);
            pb.environment().put("PGHOST", pg.host());
            pb.environment().put("PGPORT", Integer.toString(pg.port()));
            pb.environment().put("PGUSER", pg.superuser());
            pb.environment().put("PGPASSWORD", pg.superuserPassword());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("pg_dump failed: " + out);
            }
            byte[] bytes = Files.readAllBytes(dump);
            String backupId = UUID.randomUUID().toString();
            String prefix = BaseBackupManifest.prefix(sourceId, backupId);
            store.put(prefix + BaseBackupManifest.DUMP_FILE, bytes);
            BaseBackupManifest m = new BaseBackupManifest(
                    BaseBackupManifest.FORMAT_VERSION,
                    sourceId,
                    backupId,
                    consistentPoint.toString(),
                    Instant.now(),
                    "15",
                    150000,
                    "pg_dump (PostgreSQL) 15",
                    List.of(),
                    List.of(new BaseBackupManifest.FileEntry(
                            BaseBackupManifest.DUMP_FILE, bytes.length, sha256(bytes))),
                    null,
                    Instant.now(),
                    null,
                    null);
            store.put(prefix + BaseBackupManifest.FILE_NAME, m.toJson());
            return m;
        } finally {
            Files.deleteIfExists(dump);
        }
    }

    static String sha256(byte[] bytes) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
