package io.recall.standalone;

import io.recall.coordinator.CoordinatorApplication;
import io.recall.restore.RestoreWorkerApplication;
import io.recall.worker.StreamWorkerApplication;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Recall in one JVM on embedded defaults, everything kept under {@code ./data} ({@code --recall.data-dir=...} to move
 * it): an embedded PostgreSQL for metadata, an embedded Kafka broker (KRaft), the coordinator with its REST API on
 * 127.0.0.1:8080 and a stream worker storing on the local file system under {@code ./data/storage}.
 *
 * <p>Every argument ({@code --name=value}) goes to both the coordinator and the worker and overrides the embedded
 * defaults. An external part replaces an embedded one: {@code --spring.kafka.bootstrap-servers=...} an external Kafka
 * (no broker is started), {@code --spring.datasource.url=...} an external metadata database, {@code
 * --recall.storage.type=s3} with the other {@code recall.storage.*} settings S3 storage. The embedded broker listens
 * on the port of its previous start ({@code --recall.kafka.port=N} and {@code --recall.kafka.controller-port=N} to
 * choose), and {@code --recall.kafka.config.<name>=<value>} sets any broker setting. {@code
 * --recall.standalone.stream-worker=false} and {@code --recall.standalone.restore-worker=false} leave a worker role to
 * processes run elsewhere against the same Kafka and storage.
 */
public final class StandaloneMain {

    static final String WORKER_ID = "standalone";
    static final String STREAM_WORKER_ROLE = "stream-worker";
    static final String RESTORE_WORKER_ROLE = "restore-worker";
    /** Both contexts' name: they share one logging set-up, whose lines carry the name of the first. */
    private static final String APPLICATION_NAME = "recall-standalone";

    private static final String KAFKA_CONFIG_PREFIX = "--recall.kafka.config.";

    private StandaloneMain() {}

    public static void main(String[] args) {
        start(true, args);
    }

    /** Starts every part; if one fails, those already started are stopped again before the failure is thrown. */
    static Standalone start(String... args) {
        return start(false, args);
    }

