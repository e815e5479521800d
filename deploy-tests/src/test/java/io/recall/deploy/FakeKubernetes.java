package io.recall.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The two Kubernetes API calls Helm's {@code lookup} makes for a Secret (discovery of v1, then GET of the Secret),
 * served on loopback and written to the kubeconfig that {@code KUBECONFIG} names, so that the chart's "keep the
 * generated secrets on upgrade" path can be rendered. Every other request answers 404.
 */
final class FakeKubernetes implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, Map<String, String>> secrets = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    FakeKubernetes() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = 200;
            Object body;
            if (path.equals("/api/v1")) {
                body = Map.of(
                        "kind", "APIResourceList",
                        "apiVersion", "v1",
                        "groupVersion", "v1",
                        "resources",
                                List.of(Map.of(
                                        "name", "secrets",
                                        "singularName", "secret",
                                        "namespaced", true,
                                        "kind", "Secret",
                                        "verbs", List.of("get", "list"))));
            } else if (path.matches("/api/v1/namespaces/[^/]+/secrets/[^/]+")
                    && secrets.containsKey(path.substring(path.lastIndexOf('/') + 1))) {
                String name = path.substring(path.lastIndexOf('/') + 1);
                body = Map.of(
                        "kind",
                        "Secret",
                        "apiVersion",
                        "v1",
                        "metadata",
                        Map.of("name", name),
                        "data",
                        secrets.get(name));
            } else {
                status = 404;
                body = Map.of(
                        "kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "NotFound", "code", 404);
            }
            byte[] bytes = json.writeValueAsBytes(body);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig == null) {
            throw new IllegalStateException(
                    "KUBECONFIG is not set: run through Maven, whose Surefire configuration sets it");
        }
        try {
            Files.createDirectories(Path.of(kubeconfig).getParent());
            Files.writeString(
                    Path.of(kubeconfig), """
                    apiVersion: v1
                    kind: Config
                    clusters:
                      - name: fake
                        cluster:
                          server: http://127.0.0.1:%d
                    contexts:
                      - name: fake
                        context:
                          cluster: fake
                          user: fake
                    current-context: fake
                    users:
                      - name: fake
                        user: {}
                    """.formatted(server.getAddress().getPort()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** From now on, a Secret of this name exists with this (base64) data. */
    void putSecret(String name, Map<String, String> data) {
        secrets.put(name, Map.copyOf(data));
    }

    void clear() {
        secrets.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
