package io.recall.worker;

import io.recall.worker.config.WorkerProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The stream worker: capture and sink roles; executes what the coordinator decides. */
@SpringBootApplication
@EnableConfigurationProperties(WorkerProperties.class)
public class StreamWorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(StreamWorkerApplication.class, args);
    }
}
