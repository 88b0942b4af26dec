package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class QemuImgVersionTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\\nCopyright (c) 2003-2022 Fabrice Bellard|7.2.22",
        "qemu-img version 2.10.0|2.10.0",
        "qemu-img version 1.5|1.5.0",
        "qemu-img version 6.2.0 (Debian 1:6.2+dfsg-2ubuntu6.15)|6.2.0",
        "qemu-img version 8.2.0 (qemu-8.2.0-1.fc40)|8.2.0",
        "qemu-img version 9.0.50 (v9.0.0-1234-gabcdef)|9.0.50",
        "qemu-img version 10.1.0-rc2|10.1.0",
        "  qemu-img version 4.2.1 (qemu-kvm-4.2.0-59.module+el8.5.0)|4.2.1",
        "warning: something odd\\nqemu-img version 5.1.0|5.1.0",
    })
    void parsesVersionOutput(String output, String expected) {
        assertThat(QemuImgVersion.parseVersionOutput(output.replace("\\n", "\n")))
                .isEqualTo(QemuImgVersion.of(expected));
    }

    @Test
    void rejectsOutputWithoutAVersion() {
        assertThatThrownBy(() -> QemuImgVersion.parseVersionOutput("qemu-img: unknown option"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("unknown option");
        assertThatThrownBy(() -> QemuImgVersion.parseVersionOutput("qemu-img version x.y"))
                .isInstanceOf(ImageException.class);
        assertThatThrownBy(() -> QemuImgVersion.of("7")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void comparesNumericallyNotAsText() {
        assertThat(QemuImgVersion.of("2.10")).isGreaterThan(QemuImgVersion.of("2.9.9"));
        assertThat(QemuImgVersion.of("10.0")).isGreaterThan(QemuImgVersion.of("9.2.0"));
        assertThat(QemuImgVersion.of("7.2.22").isAtLeast(QemuImgVersion.of("7.2"))).isTrue();
        assertThat(QemuImgVersion.of("2.9").isAtLeast(QemuImgVersion.FORCE_SHARE)).isFalse();
        assertThat(QemuImgVersion.of("7.2.0")).isEqualByComparingTo(QemuImgVersion.of("7.2"));
    }

    @Test
    void installedQemuImgReportsItsVersionAndEnforcesAMinimum() {
        QemuImg qemu = QemuImg.system();

        assertThat(qemu.version()).isGreaterThanOrEqualTo(QemuImgVersion.of("7.2"));
        qemu.requireVersion(QemuImgVersion.FORCE_SHARE);
        assertThatThrownBy(() -> qemu.requireVersion(QemuImgVersion.of("99.1")))
                .isInstanceOfSatisfying(QemuImgVersionException.class, e -> {
                    assertThat(e.found()).isEqualTo(qemu.version());
                    assertThat(e.required()).isEqualTo(QemuImgVersion.of("99.1"));
                })
                .hasMessageContaining(qemu.version().toString())
                .hasMessageContaining("99.1.0");
    }
}
