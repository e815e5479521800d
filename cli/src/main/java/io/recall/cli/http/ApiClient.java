package io.recall.cli.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Recall's REST API over {@link HttpClient}: JSON in, JSON out, every failure an {@link ApiException}. The token goes
 * only into the {@code Authorization} header; nothing here prints or logs it. Not thread-safe.
 */
public final class ApiClient implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Registering a source probes it first, and removing one waits for its slot to be released. */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private final URI base;
    private final String token;
    private final HttpClient http;

    /**
     * @param base the API's address, e.g. {@code http://127.0.0.1:8080}
     * @param token a bearer token, or null to send none (the API then answers 401 wherever one is needed)
     */
    public ApiClient(URI base, String token) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    public URI base() {
        return base;
    }

    public JsonNode get(String path) {
        return send("GET", path, null);
    }

    /** GET with query parameters; null values are left out. */
    public JsonNode get(String path, Map<String, String> query) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        query.forEach((name, value) -> {
            if (value != null) {
                q.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        });
        return send("GET", path + q, null);
    }

    /** POST with a JSON body, or with none when {@code body} is null. */
    public JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    private JsonNode send(String method, String path, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json, application/problem+json")
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw ApiException.unreachable(base + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unreachable(base + ": interrupted while waiting for its answer");
        }
        return read(response.statusCode(), response.body());
    }

    private JsonNode read(int status, String body) {
        JsonNode json = null;
        if (body != null && !body.isBlank()) {
            try {
                json = Json.parse(body);
            } catch (UncheckedIOException notJson) {
                if (status / 100 == 2) {
                    throw ApiException.notRecall(
                            status,
                            base + " answered HTTP " + status + " with something that is not JSON: is it"
                                    + " Recall's API address (--url, RECALL_URL)?");
                }
            }
        }
        if (status / 100 == 2) {
            return json == null ? MissingNode.getInstance() : json;
        }
        throw ApiException.answered(status, json, body);
    }

    private static String describe(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + REQUEST_TIMEOUT.toMinutes() + " min";
        }
        if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return "connection refused (is Recall running there?)";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        http.close();
    }
}
