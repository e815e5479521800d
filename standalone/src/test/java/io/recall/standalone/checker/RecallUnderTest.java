package io.recall.standalone.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.standalone.StandaloneMain;
import io.recall.testsupport.S3Endpoint;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A standalone Recall (every role in this JVM, storage on S3 through S3Proxy) and its public REST API, used as a user
 * would: a bearer token and JSON.
 *
 * <p>{@code StandaloneMain.start} and the {@code Standalone} it returns are package-private in {@code
 * io.recall.standalone}; the checker lives in a package of its own, so it reaches them by reflection rather than
 * widening the product's API for a test. Thread-safe for {@link #send} and {@link #awaitJson}.
 */
final class RecallUnderTest implements AutoCloseable {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final ObjectMapper json = new ObjectMapper();
    private final AutoCloseable standalone;
    private final int port;
    private final String token;

    private RecallUnderTest(AutoCloseable standalone, int port, String token) {
        this.standalone = standalone;
        this.port = port;
        this.token = token;
    }

    /** Starts Recall with its data under a fresh temporary directory and a fresh bucket. */
    static RecallUnderTest start() throws Exception {
        Path data = Files.createTempDirectory("recall-checker").resolve("data");
        S3Endpoint s3 = S3Endpoint.shared();
        String bucket = "checker-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(bucket);
        String[] args = {
            "--recall.data-dir=" + data,
            "--recall.storage.type=s3",
            "--recall.storage.bucket=" + bucket,
            "--recall.storage.prefix=checker",
            "--recall.storage.endpoint=" + s3.endpoint(),
            "--recall.storage.region=" + s3.region(),
            "--recall.storage.path-style=true",
            "--recall.storage.access-key=" + s3.accessKey(),
            "--recall.storage.secret-key=" + s3.secretKey(),
            "--server.port=0",
            "--recall.capture.status-interval=1s",
            "--recall.capture.heartbeat-interval=1s",
            "--recall.capture.sequence-interval=1s",
            // a killed walsender is retried after a second, not the default five
            "--recall.capture.slot-retry=1s",
            // the smallest chunk: every TOASTed value of the workload (12,800 characters) travels split
            "--recall.capture.max-chunk-bytes=4096",
            "--recall.sink.max-segment-age=2s"
        };
        Method start = StandaloneMain.class.getDeclaredMethod("start", String[].class);
        start.setAccessible(true);
        AutoCloseable standalone;
        try {
            standalone = (AutoCloseable) start.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        Method coordinator = standalone.getClass().getDeclaredMethod("coordinator");
        coordinator.setAccessible(true);
        ConfigurableApplicationContext context = (ConfigurableApplicationContext) coordinator.invoke(standalone);
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        String token = Files.readString(data.resolve("admin-token")).strip();
        return new RecallUnderTest(standalone, port, token);
    }

    ObjectMapper json() {
        return json;
    }

    /** Sends {@code body} (as JSON; null sends none) and returns the answer. */
    HttpResponse<String> send(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends and expects {@code status}; returns the answer's JSON. */
    JsonNode call(String method, String path, Object body, int status) throws IOException, InterruptedException {
        HttpResponse<String> r = send(method, path, body);
        assertThat(r.statusCode())
                .as("%s %s answered %s", method, path, r.body())
                .isEqualTo(status);
        return json.readTree(r.body());
    }

    /** Polls {@code GET path} until its JSON satisfies {@code condition}; returns that JSON. */
    JsonNode awaitJson(String path, Duration atMost, Predicate<JsonNode> condition) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            last[0] = json.readTree(send("GET", path, null).body());
            assertThat(condition.test(last[0])).as(last[0].toString()).isTrue();
        });
        return last[0];
    }

    @Override
    public void close() throws Exception {
        standalone.close();
    }
}
