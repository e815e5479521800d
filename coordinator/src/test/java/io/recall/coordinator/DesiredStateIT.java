package io.recall.coordinator;

import static io.recall.coordinator.SourceRegistrationIT.body;
import static io.recall.coordinator.SourceRegistrationIT.sourceDb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.crypto.SecretCipher;
import io.recall.coordinator.SourceRegistrationIT.SourceDb;
import io.recall.schemas.source.SourceDesiredState;
import io.recall.schemas.source.TablePatternSpec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Every change of a source's desired state reaches {@code recall.sources}, as a capture worker reads it. */
class DesiredStateIT extends CoordinatorIT {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private record Registered(SourceDb db, JsonNode view) {
        String id() {
            return view.get("id").asText();
        }
    }

    private Registered register(String prefix, String... ddl) {
        SourceDb src = sourceDb(PG, ddl.length == 0 ? new String[] {"CREATE TABLE t (id int PRIMARY KEY)"} : ddl);
        Api.Response r = admin().post("/api/v1/sources", body(prefix + "-" + SEQ.incrementAndGet(), src.uri()));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return new Registered(src, r.json());
    }

    @Test
    void registrationPublishesTheDesiredStateWithTheEncryptedPassword() {
        Registered s = register(
                "publish",
                "CREATE TABLE orders (id bigint PRIMARY KEY)",
                "CREATE SCHEMA sales",
                "CREATE TABLE sales.\"Line Items\" (id bigint PRIMARY KEY)");
        assertThat(s.view().get("epoch").asLong()).isEqualTo(1);
        assertThat(s.view().get("publishedEpoch").asLong())
                .as("the answer comes after Kafka's ack")
                .isEqualTo(1);

        List<ConsumerRecord<String, byte[]>> records =
                KafkaRecords.read(KAFKA.bootstrapServers(), SOURCES_TOPIC, s.id());
        assertThat(records).hasSize(1);
        byte[] raw = records.getFirst().value();
        SourceDesiredState state = KafkaRecords.desiredState(raw);

        assertThat(state.getSourceId()).isEqualTo(s.id());
        assertThat(state.getName()).isEqualTo(s.view().get("name").asText());
        assertThat(state.getEpoch()).isEqualTo(1);
        assertThat(state.getPaused()).isFalse();
        assertThat(state.getConnection().getHost()).isEqualTo("127.0.0.1");
        assertThat(state.getConnection().getPort()).isEqualTo(PG.port());
        assertThat(state.getConnection().getDatabase()).isEqualTo(s.db().database());
        assertThat(state.getConnection().getUser()).isEqualTo(s.db().user());
        assertThat(state.getTables())
                .containsExactly("public.orders", "sales.\"Line Items\"")
                .containsExactlyElementsOf(textList(s.view().get("tables")));
        assertThat(state.getSlotName()).isEqualTo(s.view().get("slotName").asText());
        assertThat(state.getPublicationName())
                .isEqualTo(s.view().get("publicationName").asText());
        assertThat(state.getBaseBackupRequestId()).isNull();
        assertThat(state.getTablePatterns())
                .as("no include pattern: every user table, said so explicitly")
                .extracting(TablePatternSpec::getSchema$, TablePatternSpec::getTable, TablePatternSpec::getExclude)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("*", null, false));

