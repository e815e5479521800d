package io.recall.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.SourceId;
import io.recall.coordinator.source.SourceService;
import io.recall.schemas.source.SourceDesiredState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Base-backup schedules: two coordinators on one metadata database request one backup per fire time (ShedLock). */
class ScheduleIT extends CoordinatorIT {

    /** Another coordinator on the same metadata database, Kafka and storage, with its own port. */
    private static ConfigurableApplicationContext anotherCoordinator() {
        List<String> args = new ArrayList<>();
        coordinatorProperties().forEach((name, value) -> args.add("--" + name + "=" + value));
        args.add("--server.port=0");
        // the catalog consumer group stays with the shared context, which the other tests read through
        args.add("--spring.kafka.listener.auto-startup=false");
        return new SpringApplicationBuilder(CoordinatorApplication.class).run(args.toArray(String[]::new));
    }

    /** The SCHEDULED requests of the source: request id to the fire time it was derived from. */
    private static Map<UUID, Instant> scheduledRequests(String id, Instant from, Instant to) {
        Map<UUID, Instant> byId = new HashMap<>();
        for (Instant fire = from; !fire.isAfter(to); fire = fire.plusSeconds(1)) {
            byId.put(UUID.nameUUIDFromBytes((id + "/scheduled/" + fire).getBytes(StandardCharsets.UTF_8)), fire);
        }
        Map<UUID, Instant> requests = new HashMap<>();
        for (List<Object> row : query("SELECT id FROM base_backups WHERE source_id = '" + id + "' AND reason ="
                + " 'SCHEDULED' AND status = 'REQUESTED'")) {
            UUID requestId = (UUID) row.getFirst();
            requests.put(requestId, byId.get(requestId));
        }
        return requests;
    }

    @Test
    void twoCoordinatorsRequestOneBaseBackupPerFireTime() {
        try (ConfigurableApplicationContext second = anotherCoordinator()) {
            Instant registered = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
            String id = registerSource("scheduled", "baseBackupSchedule", "*/2 * * * * *");
            try {
                CatalogEvents.await(
                        "four scheduled requests",
                        () -> query("SELECT 1 FROM base_backups WHERE source_id = '" + id + "' AND reason ="
                                                + " 'SCHEDULED'")
                                        .size()
                                >= 4);
                assertThat(admin().post("/api/v1/sources/" + id + "/pause", null)
                                .status())
                        .isEqualTo(200);
                Instant paused = Instant.now();

                Map<UUID, Instant> requests = scheduledRequests(id, registered, paused.plusSeconds(2));
                assertThat(requests.values())
                        .as("every request belongs to one fire time of the schedule")
                        .doesNotContainNull()
                        .allMatch(fire -> fire.getEpochSecond() % 2 == 0);
                assertThat(new HashSet<>(requests.values()))
                        .as("no fire time requested twice")
                        .hasSameSizeAs(requests.values());
                assertThat(requests).hasSizeGreaterThanOrEqualTo(4);

                // each request reached the capture workers' desired state, each in an epoch of its own
                KafkaRecords.awaitDesiredState(KAFKA.bootstrapServers(), id, SourceDesiredState::getPaused);
                List<SourceDesiredState> states = KafkaRecords.desiredStates(KAFKA.bootstrapServers(), id);
                Set<String> published = new HashSet<>();
                states.stream()
                        .filter(Objects::nonNull)
                        .map(SourceDesiredState::getBaseBackupRequestId)
                        .filter(Objects::nonNull)
                        .forEach(published::add);
                assertThat(published)
                        .containsAll(
                                requests.keySet().stream().map(UUID::toString).toList());
                List<Long> epochs = states.stream()
                        .filter(Objects::nonNull)
                        .map(SourceDesiredState::getEpoch)
                        .toList();
                assertThat(epochs).isSorted().doesNotHaveDuplicates();

                // the duty runs under ShedLock's lock in the metadata database
                assertThat(query("SELECT locked_by FROM shedlock WHERE name = 'base-backup-schedule'"))
                        .hasSize(1);

                // paused: fire times pass without requests
                long before = requests.size();
                KafkaRecords.sleep(Duration.ofSeconds(3).toMillis());
                assertThat(scheduledRequests(id, registered, Instant.now().plusSeconds(2)))
                        .hasSize((int) before);
            } finally {
                admin().delete("/api/v1/sources/" + id);
            }
        }
    }

    @Test
    void whileAnotherCoordinatorHoldsTheLockNoneRunsTheDuty() {
        try (ConfigurableApplicationContext second = anotherCoordinator()) {
            holdLock();
            // a run that held the lock when it was taken over unlocks as it ends: take it over again after that
            KafkaRecords.sleep(1500);
            holdLock();
            String id = registerSource("locked-out", "baseBackupSchedule", "* * * * * *");
            try {
                KafkaRecords.sleep(3000);
                assertThat(scheduledCount(id))
                        .as("no request while the lock is held")
                        .isZero();

                execute("UPDATE shedlock SET lock_until = now() WHERE name = 'base-backup-schedule'");
                CatalogEvents.await("a scheduled request once the lock is free", () -> scheduledCount(id) > 0);
            } finally {
                admin().delete("/api/v1/sources/" + id);
            }
        }
    }

    @Test
    void aFireTimeIsRequestedOnceHoweverManyCallersRace() throws Exception {
        String id = registerSource("race", "baseBackupSchedule", "0 0 3 1 1 *");
        OffsetDateTime fire = OffsetDateTime.now(ZoneOffset.UTC).withNano(0);
        try (ExecutorService callers = Executors.newFixedThreadPool(8)) {
            List<Future<Optional<UUID>>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(callers.submit(() -> sources.requestScheduledBaseBackup(SourceId.parse(id), fire)));
            }
            List<UUID> requested = new ArrayList<>();
            for (Future<Optional<UUID>> r : results) {
                r.get().ifPresent(requested::add);
            }
            assertThat(requested).hasSize(1);
            assertThat(scheduledCount(id)).isEqualTo(1);
            // an earlier fire time, once a later one is handled, is not requested either
            assertThat(sources.requestScheduledBaseBackup(SourceId.parse(id), fire.minusHours(1)))
                    .isEmpty();
        } finally {
            admin().delete("/api/v1/sources/" + id);
        }
    }

    @Autowired
    SourceService sources;

    private static void holdLock() {
        execute("INSERT INTO shedlock (name, lock_until, locked_at, locked_by) VALUES ('base-backup-schedule',"
                + " now() + interval '1 minute', now(), 'another coordinator') ON CONFLICT (name) DO UPDATE SET"
                + " lock_until = excluded.lock_until, locked_by = excluded.locked_by");
    }

    private static long scheduledCount(String id) {
        return query("SELECT 1 FROM base_backups WHERE source_id = '" + id + "' AND reason = 'SCHEDULED'")
                .size();
    }
}