    /**
     * @param shutdownHook stop everything, in order, when the JVM exits (from the moment the first part starts); without
     *     it the caller closes the result
     */
    private static Standalone start(boolean shutdownHook, String... args) {
        List<String> shared = new ArrayList<>(Arrays.asList(args));
        // --recall.kafka.bootstrap-servers names an external broker too (the Spring name is what the contexts read)
        String external = value(shared, "recall.kafka.bootstrap-servers", null);
        if (external != null && value(shared, "spring.kafka.bootstrap-servers", null) == null) {
            shared.add("--spring.kafka.bootstrap-servers=" + external);
        }
        // checked before anything starts, so a typo costs nothing
        boolean streamWorker = enabled(shared, STREAM_WORKER_ROLE);
        boolean restoreWorker = enabled(shared, RESTORE_WORKER_ROLE);
        StandaloneHome home = StandaloneHome.open(Path.of(value(shared, "recall.data-dir", "data")));
        Standalone standalone = new Standalone(home);
        if (shutdownHook) {
            Runtime.getRuntime().addShutdownHook(new Thread(standalone::close, "recall-standalone-shutdown"));
        }
        try {
            Map<String, String> coordinatorDefaults = new LinkedHashMap<>();
            if (value(shared, "spring.datasource.url", null) == null) {
                // with our hook, the database must not stop on its own hook before the coordinator has stopped
                EmbeddedMetadata metadata =
                        EmbeddedMetadata.start(home.root().resolve("metadata"), home.metadataPassword(), !shutdownHook);
                standalone.metadata(metadata);
                coordinatorDefaults.put("spring.datasource.url", metadata.jdbcUrl());
                coordinatorDefaults.put("spring.datasource.username", EmbeddedMetadata.USER);
                coordinatorDefaults.put("spring.datasource.password", home.metadataPassword());
            }
            String bootstrap = value(shared, "spring.kafka.bootstrap-servers", null);
            if (bootstrap == null) {
                quietKafkaServer(shared);
                EmbeddedKafka.Listeners listeners = kafkaListeners(shared);
                Map<String, String> overrides = kafkaOverrides(shared);
                EmbeddedKafka kafka = EmbeddedKafka.start(home.root(), listeners, overrides);
                standalone.kafka(kafka, () -> EmbeddedKafka.start(home.root(), listeners, overrides));
                bootstrap = kafka.bootstrapServers();
                shared.add("--spring.kafka.bootstrap-servers=" + bootstrap);
            }
            standalone.kafkaBootstrapServers(bootstrap);
            if (value(shared, "recall.secrets.active-key-id", null) == null) {
                addDefault(shared, "recall.secrets.keys." + StandaloneHome.SECRETS_KEY_ID, home.secretsKey());
                addDefault(shared, "recall.secrets.active-key-id", StandaloneHome.SECRETS_KEY_ID);
            }

            standalone.workerArguments(
                    workerArguments(shared, home, StreamWorkerApplication.class), restoreWorkerArguments(shared, home));
            // The worker first: it creates Recall's topics (compacted recall.sources, ...) before the coordinator
            // publishes to them (the coordinator creates them too, for when the workers run elsewhere).
            if (streamWorker) {
                standalone.worker(startHeadless(StreamWorkerApplication.class, standalone.streamWorkerArguments()));
            }
            if (restoreWorker) {
                standalone.restoreWorker(
                        startHeadless(RestoreWorkerApplication.class, standalone.restoreWorkerArguments()));
            }
            standalone.coordinator(startCoordinator(shared, coordinatorDefaults, home));
        } catch (RuntimeException e) {
            try {
                standalone.close();
            } catch (RuntimeException stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        }
        printWelcome(standalone);
        return standalone;
    }

    /**
     * Whether this JVM runs the role ({@code --recall.standalone.<role>=false} leaves it to a process started
     * elsewhere with {@link Standalone#streamWorkerArguments()} or {@link Standalone#restoreWorkerArguments()}).
     */
    private static boolean enabled(List<String> arguments, String role) {
        String value = value(arguments, "recall.standalone." + role, "true").strip();
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("recall.standalone." + role + " must be true (run the " + role
                    + " in this JVM) or false (leave it to a process started elsewhere), not '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static List<String> restoreWorkerArguments(List<String> shared, StandaloneHome home) {
        List<String> arguments = workerArguments(shared, home, RestoreWorkerApplication.class);
        addDefault(
                arguments,
                "recall.restore.work-dir",
                home.root().resolve("restore-work").toString());
        return arguments;
    }

    /** A worker's arguments: its own configuration, the shared storage, and no metadata database. */
    private static List<String> workerArguments(List<String> shared, StandaloneHome home, Class<?> application) {
        List<String> arguments = new ArrayList<>(shared);
        configLocation(arguments, application);
        // The coordinator's jars on the shared class path would give a worker a DataSource (and Flyway and jOOQ on
        // it) by auto-configuration; the workers never touch the metadata database.
        String exclude = DataSourceAutoConfiguration.class.getName();
        String excluded = value(arguments, "spring.autoconfigure.exclude", null);
        set(arguments, "spring.autoconfigure.exclude", excluded == null ? exclude : excluded + "," + exclude);
        addDefault(arguments, "spring.application.name", APPLICATION_NAME);
        addDefault(arguments, "recall.worker-id", WORKER_ID);
        addDefault(
                arguments,
                "recall.storage.local-root",
                home.root().resolve("storage").toString());
        return arguments;
    }

    /** Runs a worker context without its web server (the coordinator's serves the API and health). */
    private static ConfigurableApplicationContext startHeadless(Class<?> application, List<String> arguments) {
        SpringApplication app = new SpringApplication(application);
        app.setMainApplicationClass(application);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setBannerMode(Banner.Mode.OFF);
        app.setRegisterShutdownHook(false);
        return app.run(arguments.toArray(String[]::new));
    }

    private static ConfigurableApplicationContext startCoordinator(
            List<String> shared, Map<String, String> defaults, StandaloneHome home) {
        List<String> arguments = new ArrayList<>(shared);
        defaults.forEach((name, value) -> addDefault(arguments, name, value));
        configLocation(arguments, CoordinatorApplication.class);
        addDefault(arguments, "recall.security.bootstrap-admin-token", home.adminToken());
        addDefault(arguments, "spring.application.name", APPLICATION_NAME);

        SpringApplication app = new SpringApplication(CoordinatorApplication.class);
        app.setMainApplicationClass(CoordinatorApplication.class);
        app.setRegisterShutdownHook(false);
        return app.run(arguments.toArray(String[]::new));
    }

    /**
     * Points a context at its own module's {@code application.yml}. The coordinator's and the worker's jars each hold
     * one at the class path root, and in one class path {@code classpath:application.yml} would give both contexts
     * whichever comes first. The usual {@code ./} and {@code ./config/} follow, later locations winning as by default.
     * A {@code --spring.config.location} on the command line replaces this for both.
     */
    static void configLocation(List<String> arguments, Class<?> application) {
        String classFile = application.getName().replace('.', '/') + ".class";
        URL url = application.getClassLoader().getResource(classFile);
        if (url == null) {
            throw new IllegalStateException("cannot find " + classFile + " on the class path");
        }
        String root = url.toString().substring(0, url.toString().length() - classFile.length());
        addDefault(
                arguments, "spring.config.location", root + "application.yml,optional:file:./,optional:file:./config/");
    }

    /**
     * The broker logs before any Spring context has set up logging (and would log at DEBUG by logback's default); it
     * is also chatty at INFO. Its loggers stay at WARN unless {@code --logging.level.<name>} says otherwise, both now
     * and in the contexts (which share the JVM's logging).
     */
    private static void quietKafkaServer(List<String> arguments) {
        LoggingSystem logging = LoggingSystem.get(StandaloneMain.class.getClassLoader());
        logging.setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, level(arguments, "root", "INFO"));
        for (String logger : EmbeddedKafka.SERVER_LOGGERS) {
            addDefault(arguments, "logging.level." + logger, "WARN");
            logging.setLogLevel(logger, level(arguments, logger, "WARN"));
        }
    }

    private static LogLevel level(List<String> arguments, String logger, String fallback) {
        String value = value(arguments, "logging.level." + logger, fallback).strip();
        // as Spring Boot reads logging.level.*: "false" (a YAML "off") means OFF
        return value.equalsIgnoreCase("false") ? LogLevel.OFF : LogLevel.valueOf(value.toUpperCase(Locale.ROOT));
    }

    private static EmbeddedKafka.Listeners kafkaListeners(List<String> arguments) {
        return new EmbeddedKafka.Listeners(
                port(arguments, "recall.kafka.port"), port(arguments, "recall.kafka.controller-port"));
    }

    private static int port(List<String> arguments, String name) {
        String value = value(arguments, name, "0");
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a port number, not '" + value + "'", e);
        }
    }

