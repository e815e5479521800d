package io.recall.worker.capture.pgoutput;

import java.util.HexFormat;

/** Renders byte arrays for {@code toString}: hex, cut short so a large value cannot flood a log line. */
final class HexBytes {

    private static final int MAX_SHOWN = 64;

    private HexBytes() {}

    static String summary(byte[] bytes) {
        if (bytes.length <= MAX_SHOWN) {
            return "0x" + HexFormat.of().formatHex(bytes);
        }
        return "0x" + HexFormat.of().formatHex(bytes, 0, MAX_SHOWN) + "... (" + bytes.length + " bytes)";
    }
}
