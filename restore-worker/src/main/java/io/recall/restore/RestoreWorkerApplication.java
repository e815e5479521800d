package io.recall.restore;

import io.recall.restore.config.RestoreWorkerProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The restore worker: takes restore jobs from {@code recall.restore-jobs}, restores a base backup and replays stored
 * segments into each job's target database, and reports on {@code recall.restore-events}. It executes what the
 * coordinator (or another system writing jobs) asks; it keeps no state of its own beyond the target databases.
 */
@SpringBootApplication
@EnableConfigurationProperties(RestoreWorkerProperties.class)
public class RestoreWorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(RestoreWorkerApplication.class, args);
    }
}
