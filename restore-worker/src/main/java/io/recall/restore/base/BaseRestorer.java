package io.recall.restore.base;

import static io.recall.restore.WorkFiles.deleteRecursively;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupCorruptException;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.errors.RecallException;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a base backup into a target database in two parts around replay.
 *
 * <ol>
 *   <li>{@link #restore}: checks that the target is empty (or empties it when told to overwrite), downloads every file
 *       the manifest lists into a work directory and verifies its size and SHA-256 before anything uses it
 *       ({@code pg_restore -j} needs a seekable archive, so the dump is a local file anyway), then runs
 *       {@code pg_restore} in parallel for the schema, the data, primary keys, constraints and indexes;
 *   <li>replay (by {@code ReplayEngine}) with no foreign key, trigger, rule or policy in place;
 *   <li>{@link RestoredBase#completeAfterReplay()}: {@code pg_restore} of the rest (see {@link RestoreList}).
 * </ol>
 *
 * Both runs use {@code --no-owner --no-acl} (the target's roles need not match the source's), and leave out
 * tablespaces, security labels, publications and subscriptions. Thread-safe: each restore has its own work directory.
 */
public final class BaseRestorer {

    private static final Logger log = LoggerFactory.getLogger(BaseRestorer.class);

    private final BlobStore store;
    private final ClientTools tools;
    private final Path workDirectory;
    private final int jobs;

    /**
     * @param workDirectory where dumps are downloaded (needs room for the largest dump)
     * @param jobs parallel pg_restore jobs
     */
    public BaseRestorer(BlobStore store, ClientTools tools, Path workDirectory, int jobs) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1: " + jobs);
        }
        this.store = Objects.requireNonNull(store, "store");
        this.tools = Objects.requireNonNull(tools, "tools");
        this.workDirectory = Objects.requireNonNull(workDirectory, "workDirectory");
        this.jobs = jobs;
    }

    /**
     * Restores everything replay needs. The caller replays, then calls {@link RestoredBase#completeAfterReplay()}, and
     * closes the result (which deletes the downloaded files) in any case.
     *
     * @param overwrite drop every schema, extension and event trigger in the target first; otherwise a target that
     *     holds anything is refused
     * @throws TargetNotEmptyException if the target holds objects and {@code overwrite} is false
     * @throws BaseBackupCorruptException if a file is missing or differs from the manifest
     */
    public RestoredBase restore(BaseBackupManifest manifest, ConnectionString target, boolean overwrite) {
        String contents = contents(target);
        if (contents != null) {
            if (!overwrite) {
                throw notEmpty(target, contents);
            }
            empty(target);
        }
        return restoreInto(manifest, target);
    }

    /** The refusal of a target that holds {@code contents} (as {@link #contents(ConnectionString)} names them). */
    public static TargetNotEmptyException notEmpty(ConnectionString target, String contents) {
        return new TargetNotEmptyException("the target database " + target.database() + " on " + target.host()
                + " is not empty (" + contents + "); restore into an empty database or ask to overwrite it");
    }

    /** What the target holds besides an empty public schema, in words, or null when it is empty. */
    public static String contents(ConnectionString target) {
        try (Connection c = connect(target)) {
            return contents(c);
        } catch (SQLException e) {
            throw new RecallException(
                    "cannot inspect the target database " + target.masked() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops every schema, extension and event trigger in the target and recreates a default public schema, in one
     * transaction. Leaves the database itself (its name, owner, settings and comment) as it is.
     */
    public static void empty(ConnectionString target) {
        try (Connection c = connect(target)) {
            log.info("emptying target database {} ({})", target.database(), contents(c));
            empty(c);
        } catch (SQLException e) {
            throw new RecallException("cannot empty the target database " + target.masked() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Restores everything replay needs into a target the caller has checked to be empty (see {@link #contents} and
     * {@link #empty}). The caller replays, then calls {@link RestoredBase#completeAfterReplay()}, and closes the result
     * (which deletes the downloaded files) in any case. Interrupting the calling thread stops a running
     * {@code pg_restore}.
     *
     * @throws BaseBackupCorruptException if a file is missing or differs from the manifest
     */
    public RestoredBase restoreInto(BaseBackupManifest manifest, ConnectionString target) {
        Path dir;
        try {
            Files.createDirectories(workDirectory);
            dir = Files.createTempDirectory(workDirectory, "restore-" + manifest.backupId() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a work directory under " + workDirectory, e);
        }
        try {
            for (BaseBackupManifest.FileEntry f : manifest.files()) {
                download(manifest, f, dir.resolve(localName(f.name())));
            }
            Path dump = dir.resolve(
                    localName(manifest.file(BaseBackupManifest.DUMP_FILE).name()));
            RestoreList lists = RestoreList.split(run(List.of(pgRestore(), "--list", dump.toString()), target));
            Path before = dir.resolve("before-replay.list");
            Path after = dir.resolve("after-replay.list");
            Files.writeString(before, lists.beforeReplay(), StandardCharsets.UTF_8);
            Files.writeString(after, lists.afterReplay(), StandardCharsets.UTF_8);
            long started = System.nanoTime();
            run(restoreCommand(before, dump, target), target);
            log.info(
                    "restored base backup {} ({} entries; {} deferred until after replay) into {} in {} ms",
                    manifest.backupId(),
                    lists.entriesBefore(),
                    lists.entriesAfter(),
                    target.database(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return new RestoredBase(manifest, target, dir, dump, after, lists.entriesAfter());
        } catch (IOException e) {
            deleteRecursively(dir);
            throw new UncheckedIOException("restore of base backup " + manifest.backupId() + " failed", e);
        } catch (RuntimeException e) {
            deleteRecursively(dir);
            throw e;
        }
    }

    /** A restored base backup waiting for replay; holds the downloaded archive until closed. Not thread-safe. */
    public final class RestoredBase implements AutoCloseable {

        private final BaseBackupManifest manifest;
        private final ConnectionString target;
        private final Path directory;
        private final Path dump;
        private final Path afterList;
        private final int afterEntries;
        private boolean completed;

        private RestoredBase(
                BaseBackupManifest manifest,
                ConnectionString target,
                Path directory,
                Path dump,
                Path afterList,
                int afterEntries) {
            this.manifest = manifest;
            this.target = target;
            this.directory = directory;
            this.dump = dump;
            this.afterList = afterList;
            this.afterEntries = afterEntries;
        }

        public BaseBackupManifest manifest() {
            return manifest;
        }

        /** Replay starts at this commit LSN. */
        public Lsn consistentPoint() {
            return manifest.consistentPoint();
        }

        /**
         * Creates what was held back for replay: foreign keys (validated over the replayed rows), triggers, rules, row
         * security, policies, event triggers; refreshes materialized views. Call once, after the last replay.
         */
        public void completeAfterReplay() {
            completeAfterReplay(entry -> false);
        }

        /**
         * As {@link #completeAfterReplay()}, leaving out the entries {@code skip} accepts: ones that schema changes
         * replayed after the base backup dropped (a foreign key of a dropped table or column, say). {@code skip} sees
         * each entry's description as {@code pg_restore -l} prints it after the ids, e.g. {@code FK CONSTRAINT public
         * orders orders_customer_fkey postgres}.
         */
        public void completeAfterReplay(java.util.function.Predicate<String> skip) {
            if (completed) {
                throw new IllegalStateException("already completed");
            }
            if (afterEntries > 0) {
                long started = System.nanoTime();
                Path list = afterList;
                try {
                    String kept = RestoreList.without(Files.readString(afterList), skip);
                    if (!kept.equals(Files.readString(afterList))) {
                        list = directory.resolve("after-replay-kept.list");
                        Files.writeString(list, kept);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                run(restoreCommand(list, dump, target), target);
                log.info(
                        "created {} deferred entries (foreign keys, triggers, ...) in {} in {} ms",
                        afterEntries,
                        target.database(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            completed = true;
        }

        /** Deletes the downloaded files. */
        @Override
        public void close() {
            deleteRecursively(directory);
        }
    }

    // ---- files

    private void download(BaseBackupManifest manifest, BaseBackupManifest.FileEntry f, Path local) {
        String key = manifest.prefix() + f.name();
        MessageDigest sha = sha256();
        long size;
        try (InputStream in = store.open(key);
                OutputStream out = new DigestOutputStream(Files.newOutputStream(local), sha)) {
            size = in.transferTo(out);
        } catch (BlobNotFoundException e) {
            throw new BaseBackupCorruptException(
                    "base backup " + manifest.backupId() + " is missing its file " + key + " (listed in its manifest)",
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + key, e);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (size != f.size() || !actual.equalsIgnoreCase(f.sha256())) {
            throw new BaseBackupCorruptException("base backup " + manifest.backupId() + " is corrupt: " + key + " has "
                    + size + " bytes with SHA-256 " + actual + ", its manifest says " + f.size()
                    + " bytes with SHA-256 "
                    + f.sha256());
        }
    }

    private static String localName(String name) {
        // manifest names are relative to the backup prefix; keep them flat and harmless as file names
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    // ---- pg_restore

    private String pgRestore() {
        return tools.find("pg_restore")
                .orElseThrow(() -> new RecallException("pg_restore not found in " + tools.searchPath()))
                .path()
                .toString();
    }

    private List<String> restoreCommand(Path list, Path dump, ConnectionString target) {
        return List.of(
                pgRestore(),
                "--use-list=" + list,
                "--jobs=" + jobs,
                "--no-owner",
                "--no-acl",
                "--no-tablespaces",
                "--no-security-labels",
                "--no-publications",
                "--no-subscriptions",
                "--exit-on-error",
                // a conninfo string, so that no database name is taken for one; the rest comes from the environment
                "--dbname=dbname=" + conninfoValue(target.database()),
                dump.toString());
    }

    /** Runs a client tool with the target's libpq environment; returns its standard output. */
    private String run(List<String> cmd, ConnectionString target) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(target.libpqEnvironment());
        Process p = null;
        try {
            p = pb.start();
            Process started = p;
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            Thread out = Thread.ofVirtual().start(() -> copy(started.getInputStream(), stdout, Long.MAX_VALUE));
            Thread err = Thread.ofVirtual().start(() -> copy(started.getErrorStream(), stderr, 64 * 1024));
            int exit = p.waitFor();
            out.join();
            err.join();
            if (exit != 0) {
                throw new RecallException(
                        cmd.get(0) + " failed (exit " + exit + "): " + tail(stderr.toString(StandardCharsets.UTF_8)));
            }
            return stdout.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecallException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecallException("interrupted while running " + cmd.get(0), e);
        } finally {
            if (p != null && p.isAlive()) {
                stop(p);
            }
        }
    }

    /** Ends a tool the caller no longer waits for (an interrupted restore): its parallel workers first. */
    private static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        log.info("stopped {} (pid {})", p.info().command().orElse("a client tool"), p.pid());
    }

    /** A libpq conninfo value in single quotes (backslash and quote escaped), so any database name is taken as is. */
    static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static void copy(InputStream in, ByteArrayOutputStream sink, long limit) {
        try (in) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (sink.size() < limit) {
                    sink.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the process ended; what was read is enough
        }
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() > 4000 ? "..." + t.substring(t.length() - 4000) : t;
    }

    // ---- target checks

    private static Connection connect(ConnectionString target) throws SQLException {
        return DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties());
    }

    private static final String USER_SCHEMA =
            "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'";

    /** What the target holds besides an empty public schema, or null when it is empty. */
    static String contents(Connection c) throws SQLException {
        String sql = "SELECT"
                + " (SELECT count(*) FROM pg_catalog.pg_class x JOIN pg_catalog.pg_namespace n ON n.oid = x.relnamespace"
                + " WHERE " + USER_SCHEMA + "),"
                + " (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE " + USER_SCHEMA
                + " AND n.nspname <> 'public'),"
                + " (SELECT count(*) FROM pg_catalog.pg_proc x JOIN pg_catalog.pg_namespace n ON n.oid = x.pronamespace"
                + " WHERE " + USER_SCHEMA + "),"
                + " (SELECT count(*) FROM pg_catalog.pg_type x JOIN pg_catalog.pg_namespace n ON n.oid = x.typnamespace"
                + " WHERE " + USER_SCHEMA + "),"
                + " (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'),"
                + " (SELECT count(*) FROM pg_catalog.pg_event_trigger)";
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            String[] what = {"relations", "schemas", "functions", "types", "extensions", "event triggers"};
            List<String> found = new ArrayList<>();
            for (int i = 0; i < what.length; i++) {
                long n = rs.getLong(i + 1);
                if (n > 0) {
                    found.add(n + " " + what[i]);
                }
            }
            return found.isEmpty() ? null : String.join(", ", found);
        }
    }

    /** Drops everything {@link #contents} counts, in one transaction, and recreates a default public schema. */
    private static void empty(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            List<String> drops = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT evtname FROM pg_catalog.pg_event_trigger")) {
                while (rs.next()) {
                    drops.add("DROP EVENT TRIGGER " + SqlIdentifiers.quote(rs.getString(1)));
                }
            }
            try (ResultSet rs =
                    st.executeQuery("SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'")) {
                while (rs.next()) {
                    drops.add("DROP EXTENSION IF EXISTS " + SqlIdentifiers.quote(rs.getString(1)) + " CASCADE");
                }
            }
            try (ResultSet rs = st.executeQuery(
                    "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE " + USER_SCHEMA + " ORDER BY 1")) {
                while (rs.next()) {
                    drops.add("DROP SCHEMA IF EXISTS " + SqlIdentifiers.quote(rs.getString(1)) + " CASCADE");
                }
            }
            int version;
            try (ResultSet rs = st.executeQuery("SHOW server_version_num")) {
                rs.next();
                version = Integer.parseInt(rs.getString(1));
            }
            for (String d : drops) {
                st.execute(d);
            }
            // public as initdb creates it: owned by the database owner, usable (and before 15 writable) by everyone
            st.execute("CREATE SCHEMA public");
            if (version >= 140000) {
                st.execute("ALTER SCHEMA public OWNER TO pg_database_owner");
            }
            st.execute(
                    version >= 150000
                            ? "GRANT USAGE ON SCHEMA public TO PUBLIC"
                            : "GRANT ALL ON SCHEMA public TO PUBLIC");
            st.execute("COMMENT ON SCHEMA public IS 'standard public schema'");
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