    private static Map<String, String> kafkaOverrides(List<String> arguments) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String a : arguments) {
            int eq = a.indexOf('=');
            if (a.startsWith(KAFKA_CONFIG_PREFIX) && eq > KAFKA_CONFIG_PREFIX.length()) {
                overrides.put(a.substring(KAFKA_CONFIG_PREFIX.length(), eq), a.substring(eq + 1));
            }
        }
        return overrides;
    }

    private static void printWelcome(Standalone standalone) {
        ConfigurableApplicationContext coordinator = standalone.coordinator();
        StandaloneHome home = standalone.home();
        String port = coordinator.getEnvironment().getProperty("local.server.port");
        String address = coordinator.getEnvironment().getProperty("server.address", "127.0.0.1");
        String kafka = standalone
                .embeddedKafka()
                .map(k -> k.bootstrapServers() + " (embedded, log in " + k.logDirectory() + ")")
                .orElse(standalone.kafkaBootstrapServers() + " (external)");
        System.out.printf(
                "%nRecall is running at http://%s:%s (API docs: /swagger-ui.html)%nKafka: %s%n", address, port, kafka);
        if (home.firstStart()) {
            System.out.printf(
                    "Admin API token (shown once; also kept owner-only in %s):%n%n    %s%n%n",
                    home.root().resolve("admin-token"), home.adminToken());
        } else {
            System.out.printf("The admin API token is in %s%n%n", home.root().resolve("admin-token"));
        }
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

    private static void set(List<String> arguments, String name, String value) {
        String prefix = "--" + name + "=";
        arguments.removeIf(a -> a.startsWith(prefix));
        arguments.add(prefix + value);
    }
}