        // I5: the password travels only as the ciphertext, which the workers' copy of the keyring opens
        String ciphertext = state.getConnection().getPasswordCiphertext();
        assertThat(ciphertext).startsWith("v1:k1:").isNotEqualTo(s.db().password());
        assertThat(ciphertext).doesNotContain(s.db().password());
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain(s.db().password());
        assertThat(new SecretCipher(Map.of("k1", SECRETS_KEY), "k1").decrypt(ciphertext))
                .isEqualTo(s.db().password());
    }

    @Test
    void theDesiredStateCarriesTheSelectionAsPatterns() {
        SourceDb src = sourceDb(
                PG,
                "CREATE TABLE orders (id bigint PRIMARY KEY)",
                "CREATE TABLE audit_log (id bigint PRIMARY KEY)",
                "CREATE SCHEMA sales",
                "CREATE TABLE sales.\"Line Items\" (id bigint PRIMARY KEY)",
                "CREATE TABLE sales.refunds (id bigint PRIMARY KEY)");
        Api.Response r = admin().post(
                        "/api/v1/sources",
                        body(
                                "patterns-" + SEQ.incrementAndGet(),
                                src.uri(),
                                "tables",
                                List.of("Public.*", "SALES.\"Line Items\""),
                                "excludeTables",
                                List.of("public.Audit_Log")));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        String id = r.json().get("id").asText();

        SourceDesiredState state = last(id);
        assertThat(state.getTables()).containsExactly("public.orders", "sales.\"Line Items\"");
        // case-folded as PostgreSQL folds unquoted names; a null table is a whole schema
        assertThat(state.getTablePatterns())
                .extracting(TablePatternSpec::getSchema$, TablePatternSpec::getTable, TablePatternSpec::getExclude)
                .containsExactly(
                        tuple("public", null, false),
                        tuple("sales", "Line Items", false),
                        tuple("public", "audit_log", true));

        // a later desired state (here: pause) carries them as well
        assertThat(admin().post("/api/v1/sources/" + id + "/pause", null).status())
                .isEqualTo(200);
        SourceDesiredState paused = last(id);
        assertThat(paused.getEpoch()).isEqualTo(2);
        assertThat(paused.getTablePatterns()).isEqualTo(state.getTablePatterns());
    }

    @Test
    void pauseAndResumeBumpTheEpochAndFlipPaused() {
        Registered s = register("pause");

        Api.Response paused = admin().post("/api/v1/sources/" + s.id() + "/pause", null);
        assertThat(paused.status()).as(paused.body()).isEqualTo(200);
        assertThat(paused.json().get("paused").asBoolean()).isTrue();
        assertThat(paused.json().get("epoch").asLong()).isEqualTo(2);
        assertThat(paused.json().get("slotKept").asBoolean()).isTrue();
        assertThat(paused.json().get("walRetained").asBoolean()).isTrue();
        assertThat(paused.json().get("message").asText())
                .contains(s.view().get("slotName").asText())
                .contains("is kept")
                .contains("retains WAL");
        assertThat(last(s.id())).satisfies(st -> {
            assertThat(st.getEpoch()).isEqualTo(2);
            assertThat(st.getPaused()).isTrue();
        });

        // pausing a paused source is not a new desired state
        Api.Response again = admin().post("/api/v1/sources/" + s.id() + "/pause", null);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().get("epoch").asLong()).isEqualTo(2);

        Api.Response resumed = admin().post("/api/v1/sources/" + s.id() + "/resume", null);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
        assertThat(resumed.json().get("paused").asBoolean()).isFalse();
        assertThat(resumed.json().get("epoch").asLong()).isEqualTo(3);
        assertThat(resumed.json().get("walRetained").asBoolean()).isFalse();

        assertThat(KafkaRecords.desiredStates(KAFKA.bootstrapServers(), s.id()))
                .extracting(SourceDesiredState::getEpoch, SourceDesiredState::getPaused)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, false),
                        org.assertj.core.groups.Tuple.tuple(2L, true),
                        org.assertj.core.groups.Tuple.tuple(3L, false));
        JsonNode view = admin().get("/api/v1/sources/" + s.id()).json();
        assertThat(view.get("paused").asBoolean()).isFalse();
        assertThat(view.get("epoch").asLong()).isEqualTo(3);
        assertThat(view.get("publishedEpoch").asLong()).isEqualTo(3);
    }

    @Test
    void aBaseBackupRequestIsPublishedAndListed() {
        Registered s = register("backup-request");

        Api.Response requested = admin().post("/api/v1/sources/" + s.id() + "/base-backups", null);
        assertThat(requested.status()).as(requested.body()).isEqualTo(202);
        String requestId = requested.json().get("requestId").asText();
        assertThat(requested.json().get("status").asText()).isEqualTo("REQUESTED");

        SourceDesiredState state = last(s.id());
        assertThat(state.getBaseBackupRequestId()).isEqualTo(requestId);
        assertThat(state.getEpoch()).isEqualTo(2);
        assertThat(state.getPaused()).isFalse();

        Api.Response list = admin().get("/api/v1/sources/" + s.id() + "/base-backups");
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        assertThat(list.json()).hasSize(1);
        assertThat(list.json().get(0).get("id").asText()).isEqualTo(requestId);
        assertThat(list.json().get(0).get("status").asText()).isEqualTo("REQUESTED");
        assertThat(list.json().get(0).get("reason").asText()).isEqualTo("REQUESTED");
        assertThat(admin().get("/api/v1/sources/" + s.id())
                        .json()
                        .get("baseBackupRequestId")
                        .asText())
                .isEqualTo(requestId);

        // a paused source takes no base backup
        assertThat(admin().post("/api/v1/sources/" + s.id() + "/pause", null).status())
                .isEqualTo(200);
        Api.Response refused = admin().post("/api/v1/sources/" + s.id() + "/base-backups", null);
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.json().get("detail").asText()).contains("paused");
    }

    @Test
    void aChangedTableListFoundByTheProbeIsPublished() {
        Registered s = register("reprobe");
        s.db().sql("CREATE TABLE u (id int PRIMARY KEY)");

        Api.Response probe = admin().post("/api/v1/sources/" + s.id() + "/probe", null);
        assertThat(probe.status()).as(probe.body()).isEqualTo(200);

        SourceDesiredState state = last(s.id());
        assertThat(state.getEpoch()).isEqualTo(2);
        assertThat(state.getTables()).containsExactly("public.t", "public.u");

        // an unchanged table list is no new desired state
        assertThat(admin().post("/api/v1/sources/" + s.id() + "/probe", null).status())
                .isEqualTo(200);
        assertThat(KafkaRecords.desiredStates(KAFKA.bootstrapServers(), s.id()))
                .extracting(SourceDesiredState::getEpoch)
                .containsExactly(1L, 2L);
    }

    @Test
    void deleteWritesATombstoneFirstAndDropsTheSlotOnceCaptureReleasesIt() throws Exception {
        Registered s = register("delete");
        String slot = createSlotAndPublication(s);

        CompletableFuture<Api.Response> deletion;
        try (SlotHolder capture = new SlotHolder(
                PG, s.db().database(), slot, s.view().get("publicationName").asText())) {
            deletion = CompletableFuture.supplyAsync(() -> admin().delete("/api/v1/sources/" + s.id()));
            // the capture worker sees the tombstone, then stops and releases the slot
            KafkaRecords.await(
                    KAFKA.bootstrapServers(),
                    SOURCES_TOPIC,
                    s.id(),
                    rs -> !rs.isEmpty() && rs.getLast().value() == null);
            assertThat(deletion).as("DELETE waits for the slot").isNotDone();
            assertThat(capture.pid()).isPositive();
        }

        Api.Response deleted = deletion.get(60, TimeUnit.SECONDS);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().get("slotDropped").asBoolean()).isTrue();
        assertThat(deleted.json().get("publicationDropped").asBoolean()).isTrue();
        assertThat(objectsOnSource(s)).isZero();
        assertThat(admin().get("/api/v1/sources/" + s.id()).status()).isEqualTo(404);
        List<ConsumerRecord<String, byte[]>> records =
                KafkaRecords.read(KAFKA.bootstrapServers(), SOURCES_TOPIC, s.id());
        assertThat(records).hasSize(2);
        assertThat(records.getLast().value()).isNull();
    }

    @Test
    void deleteAnswers409WhileTheSlotStaysInUseAndCanBeRepeated() throws Exception {
        Registered s = register("delete-busy");
        String slot = createSlotAndPublication(s);

        try (SlotHolder other = new SlotHolder(
                PG, s.db().database(), slot, s.view().get("publicationName").asText())) {
            long started = System.nanoTime();
            Api.Response busy = admin().delete("/api/v1/sources/" + s.id());
            Duration waited = Duration.ofNanos(System.nanoTime() - started);

            assertThat(busy.status()).as(busy.body()).isEqualTo(409);
            assertThat(busy.contentType()).contains("application/problem+json");
            assertThat(busy.json().get("type").asText()).endsWith("/slot-in-use");
            assertThat(busy.json().get("slotName").asText()).isEqualTo(slot);
            assertThat(busy.json().get("activePid").asInt()).isEqualTo(other.pid());
            assertThat(busy.json().get("detail").asText())
                    .contains("still in use by process " + other.pid())
                    .contains("pg_stat_replication")
                    .contains("DELETE again");
            assertThat(waited).isGreaterThanOrEqualTo(SLOT_RELEASE_TIMEOUT);

            // the tombstone is out, the source is marked and refuses other changes
            assertThat(KafkaRecords.read(KAFKA.bootstrapServers(), SOURCES_TOPIC, s.id())
                            .getLast()
                            .value())
                    .isNull();
            JsonNode view = admin().get("/api/v1/sources/" + s.id()).json();
            assertThat(view.get("deletionRequestedAt").asText()).isNotBlank();
            assertThat(view.get("publishedEpoch").asLong())
                    .isEqualTo(view.get("epoch").asLong());
            Api.Response pause = admin().post("/api/v1/sources/" + s.id() + "/pause", null);
            assertThat(pause.status()).as(pause.body()).isEqualTo(409);
            assertThat(pause.json().get("detail").asText()).contains("being deleted");
        }

        Api.Response deleted = admin().delete("/api/v1/sources/" + s.id());
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().get("slotDropped").asBoolean()).isTrue();
        assertThat(objectsOnSource(s)).isZero();
        // one tombstone: the repeated DELETE found it acknowledged already
        assertThat(KafkaRecords.read(KAFKA.bootstrapServers(), SOURCES_TOPIC, s.id()))
                .extracting(r -> r.value() == null)
                .containsExactly(false, true);
    }

    @Test
    void theReconcilerPublishesAStateKafkaHasNotAcknowledged() throws SQLException {
        Registered s = register("reconcile");

        // a change committed to the metadata database whose publication never happened (a coordinator that
        // stopped between its commit and Kafka's acknowledgement)
        try (Connection c = PG.connect(METADATA_DB);
                Statement st = c.createStatement()) {
            assertThat(st.executeUpdate(
                            "UPDATE sources SET paused = true, epoch = epoch + 1 WHERE id = '" + s.id() + "'"))
                    .isEqualTo(1);
        }

        SourceDesiredState state =
                KafkaRecords.awaitDesiredState(KAFKA.bootstrapServers(), s.id(), d -> d.getEpoch() == 2);
        assertThat(state.getPaused()).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode view = admin().get("/api/v1/sources/" + s.id()).json();
        while (view.path("publishedEpoch").asLong() != 2 && System.nanoTime() < deadline) {
            KafkaRecords.sleep(100);
            view = admin().get("/api/v1/sources/" + s.id()).json();
        }
        assertThat(view.get("publishedEpoch").asLong()).isEqualTo(2);
    }

    /** What capture creates on the source, made here by hand. */
    private static String createSlotAndPublication(Registered s) {
        String slot = s.view().get("slotName").asText();
        s.db().sql("CREATE PUBLICATION " + s.view().get("publicationName").asText() + " FOR TABLE t");
        PG.execute(s.db().database(), "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        return slot;
    }

    private static int objectsOnSource(Registered s) throws SQLException {
        try (Connection c = PG.connect(s.db().database());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                        + s.view().get("slotName").asText() + "') + (SELECT count(*) FROM pg_publication WHERE"
                        + " pubname = '" + s.view().get("publicationName").asText() + "')")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static SourceDesiredState last(String id) {
        List<SourceDesiredState> states = KafkaRecords.desiredStates(KAFKA.bootstrapServers(), id);
        assertThat(states).isNotEmpty();
        return states.getLast();
    }

    private static List<String> textList(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }
}
