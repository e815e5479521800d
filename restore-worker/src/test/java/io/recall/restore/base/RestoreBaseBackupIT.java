package io.recall.restore.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.backup.BaseBackupCorruptException;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link BaseRestorer} against a real PostgreSQL and a real dump in local storage. */
class RestoreBaseBackupIT {

    private static final String[] SOURCE = {
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL UNIQUE)",
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), total numeric)",
        "CREATE INDEX orders_customer ON orders (customer_id)",
        "COMMENT ON CONSTRAINT orders_customer_id_fkey ON orders IS 'every order has a customer'",
        "CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.name := upper(NEW.name); RETURN NEW;"
                + " END$$",
        "CREATE TRIGGER customers_shout BEFORE INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION shout()",
        "COMMENT ON TRIGGER customers_shout ON customers IS 'names in capitals'",
        "CREATE RULE orders_keep AS ON DELETE TO orders DO INSTEAD NOTHING",
        "CREATE POLICY orders_all ON orders USING (true)",
        "ALTER TABLE orders ENABLE ROW LEVEL SECURITY",
        "CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders",
        "INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')",
        "INSERT INTO orders VALUES (10, 1, 5.5), (11, 2, 7)",
        "REFRESH MATERIALIZED VIEW order_count",
    };

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private Path storage;
    private BlobStore store;
    private BaseRestorer restorer;
    private BaseBackupManifest backup;
    private final SourceId sourceId = SourceId.random();

    @BeforeEach
    void backUpASource() throws Exception {
        storage = Files.createTempDirectory("recall-base-it");
        store = BlobStores.open(StorageSettings.local(storage));
        restorer = new BaseRestorer(store, new ClientTools(null), storage.resolve("work"), 2);
        String source = pg.createDatabase("base_src");
        pg.execute(source, SOURCE);
        backup = BaseBackupFixture.store(pg, source, store, sourceId.toString(), Lsn.parse("0/1000"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private ConnectionString target(String db) {
        return ConnectionString.parse(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }

    @Test
    void tablesDataAndIndexesComeFirstForeignKeysTriggersRulesAndPoliciesAfterReplay() throws Exception {
        String db = pg.createDatabase("base_tgt");
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                Connection c = pg.connect(db)) {
            assertThat(base.consistentPoint()).isEqualTo(Lsn.parse("0/1000"));
            assertThat(query(c, "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM customers"))
                    .isEqualTo("1:ANN,2:BOB");
            assertThat(query(
                            c,
                            "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint"
                                    + " WHERE conrelid IN ('customers'::regclass, 'orders'::regclass)"))
                    .as("keys and unique constraints are there, the foreign key is not")
                    .isEqualTo("customers_name_key,customers_pkey,orders_pkey");
            assertThat(query(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer'"))
                    .isEqualTo("1");
            assertThat(query(c, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"))
                    .isEqualTo("0");
            assertThat(query(c, "SELECT count(*) FROM pg_rewrite WHERE rulename = 'orders_keep'"))
                    .isEqualTo("0");
            assertThat(query(c, "SELECT count(*) FROM pg_policy")).isEqualTo("0");
            assertThat(query(c, "SELECT relrowsecurity FROM pg_class WHERE relname = 'orders'"))
                    .isEqualTo("f");
            assertThat(query(c, "SELECT ispopulated FROM pg_matviews WHERE matviewname = 'order_count'"))
                    .isEqualTo("f");

            // what replay would do: rows the trigger would change and the rule would swallow
            pg.execute(
                    db,
                    "INSERT INTO customers VALUES (3, 'cy')",
                    "INSERT INTO orders VALUES (12, 3, 1)",
                    "DELETE FROM orders WHERE id = 10");
            base.completeAfterReplay();

            assertThat(query(c, "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM customers"))
                    .as("the trigger did not fire during replay")
                    .isEqualTo("1:ANN,2:BOB,3:cy");
            assertThat(query(
                            c,
                            "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint"
                                    + " WHERE contype = 'f'"))
                    .isEqualTo("orders_customer_id_fkey");
            assertThat(query(
                            c,
                            "SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint"
                                    + " WHERE conname = 'orders_customer_id_fkey'"))
                    .isEqualTo("every order has a customer");
            assertThat(query(c, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"))
                    .isEqualTo("1");
            assertThat(query(c, "SELECT count(*) FROM pg_rewrite WHERE rulename = 'orders_keep'"))
                    .isEqualTo("1");
            assertThat(query(c, "SELECT count(*) FROM pg_policy")).isEqualTo("1");
            assertThat(query(c, "SELECT relrowsecurity FROM pg_class WHERE relname = 'orders'"))
                    .isEqualTo("t");
            assertThat(query(c, "SELECT n FROM order_count"))
                    .as("the materialized view is refreshed over the replayed rows")
                    .isEqualTo("2");
            pg.execute(db, "INSERT INTO customers VALUES (4, 'dee')");
            assertThat(query(c, "SELECT name FROM customers WHERE id = 4")).isEqualTo("DEE");
            assertThatThrownBy(() -> base.completeAfterReplay()).isInstanceOf(IllegalStateException.class);
        }
        try (var files = Files.list(storage.resolve("work"))) {
            assertThat(files.toList())
                    .as("downloaded files are deleted on close")
                    .isEmpty();
        }
    }

    @Test
    void aCorruptDumpFailsBeforeAnythingIsRestored() throws Exception {
        String key = backup.prefix() + BaseBackupManifest.DUMP_FILE;
        byte[] bytes;
        try (InputStream in = store.open(key)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length / 2] ^= 0x20; // same size, different content
        store.put(key, bytes);
        String db = pg.createDatabase("base_tgt");
        assertThatThrownBy(() -> restorer.restore(backup, target(db), false))
                .isInstanceOf(BaseBackupCorruptException.class)
                .hasMessageContaining("is corrupt")
                .hasMessageContaining(key)
                .hasMessageContaining(backup.files().get(0).sha256());
        try (Connection c = pg.connect(db)) {
            assertThat(BaseRestorer.contents(c)).as("nothing was restored").isNull();
        }
    }

    @Test
    void aMissingDumpFailsClearly() {
        store.delete(backup.prefix() + BaseBackupManifest.DUMP_FILE);
        String db = pg.createDatabase("base_tgt");
        assertThatThrownBy(() -> restorer.restore(backup, target(db), false))
                .isInstanceOf(BaseBackupCorruptException.class)
                .hasMessageContaining("is missing its file")
                .hasMessageContaining(BaseBackupManifest.DUMP_FILE);
    }

    @Test
    void aNonEmptyTargetIsRefusedUnlessOverwriteIsAsked() throws Exception {
        String db = pg.createDatabase("base_tgt");
        pg.execute(
                db,
                "CREATE SCHEMA old",
                "CREATE TABLE old.stuff (x int)",
                "CREATE TABLE customers (x int)",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm");
        assertThatThrownBy(() -> restorer.restore(backup, target(db), false))
                .isInstanceOf(TargetNotEmptyException.class)
                .hasMessageContaining("is not empty")
                .hasMessageContaining("relations");
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), true);
                Connection c = pg.connect(db)) {
            base.completeAfterReplay();
            assertThat(query(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'old'"))
                    .isEqualTo("0");
            assertThat(query(c, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
                    .isEqualTo("0");
            assertThat(query(c, "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM customers"))
                    .isEqualTo("1:ANN,2:BOB");
            assertThat(query(c, "SELECT count(*) FROM orders")).isEqualTo("2");
        }
    }

    @Test
    void anUnreadableManifestIsReportedAsSuch() {
        SourceId other = SourceId.random();
        store.put("sources/" + other + "/base/b1/manifest.json", "{\"formatVersion\": 9}".getBytes());
        assertThatThrownBy(() -> BaseBackupManifest.listCompleted(store, other))
                .isInstanceOf(BaseBackupCorruptException.class)
                .hasMessageContaining("format version 9");
        assertThat(BaseBackupManifest.listCompleted(store, sourceId))
                .extracting(BaseBackupManifest::backupId)
                .containsExactly(backup.backupId());
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
