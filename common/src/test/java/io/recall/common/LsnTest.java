package io.recall.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesAndPrintsPostgresForm() {
        Lsn lsn = Lsn.parse("16/3002D50");
        assertThat(lsn.value()).isEqualTo(0x16_03002D50L);
        assertThat(lsn).hasToString("16/3002D50");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.INVALID);
        assertThat(Lsn.INVALID.isValid()).isFalse();
    }

    @Test
    void ordersUnsignedAndPadsForSorting() {
        Lsn small = Lsn.parse("0/FFFFFFFF");
        Lsn big = Lsn.parse("1/0");
        Lsn huge = Lsn.parse("FFFFFFFF/0");
        assertThat(small).isLessThan(big);
        assertThat(big).isLessThan(huge);
        assertThat(huge.value()).isNegative(); // unsigned ordering must still put it last
        assertThat(small.toPaddedHex()).isEqualTo("00000000FFFFFFFF");
        assertThat(small.toPaddedHex()).isLessThan(big.toPaddedHex());
    }

    @Test
    void rejectsGarbage() {
        assertThatThrownBy(() -> Lsn.parse("16-3002D50")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("1/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("G/1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("100000000/1")).isInstanceOf(IllegalArgumentException.class);
    }
}
