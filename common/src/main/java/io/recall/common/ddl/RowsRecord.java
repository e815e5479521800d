package io.recall.common.ddl;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Part of a table's contents as the event trigger emitted them ({@value DdlCapture#ROWS_PREFIX}): a JSON header line,
 * then a JSON array of the rows, each as {@code to_json(row)} made it. Part 0 starts the table over: what the table
 * held before is replaced by the parts that follow.
 *
 * @param reason {@code rewritten} (the command rewrote the table, e.g. a type change with USING) or {@code published}
 *     (the table just joined the publication; its earlier rows never reached the stream)
 * @param piece which piece of the part's text this is, from 0: a part longer than one message is split
 * @param pieces how many pieces the part has
 * @param rowsJson the JSON array, as text (of a piece: a slice of it)
 */
public record RowsRecord(String schema, String name, int part, String reason, int piece, int pieces, String rowsJson) {

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Header(String schema, String name, int part, String reason, Integer piece, Integer pieces) {}

    public static RowsRecord parse(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        if (nl < 0) {
            throw new IllegalArgumentException("malformed rows record: no header line");
        }
        try {
            Header h = JSON.readValue(text.substring(0, nl), Header.class);
            return new RowsRecord(
                    h.schema(),
                    h.name(),
                    h.part(),
                    h.reason(),
                    h.piece() == null ? 0 : h.piece(),
                    h.pieces() == null ? 1 : h.pieces(),
                    text.substring(nl + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed rows record header: " + e.getMessage(), e);
        }
    }
}
