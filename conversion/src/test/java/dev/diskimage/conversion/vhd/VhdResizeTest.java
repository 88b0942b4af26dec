package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdFormatException;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidationReport;
import dev.diskimage.validation.Verdict;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class VhdResizeTest {
    private static final long KIB = 1 << 10;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path journal() {
        return dir.resolve("resize.journal");
    }

    /** A dynamic disk with data in its first block (which sits right after the table) and elsewhere. */
    private Path dynamicWithData(long blockSize, long size) throws Exception {
        Path image = blockSize == 2 * MIB ? VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", Long.toString(size))
                : VhdTestImages.dynamic(dir, "disk.vhd", size, blockSize);
        VhdTestImages.qemuIo(image, "write -P 0x11 0 4096", "write -P 0x22 " + (blockSize + 512) + " 70000",
                "write -P 0x33 " + (size - 4096) + " 4096");
        return image;
    }

    @ParameterizedTest(name = "block size {0}, {1} -> {2}, moves {3}")
    @CsvSource({
        "524288, 4194304, 33554432, 0",    // 64 entries fit the table's one sector: no block moves
        "524288, 4194304, 104857600, 1",   // 200 entries need a second sector: block 0 moves
        "2097152, 6291456, 67108864, 0",
        "2097152, 6291456, 314572800, 1",  // 150 entries
    })
    void growsADynamicDiskKeepingItsContentAndReadingZerosBeyond(long blockSize, long size, long newSize,
            int moves) throws Exception {
        Path image = dynamicWithData(blockSize, size);
        Path before = VhdTestImages.raw(image);

        VhdResize.Result result = VhdResize.resize(image, newSize, journal());

        assertThat(result.oldVirtualSize()).isEqualTo(size);
        assertThat(result.virtualSize()).isEqualTo(newSize);
        assertThat(result.movedBlocks()).isEqualTo(moves);
        assertThat(result.tableEntries()).isEqualTo(newSize / blockSize);
        assertThat(journal()).doesNotExist();
        assertThat(VhdResize.size(image)).isEqualTo(newSize);
        assertSameContentZerosBeyond(before, image);
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(image, newSize, false);

        // The grown table takes new blocks: qemu writes past the old end and reads it back.
        VhdTestImages.qemuIo(image, "write -P 0x44 " + (newSize - 8192) + " 8192");
        try (VhdFile vhd = VhdFile.open(image)) {
            ByteBuffer tail = ByteBuffer.allocate(8192);
            vhd.read(newSize - 8192, tail);
            byte[] expected = new byte[8192];
            Arrays.fill(expected, (byte) 0x44);
            assertThat(tail.array()).isEqualTo(expected);
        }
        assertSameContentZerosBeyond(before, image, newSize - 8192);
    }

    @Test
    void roundsAGeometrySizedDiskUpToWhatItsGeometryExpresses() throws Exception {
        Path image = dir.resolve("chs.vhd");
        VhdTestImages.run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic", image.toString(), "6M");
        VhdTestImages.qemuIo(image, "write -P 0x5a 0 65536");
        Path before = VhdTestImages.raw(image);

        VhdResize.Result result = VhdResize.resize(image, 10 * MIB + 1, journal());

        assertThat(result.virtualSize()).isGreaterThanOrEqualTo(10 * MIB + 1).isLessThan(11 * MIB);
        assertSameContentZerosBeyond(before, image);
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(image, result.virtualSize(), false);
    }

    @Test
    void growsAFixedDiskByMovingItsFooter() throws Exception {
        Path image = VhdTestImages.create(dir, "fixed.vhd", "fixed", "on", "4M");
        VhdTestImages.qemuIo(image, "write -P 0x66 0 4194304");
        Path before = VhdTestImages.raw(image);

        VhdResize.Result result = VhdResize.resize(image, 6 * MIB, journal());

        assertThat(result.virtualSize()).isEqualTo(6 * MIB);
        assertThat(Files.size(image)).isEqualTo(6 * MIB + VhdFooter.SIZE);
        assertSameContentZerosBeyond(before, image);
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(image, 6 * MIB, false);
    }

    @Test
    void growsADifferencingDiskMovingItsLocatorDataOutOfTheTablesWay() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(parentPath, "write -P 0x77 0 4194304");
        Path childPath = dir.resolve("child.vhd");
        byte[] data = new byte[3000];
        Arrays.fill(data, (byte) 0x12);
        try (VhdFile parent = VhdFile.open(parentPath);
                VhdFile child = VhdFile.createDifferencing(childPath, parent, 512 * KIB)) {
            child.write(600 * KIB, ByteBuffer.wrap(data));
        }

        VhdResize.Result result = VhdResize.resize(childPath, 80 * MIB, journal());

        // The child's creator "dimg" is sized by geometry: the size rounds up to what it expresses.
        assertThat(result.virtualSize()).isBetween(80 * MIB, 81 * MIB);
        assertThat(result.tableEntries()).isEqualTo((result.virtualSize() + 512 * KIB - 1) / (512 * KIB));
        byte[] expected = new byte[(int) result.virtualSize()];
        Arrays.fill(expected, 0, (int) (4 * MIB), (byte) 0x77);
        System.arraycopy(data, 0, expected, (int) (600 * KIB), data.length);
        try (VhdFile parent = VhdFile.open(parentPath); VhdFile child = VhdFile.open(childPath)) {
            assertThat(child.parentLocators()).extracting(VhdFile.ParentLocator::path)
                    .containsExactly(parentPath.toAbsolutePath().toString(), ".\\parent.vhd");
            child.attachParent(parent);
            ByteBuffer all = ByteBuffer.allocate(expected.length);
            child.read(0, all);
            assertThat(Arrays.equals(all.array(), expected)).isTrue();
        }
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(childPath, result.virtualSize(), true);
    }

    @Test
    void shrinksOnlyWhenAllowedAndNoDataLiesBeyond() throws Exception {
        Path image = VhdTestImages.dynamic(dir, "disk.vhd", 8 * MIB, 512 * KIB);
        VhdTestImages.qemuIo(image, "write -P 0x11 0 4096", "write -P 0x22 " + (3 * MIB - 512) + " 512");
        byte[] original = Files.readAllBytes(image);
        Path before = VhdTestImages.raw(image);

        assertThatThrownBy(() -> VhdResize.resize(image, 4 * MIB, journal()))
                .isInstanceOf(VhdResizeException.class).hasMessageContaining(image.toString())
                .hasMessageContaining("must be allowed");
        assertThatThrownBy(() -> VhdResize.resize(image, 3 * MIB - 1024, journal(), true))
                .isInstanceOf(VhdResizeException.class).hasMessageContaining("holds data up to virtual offset "
                        + 3 * MIB);
        assertThat(Files.readAllBytes(image)).isEqualTo(original);
        assertThat(journal()).doesNotExist();

        VhdResize.Result result = VhdResize.resize(image, 3 * MIB, journal(), true);

        assertThat(result.virtualSize()).isEqualTo(3 * MIB);
        VhdTestImages.assertAcceptedByTheValidatorAndQemu(image, 3 * MIB, false);
        byte[] kept = Arrays.copyOf(Files.readAllBytes(before), (int) (3 * MIB));
        assertThat(Files.readAllBytes(VhdTestImages.raw(image))).isEqualTo(kept);
    }

    @Test
    void refusesSizesBeyondTheFormatsLimitAndFixedShrinks() throws Exception {
        Path image = VhdTestImages.dynamic(dir, "disk.vhd", 4 * MIB, 2 * MIB);
        Path fixed = VhdTestImages.create(dir, "fixed.vhd", "fixed", "on", "4M");
        byte[] original = Files.readAllBytes(image);
        byte[] originalFixed = Files.readAllBytes(fixed);

        assertThatThrownBy(() -> VhdResize.resize(image, VhdFooter.MAX_VIRTUAL_SIZE + 512, journal()))
                .isInstanceOf(VhdResizeException.class).hasMessageContaining("2040 GiB");
        assertThatThrownBy(() -> VhdResize.resize(image, -1, journal())).isInstanceOf(VhdResizeException.class);
        assertThatThrownBy(() -> VhdResize.resize(fixed, 2 * MIB, journal(), true))
                .isInstanceOf(VhdResizeException.class).hasMessageContaining("fixed disk");

        assertThat(Files.readAllBytes(image)).isEqualTo(original);
        assertThat(Files.readAllBytes(fixed)).isEqualTo(originalFixed);
        assertThat(journal()).doesNotExist();
    }

    @Test
    void growsToTheLargestSizeTheFormatAllows() throws Exception {
        Path image = VhdTestImages.dynamic(dir, "disk.vhd", 4 * MIB, 2 * MIB);

        VhdResize.Result result = VhdResize.resize(image, VhdFooter.MAX_VIRTUAL_SIZE, journal());

        assertThat(result.tableEntries()).isEqualTo(VhdFooter.MAX_VIRTUAL_SIZE / (2 * MIB));
        assertThat(VhdResize.size(image)).isEqualTo(VhdFooter.MAX_VIRTUAL_SIZE);
        // A 4 MiB table is read whole by the validator: above the default read budget of 1 MiB.
        ValidationReport report = ImageValidator.of(ImagePolicy.defaults().withReadBudget(8 * MIB))
                .validate(image, DiskFormat.VPC);
        assertThat(report.verdict()).as(report.toString()).isEqualTo(Verdict.ACCEPT);
        String info = VhdTestImages.run("qemu-img", "info", "-f", "vpc", "--output=json", image.toString());
        assertThat(info).contains("\"virtual-size\": " + VhdFooter.MAX_VIRTUAL_SIZE);
    }

    @Test
    void refusesTruncatedAndCorruptFilesWithoutTouchingThem() throws Exception {
        Path image = VhdTestImages.dynamic(dir, "disk.vhd", 4 * MIB, 2 * MIB);
        Path truncated = dir.resolve("truncated.vhd");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(image), (int) Files.size(image) - 100));
        Path corrupt = dir.resolve("corrupt.vhd");
        byte[] bytes = Files.readAllBytes(image);
        bytes[512 + 20] ^= 1;  // the dynamic header's table offset: its checksum no longer matches
        Files.write(corrupt, bytes);

        for (Path bad : List.of(truncated, corrupt)) {
            byte[] original = Files.readAllBytes(bad);
            assertThatThrownBy(() -> VhdResize.resize(bad, 8 * MIB, journal()))
                    .isInstanceOf(VhdCorruptException.class).hasMessageContaining(bad.toString());
            assertThatThrownBy(() -> VhdResize.size(bad)).isInstanceOf(VhdCorruptException.class);
            assertThat(Files.readAllBytes(bad)).isEqualTo(original);
        }
        assertThatThrownBy(() -> VhdResize.resize(corrupt, 8 * MIB, journal()))
                .isInstanceOfSatisfying(VhdCorruptException.class,
                        e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.BAD_CHECKSUM));
        assertThat(journal()).doesNotExist();
    }

    /** A crash after each phase, then recover: the old disk byte for byte, or the finished one. */
    @ParameterizedTest
    @EnumSource(VhdResize.Step.class)
    void recoverAfterACrashAtEachStepLeavesTheOldOrTheNewDisk(VhdResize.Step crashAfter) throws Exception {
        for (String kind : List.of("moving", "fixed", "shrink", "locators")) {
            Path image;
            long newSize;
            if (kind.equals("locators")) {
                // A differencing child: its locator data sits right after the table and moves.
                Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "4M");
                image = dir.resolve(kind + ".vhd");
                Files.deleteIfExists(image);
                try (VhdFile parent = VhdFile.open(parentPath);
                        VhdFile child = VhdFile.createDifferencing(image, parent, 512 * KIB)) {
                    child.write(MIB, ByteBuffer.wrap(new byte[] {1, 2, 3}));
                }
                newSize = 80 * MIB;
            } else if (kind.equals("fixed")) {
                image = VhdTestImages.create(dir, kind + ".vhd", "fixed", "on", "4M");
                VhdTestImages.qemuIo(image, "write -P 0x66 0 4194304");
                newSize = 6 * MIB;
            } else {
                image = VhdTestImages.dynamic(dir, kind + ".vhd", 4 * MIB, 512 * KIB);
                VhdTestImages.qemuIo(image, "write -P 0x11 0 4096", "write -P 0x22 1048576 70000");
                newSize = kind.equals("moving") ? 100 * MIB : 2 * MIB;
            }
            byte[] original = Files.readAllBytes(image);
            Path reference = dir.resolve(kind + ".reference.vhd");
            Files.copy(image, reference, StandardCopyOption.REPLACE_EXISTING);
            VhdResize.resize(reference, newSize, dir.resolve("reference.journal"), true);
            class Crash extends RuntimeException {
            }

            assertThatThrownBy(() -> VhdResize.resize(image, newSize, journal(), true, step -> {
                if (step == crashAfter) {
                    throw new Crash();
                }
            })).isInstanceOf(Crash.class);
            assertThat(journal()).exists();
            assertThatThrownBy(() -> VhdResize.resize(image, newSize, journal(), true))
                    .isInstanceOf(VhdResizeException.class).hasMessageContaining("recover it first");

            VhdResize.Recovery recovery = VhdResize.recover(image, journal());

            assertThat(journal()).doesNotExist();
            if (crashAfter == VhdResize.Step.FOOTER_WRITTEN) {
                assertThat(recovery).isEqualTo(VhdResize.Recovery.COMPLETED);
                assertThat(Files.readAllBytes(image)).as(kind).isEqualTo(Files.readAllBytes(reference));
            } else {
                assertThat(recovery).isEqualTo(VhdResize.Recovery.ROLLED_BACK);
                assertThat(Files.readAllBytes(image)).as(kind).isEqualTo(original);
            }
            assertThat(VhdResize.recover(image, journal())).isEqualTo(VhdResize.Recovery.NOTHING_TO_DO);
        }
    }

    @Test
    void aDamagedOrForeignJournalIsRefusedAndTheDiskLeftAlone() throws Exception {
        Path image = VhdTestImages.dynamic(dir, "disk.vhd", 4 * MIB, 512 * KIB);
        class Crash extends RuntimeException {
        }
        assertThatThrownBy(() -> VhdResize.resize(image, 100 * MIB, journal(), false, step -> {
            if (step == VhdResize.Step.TABLES_WRITTEN) {
                throw new Crash();
            }
        })).isInstanceOf(Crash.class);
        byte[] interrupted = Files.readAllBytes(image);
        Path other = VhdTestImages.dynamic(dir, "other.vhd", 4 * MIB, 512 * KIB);
        byte[] otherBytes = Files.readAllBytes(other);
        assertThatThrownBy(() -> VhdResize.recover(other, journal())).isInstanceOf(VhdResizeException.class)
                .hasMessageContaining("not the disk the resize journal");
        assertThat(Files.readAllBytes(other)).isEqualTo(otherBytes);
        assertThat(journal()).exists();
        try (RandomAccessFile file = new RandomAccessFile(journal().toFile(), "rw")) {
            file.seek(40);
            int b = file.read();
            file.seek(40);
            file.write(b ^ 0xFF);
        }

        assertThatThrownBy(() -> VhdResize.recover(image, journal())).isInstanceOf(VhdResizeException.class)
                .hasMessageContaining(journal().toString()).hasMessageContaining("CRC-32C");
        assertThat(Files.readAllBytes(image)).isEqualTo(interrupted);
        assertThat(journal()).exists();
    }

    /** qemu's raw view of {@code image} starts with {@code before} and is zero beyond. */
    private static void assertSameContentZerosBeyond(Path before, Path image) throws Exception {
        assertSameContentZerosBeyond(before, image, Long.MAX_VALUE);
    }

    /** As above, comparing only up to {@code limit} (where a later write begins). */
    private static void assertSameContentZerosBeyond(Path before, Path image, long limit) throws Exception {
        Path raw = VhdTestImages.raw(image);
        byte[] old = Files.readAllBytes(before);
        try (RandomAccessFile now = new RandomAccessFile(raw.toFile(), "r")) {
            byte[] head = new byte[old.length];
            now.readFully(head);
            assertThat(Arrays.equals(head, old)).as("content before the old end").isTrue();
            byte[] chunk = new byte[1 << 20];
            long position = old.length;
            long end = Math.min(now.length(), limit);
            while (position < end) {
                int n = (int) Math.min(chunk.length, end - position);
                now.readFully(chunk, 0, n);
                for (int i = 0; i < n; i++) {
                    if (chunk[i] != 0) {
                        throw new AssertionError("non-zero byte at " + (position + i) + " in the new space");
                    }
                }
                position += n;
            }
        }
        Files.delete(raw);
    }

}
