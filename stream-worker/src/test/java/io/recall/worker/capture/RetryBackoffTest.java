package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Regression test for what the correctness checker found: walsender drops a minute apart pushed capture's reconnect
 * wait to a minute, although every session in between streamed.
 */
class RetryBackoffTest {

    @Test
    void quickFailuresBackOffUpToTheMaximum() {
        RetryBackoff b = new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertThat(new long[] {b.after(false), b.after(false), b.after(false), b.after(false), b.after(false)})
                .containsExactly(1000, 2000, 4000, 8000, 10000);
    }

    @Test
    void aSessionThatStreamedStartsTheNextOneAtTheInitialWait() {
        RetryBackoff b = new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        for (int i = 0; i < 8; i++) {
            b.after(false);
        }
        for (int drop = 0; drop < 5; drop++) {
            assertThat(b.after(true))
                    .as("wait after streaming session %d", drop)
                    .isEqualTo(1000);
        }
        assertThat(b.after(false)).as("then a quick failure").isEqualTo(2000);
    }
}
