package io.recall.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The three Dockerfiles: how they build, what the runtime image carries and how it starts the service. */
class DockerfilesTest {

    @ParameterizedTest
    @CsvSource({
        "coordinator,    8080, RECALL_PORT,        /api/v1/health",
        "stream-worker,  8081, RECALL_WORKER_PORT, /actuator/health/readiness",
        "restore-worker, 8082, RECALL_RESTORE_WORKER_PORT, /actuator/health/readiness"
    })
    void buildsWithTheWrapperAndRunsAsNonRootWithAHealthcheck(
            String module, String port, String portVariable, String healthPath) {
        Dockerfile d = Dockerfile.parse(Repository.read("docker/Dockerfile." + module));
        assertThat(d.stages).as("multi-stage").hasSize(2);

        Dockerfile.Stage build = d.stages.getFirst();
        assertThat(build.from).isEqualTo("eclipse-temurin:25-jdk-noble");
        assertThat(build.alias).isEqualTo("build");
        String maven = String.join("\n", build.runs);
        assertThat(maven).contains("--mount=type=cache,target=/root/.m2", "./mvnw -B", "-pl " + module + " -am");
        assertThat(maven).contains("-DskipTests");

        Dockerfile.Stage runtime = d.runtime();
        assertThat(runtime.from).isEqualTo("eclipse-temurin:25-jre-noble");
        String setup = String.join("\n", runtime.runs);
        assertThat(setup)
                .contains("https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main")
                .contains("postgresql-client-${PG_CLIENT_MAJOR}")
                .contains("tini")
                .contains("useradd --system --uid 10001");
        assertThat(runtime.args).containsEntry("PG_CLIENT_MAJOR", "18");
        assertThat(runtime.env).containsEntry("RECALL_TOOLS_BINDIR", "/usr/lib/postgresql/18/bin");
        assertThat(runtime.user)
                .as("numeric, so Kubernetes can check runAsNonRoot")
                .isEqualTo("10001:10001");

        assertThat(runtime.env).containsEntry(portVariable, port);
        assertThat(runtime.exposes).containsExactly(port);
        assertThat(runtime.healthcheck)
                .contains("CMD curl -fsS \"http://127.0.0.1:${" + portVariable + ":-" + port + "}" + healthPath + "\"");

        assertThat(runtime.entrypoint.subList(0, 3))
                .containsExactly("/usr/bin/tini", "--", "/usr/local/bin/recall-java");
        assertThat(runtime.copies)
                .anyMatch(c -> c.equals("--chmod=0755 docker/recall-java /usr/local/bin/recall-java"));
    }

    @Test
    void theCoordinatorRunsItsExecutableJar() {
        Dockerfile.Stage runtime = Dockerfile.parse(Repository.read("docker/Dockerfile.coordinator"))
                .runtime();
        assertThat(String.join(
                        "\n",
                        Dockerfile.parse(Repository.read("docker/Dockerfile.coordinator"))
                                .stages
                                .getFirst()
                                .runs))
                .contains("cp coordinator/target/recall-coordinator-*-exec.jar /out/recall-coordinator.jar");
        assertThat(runtime.entrypoint.subList(3, runtime.entrypoint.size()))
                .containsExactly("-jar", "/opt/recall/recall-coordinator.jar");
        assertThat(Repository.read("coordinator/pom.xml")).contains("<classifier>exec</classifier>");
    }

    @Test
    void theStreamWorkerRunsItsMainClassWithItsDependencies() throws Exception {
        Dockerfile d = Dockerfile.parse(Repository.read("docker/Dockerfile.stream-worker"));
        assertThat(String.join("\n", d.stages.getFirst().runs))
                .contains("dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib");
        List<String> entrypoint = d.runtime().entrypoint;
        assertThat(entrypoint.subList(3, entrypoint.size()))
                .containsExactly(
                        "-cp",
                        "/opt/recall/recall-stream-worker.jar:/opt/recall/lib/*",
                        "io.recall.worker.StreamWorkerApplication");
        assertThat(Class.forName("io.recall.worker.StreamWorkerApplication").getMethod("main", String[].class))
                .isNotNull();
    }

    @Test
    void theStreamWorkerImageTrainsAnAotCacheOnItsEntrypointsClassPath() {
        Dockerfile.Stage runtime = Dockerfile.parse(Repository.read("docker/Dockerfile.stream-worker"))
                .runtime();
        assertThat(runtime.env).containsEntry("RECALL_AOT_CACHE", "/opt/recall/stream-worker.aot");
        assertThat(runtime.copies).contains("--chmod=0755 docker/recall-aot-train /usr/local/bin/recall-aot-train");
        List<String> entrypoint = runtime.entrypoint;
        String training = "recall-aot-train \"$RECALL_AOT_CACHE\" -cp \"" + entrypoint.get(entrypoint.size() - 2)
                + "\" " + entrypoint.getLast();
        assertThat(runtime.runs)
                .anyMatch(r -> r.replace("\\\n", " ").replaceAll("\\s+", " ").contains(training));
    }

