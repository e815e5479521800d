package io.recall.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.layout.RestorePointMarker;
import io.recall.common.segment.SealedSegment;
import io.recall.common.segment.SegmentWriter;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.restore.base.BaseBackupFixture;
import io.recall.restore.replay.CaptureHarness;
import io.recall.restore.replay.SourceWorkload;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.restore.RestoreCancel;
import io.recall.schemas.restore.RestoreCommand;
import io.recall.schemas.restore.RestoreEvent;
import io.recall.schemas.restore.RestoreMode;
import io.recall.schemas.restore.RestorePhase;
import io.recall.schemas.restore.RestoreRequest;
import io.recall.schemas.restore.RestoreStatus;
import io.recall.schemas.restore.RestoreTargetSpec;
import io.recall.schemas.sink.SealRequest;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The restore worker as a service: a real stream worker captures a source under a randomized workload, the test
 * stores the captured records as segments (with heartbeats, sequence snapshots and an overlapping duplicate segment)
 * next to the capture's base backup, starts restore worker applications against the same Kafka and storage, writes
 * RestoreRequests to {@code recall.restore-jobs} and reads RestoreEvents from {@code recall.restore-events}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreWorkerIT {

    private static final Logger log = LoggerFactory.getLogger(RestoreWorkerIT.class);
    private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(3);
    private static final int PARTITIONS = 4;

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private CaptureHarness harness;
    private CaptureHarness.Source source;
    private BlobStore store;
    private ConfigurableApplicationContext worker;
    private KafkaProducer<String, byte[]> producer;
    private final List<RestoreEvent> events = new CopyOnWriteArrayList<>();
    private final List<SealRequest> seals = new CopyOnWriteArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private volatile boolean reading = true;
    private final List<Process> processes = new ArrayList<>();

    private Checkpoint cp;
    private Map<String, String> finalState;
    private Map<String, Long> finalSequences;
    private Lsn finalWal;
    private Lsn lastCommit;
    private String sourceSystemIdentifier;
    private int segmentCount;

    /** The source just after a marker transaction. */
    private record Checkpoint(Map<String, String> tables, Map<String, Long> sequences, Lsn markerLsn, long xid) {}

    @BeforeAll
    void captureAWorkloadAndStoreItsSegments() throws Exception {
        harness = new CaptureHarness();
        harness.startWorker("capture-for-restore", "--recall.sink.enabled=false");
        List<String> setup = new ArrayList<>(List.of(SourceWorkload.DDL));
        setup.addAll(List.of(SourceWorkload.SEED));
        source = harness.createSource(pg, setup.toArray(String[]::new));
        store = BlobStores.open(StorageSettings.local(harness.storage));
        harness.publish(source, SourceWorkload.TABLES, 1, null);
        harness.awaitState(source, CaptureState.STREAMING);
        await().atMost(Duration.ofSeconds(120))
                .until(() ->
                        !BaseBackupManifest.listCompleted(store, source.id()).isEmpty());

        SourceWorkload writer = new SourceWorkload(7, new AtomicInteger(100_000), "w", true);
        writer.run(pg, source.db(), 300);
        cp = checkpoint();
        writer.run(pg, source.db(), 600);
        try (Connection c = pg.connect(source.db())) {
            finalState = SourceWorkload.hashes(c);
            finalSequences = sequences(c);
            sourceSystemIdentifier = string(c, "SELECT system_identifier::text FROM pg_control_system()");
        }
        finalWal = source.currentWal();
        Thread.sleep(2500); // a sequence snapshot after the last transaction
        harness.awaitDurable(source, source.currentWal());
        storeSegments();

        worker = startWorker("worker-w");
        producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.kafka.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer());
        readers.add(read("recall.restore-events", PARTITIONS, b -> events.add(RestoreEvent.fromByteBuffer(b))));
        readers.add(read("recall.sink-control", 1, b -> seals.add(SealRequest.fromByteBuffer(b))));
        log.info(
                "captured {} committed transactions; {} segments stored; checkpoint at {}, last commit {}",
                writer.committed,
                segmentCount,
                cp.markerLsn(),
                lastCommit);
    }

    @AfterAll
    void stop() throws Exception {
        reading = false;
        for (Thread t : readers) {
            t.join();
        }
        processes.forEach(Process::destroyForcibly);
        if (producer != null) {
            producer.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (harness != null) {
            harness.close();
        }
        if (store != null) {
            store.close();
        }
    }

    // ---- the tests

    @Test
    void anLsnTargetAndTheLatestPointEqualTheSourceThere() throws Exception {
        String db = pg.createDatabase("at_lsn");
        String id = submit(request(db, t -> t.setLsn(cp.markerLsn().toString()), r -> {}));
        List<RestoreEvent> run = awaitEnd(id);
        RestoreEvent done = run.get(run.size() - 1);
        assertThat(done.getStatus()).as(done.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(phases(run))
                .containsExactly(
                        RestorePhase.VALIDATING,
                        RestorePhase.RESTORING_BASE,
                        RestorePhase.REPLAYING,
                        RestorePhase.SEQUENCES,
                        RestorePhase.VERIFYING,
                        RestorePhase.DONE);
        assertThat(done.getRestoredToLsn()).isEqualTo(cp.markerLsn().toString());
        assertThat(done.getRestoredToTime()).isNotNull();
        assertThat(done.getWorker()).isEqualTo("worker-w");
        assertThat(done.getAttempt()).isEqualTo(1);
        assertThat(done.getCutoffLsn()).isEqualTo(new Lsn(cp.markerLsn().value() + 1).toString());
        assertThat(done.getBaseBackupId()).isNotNull();
        assertThat(done.getTransactionsApplied()).isPositive();
        assertThat(done.getRowsApplied()).isGreaterThanOrEqualTo(done.getTransactionsApplied());
        assertThat(done.getSegmentsTotal()).isPositive();
        assertThat(done.getBytesTotal()).isPositive();
        assertThat(done.getBytesRead()).isPositive();
        try (Connection c = pg.connect(db)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp.tables());
            assertSequencesAtLeast(sequences(c), cp.sequences());
            assertThat(string(c, "SELECT count(*) FROM pg_namespace WHERE nspname = '_recall'"))
                    .isEqualTo("0");
            assertThat(string(
                            c,
                            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                                    + " WHERE datname = current_database()"))
                    .isEqualTo(
                            "recall restore " + id + " succeeded " + cp.markerLsn() + " " + done.getRestoredToTime());
        }

        // latest, into a database the job creates
        String created = "created_" + UUID.randomUUID().toString().substring(0, 8);
        String latest = submit(request(
                created, t -> t.setLatest(true), r -> r.setCreateDatabase(true).setLatestLsn(finalWal.toString())));
        RestoreEvent end = last(awaitEnd(latest));
        assertThat(end.getStatus()).as(end.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(end.getRestoredToLsn()).isEqualTo(lastCommit.toString());
        try (Connection c = pg.connect(created)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);
            assertSequencesAtLeast(sequences(c), finalSequences);
            assertThat(string(c, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"))
                    .as("triggers created after replay")
                    .isNotEqualTo("0");
        }
    }

    @Test
    void xidAndNamedRestorePointTargetsStopAtTheirTransaction() throws Exception {
        String byXid = pg.createDatabase("at_xid");
        RestoreEvent xid = last(awaitEnd(submit(request(byXid, t -> t.setXid(cp.xid()), r -> {}))));
        assertThat(xid.getStatus()).as(xid.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(xid.getRestoredToLsn()).isEqualTo(cp.markerLsn().toString());
        try (Connection c = pg.connect(byXid)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp.tables());
        }

        // a restore point named without its LSN is read from storage, where the coordinator writes it
        String name = "before-" + UUID.randomUUID().toString().substring(0, 8);
        Lsn after = new Lsn(cp.markerLsn().value() + 1);
        store.put(
                RestorePointMarker.key(source.id(), name),
                new ObjectMapper()
                        .registerModule(new JavaTimeModule())
                        .writeValueAsBytes(new RestorePointMarker(
                                RestorePointMarker.FORMAT_VERSION,
                                source.id().toString(),
                                name,
                                after.toString(),
                                Instant.now(),
                                Instant.now())));
        String byName = pg.createDatabase("at_point");
        RestoreEvent point = last(awaitEnd(submit(request(byName, t -> t.setRestorePoint(name), r -> {}))));
        assertThat(point.getStatus()).as(point.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(point.getCutoffLsn()).isEqualTo(after.toString());
        try (Connection c = pg.connect(byName)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp.tables());
        }

        RestoreEvent missing = last(awaitEnd(
                submit(request(pg.createDatabase("no_point"), t -> t.setRestorePoint("no-such-point"), r -> {}))));
        assertThat(missing.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(missing.getError()).contains("no restore point named 'no-such-point'");
    }

    @Test
    void aJobForSomeTablesRestoresOnlyThoseTablesAsTheyWere() throws Exception {
        String db = pg.createDatabase("some_tables");
        RestoreEvent end = last(awaitEnd(submit(request(
                db,
                t -> t.setLsn(cp.markerLsn().toString()),
                r -> r.setTables(List.of("public.accounts", "\"Odd Schema\".*"))))));
        assertThat(end.getStatus()).as(end.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        try (Connection c = pg.connect(db)) {
            assertThat(string(
                            c,
                            "SELECT string_agg(n.nspname || '.' || c.relname, ','"
                                    + " ORDER BY n.nspname || '.' || c.relname COLLATE \"C\") FROM pg_class c"
                                    + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
                                    + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                                    + " AND n.nspname NOT LIKE 'pg\\_%'"))
                    .isEqualTo("Odd Schema.Weird \"T\",public.accounts");
            Map<String, String> all = cp.tables();
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|'"
                            + " ORDER BY t::text COLLATE \"C\")), '') FROM public.accounts t")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(all.get("public.accounts"));
            }
        }

        RestoreEvent none = last(awaitEnd(submit(request(
                pg.createDatabase("no_tables"),
                t -> t.setLsn(cp.markerLsn().toString()),
                r -> r.setTables(List.of("nosuch.*"))))));
        assertThat(none.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(none.getError()).contains("matches none of the captured tables");
    }

    @Test
    void aNonEmptyTargetIsRefusedUnlessTheJobAsksToOverwriteIt() throws Exception {
        String db = pg.createDatabase("not_empty");
        pg.execute(db, "CREATE TABLE precious (x int)", "INSERT INTO precious VALUES (1)");
        RestoreEvent refused =
                last(awaitEnd(submit(request(db, t -> t.setLsn(cp.markerLsn().toString()), r -> {}))));
        assertThat(refused.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(refused.getError()).contains("is not empty").contains("1 relations");
        try (Connection c = pg.connect(db)) {
            assertThat(string(c, "SELECT count(*) FROM precious"))
                    .as("untouched")
                    .isEqualTo("1");
        }

        RestoreEvent overwritten = last(awaitEnd(
                submit(request(db, t -> t.setLsn(cp.markerLsn().toString()), r -> r.setMode(RestoreMode.OVERWRITE)))));
        assertThat(overwritten.getStatus()).as(overwritten.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        try (Connection c = pg.connect(db)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp.tables());
            assertThat(string(c, "SELECT to_regclass('public.precious') IS NULL"))
                    .isEqualTo("t");
        }
    }

    @Test
    void theSourceItselfIsRefused() throws Exception {
        RestoreEvent named = last(awaitEnd(submit(request(
                source.db(),
                t -> t.setLatest(true),
                r -> r.setMode(RestoreMode.OVERWRITE)
                        .setSourceSystemIdentifier(sourceSystemIdentifier)
                        .setSourceDatabase(source.db())))));
        assertThat(named.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(named.getError()).contains("is the source itself");

        // without the request saying so, the base backup's manifest does
        RestoreEvent fromManifest = last(awaitEnd(submit(request(
                source.db(),
                t -> t.setLatest(true),
                r -> r.setMode(RestoreMode.OVERWRITE).setLatestLsn(finalWal.toString())))));
        assertThat(fromManifest.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(fromManifest.getError()).contains("is the source itself").contains("base backup");
        try (Connection c = pg.connect(source.db())) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);
        }
    }

    @Test
    void withoutItsSystemIdentifierTheSourceIsKnownByItsRegisteredAddress() throws Exception {
        String user = "plain_" + UUID.randomUUID().toString().substring(0, 8);
        String password = UUID.randomUUID().toString();
        pg.createRole(user, password, "LOGIN");
        // function privileges are per database: only the source database's own pg_control_system() is refused
        pg.execute(source.db(), "REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC");
        try {
            RestoreEvent end = last(awaitEnd(submit(command(
                    UUID.randomUUID().toString(),
                    RestoreRequest.newBuilder()
                            .setSourceId(source.id().toString())
                            .setTarget(RestoreTargetSpec.newBuilder()
                                    .setLatest(true)
                                    .build())
                            .setTargetConnectionString(harness.cipher.encrypt(
                                    pg.connectionUri(user, password, source.db()) + "?sslmode=disable"))
                            .setMode(RestoreMode.OVERWRITE)
                            .setLatestLsn(finalWal.toString())
                            .setSourceSystemIdentifier(sourceSystemIdentifier)
                            .setSourceDatabase(source.db())
                            .build()))));
            assertThat(end.getStatus()).isEqualTo(RestoreStatus.FAILED);
            assertThat(end.getError()).contains("is the source itself").contains("registered");
        } finally {
            pg.execute(source.db(), "GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC");
        }
        try (Connection c = pg.connect(source.db())) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);
        }
    }

    @Test
    void aCorruptBaseBackupFailsNamingTheFile() throws Exception {
        SourceId other = SourceId.random();
        String dumped = pg.createDatabase("corrupt_src");
        pg.execute(dumped, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)");
        BaseBackupManifest m = BaseBackupFixture.store(pg, dumped, store, other.toString(), Lsn.parse("0/1000"));
        String key = m.prefix() + BaseBackupManifest.DUMP_FILE;
        byte[] bytes;
        try (InputStream in = store.open(key)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length / 2] ^= 0x10;
        store.put(key, bytes);

        String db = pg.createDatabase("from_corrupt");
        RestoreEvent end = last(awaitEnd(submit(command(
                UUID.randomUUID().toString(),
                RestoreRequest.newBuilder()
                        .setSourceId(other.toString())
                        .setTarget(
                                RestoreTargetSpec.newBuilder().setLatest(true).build())
                        .setTargetConnectionString(target(db))
                        .build()))));
        assertThat(end.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(end.getPhase()).isEqualTo(RestorePhase.RESTORING_BASE);
        assertThat(end.getError()).contains("is corrupt").contains(key);
        assertThat(seals)
                .as("a latest job without an LSN asks for a seal")
                .anyMatch(s -> s.getSourceId().equals(other.toString()));
    }

    @Test
    void aJobWaitsForTheTargetLockAndACancelEndsIt() throws Exception {
        String db = pg.createDatabase("locked");
        try (Connection holder = pg.connect(db)) {
            string(holder, "SELECT pg_advisory_lock(hashtext('recall.restore'))");
            String id = submit(request(db, t -> t.setLsn(cp.markerLsn().toString()), r -> {}));
            awaitEvent(id, e -> e.getMessage() != null && e.getMessage().contains("waiting for the target lock"));
            Thread.sleep(1500);
            assertThat(string(holder, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"))
                    .as("nothing written while another holds the lock")
                    .isEqualTo("0");
            send(id, command(id, new RestoreCancel("changed my mind")));
            RestoreEvent end = last(awaitEnd(id));
            assertThat(end.getStatus()).isEqualTo(RestoreStatus.CANCELLED);
            assertThat(end.getMessage()).contains("changed my mind");
        }
    }

    @Test
    void aJobWaitingForTheTargetLockGoesOnOnceItIsFree() throws Exception {
        String db = pg.createDatabase("fenced");
        String id;
        try (Connection holder = pg.connect(db)) {
            string(holder, "SELECT pg_advisory_lock(hashtext('recall.restore'))");
            id = submit(request(db, t -> t.setLsn(cp.markerLsn().toString()), r -> {}));
            awaitEvent(id, e -> e.getMessage() != null && e.getMessage().contains("waiting for the target lock"));
            assertThat(events(id)).noneMatch(e -> e.getPhase() == RestorePhase.RESTORING_BASE);
        }
        RestoreEvent end = last(awaitEnd(id));
        assertThat(end.getStatus()).as(end.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        try (Connection c = pg.connect(db)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp.tables());
        }
    }

    @Test
    void aSucceededJobDeliveredAgainReportsItsEndWithoutTouchingTheTarget() throws Exception {
        String db = pg.createDatabase("again");
        String id = UUID.randomUUID().toString();
        RestoreCommand job =
                command(id, requestBody(db, t -> t.setLsn(cp.markerLsn().toString()), r -> {}));
        send(id, job);
        RestoreEvent first = last(awaitEnd(id));
        assertThat(first.getStatus()).as(first.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        pg.execute(db, "CREATE TABLE after_restore (x int)");

        int before = events(id).size();
        send(id, job);
        await().atMost(RESTORE_TIMEOUT).until(() -> events(id).size() > before && isEnd(last(events(id))));
        List<RestoreEvent> again = events(id).subList(before, events(id).size());
        RestoreEvent second = last(again);
        assertThat(second.getStatus()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(second.getRestoredToLsn()).isEqualTo(first.getRestoredToLsn());
        assertThat(second.getRestoredToTime()).isEqualTo(first.getRestoredToTime());
        assertThat(again).noneMatch(e -> e.getPhase() == RestorePhase.RESTORING_BASE);
        try (Connection c = pg.connect(db)) {
            assertThat(string(c, "SELECT to_regclass('public.after_restore') IS NOT NULL"))
                    .as("the target was not restored again")
                    .isEqualTo("t");
        }
    }

    @Test
    void aTargetPastTheStoredStreamWaitsForTheSinksThenFails() throws Exception {
        String db = pg.createDatabase("too_late");
        Lsn beyond = new Lsn(finalWal.value() + (64L << 20));
        int sealsBefore = seals.size();
        RestoreEvent end =
                last(awaitEnd(submit(request(db, t -> t.setLsn(beyond.toString()), r -> r.setInclusive(false)))));
        assertThat(end.getStatus()).isEqualTo(RestoreStatus.FAILED);
        assertThat(end.getError()).contains(beyond.toString()).contains("sink");
        assertThat(seals.subList(sealsBefore, seals.size()))
                .anyMatch(s -> s.getSourceId().equals(source.id().toString()));
        try (Connection c = pg.connect(db)) {
            assertThat(string(
                            c,
                            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                                    + " WHERE datname = current_database()"))
                    .as("a refused target is not marked")
                    .isNull();
        }
    }

    /**
     * A second worker (its own JVM) takes a job and is killed (SIGKILL) in the middle of its replay: the job stays
     * uncommitted, the group moves its partition to the first worker, which waits for the target's lock to be free,
     * empties the half-written target and restores it fully as attempt 2.
     */
    @Test
    void whenTheWorkerRunningAJobDiesAnotherFinishesIt() throws Exception {
        Path logFile = Files.createTempFile("recall-restore-worker-a", ".log");
        Process a = startWorkerProcess(
                "worker-a",
                logFile,
                "--recall.restore.replay.transactions-per-commit=1",
                "--recall.restore.replay.max-pending-bytes=1KB",
                "--recall.restore.progress-interval=200ms");
        Set<Integer> owned = awaitPartitionsOf("worker-a");
        String id;
        do {
            id = UUID.randomUUID().toString();
        } while (!owned.contains(partitionOf(id)));
        String job = id;
        String db = pg.createDatabase("failover");
        send(job, command(job, requestBody(db, t -> t.setLatest(true), r -> r.setLatestLsn(finalWal.toString()))));

        RestoreEvent replaying = awaitEvent(
                job,
                e -> e.getWorker().equals("worker-a")
                        && e.getPhase() == RestorePhase.REPLAYING
                        && e.getTransactionsApplied() > 0);
        a.destroyForcibly().waitFor();
        log.info("killed worker-a after {} transactions", replaying.getTransactionsApplied());

        RestoreEvent end = last(awaitEnd(job));
        assertThat(events(job)).noneMatch(e -> e.getWorker().equals("worker-a") && isEnd(e));
        assertThat(end.getStatus()).as(end.getError()).isEqualTo(RestoreStatus.SUCCEEDED);
        assertThat(end.getWorker()).isEqualTo("worker-w");
        assertThat(end.getAttempt()).isEqualTo(2);
        assertThat(end.getRestoredToLsn()).isEqualTo(lastCommit.toString());
        try (Connection c = pg.connect(db)) {
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);
        }
    }

    // ---- fixture

    private Checkpoint checkpoint() throws Exception {
        long xid;
        try (Connection c = pg.connect(source.db())) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("UPDATE accounts SET balance = balance + 1, note = 'checkpoint' WHERE id = (SELECT min(id)"
                        + " FROM accounts)");
                try (ResultSet rs = st.executeQuery("SELECT txid_current()")) {
                    rs.next();
                    xid = rs.getLong(1) & 0xFFFF_FFFFL;
                }
            }
            c.commit();
            c.setAutoCommit(true);
            Map<String, String> tables = SourceWorkload.hashes(c);
            Map<String, Long> seqs = sequences(c);
            Lsn wal = source.currentWal();
            harness.awaitDurable(source, wal);
            TransactionChunk marker = chunks().stream()
                    .filter(ch -> ch.getXid() == xid && ch.getChunkIndex() == 0)
                    .findFirst()
                    .orElseThrow();
            return new Checkpoint(tables, seqs, new Lsn(marker.getCommitLsn()), xid);
        }
    }

    private List<TransactionChunk> chunks() {
        return records().stream()
                .filter(e -> e.getBody() instanceof TransactionChunk)
                .map(e -> (TransactionChunk) e.getBody())
                .toList();
    }

    private List<ChangeEnvelope> records() {
        return harness.received.stream()
                .filter(e -> e.getSourceId().equals(source.id().toString()))
                .toList();
    }

    /**
     * Stores the captured records as the sink would: five segments cut at transaction boundaries, each starting from
     * the previous one's watermark, plus one segment that overlaps two of them (a sink's retry).
     */
    private void storeSegments() throws IOException {
        List<ChangeEnvelope> all = records();
        assertThat(all).anyMatch(e -> e.getBody() instanceof Heartbeat);
        assertThat(all).anyMatch(e -> e.getBody() instanceof SequenceValues);
        lastCommit = chunks().stream()
                .map(c -> new Lsn(c.getCommitLsn()))
                .max(Lsn::compareTo)
                .orElseThrow();
        List<Integer> cuts = new ArrayList<>(List.of(0));
        for (int k = 1; k < 5; k++) {
            int i = all.size() * k / 5;
            while (i < all.size() && !boundaryAfter(all.get(i - 1))) {
                i++;
            }
            cuts.add(i);
        }
        cuts.add(all.size());
        Path spool = Files.createTempDirectory("recall-it-spool");
        Lsn watermark = Lsn.INVALID;
        Instant watermarkTime = null;
        for (int k = 0; k + 1 < cuts.size(); k++) {
            if (cuts.get(k).equals(cuts.get(k + 1))) {
                continue;
            }
            SealedSegment s = segment(all.subList(cuts.get(k), cuts.get(k + 1)), spool, watermark, watermarkTime);
            watermark = s.metadata().watermarkLsn();
            watermarkTime = s.metadata().watermarkTime();
        }
        int from = (cuts.get(1) + cuts.get(2)) / 2;
        while (!boundaryAfter(all.get(from - 1))) {
            from++;
        }
        int to = (cuts.get(2) + cuts.get(3)) / 2;
        while (!boundaryAfter(all.get(to - 1))) {
            to++;
        }
        segment(all.subList(from, to), spool, Lsn.INVALID, null);
        segmentCount = store.list("sources/" + source.id() + "/segments/").size();
        assertThat(segmentCount).isEqualTo(6);
    }

    private SealedSegment segment(List<ChangeEnvelope> records, Path spool, Lsn watermark, Instant time)
            throws IOException {
        try (SegmentWriter w =
                SegmentWriter.create(source.id(), spool, SegmentWriter.Options.DEFAULT, watermark, time)) {
            for (ChangeEnvelope e : records) {
                w.append(e);
            }
            SealedSegment s = w.finish();
            s.store(store);
            s.delete();
            return s;
        }
    }

    private static boolean boundaryAfter(ChangeEnvelope e) {
        return !(e.getBody() instanceof TransactionChunk c) || c.getLastChunk();
    }

    private ConfigurableApplicationContext startWorker(String workerId, String... extra) {
        return new SpringApplicationBuilder(RestoreWorkerApplication.class).run(workerArgs(workerId, extra));
    }

    private String[] workerArgs(String workerId, String... extra) {
        List<String> args;
        try {
            args = List.of(
                    "--spring.kafka.bootstrap-servers=" + harness.kafka.bootstrapServers(),
                    "--server.port=0",
                    "--recall.worker-id=" + workerId,
                    "--recall.secrets.keys.k1=" + CaptureHarness.KEY,
                    "--recall.secrets.active-key-id=k1",
                    "--recall.storage.type=local",
                    "--recall.storage.local-root=" + harness.storage,
                    "--recall.topics.sources-partitions=" + PARTITIONS,
                    "--recall.topics.changes-partitions=" + PARTITIONS,
                    "--recall.restore.work-dir=" + Files.createTempDirectory("recall-restore-work"),
                    "--recall.restore.seal-wait=3s",
                    "--recall.restore.latest-seal-wait=1s",
                    "--recall.restore.lock-retry=500ms",
                    "--recall.restore.progress-interval=500ms",
                    "--spring.kafka.consumer.properties.session.timeout.ms=6000",
                    "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // a later argument replaces an earlier one of the same name (Spring would join both values)
        Map<String, String> byName = new LinkedHashMap<>();
        for (String a : args) {
            byName.put(a.substring(0, a.indexOf('=')), a);
        }
        for (String a : extra) {
            byName.put(a.substring(0, a.indexOf('=')), a);
        }
        return byName.values().toArray(String[]::new);
    }

    private Process startWorkerProcess(String workerId, Path logFile, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                "-cp",
                System.getProperty("java.class.path"),
                RestoreWorkerApplication.class.getName()));
        command.addAll(List.of(workerArgs(workerId, extra)));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        processes.add(p);
        return p;
    }

    /** The partitions of restore-jobs the worker's consumer owns, once the group has settled with it in it. */
    private Set<Integer> awaitPartitionsOf(String workerId) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, harness.kafka.bootstrapServers()))) {
            Map<String, Set<Integer>> byWorker = new HashMap<>();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        var group = admin.describeConsumerGroups(List.of("recall-restore-workers"))
                                .all()
                                .get()
                                .get("recall-restore-workers");
                        byWorker.clear();
                        int total = 0;
                        for (MemberDescription m : group.members()) {
                            Set<Integer> ps = m.assignment().topicPartitions().stream()
                                    .map(TopicPartition::partition)
                                    .collect(Collectors.toSet());
                            byWorker.merge(m.clientId(), ps, (x, y) -> y);
                            total += ps.size();
                        }
                        return total == PARTITIONS
                                && byWorker.entrySet().stream()
                                        .anyMatch(e -> e.getKey().contains(workerId)
                                                && !e.getValue().isEmpty())
                                && byWorker.values().stream().noneMatch(Set::isEmpty);
                    });
            return byWorker.entrySet().stream()
                    .filter(e -> e.getKey().contains(workerId))
                    .findFirst()
                    .orElseThrow()
                    .getValue();
        }
    }

    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    // ---- jobs and events

    private interface Decoder {
        void accept(ByteBuffer value) throws IOException;
    }

    private Thread read(String topic, int partitions, Decoder decoder) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        harness.kafka.bootstrapServers(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        return Thread.ofPlatform().name("it-read-" + topic).start(() -> {
            try (consumer) {
                while (reading) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        try {
                            decoder.accept(ByteBuffer.wrap(r.value()));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                }
            }
        });
    }

    private String target(String db) {
        return harness.cipher.encrypt(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }

    private RestoreRequest requestBody(
            String db, Consumer<RestoreTargetSpec.Builder> target, Consumer<RestoreRequest.Builder> more) {
        RestoreTargetSpec.Builder t = RestoreTargetSpec.newBuilder();
        target.accept(t);
        RestoreRequest.Builder r = RestoreRequest.newBuilder()
                .setSourceId(source.id().toString())
                .setTarget(t.build())
                .setTargetConnectionString(target(db));
        more.accept(r);
        return r.build();
    }

    private RestoreCommand request(
            String db, Consumer<RestoreTargetSpec.Builder> target, Consumer<RestoreRequest.Builder> more) {
        return command(UUID.randomUUID().toString(), requestBody(db, target, more));
    }

    private static RestoreCommand command(String id, Object body) {
        return RestoreCommand.newBuilder()
                .setRestoreId(id)
                .setRequestedAt(Instant.now())
                .setRequestedBy("RestoreWorkerIT")
                .setCommand(body)
                .build();
    }

    private String submit(RestoreCommand c) {
        send(c.getRestoreId(), c);
        return c.getRestoreId();
    }

    private void send(String key, RestoreCommand c) {
        try {
            ByteBuffer b = c.toByteBuffer();
            byte[] value = new byte[b.remaining()];
            b.get(value);
            producer.send(new ProducerRecord<>("recall.restore-jobs", key, value))
                    .get();
        } catch (Exception e) {
            throw new AssertionError("cannot send restore job " + key, e);
        }
    }

    private List<RestoreEvent> events(String id) {
        return events.stream().filter(e -> e.getRestoreId().equals(id)).toList();
    }

    private static boolean isEnd(RestoreEvent e) {
        return e.getStatus() == RestoreStatus.SUCCEEDED
                || e.getStatus() == RestoreStatus.FAILED
                || e.getStatus() == RestoreStatus.CANCELLED;
    }

    private List<RestoreEvent> awaitEnd(String id) {
        await().atMost(RESTORE_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> events(id).stream().anyMatch(RestoreWorkerIT::isEnd));
        List<RestoreEvent> run = events(id);
        log.info(
                "restore {}: {}",
                id,
                run.stream()
                        .map(e -> e.getStatus() + "/" + e.getPhase() + " [" + e.getWorker() + " #" + e.getAttempt()
                                + "] " + e.getMessage())
                        .collect(Collectors.joining("\n  ", "\n  ", "")));
        return run;
    }

    private RestoreEvent awaitEvent(String id, java.util.function.Predicate<RestoreEvent> what) {
        await().atMost(RESTORE_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> events(id).stream().anyMatch(what));
        return events(id).stream().filter(what).findFirst().orElseThrow();
    }

    private static RestoreEvent last(List<RestoreEvent> run) {
        return run.get(run.size() - 1);
    }

    /** The phases of the last attempt, in order, each once. */
    private static List<RestorePhase> phases(List<RestoreEvent> run) {
        int attempt = last(run).getAttempt();
        List<RestorePhase> out = new ArrayList<>();
        for (RestoreEvent e : run) {
            if (e.getAttempt() == attempt && (out.isEmpty() || out.get(out.size() - 1) != e.getPhase())) {
                out.add(e.getPhase());
            }
        }
        return out;
    }

    // ---- SQL helpers

    private static Map<String, Long> sequences(Connection c) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, sequencename), last_value"
                        + " FROM pg_sequences ORDER BY 1")) {
            while (rs.next()) {
                long v = rs.getLong(2);
                out.put(rs.getString(1), rs.wasNull() ? null : v);
            }
        }
        return out;
    }

    private static void assertSequencesAtLeast(Map<String, Long> restored, Map<String, Long> source) {
        assertThat(restored.keySet()).containsAll(source.keySet());
        source.forEach((name, value) -> {
            if (value != null) {
                assertThat(restored.get(name))
                        .as("sequence %s", name)
                        .isNotNull()
                        .isGreaterThanOrEqualTo(value);
            }
        });
    }

    private static String string(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
