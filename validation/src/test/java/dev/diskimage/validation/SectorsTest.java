package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SectorsTest {
    @Test
    void roundsUpToWholeSectors() {
        assertThat(Sectors.roundUp(0)).isZero();
        assertThat(Sectors.roundUp(1)).isEqualTo(512);
        assertThat(Sectors.roundUp(511)).isEqualTo(512);
        assertThat(Sectors.roundUp(512)).isEqualTo(512);
        assertThat(Sectors.roundUp(513)).isEqualTo(1024);
        assertThat(Sectors.roundUp(Long.MAX_VALUE - 1024)).isEqualTo((Long.MAX_VALUE / 512 - 1) * 512);
    }

    @Test
    void logicalSectorsAre512Or4096Bytes() {
        assertThat(Sectors.SIZE).isEqualTo(512);
        assertThat(Sectors.isLogicalSectorSize(512)).isTrue();
        assertThat(Sectors.isLogicalSectorSize(4096)).isTrue();
        assertThat(Sectors.isLogicalSectorSize(1024)).isFalse();
        assertThat(Sectors.isLogicalSectorSize(0)).isFalse();
        assertThat(Sectors.isLogicalSectorSize(512L << 32)).isFalse();
    }
}
