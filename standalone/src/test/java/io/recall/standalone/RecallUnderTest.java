package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.testsupport.S3Endpoint;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A standalone Recall for tests (every role in this JVM, short capture and sink intervals, an ephemeral port) and its
 * public REST API, used as a user would: a bearer token and JSON. Public so that test packages other than this one
 * (the correctness checker) need not reach into {@code StandaloneMain}. Thread-safe for {@link #send},
 * {@link #call} and {@link #awaitJson}.
 */
public final class RecallUnderTest implements AutoCloseable {

    private final ObjectMapper json = new ObjectMapper();
    private final Standalone standalone;
    private final int port;
    private final String token;

    private RecallUnderTest(Standalone standalone, int port, String token) {
        this.standalone = standalone;
        this.port = port;
        this.token = token;
    }

    /**
     * Starts Recall with its data under {@code dataDir}; {@code extra} adds settings (storage, other intervals) and
     * must not repeat the ones set here.
     */
    public static RecallUnderTest start(Path dataDir, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "--recall.data-dir=" + dataDir,
                "--server.port=0",
                "--recall.capture.status-interval=1s",
                "--recall.capture.heartbeat-interval=1s",
                "--recall.capture.sequence-interval=1s",
                "--recall.sink.max-segment-age=2s"));
        args.addAll(List.of(extra));
        Standalone standalone = StandaloneMain.start(args.toArray(String[]::new));
        int port = Integer.parseInt(standalone.coordinator().getEnvironment().getProperty("local.server.port"));
        String token = Files.readString(dataDir.resolve("admin-token")).strip();
        return new RecallUnderTest(standalone, port, token);
    }

    /** A fresh bucket on S3Proxy, and the settings that put every role's storage there under {@code prefix}. */
    public record S3Storage(String bucket, String prefix, String[] args) {}

    /** Creates a fresh bucket on the shared S3Proxy; objects go under {@code prefix}. */
    public static S3Storage s3Storage(String prefix) {
        return s3Storage(S3Endpoint.shared(), prefix);
    }

    /** Creates a fresh bucket on {@code s3}; objects go under {@code prefix}. */
    public static S3Storage s3Storage(S3Endpoint s3, String prefix) {
        String bucket = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(bucket);
        return new S3Storage(bucket, prefix, new String[] {
            "--recall.storage.type=s3",
            "--recall.storage.bucket=" + bucket,
            "--recall.storage.prefix=" + prefix,
            "--recall.storage.endpoint=" + s3.endpoint(),
            "--recall.storage.region=" + s3.region(),
            "--recall.storage.path-style=true",
            "--recall.storage.access-key=" + s3.accessKey(),
            "--recall.storage.secret-key=" + s3.secretKey()
        });
    }

    /**
     * The arguments of a stream worker process joining this Recall ({@code --recall.standalone.stream-worker=false}
     * leaves that role to such processes): Kafka, storage, secrets, the worker's configuration.
     */
    public List<String> streamWorkerArguments() {
        return standalone.streamWorkerArguments();
    }

    /** The arguments of a restore worker process joining this Recall. */
    public List<String> restoreWorkerArguments() {
        return standalone.restoreWorkerArguments();
    }

    /** Stops the embedded Kafka broker; everything else keeps running. */
    public void stopKafka() {
        standalone.stopKafka();
    }

    /** Starts the embedded Kafka broker again, on the same ports and log. */
    public void startKafka() {
        standalone.startKafka();
    }

    public ObjectMapper json() {
        return json;
    }

    /** Sends {@code body} (as JSON; null sends none) and returns the answer. */
    public HttpResponse<String> send(String method, String path, Object body) throws IOException, InterruptedException {
        return RestCalls.send(port, token, method, path, body);
    }

    /** Sends and expects {@code status}; returns the answer's JSON. */
    public JsonNode call(String method, String path, Object body, int status) throws IOException, InterruptedException {
        HttpResponse<String> r = send(method, path, body);
        assertThat(r.statusCode())
                .as("%s %s answered %s", method, path, r.body())
                .isEqualTo(status);
        return json.readTree(r.body());
    }

    /** Polls {@code GET path} until its JSON satisfies {@code condition}; returns that JSON. */
    public JsonNode awaitJson(String path, Duration atMost, Predicate<JsonNode> condition) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            last[0] = json.readTree(send("GET", path, null).body());
            assertThat(condition.test(last[0])).as(last[0].toString()).isTrue();
        });
        return last[0];
    }

    @Override
    public void close() {
        standalone.close();
    }
}
