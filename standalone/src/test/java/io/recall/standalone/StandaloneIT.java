package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/** Standalone mode starts on embedded defaults, prints its token once, and keeps its state across a restart. */
@ExtendWith(OutputCaptureExtension.class)
class StandaloneIT {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void firstStartCreatesOwnerOnlySecretsAndRestartKeepsState(@TempDir Path tmp, CapturedOutput output)
            throws Exception {
        Path data = tmp.resolve("data");
        String[] args = {"--recall.data-dir=" + data, "--server.port=0"};

        String token;
        String created;
        try (ConfigurableApplicationContext first = StandaloneMain.start(args)) {
            int port = port(first);
            token = Files.readString(data.resolve("admin-token")).strip();
            assertThat(output.getOut()).contains(token);
            for (String f : new String[] {"admin-token", "secrets.key", "metadata.password"}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(f))))
                        .as(f)
                        .isEqualTo("rw-------");
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
                    .isEqualTo("rwx------");
            assertThat(send(port, null, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(401);
            assertThat(send(port, token, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(200);
            HttpResponse<String> r =
                    send(port, token, "POST", "/api/v1/tokens", "{\"name\":\"kept\",\"role\":\"viewer\"}");
            assertThat(r.statusCode()).isEqualTo(201);
            created = r.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
        }
        int printedBefore = count(output.getOut(), token);

        try (ConfigurableApplicationContext second = StandaloneMain.start(args)) {
            int port = port(second);
            assertThat(send(port, token, "GET", "/api/v1/tokens", null).body()).contains("\"kept\"");
            assertThat(send(port, created, "GET", "/api/v1/sources", null).statusCode())
                    .isEqualTo(200);
        }
        assertThat(count(output.getOut(), token))
                .as("the token is printed on first start only")
                .isEqualTo(printedBefore);
    }

    private static int port(ConfigurableApplicationContext ctx) {
        return Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
    }

    private static int count(String hay, String needle) {
        int n = 0;
        for (int i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private HttpResponse<String> send(int port, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.header("Content-Type", "application/json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
