package io.recall.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.schemas.source.SourceConnection;
import io.recall.schemas.source.SourceDesiredState;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceDesiredStateTest {

    @Test
    void roundTripsThroughAvroBinaryEncoding() throws Exception {
        SourceDesiredState state = SourceDesiredState.newBuilder()
                .setSourceId("6c1f3e1a-8e0e-4a63-9a0b-7c5d2f1e9b10")
                .setName("orders")
                .setEpoch(3)
                .setPaused(false)
                .setConnection(SourceConnection.newBuilder()
                        .setHost("db.internal")
                        .setPort(5432)
                        .setDatabase("app")
                        .setUser("recall")
                        .setPasswordCiphertext("v1:k1:AAAA")
                        .setOptions(Map.of("sslmode", "verify-full"))
                        .build())
                .setTables(List.of("public.orders", "public.customers"))
                .setSlotName("recall_6c1f3e1a8e0e4a63")
                .setPublicationName("recall_6c1f3e1a8e0e4a63")
                .build();

        ByteBuffer bytes = state.toByteBuffer();
        SourceDesiredState back = SourceDesiredState.fromByteBuffer(bytes);

        assertThat(back).isEqualTo(state);
        assertThat(back.getBaseBackupRequestId()).isNull();
        assertThat(back.getConnection().getOptions()).containsEntry("sslmode", "verify-full");
    }
}
