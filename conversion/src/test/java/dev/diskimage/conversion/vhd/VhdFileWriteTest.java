package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VhdFileWriteTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** Writes at odd offsets and lengths: inside a sector, across sectors, blocks and the end. */
    private static final long[][] WRITES = {
        {0, 1}, {700, 300}, {511, 2}, {2 * MIB - 100, 300}, {3 * MIB + 4096, 65536}, {5 * MIB + 17, 1_000_000},
        {6 * MIB - 1, 1}, {710, 5},
    };

    @Test
    void writesADynamicDiskThatQemuReadsBack() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "6M");
        VhdTestImages.qemuIo(image, "write -P 0x5a 1048576 4096");
        byte[] expected = Files.readAllBytes(VhdTestImages.raw(image));

        try (VhdFile vhd = VhdFile.openForWriting(image)) {
            applyWrites(vhd, expected, 1);
            assertThat(read(vhd)).isEqualTo(expected);
        }

        assertThat(Files.readAllBytes(VhdTestImages.raw(image))).isEqualTo(expected);
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(image, 6L * MIB, false);
        try (VhdFile reopened = VhdFile.open(image)) {
            assertThat(reopened.allocatedBlocks()).isEqualTo(3);
            assertThat(read(reopened)).isEqualTo(expected);
        }
    }

    @Test
    void writesAFixedDiskInPlace() throws Exception {
        Path image = dir.resolve("fixed.vhd");
        VhdTestImages.run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on",
                image.toString(), "6M");
        byte[] expected = new byte[6 * MIB];
        long size = Files.size(image);

        try (VhdFile vhd = VhdFile.openForWriting(image)) {
            applyWrites(vhd, expected, 2);
        }

        assertThat(Files.size(image)).isEqualTo(size);
        assertThat(Files.readAllBytes(VhdTestImages.raw(image))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(longs = {512 << 10, 2 << 20})
    void createsADifferencingChildThatShowsItsParentAndTakesWrites(long blockSize) throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "6M");
        VhdTestImages.qemuIo(parentPath, "write -P 0xab 0 6291456");
        byte[] expected = Files.readAllBytes(VhdTestImages.raw(parentPath));
        Path childPath = dir.resolve("child.vhd");

        try (VhdFile parent = VhdFile.open(parentPath);
                VhdFile child = VhdFile.createDifferencing(childPath, parent, blockSize)) {
            assertThat(child.diskType()).isEqualTo(VhdDiskType.DIFFERENCING);
            assertThat(child.parentUniqueId()).contains(parent.uniqueId());
            assertThat(child.parentName()).contains("parent.vhd");
            assertThat(child.blockSize()).hasValue(blockSize);
            assertThat(child.virtualSize()).isEqualTo(parent.virtualSize());
            assertThat(child.allocatedBlocks()).isZero();
            assertThat(read(child)).isEqualTo(expected);

            assertThat(child.timestamp()).isBetween(java.time.Instant.now().minusSeconds(60),
                    java.time.Instant.now().plusSeconds(5));
            assertThat(child.parentTimestamp()).contains(Files.getLastModifiedTime(parentPath).toInstant()
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS));

            applyWrites(child, expected, 3);

            assertThat(child.allocatedBlocks()).isEqualTo(touchedBlocks(blockSize, 6L * MIB));

            assertThat(read(child)).isEqualTo(expected);
            // A sector written in part keeps the parent's bytes around the write.
            assertThat(expected[699]).isEqualTo((byte) 0xab);
            List<VhdSectorBitmap.Run> runs = child.sectorRuns(0);
            assertThat(runs.get(0)).isEqualTo(new VhdSectorBitmap.Run(0, 2, true));
            assertThat(runs.get(1).present()).isFalse();
        }
        try (VhdFile parent = VhdFile.open(parentPath); VhdFile child = VhdFile.open(childPath)) {
            assertThat(child.parentLocators()).extracting(VhdFile.ParentLocator::platform)
                    .containsExactly("W2ku", "W2ru");
            assertThat(child.parentLocators().get(0).path()).isEqualTo(parentPath.toAbsolutePath().toString());
            assertThat(child.parentLocators().get(1).path()).isEqualTo(".\\parent.vhd");
            child.attachParent(parent);
            assertThat(read(child)).isEqualTo(expected);
        }
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(childPath, 6L * MIB, true);
    }

    @Test
    void aChildOfAChildReadsThroughTheWholeChain() throws Exception {
        Path basePath = VhdTestImages.create(dir, "base.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(basePath, "write -P 0x01 0 4194304");
        byte[] expected = Files.readAllBytes(VhdTestImages.raw(basePath));
        Path nested = Files.createDirectories(dir.resolve("nested"));

        try (VhdFile base = VhdFile.open(basePath);
                VhdFile middle = VhdFile.createDifferencing(dir.resolve("middle.vhd"), base);
                VhdFile top = VhdFile.createDifferencing(nested.resolve("top.vhd"), middle)) {
            write(middle, 1000, 3000, (byte) 0x02, expected);
            write(top, 2000, 5000, (byte) 0x03, expected);
            write(top, 3 * MIB, 10, (byte) 0x04, expected);

            assertThat(read(top)).isEqualTo(expected);
            assertThat(top.parentLocators().get(1).path()).isEqualTo(".\\..\\middle.vhd");
        }
    }

    @Test
    void refusesToCreateOverAnExistingFileOrWithABadBlockSize() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "2M");
        Path existing = Files.writeString(dir.resolve("existing.vhd"), "keep");

        try (VhdFile parent = VhdFile.open(parentPath)) {
            assertThatThrownBy(() -> VhdFile.createDifferencing(existing, parent)).isInstanceOf(VhdException.class)
                    .hasMessageContaining("already exists");
            assertThatThrownBy(() -> VhdFile.createDifferencing(dir.resolve("odd.vhd"), parent, 3000))
                    .isInstanceOf(VhdException.class).hasMessageContaining("power of two");
        }
        assertThat(Files.readString(existing)).isEqualTo("keep");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("parent.vhd",
                    "existing.vhd");
        }
    }

    @Test
    void refusesWritesToAReadOnlyFileOrBeyondTheDisk() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThatThrownBy(() -> vhd.write(0, ByteBuffer.allocate(1))).isInstanceOf(IllegalStateException.class);
        }
        try (VhdFile vhd = VhdFile.openForWriting(image)) {
            assertThatThrownBy(() -> vhd.write(2 * MIB - 1, ByteBuffer.allocate(2)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> vhd.write(-1, ByteBuffer.allocate(1)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> vhd.write(2 * MIB + 1, ByteBuffer.allocate(0)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            vhd.write(2 * MIB, ByteBuffer.allocate(0));
            vhd.write(2 * MIB - 512, ByteBuffer.allocate(512));
            assertThat(vhd.allocatedBlocks()).isEqualTo(1);
        }
    }

    // ----------------------------------------------------------------------------------------


    private static void applyWrites(VhdFile vhd, byte[] expected, long seed) {
        Random random = new Random(seed);
        for (long[] write : WRITES) {
            int offset = (int) write[0];
            int length = (int) Math.min(write[1], expected.length - offset);
            byte[] data = new byte[length];
            random.nextBytes(data);
            ByteBuffer src = ByteBuffer.wrap(data);
            vhd.write(offset, src);
            assertThat(src.hasRemaining()).isFalse();
            System.arraycopy(data, 0, expected, offset, length);
        }
    }

    /** The number of blocks {@link #WRITES} touch on a disk of {@code size} bytes. */
    private static long touchedBlocks(long blockSize, long size) {
        java.util.Set<Long> blocks = new java.util.HashSet<>();
        for (long[] write : WRITES) {
            long end = Math.min(write[0] + write[1], size);
            for (long block = write[0] / blockSize; block <= (end - 1) / blockSize; block++) {
                blocks.add(block);
            }
        }
        return blocks.size();
    }

    private static void write(VhdFile vhd, int offset, int length, byte value, byte[] expected) {
        byte[] data = new byte[length];
        Arrays.fill(data, value);
        vhd.write(offset, ByteBuffer.wrap(data));
        System.arraycopy(data, 0, expected, offset, length);
    }

    private static byte[] read(VhdFile vhd) {
        ByteBuffer all = ByteBuffer.allocate((int) vhd.virtualSize());
        assertThat(vhd.read(0, all)).isEqualTo(all.capacity());
        return all.array();
    }
}
