package io.recall.coordinator.restore;

import static io.recall.coordinator.restore.RestoreStatus.CANCELLED;
import static io.recall.coordinator.restore.RestoreStatus.FAILED;
import static io.recall.coordinator.restore.RestoreStatus.QUEUED;
import static io.recall.coordinator.restore.RestoreStatus.RUNNING;
import static io.recall.coordinator.restore.RestoreStatus.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreStatusTest {

    @Test
    void liveJobsMoveAnywhereWithinAnAttemptAndEndedOnesNowhere() {
        for (RestoreStatus next : RestoreStatus.values()) {
            assertThat(QUEUED.accepts(next, 1, 0)).as("first report " + next).isTrue();
            assertThat(RUNNING.accepts(next, 1, 1)).as("RUNNING -> " + next).isTrue();
            for (RestoreStatus ended : List.of(SUCCEEDED, FAILED, CANCELLED)) {
                assertThat(ended.accepts(next, 1, 1)).as(ended + " -> " + next).isFalse();
                assertThat(ended.isTerminal()).isTrue();
            }
        }
        assertThat(QUEUED.isTerminal()).isFalse();
        assertThat(RUNNING.isTerminal()).isFalse();
    }

    @Test
    void olderAttemptsNeverApplyAndNewerAttemptsAlwaysDo() {
        assertThat(RUNNING.accepts(SUCCEEDED, 1, 2)).isFalse();
        assertThat(SUCCEEDED.accepts(FAILED, 1, 2)).isFalse();
        assertThat(FAILED.accepts(RUNNING, 3, 2)).isTrue();
        assertThat(CANCELLED.accepts(RUNNING, 1, 0))
                .as("a job cancelled before any worker reported")
                .isTrue();
    }
}
