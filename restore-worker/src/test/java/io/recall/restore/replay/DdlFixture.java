package io.recall.restore.replay;

import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.restore.base.BaseRestorer;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.TransactionChunk;
import io.recall.testsupport.DatabaseSnapshot;
import io.recall.testsupport.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A captured source for schema-change tests, and how they compare a restore with the source: the schema as
 * {@code pg_dump --schema-only} prints it (normalised: owners, Recall's own objects and pg_dump's session lines left
 * out) and every user table's rows in "C" order, hashed.
 */
final class DdlFixture implements AutoCloseable {

    /** The source right after one step committed. */
    record Checkpoint(String name, Lsn wal, String schema, Map<String, String> data) {}

    final PostgresCluster pg;
    final CaptureHarness harness;
    final CaptureHarness.Source source;
    final BlobStore store;
    final BaseRestorer restorer;

    DdlFixture(PostgresCluster pg, CaptureHarness harness, CaptureHarness.Source source) throws IOException {
        this.pg = pg;
        this.harness = harness;
        this.source = source;
        this.store = BlobStores.open(StorageSettings.local(harness.storage));
        this.restorer = new BaseRestorer(store, new ClientTools(null), Files.createTempDirectory("recall-ddl-work"), 2);
    }

    /** Runs each string as one statement (or a BEGIN ... COMMIT block) as the source's own role. */
    void run(String... transactions) throws SQLException {
        try (Connection c = pg.connect(source.db());
                Statement st = c.createStatement()) {
            st.execute("SET ROLE " + source.user());
            for (String tx : transactions) {
                st.execute(tx);
            }
        }
    }

    Checkpoint checkpoint(String name) throws Exception {
        try (Connection c = pg.connect(source.db());
                Statement st = c.createStatement()) {
            Map<String, String> data = data(c);
            String schema = schema(source.db());
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                return new Checkpoint(name, Lsn.parse(rs.getString(1)), schema, data);
            }
        }
    }

    List<BaseBackupManifest> backups() {
        return BaseBackupManifest.listCompleted(store, source.id());
    }

    void awaitBackups(int n) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> backups().size() >= n);
    }

    /**
     * Restores each checkpoint from the newest base backup at or before it (base restore, replay, what comes after
     * replay) and returns how each restore differs from the source at that point; empty when all are equal.
     */
    List<String> restoreAndCompare(List<Checkpoint> checkpoints) throws Exception {
        List<TransactionChunk> stream = harness.chunks(source);
        List<BaseBackupManifest> backups = backups();
        BaseBackupManifest oldest = backups.get(0);
        Heartbeat hb = harness.awaitDurable(source, checkpoints.getLast().wal());
        RecoveryWindow window = new RecoveryWindow(
                oldest.consistentPoint(),
                oldest.snapshotTime(),
                new Lsn(hb.getWalEnd()),
                hb.getServerTime(),
                List.of());
        List<String> differences = new ArrayList<>();
        for (Checkpoint cp : checkpoints) {
            Cutoff cutoff = CutoffResolver.resolve(
                    new RestoreTarget.AtRestorePoint(cp.name(), cp.wal()),
                    window,
                    TransactionReader.headers(stream.iterator()));
            BaseBackupManifest backup = CutoffResolver.chooseBaseBackup(cutoff, backups, List.of());
            String db = pg.createDatabase("ddlrestored");
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                    Connection c = pg.connect(db)) {
                ReplayResult result = new ReplayEngine(c, ReplaySettings.defaults())
                        .replay(stream.iterator(), base.consistentPoint(), cutoff);
                if (result.approximateRepairs() > 0) {
                    differences.add(cp.name() + ": replay made " + result.approximateRepairs()
                            + " tables or columns from the stream's description (a schema change was missed)");
                }
                ReplayEngine.completeAfterReplay(c, base::completeAfterReplay);
                ReplayEngine.dropProgress(c);
                c.setAutoCommit(true);
                String schema = schema(db);
                Map<String, String> data = data(c);
                if (!schema.equals(cp.schema())) {
                    differences.add(cp.name() + ": schema differs:\n" + diff(cp.schema(), schema));
                }
                if (!data.equals(cp.data())) {
                    differences.add(cp.name() + ": data differs: source " + cp.data() + "\n restored " + data);
                }
            }
        }
        return differences;
    }

    static Map<String, String> data(Connection c) throws SQLException {
        return DatabaseSnapshot.data(c);
    }

    String schema(String db) throws IOException, InterruptedException {
        return DatabaseSnapshot.schema(pg, db);
    }

    private static String diff(String expected, String actual) {
        return DatabaseSnapshot.diff(expected, actual);
    }

    private ConnectionString target(String db) {
        return ConnectionString.parse(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }

    @Override
    public void close() {
        store.close();
    }
}
