package io.recall.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker's ports: chosen once, kept in the data directory, changed only when asked. */
class EmbeddedKafkaListenersTest {

    private static final EmbeddedKafka.Listeners ANY = new EmbeddedKafka.Listeners(0, 0);

    @Test
    void firstStartChoosesTwoFreePortsAndLaterStartsReuseThem(@TempDir Path data) {
        Path file = data.resolve(EmbeddedKafka.LISTENERS_FILE);

        EmbeddedKafka.Listeners first = EmbeddedKafka.listeners(file, ANY);

        assertThat(first.port()).isPositive().isNotEqualTo(first.controllerPort());
        assertThat(first.controllerPort()).isPositive();
        assertThat(file).content().contains("port=" + first.port(), "controller.port=" + first.controllerPort());
        assertThat(EmbeddedKafka.listeners(file, ANY)).isEqualTo(first);
    }

    @Test
    void aRequestedPortWinsAndIsKeptForTheNextStart(@TempDir Path data) throws Exception {
        Path file = data.resolve(EmbeddedKafka.LISTENERS_FILE);
        EmbeddedKafka.Listeners first = EmbeddedKafka.listeners(file, ANY);
        int wanted = freePort();

        EmbeddedKafka.Listeners moved = EmbeddedKafka.listeners(file, new EmbeddedKafka.Listeners(wanted, 0));

        assertThat(moved).isEqualTo(new EmbeddedKafka.Listeners(wanted, first.controllerPort()));
        assertThat(EmbeddedKafka.listeners(file, ANY)).isEqualTo(moved);
    }

    @Test
    void aKeptPortHeldByAnotherProcessFailsNamingTheSetting(@TempDir Path data) throws Exception {
        Path file = data.resolve(EmbeddedKafka.LISTENERS_FILE);
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Files.writeString(file, "port=" + held.getLocalPort() + "\ncontroller.port=" + freePort() + "\n");

            assertThatThrownBy(() -> EmbeddedKafka.listeners(file, ANY))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + held.getLocalPort())
                    .hasMessageContaining("--recall.kafka.port=");
        }
    }

    @Test
    void aDamagedFileFailsInsteadOfMovingTheBroker(@TempDir Path data) throws Exception {
        Path file = data.resolve(EmbeddedKafka.LISTENERS_FILE);
        Files.writeString(file, "port=ninety\n");

        assertThatThrownBy(() -> EmbeddedKafka.listeners(file, ANY))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port=ninety is not a port");
    }

    @Test
    void theTwoListenersCannotShareAPort(@TempDir Path data) throws Exception {
        int port = freePort();

        assertThatThrownBy(() -> EmbeddedKafka.listeners(
                        data.resolve(EmbeddedKafka.LISTENERS_FILE), new EmbeddedKafka.Listeners(port, port)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("must differ");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
