package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpaceCheckTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path root;

    @Test
    void acceptsSmallSizesOnAnExistingDirectory() {
        SpaceCheck.checkAvailableSpace(root, 0, "img-1");
        SpaceCheck.checkAvailableSpace(root, 4096, "img-1");
    }

    @Test
    void asksTheNearestExistingParentWhenTheDestinationDoesNotExistYet() {
        SpaceCheck.checkAvailableSpace(root.resolve("not/yet/there.raw"), 4096, "img-1");
    }

    @Test
    void refusesAnAbsurdSizeNamingImagePlaceNeededAndAvailable() {
        Path dest = root.resolve("missing-dir/volume.raw");

        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(dest, Long.MAX_VALUE, "img-42"))
                .isInstanceOf(NotEnoughSpaceException.class)
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("img-42")
                .hasMessageContaining(root.toString())
                .hasMessageContaining(Long.MAX_VALUE + " bytes needed")
                .hasMessageMatching(".*, \\d+ bytes available");
    }

    @Test
    void rejectsNegativeSizes() {
        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(root, -1, "img"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void exactlyOneGibFitsAOneGibVolume() {
        assertThat(SpaceCheck.checkVirtualSize(GIB, 1, "img")).isEqualTo(1);
    }

    @Test
    void oneByteOverAGibRoundsUpToTwoAndDoesNotFitOneGib() {
        assertThat(SpaceCheck.checkVirtualSize(GIB + 1, 2, "img")).isEqualTo(2);
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(GIB + 1, 1, "img-7"))
                .isInstanceOf(ImageTooBigException.class)
                .hasMessageContaining("img-7")
                .hasMessageContaining("2 GiB")
                .hasMessageContaining("1 GiB")
                .hasMessageContaining(String.valueOf(GIB + 1));
    }

    @Test
    void emptyImageNeedsNoSpaceAndOneByteNeedsAWholeGib() {
        assertThat(SpaceCheck.checkVirtualSize(0, 0, "img")).isZero();
        assertThat(SpaceCheck.checkVirtualSize(1, 1, "img")).isEqualTo(1);
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(1, 0, "img"))
                .isInstanceOf(ImageTooBigException.class);
    }

    @Test
    void hugeVirtualSizesRoundWithoutOverflow() {
        long maxGib = Long.MAX_VALUE / GIB + 1;
        assertThat(SpaceCheck.checkVirtualSize(Long.MAX_VALUE, Long.MAX_VALUE, "img")).isEqualTo(maxGib);
        assertThat(SpaceCheck.checkVirtualSize(Long.MAX_VALUE - 1, maxGib, "img")).isEqualTo(maxGib);
        assertThat(SpaceCheck.checkVirtualSize(Long.MAX_VALUE - GIB, maxGib, "img")).isEqualTo(maxGib - 1);
        assertThat(SpaceCheck.checkVirtualSize((Long.MAX_VALUE / GIB) * GIB, maxGib - 1, "img")).isEqualTo(maxGib - 1);
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(Long.MAX_VALUE, maxGib - 1, "img"))
                .isInstanceOf(ImageTooBigException.class)
                .hasMessageContaining(maxGib + " GiB");
    }

    @Test
    void rejectsNegativeVirtualOrVolumeSizes() {
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(-1, 1, "img"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("virtual size");
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(Long.MIN_VALUE, 1, "img"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpaceCheck.checkVirtualSize(1, -1, "img"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("volume size");
    }
}
