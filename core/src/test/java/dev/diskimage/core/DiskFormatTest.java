package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DiskFormatTest {

    @Test
    void acceptsGlanceAndQemuNamesAlike() {
        assertThat(DiskFormat.fromName("vhd")).isEqualTo(DiskFormat.VPC);
        assertThat(DiskFormat.fromName("vpc")).isEqualTo(DiskFormat.VPC);
        assertThat(DiskFormat.fromName("ploop")).isEqualTo(DiskFormat.PARALLELS);
        assertThat(DiskFormat.fromName("parallels")).isEqualTo(DiskFormat.PARALLELS);
        assertThat(DiskFormat.fromName(" QCOW2 ")).isEqualTo(DiskFormat.QCOW2);
        assertThat(DiskFormat.fromName("iso")).isEqualTo(DiskFormat.ISO);
        assertThat(DiskFormat.fromName("raw")).isEqualTo(DiskFormat.RAW);
    }

    @Test
    void fixupDiskFormatGivesQemuNames() {
        assertThat(DiskFormat.fromName("vhd").qemuName()).isEqualTo("vpc");
        assertThat(DiskFormat.fromName("ploop").qemuName()).isEqualTo("parallels");
        assertThat(DiskFormat.fromName("iso").qemuName()).isEqualTo("raw");
    }

    @Test
    void fromQemuImgDiskFormatGivesGlanceNames() {
        assertThat(DiskFormat.fromQemuName("vpc").glanceName()).isEqualTo("vhd");
        assertThat(DiskFormat.fromQemuName("parallels").glanceName()).isEqualTo("ploop");
        assertThat(DiskFormat.fromQemuName("raw")).isEqualTo(DiskFormat.RAW);
    }

    @Test
    void rejectsUnknownNames() {
        assertThatThrownBy(() -> DiskFormat.fromName("floppy")).hasMessageContaining("floppy");
        assertThatThrownBy(() -> DiskFormat.fromName(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isoAndRawShareQemusDriver() {
        assertThat(DiskFormat.ISO.sameQemuDriverAs(DiskFormat.RAW)).isTrue();
        assertThat(DiskFormat.VPC.sameQemuDriverAs(DiskFormat.VHDX)).isFalse();
    }
}
