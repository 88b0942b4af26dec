package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FindingTest {

    @Test
    void everyFindingMessageIsSanitized() {
        Finding finding = Finding.reject(FindingCode.QCOW2_BACKING_FILE, 0, "backing '\u001b]0;pwned\u0007'");

        assertThat(finding.message()).isEqualTo("backing '\\x1b]0;pwned\\x07'");
    }

    @Test
    void severityDecidesWhetherAFindingRejects() {
        assertThat(Finding.reject(FindingCode.TRUNCATED, 7, "cut").rejects()).isTrue();
        assertThat(Finding.warn(FindingCode.QCOW2_DIRTY, Finding.NO_OFFSET, "dirty").rejects()).isFalse();
    }

    @Test
    void offsetsBelowNoOffsetAreRefused() {
        assertThatThrownBy(() -> Finding.reject(FindingCode.TRUNCATED, -2, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-2");
    }

    @Test
    void anUnacceptableImageIsAnImageExceptionNamingEveryFinding() {
        ImageUnacceptableException e = new ImageUnacceptableException("disk.img",
                List.of(Finding.reject(FindingCode.QCOW2_BACKING_FILE, 0, "backing 'x'")));

        assertThat(e).isInstanceOf(ImageException.class);
        assertThat(e.image()).isEqualTo("disk.img");
        assertThat(e.getMessage()).isEqualTo("image disk.img is unacceptable: QCOW2_BACKING_FILE (backing 'x')");
    }
}
