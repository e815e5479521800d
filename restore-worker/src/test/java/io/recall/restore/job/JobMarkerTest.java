package io.recall.restore.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.common.Lsn;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobMarkerTest {

    private static final String ID = "3f0c1a52-4a8e-4c38-9d0b-7c7d3a3e9f10";

    @Test
    void everyStateReadsBackAsItWasWritten() {
        JobMarker running = JobMarker.running(ID, 3);
        JobMarker succeeded =
                JobMarker.succeeded(ID, Lsn.parse("0/16B3748"), Instant.parse("2026-11-23T10:00:00.123456Z"));
        JobMarker failed = JobMarker.failed(ID, "the target database answered: boom\nsecond line");
        JobMarker cancelled = JobMarker.cancelled(ID);

        assertThat(running.format()).isEqualTo("recall restore " + ID + " running 3");
        assertThat(succeeded.format())
                .isEqualTo("recall restore " + ID + " succeeded 0/16B3748 2026-11-23T10:00:00.123456Z");
        for (JobMarker m : new JobMarker[] {running, succeeded, failed, cancelled}) {
            assertThat(JobMarker.parse(m.format())).contains(m);
        }
        assertThat(JobMarker.parse(succeeded.format()).orElseThrow().isFor(ID)).isTrue();
        assertThat(JobMarker.parse(succeeded.format()).orElseThrow().isFor("another"))
                .isFalse();
    }

    @Test
    void otherCommentsAreNotMarkers() {
        assertThat(JobMarker.parse(null)).isEmpty();
        assertThat(JobMarker.parse("production database, do not touch")).isEmpty();
        assertThat(JobMarker.parse("recall restore " + ID + " running soon")).isEmpty();
        assertThat(JobMarker.parse("recall restore " + ID + " succeeded 0/1")).isEmpty();
        assertThat(JobMarker.parse("recall restore " + ID + " succeeded nolsn 2026-11-23T10:00:00Z"))
                .isEmpty();
    }
}
