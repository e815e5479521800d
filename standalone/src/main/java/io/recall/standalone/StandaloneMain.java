package io.recall.standalone;

import io.recall.coordinator.CoordinatorApplication;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Recall in one JVM on embedded defaults: an embedded PostgreSQL for metadata and the coordinator's REST API on
 * 127.0.0.1:8080, everything kept under {@code ./data} ({@code --recall.data-dir=...} to move it). Any setting can be
 * given as {@code --name=value} and overrides the embedded default (e.g. {@code --spring.datasource.url=...} to use an
 * external metadata database).
 */
public final class StandaloneMain {

    private StandaloneMain() {}

    public static void main(String[] args) {
        start(args);
    }

    static ConfigurableApplicationContext start(String... args) {
        List<String> arguments = new ArrayList<>(Arrays.asList(args));
        Path dataDir = Path.of(value(arguments, "recall.data-dir", "data"));
        StandaloneHome home = StandaloneHome.open(dataDir);

        EmbeddedMetadata metadata = null;
        if (value(arguments, "spring.datasource.url", null) == null) {
            metadata = EmbeddedMetadata.start(home.root().resolve("metadata"), home.metadataPassword());
            addDefault(arguments, "spring.datasource.url", metadata.jdbcUrl());
            addDefault(arguments, "spring.datasource.username", EmbeddedMetadata.USER);
            addDefault(arguments, "spring.datasource.password", home.metadataPassword());
        }
        if (value(arguments, "recall.secrets.active-key-id", null) == null) {
            addDefault(arguments, "recall.secrets.keys." + StandaloneHome.SECRETS_KEY_ID, home.secretsKey());
            addDefault(arguments, "recall.secrets.active-key-id", StandaloneHome.SECRETS_KEY_ID);
        }
        addDefault(arguments, "recall.security.bootstrap-admin-token", home.adminToken());
        addDefault(arguments, "spring.application.name", "recall-standalone");

        SpringApplication app = new SpringApplication(CoordinatorApplication.class);
        ConfigurableApplicationContext context;
        try {
            context = app.run(arguments.toArray(String[]::new));
        } catch (RuntimeException e) {
            if (metadata != null) {
                metadata.close();
            }
            throw e;
        }
        EmbeddedMetadata owned = metadata;
        if (owned != null) {
            context.addApplicationListener(e -> {
                if (e instanceof ContextClosedEvent) {
                    owned.close();
                }
            });
        }
        String port = context.getEnvironment().getProperty("local.server.port");
        String address = context.getEnvironment().getProperty("server.address", "127.0.0.1");
        if (home.firstStart()) {
            System.out.printf(
                    "%nRecall is running at http://%s:%s (API docs: /swagger-ui.html)%n"
                            + "Admin API token (shown once; also kept owner-only in %s):%n%n    %s%n%n",
                    address, port, home.root().resolve("admin-token"), home.adminToken());
        } else {
            System.out.printf(
                    "%nRecall is running at http://%s:%s; the admin API token is in %s%n%n",
                    address, port, home.root().resolve("admin-token"));
        }
        return context;
    }

    /** The value of {@code --name=value} among the arguments, or the fallback. */
    static String value(List<String> arguments, String name, String fallback) {
        String prefix = "--" + name + "=";
        for (String a : arguments) {
            if (a.startsWith(prefix)) {
                return a.substring(prefix.length());
            }
        }
        return fallback;
    }

    private static void addDefault(List<String> arguments, String name, String value) {
        if (value(arguments, name, null) == null) {
            arguments.add("--" + name + "=" + value);
        }
    }
}
