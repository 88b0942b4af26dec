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
                .hasMessageMatching(".*, \\d+ bytes available")
                .isInstanceOfSatisfying(NotEnoughSpaceException.class, e -> {
                    assertThat(e.needed()).isEqualTo(Long.MAX_VALUE);
                    assertThat(e.path()).isEqualTo(dest);
                    assertThat(e.mountPoint()).isAbsolute();
                    assertThat(root.toAbsolutePath()).startsWith(e.mountPoint());
                });
    }

    private static FileSystemSpace fileSystemWith(long usableBytes) {
        return existing -> new FileSystemSpace.Usage(Path.of("/mnt/volumes"), usableBytes);
    }

    @Test
    void exactlyEnoughSpaceIsEnough() {
        SpaceCheck.checkAvailableSpace(root, 1000, 24, "img-1", fileSystemWith(1024));
        SpaceCheck.checkAvailableSpace(root, 0, 0, "img-1", fileSystemWith(0));
    }

    @Test
    void oneByteShortIsRefusedWithNeededAvailableAndMountPoint() {
        Path dest = root.resolve("volume.raw");

        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(dest, 1000, 24, "img-9", fileSystemWith(1023)))
                .isInstanceOfSatisfying(NotEnoughSpaceException.class, e -> {
                    assertThat(e.needed()).isEqualTo(1024);
                    assertThat(e.available()).isEqualTo(1023);
                    assertThat(e.mountPoint()).isEqualTo(Path.of("/mnt/volumes"));
                    assertThat(e.path()).isEqualTo(dest);
                    assertThat(e.image()).isEqualTo("img-9");
                })
                .hasMessageContaining("img-9")
                .hasMessageContaining(dest.toString())
                .hasMessageContaining("/mnt/volumes")
                .hasMessageContaining("1024 bytes needed, 1023 bytes available");
    }

    @Test
    void aNeedBeyondWhatALongCountsIsRefusedNotWrappedNegative() {
        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(root, Long.MAX_VALUE - 10, 11, "img-3",
                        fileSystemWith(Long.MAX_VALUE)))
                .isInstanceOfSatisfying(NotEnoughSpaceException.class, e -> {
                    assertThat(e.needed()).isEqualTo(Long.MAX_VALUE);
                    assertThat(e.available()).isEqualTo(Long.MAX_VALUE);
                })
                .hasMessageContaining("at least " + Long.MAX_VALUE + " bytes needed");
    }

    @Test
    void aFileSystemThatCannotBeAskedIsATypedErrorNamingThePlace() {
        FileSystemSpace broken = existing -> {
            throw new java.nio.file.AccessDeniedException(existing.toString());
        };

        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(root.resolve("x"), 1, 0, "img-5", broken))
                .isInstanceOfSatisfying(ImageIoException.class, e -> assertThat(e.path()).isEqualTo(root))
                .hasMessageContaining("img-5")
                .hasMessageContaining("permission denied");
    }

    @Test
    void realFileSystemReportsWhereItIsMounted() throws java.io.IOException {
        FileSystemSpace.Usage usage = FileSystemSpace.SYSTEM.usageOf(root);

        assertThat(root.toRealPath()).startsWith(usage.mountPoint());
        assertThat(java.nio.file.Files.getFileStore(usage.mountPoint())).isEqualTo(java.nio.file.Files.getFileStore(root));
        assertThat(usage.usableBytes()).isNotNegative();
    }

    @Test
    void rejectsNegativeSizes() {
        assertThatThrownBy(() -> SpaceCheck.checkAvailableSpace(root, 1, -1, "img"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserve");
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
                .isInstanceOfSatisfying(ImageTooBigException.class, e -> {
                    assertThat(e.image()).isEqualTo("img-7");
                    assertThat(e.virtualSize()).isEqualTo(GIB + 1);
                    assertThat(e.limit()).isEqualTo(GIB);
                })
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
