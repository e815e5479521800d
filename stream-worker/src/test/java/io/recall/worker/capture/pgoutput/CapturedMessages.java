package io.recall.worker.capture.pgoutput;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * Real pgoutput messages captured from PostgreSQL 15 (see {@code pgoutput/pg15/capture.sql}), loaded from
 * {@code <name> <hex>} lines in capture order.
 */
final class CapturedMessages {

    private final SequencedMap<String, byte[]> messages;

    private CapturedMessages(SequencedMap<String, byte[]> messages) {
        this.messages = messages;
    }

    static CapturedMessages load(String resource) {
        String path = "/pgoutput/pg15/" + resource;
        try (InputStream in = CapturedMessages.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path);
            }
            SequencedMap<String, byte[]> messages = new LinkedHashMap<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                if (parts.length != 2 || messages.put(parts[0], HexFormat.of().parseHex(parts[1])) != null) {
                    throw new IllegalStateException("bad fixture line in " + path + ": " + line);
                }
            }
            return new CapturedMessages(messages);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of the message called {@code name}. */
    byte[] bytes(String name) {
        byte[] bytes = messages.get(name);
        if (bytes == null) {
            throw new IllegalArgumentException("no captured message " + name);
        }
        return bytes.clone();
    }

    /** The message called {@code name}, decoded. */
    PgOutputMessage decode(String name) {
        return PgOutputDecoder.decode(bytes(name));
    }

    /** The message called {@code name}, decoded and cast to {@code type}. */
    <T extends PgOutputMessage> T decode(String name, Class<T> type) {
        return type.cast(decode(name));
    }

    List<String> names() {
        return List.copyOf(messages.keySet());
    }

    /** Every message in capture order; the arrays are the loaded ones, so callers must not modify them. */
    SequencedMap<String, byte[]> all() {
        return Collections.unmodifiableSequencedMap(messages);
    }
}