    /**
     * The scripts the stream worker's image runs at build time and at start, run here on the worker's runtime class
     * path: the training run must end cleanly with no broker or database around, and the cache it writes must be one
     * a JVM started by recall-java can load ({@code -XX:AOTMode=on} fails the start when it cannot).
     */
    @Test
    void theAotTrainingRunsWithoutABrokerAndWritesACacheTheLauncherUses(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25; the build runs on it");
        // the image's class path: the worker's jar, then its runtime dependencies
        Path jar;
        try (var jars = Files.list(Repository.path("stream-worker/target"))) {
            jar = jars.filter(f -> f.getFileName().toString().matches("recall-stream-worker-.*\\.jar"))
                    .filter(f -> !f.getFileName().toString().endsWith("-tests.jar"))
                    .findFirst()
                    .orElseThrow(
                            () -> new AssertionError("build the stream worker first (mvn -pl stream-worker package)"));
        }
        String classPath = jar
                + java.io.File.pathSeparator
                + Files.readString(Repository.path("stream-worker/target/runtime-classpath.txt"))
                        .strip();
        Path cache = dir.resolve("stream-worker.aot");
        String main = "io.recall.worker.StreamWorkerApplication";
        runScript(dir, Map.of(), "docker/recall-aot-train", cache.toString(), "-cp", classPath, main);
        assertThat(cache).isNotEmptyFile();

        runScript(
                dir,
                Map.of("RECALL_AOT_CACHE", cache.toString(), "JAVA_OPTS", "-XX:AOTMode=on"),
                "docker/recall-java",
                "-Dspring.context.exit=onRefresh",
                "-cp",
                classPath,
                main,
                "--spring.kafka.bootstrap-servers=127.0.0.1:9",
                "--spring.kafka.admin.auto-create=false",
                "--recall.secrets.keys.k=" + io.recall.common.crypto.SecretCipher.generateKey(),
                "--recall.secrets.active-key-id=k",
                "--recall.storage.local-root=" + dir.resolve("storage"),
                "--server.port=0");
    }

    /** Runs one of the image's scripts and asserts that it ends with status 0 within two minutes. */
    private static void runScript(Path dir, Map<String, String> env, String script, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Repository.path(script).toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove("JAVA_OPTS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("RECALL_AOT_CACHE");
        pb.environment().putAll(env);
        // the scripts run `java` from PATH: the JDK running this test
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
        Process p = pb.start();
        // read on another thread, so that a script that never ends fails the wait below instead of blocking here
        var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        boolean ended = p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // recall-aot-train's JVM is a child
            p.destroyForcibly();
        }
        String out = output.get(10, java.util.concurrent.TimeUnit.SECONDS);
        String tail = out.length() > 20_000 ? out.substring(out.length() - 20_000) : out;
        assertThat(ended)
                .as(script + " did not end within two minutes:\n" + tail)
                .isTrue();
        assertThat(p.exitValue()).as(script + " failed:\n" + tail).isZero();
    }

    @Test
    void theRestoreWorkerIsBuiltLikeTheStreamWorker() {
        Dockerfile d = Dockerfile.parse(Repository.read("docker/Dockerfile.restore-worker"));
        List<String> entrypoint = d.runtime().entrypoint;
        assertThat(entrypoint.subList(3, entrypoint.size()))
                .containsExactly(
                        "-cp",
                        "/opt/recall/recall-restore-worker.jar:/opt/recall/lib/*",
                        "io.recall.restore.RestoreWorkerApplication");
        String stream = String.join(
                "\n",
                Dockerfile.parse(Repository.read("docker/Dockerfile.stream-worker"))
                        .stages
                        .getFirst()
                        .runs);
        assertThat(String.join("\n", d.stages.getFirst().runs))
                .isEqualTo(stream.replace("stream-worker", "restore-worker"));
    }

    @Test
    void theRestoreWorkerServiceMatchesItsDockerfileOnceItExists() {
        // the module holds the restore library today; its service (job intake) arrives with issue 5
        Assumptions.assumeTrue(
                Files.exists(Repository.path(
                        "restore-worker/src/main/java/io/recall/restore/RestoreWorkerApplication.java")),
                "the restore worker's application is not here yet");
        assertThat(Repository.read("restore-worker/pom.xml"))
                .contains("<artifactId>recall-restore-worker</artifactId>");
        assertThat(Repository.path("restore-worker/src/main/java/io/recall/restore/RestoreWorkerApplication.java"))
                .isRegularFile();
        assertThat(Repository.read("pom.xml")).contains("<module>restore-worker</module>");
    }

    @Test
    void theLauncherPassesTheFlagsTheTestsRunWith() {
        String launcher = Repository.read("docker/recall-java");
        Matcher m = Pattern.compile("<recall\\.test\\.jvm\\.args>(.*)</recall\\.test\\.jvm\\.args>")
                .matcher(Repository.read("pom.xml"));
        assertThat(m.find()).isTrue();
        Matcher packages = Pattern.compile("<avro\\.serializable\\.packages>(.*)</avro\\.serializable\\.packages>")
                .matcher(Repository.read("pom.xml"));
        assertThat(packages.find()).isTrue();
        String flags = m.group(1).replace("${avro.serializable.packages}", packages.group(1));
        assertThat(launcher.replace("\\\n", " ").replaceAll("\\s+", " "))
                .contains("exec java " + flags + " $aot ${JAVA_OPTS:-} \"$@\"");
        assertThat(Files.isExecutable(Repository.path("docker/recall-java"))).isTrue();
        assertThat(launcher).startsWith("#!/bin/sh\n");
    }

    @Test
    void everyRuntimeImageInstallsTheSameClientTools() {
        Map<String, String> runtimeSetup = Map.of(
                "coordinator", setup("coordinator"),
                "stream-worker", setup("stream-worker"),
                "restore-worker", setup("restore-worker"));
        assertThat(runtimeSetup.get("stream-worker")).isEqualTo(runtimeSetup.get("coordinator"));
        assertThat(runtimeSetup.get("restore-worker"))
                .isEqualTo(runtimeSetup.get("coordinator").replace("pg_dump\" --version", "pg_restore\" --version"));
    }

    private static String setup(String module) {
        return Dockerfile.parse(Repository.read("docker/Dockerfile." + module))
                .runtime()
                .runs
                .getFirst();
    }
}
