package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CopyTextTest {

    private static String row(Object... values) {
        StringBuilder b = new StringBuilder();
        CopyText.appendRow(b, values);
        return b.toString();
    }

    @Test
    void plainValuesPassUnchangedAndNullIsBackslashN() {
        assertThat(row("1", "hello world", null, "")).isEqualTo("1\thello world\t\\N\t\n");
    }

    @Test
    void delimiterNewlinesAndBackslashesAreEscaped() {
        assertThat(row("a\tb", "line1\nline2\r", "C:\\path", "\\N", "\\."))
                .isEqualTo("a\\tb\tline1\\nline2\\r\tC:\\\\path\t\\\\N\t\\\\.\n");
    }

    @Test
    void otherCharactersStandForThemselves() {
        assertThat(row("{\"k\": \"v\"}", "é😀", "{1,NULL,\"x y\"}", "\\x00ff"))
                .isEqualTo("{\"k\": \"v\"}\té😀\t{1,NULL,\"x y\"}\t\\\\x00ff\n");
    }
}
