package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.vhd.VhdChecksum;
import dev.diskimage.core.vhd.VhdDiskType;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import dev.diskimage.core.vhd.VhdFormatException;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.core.vhd.VhdSectorBitmap;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VhdFileTest {

    private static final int MIB = 1 << 20;
    private static final int HEADER = 512;
    private static final int TABLE = 1536;

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"dynamic, off", "dynamic, on", "fixed, off", "fixed, on"})
    void readsWhatQemuWroteAsQemuConvertsIt(String subformat, String forceSize) throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", subformat, forceSize, "7M");
        VhdTestImages.qemuIo(image, "write -P 0xab 0 512", "write -P 0xcd 1048064 1536", "write -P 0x11 4194304 65536",
                "write -P 0x5a 6291456 512");

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThat(vhd.diskType()).isEqualTo(subformat.equals("fixed") ? VhdDiskType.FIXED : VhdDiskType.DYNAMIC);
            assertThat(vhd.virtualSize()).isEqualTo(Files.size(VhdTestImages.raw(image)));
            assertThat(readAll(vhd)).isEqualTo(Files.readAllBytes(VhdTestImages.raw(image)));
            assertThat(vhd.parentUniqueId()).isEmpty();
            assertThat(vhd.parentLocators()).isEmpty();
            if (subformat.equals("dynamic")) {
                assertThat(vhd.blockSize()).hasValue(2L * MIB);
                assertThat(vhd.blockCount()).isEqualTo(4);
                assertThat(vhd.allocatedBlocks()).isEqualTo(3);
                assertThat(vhd.isAllocated(1)).isFalse();
                assertThat(vhd.sectorRuns(1)).containsExactly(new VhdSectorBitmap.Run(0, 4096, false));
                // qemu marks every sector of a block it allocates.
                assertThat(vhd.sectorRuns(0)).containsExactly(new VhdSectorBitmap.Run(0, 4096, true));
            } else {
                assertThat(vhd.blockSize()).isEmpty();
                assertThat(vhd.blockCount()).isZero();
            }
        }
    }

    @Test
    void readsAcrossBlockBoundariesAtOddOffsetsAndStopsAtTheEnd() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "6M");
        VhdTestImages.qemuIo(image, "write -P 0x77 2096640 1024", "write -P 0x33 6290944 512");
        byte[] expected = Files.readAllBytes(VhdTestImages.raw(image));

        try (VhdFile vhd = VhdFile.open(image)) {
            ByteBuffer buffer = ByteBuffer.allocate(3000);
            assertThat(vhd.read(2096000, buffer)).isEqualTo(3000);
            assertThat(buffer.array()).isEqualTo(Arrays.copyOfRange(expected, 2096000, 2099000));

            ByteBuffer direct = ByteBuffer.allocateDirect(4096);
            direct.position(100);
            assertThat(vhd.read(expected.length - 1000, direct)).isEqualTo(1000);
            assertThat(direct.position()).isEqualTo(1100);
            byte[] tail = new byte[1000];
            direct.get(100, tail);
            assertThat(tail).isEqualTo(Arrays.copyOfRange(expected, expected.length - 1000, expected.length));
            assertThat(vhd.read(expected.length, ByteBuffer.allocate(10))).isZero();
            assertThatThrownBy(() -> vhd.read(expected.length + 1, ByteBuffer.allocate(10)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void readsAQemuImageConvertedFromRawData() throws Exception {
        Path source = dir.resolve("source.raw");
        byte[] data = new byte[5 * MIB];
        new java.util.Random(15).nextBytes(data);
        Arrays.fill(data, 2 * MIB, 4 * MIB, (byte) 0);
        Files.write(source, data);
        Path image = dir.resolve("converted.vhd");
        VhdTestImages.run("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "force_size=on", source.toString(),
                image.toString());

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThat(readAll(vhd)).isEqualTo(data);
            assertThat(vhd.allocatedBlocks()).isEqualTo(2);
        }
    }

    @Test
    void readsADifferencingDiskThroughItsParentSectorBySector() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "6M");
        // The parent's sector at 1 MiB + 32 KiB differs from its neighbours, so reading it from another
        // offset would show.
        VhdTestImages.qemuIo(parentPath, "write -P 0xab 0 6291456", "write -P 0x12 1081344 512");
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "6M");
        VhdTestImages.qemuIo(childPath, "write -P 0xcd 1048576 65536", "write -P 0xef 4194816 512");
        // qemu allocates whole blocks and marks every sector of them present: blocks 0 and 2 are the
        // child's (zeros around what it wrote), block 1 is unallocated and shows the parent.
        byte[] expected = Files.readAllBytes(VhdTestImages.raw(childPath));
        Arrays.fill(expected, 2 * MIB, 4 * MIB, (byte) 0xab);
        // The child gives one sector of its first block back to the parent: the bitmap decides.
        int returned = MIB + 32768;
        Arrays.fill(expected, returned, returned + 512, (byte) 0x12);

        UUID parentId;
        try (VhdFile parent = VhdFile.open(parentPath)) {
            parentId = parent.uniqueId();
        }
        byte[] child = Files.readAllBytes(childPath);
        clearBitmapBit(child, 0, returned / 512);
        makeDifferencing(child, parentId, "parent.vhd");
        Files.write(childPath, child);

        try (VhdFile parent = VhdFile.open(parentPath); VhdFile vhd = VhdFile.open(childPath)) {
            assertThat(vhd.diskType()).isEqualTo(VhdDiskType.DIFFERENCING);
            assertThat(vhd.parentUniqueId()).contains(parentId);
            assertThat(vhd.parentName()).contains("parent.vhd");
            assertThat(vhd.sectorRuns(0)).containsExactly(new VhdSectorBitmap.Run(0, 2112, true),
                    new VhdSectorBitmap.Run(2112, 1, false), new VhdSectorBitmap.Run(2113, 1983, true));
            assertThat(vhd.read(0, ByteBuffer.allocate(512))).isEqualTo(512);
            assertThatThrownBy(() -> vhd.read(returned, ByteBuffer.allocate(512)))
                    .isInstanceOf(VhdParentException.class)
                    .hasMessageContaining(childPath.toString()).hasMessageContaining("parent");

            vhd.attachParent(parent);

            assertThat(vhd.parent()).containsSame(parent);
            assertThat(readAll(vhd)).isEqualTo(expected);
        }
    }

    @Test
    void aChildLargerThanItsParentReadsZerosBeyondTheParent() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "2M");
        VhdTestImages.qemuIo(parentPath, "write -P 0xab 0 2097152");
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "6M");
        VhdTestImages.qemuIo(childPath, "write -P 0xcd 5242880 512");
        UUID parentId;
        try (VhdFile parent = VhdFile.open(parentPath)) {
            parentId = parent.uniqueId();
        }
        byte[] child = Files.readAllBytes(childPath);
        makeDifferencing(child, parentId, "parent.vhd");
        Files.write(childPath, child);
        byte[] expected = new byte[6 * MIB];
        Arrays.fill(expected, 0, 2 * MIB, (byte) 0xab);
        Arrays.fill(expected, 5 * MIB, 5 * MIB + 512, (byte) 0xcd);

        try (VhdFile parent = VhdFile.open(parentPath); VhdFile vhd = VhdFile.open(childPath)) {
            vhd.attachParent(parent);
            assertThat(readAll(vhd)).isEqualTo(expected);
        }
    }

    @Test
    void refusesAParentWithAnotherUniqueIdOrALoop() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "2M");
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "2M");
        byte[] child = Files.readAllBytes(childPath);
        makeDifferencing(child, UUID.randomUUID(), "parent.vhd");
        Files.write(childPath, child);

        try (VhdFile parent = VhdFile.open(parentPath); VhdFile vhd = VhdFile.open(childPath)) {
            assertThatThrownBy(() -> vhd.attachParent(parent)).isInstanceOf(VhdParentException.class)
                    .hasMessageContaining("unique id");
            assertThatThrownBy(() -> parent.attachParent(vhd)).isInstanceOf(VhdParentException.class)
                    .hasMessageContaining("no parent");
            assertThatThrownBy(() -> vhd.attachParent(vhd)).isInstanceOf(VhdParentException.class);
        }
    }

    @Test
    void decodesEveryParentLocator() throws Exception {
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "2M");
        byte[] image = makeDifferencing(Files.readAllBytes(childPath), UUID.randomUUID(), "p\u00e4rent.vhd");
        // Locator data in two sectors appended before the end footer.
        int data = image.length - 512;
        byte[] grown = Arrays.copyOf(image, image.length + 1024);
        System.arraycopy(image, data, grown, grown.length - 512, 512);
        Arrays.fill(grown, data, data + 1024, (byte) 0);
        byte[] relative = ".\\p\u00e4rent.vhd".getBytes(StandardCharsets.UTF_16LE);
        byte[] mac = "file://./p\u00e4rent.vhd".getBytes(StandardCharsets.UTF_8);
        ByteBuffer all = ByteBuffer.wrap(grown);
        all.put(data, relative).put(data + 512, mac);
        locator(all, 0, "W2ru", 1, relative.length, data);
        locator(all, 2, "MacX", 512, mac.length, data + 512);
        seal(grown);
        Files.write(childPath, grown);

        try (VhdFile vhd = VhdFile.open(childPath)) {
            assertThat(vhd.parentName()).contains("p\u00e4rent.vhd");
            assertThat(vhd.parentLocators()).containsExactly(
                    new VhdFile.ParentLocator(0, "W2ru", ".\\p\u00e4rent.vhd"),
                    new VhdFile.ParentLocator(2, "MacX", "file://./p\u00e4rent.vhd"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 511})
    void refusesATruncatedEndFooter(int missing) throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        byte[] bytes = Files.readAllBytes(image);
        Files.write(image, Arrays.copyOf(bytes, bytes.length - missing));

        assertCorrupt(image, VhdFormatException.Kind.TRUNCATED);
    }

    @Test
    void refusesAFileShorterThanAFooter() throws Exception {
        Path image = dir.resolve("tiny.vhd");
        Files.write(image, "conectix".getBytes(StandardCharsets.US_ASCII));

        assertCorrupt(image, VhdFormatException.Kind.TRUNCATED);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"dynamic end footer, dynamic, -412", "dynamic footer copy, dynamic, 100",
        "dynamic header, dynamic, 600", "fixed footer, fixed, -400"})
    void refusesWrongChecksums(String structure, String subformat, int offset) throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", subformat, "on", "1M");
        byte[] bytes = Files.readAllBytes(image);
        bytes[offset < 0 ? bytes.length + offset : offset] ^= 1;
        Files.write(image, bytes);

        assertCorrupt(image, VhdFormatException.Kind.BAD_CHECKSUM);
    }

    @Test
    void refusesFooterCopiesThatDescribeDifferentDisks() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putLong(48, 4L * MIB);
        sealFooter(bytes, 0);
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class, e -> {
            assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED);
            assertThat(e.getMessage()).contains("current size");
        });
    }

    @Test
    void refusesABlockBeyondTheEndOfTheFile() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(image, "write -P 1 0 512");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putInt(TABLE + 4, bytes.length / 512);
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class, e -> {
            assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS);
            assertThat(e.getMessage()).contains("VHD data block 1").contains(image.toString());
        });
    }

    @ParameterizedTest
    @CsvSource({"1, dynamic disk header", "0, footer copy", "3, block allocation table"})
    void refusesABlockOverlappingTheMetadata(int sector, String structure) throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(image, "write -P 1 0 512");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putInt(TABLE, sector);
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class, e -> {
            assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS);
            assertThat(e.getMessage()).contains(structure);
        });
    }

    @Test
    void refusesTwoBlocksThatOverlap() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(image, "write -P 1 0 512", "write -P 2 2097152 512");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer table = ByteBuffer.wrap(bytes);
        table.putInt(TABLE + 4, table.getInt(TABLE) + 1);
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class,
                e -> assertThat(e.getMessage()).contains("data blocks"));
    }

    @Test
    void refusesATableBeyondTheEndOfTheFile() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putLong(HEADER + 16, bytes.length - 8);
        sealHeader(bytes);
        Files.write(image, bytes);

        assertCorrupt(image, VhdFormatException.Kind.OUT_OF_BOUNDS);
    }

    @Test
    void refusesADynamicDiskWithoutItsEndFooter() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        byte[] bytes = Files.readAllBytes(image);
        Arrays.fill(bytes, bytes.length - 512, bytes.length, (byte) 0);
        Files.write(image, bytes);

        assertCorrupt(image, VhdFormatException.Kind.TRUNCATED);
    }

    @Test
    void refusesAFixedDiskShorterThanItsSize() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "fixed", "on", "1M");
        byte[] bytes = Files.readAllBytes(image);
        Files.write(image, Arrays.copyOfRange(bytes, 4096, bytes.length));

        assertCorrupt(image, VhdFormatException.Kind.TRUNCATED);
    }

    @Test
    void refusesALocatorOutsideItsDataArea() throws Exception {
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "2M");
        byte[] image = makeDifferencing(Files.readAllBytes(childPath), UUID.randomUUID(), "p.vhd");
        locator(ByteBuffer.wrap(image), 0, "W2ru", 1, 20, image.length - 512);
        seal(image);
        Files.write(childPath, image);

        assertCorrupt(childPath, VhdFormatException.Kind.MALFORMED);
    }

    @Test
    void namesTheFileWhenItCannotBeOpened() {
        Path missing = dir.resolve("missing.vhd");

        assertThatThrownBy(() -> VhdFile.open(missing)).isInstanceOf(ImageIoException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void readsZerosIntoADirtyBufferWhereNothingIsAllocated() throws Exception {
        Path parentPath = VhdTestImages.create(dir, "parent.vhd", "dynamic", "on", "2M");
        VhdTestImages.qemuIo(parentPath, "write -P 0xab 0 2097152");
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "4M");
        UUID parentId;
        try (VhdFile parent = VhdFile.open(parentPath)) {
            parentId = parent.uniqueId();
        }
        Files.write(childPath, makeDifferencing(Files.readAllBytes(childPath), parentId, "parent.vhd"));
        Path dynamic = VhdTestImages.create(dir, "dynamic.vhd", "dynamic", "on", "4M");

        try (VhdFile parent = VhdFile.open(parentPath); VhdFile child = VhdFile.open(childPath);
                VhdFile empty = VhdFile.open(dynamic)) {
            child.attachParent(parent);
            ByteBuffer dirty = ByteBuffer.wrap(filled(4096, (byte) 0xff));
            assertThat(empty.read(MIB, dirty)).isEqualTo(4096);
            assertThat(dirty.array()).containsOnly(0);
            // The last 1 KiB of the parent, then 3 KiB beyond its end.
            ByteBuffer across = ByteBuffer.wrap(filled(4096, (byte) 0xff));
            child.read(2 * MIB - 1024, across);
            assertThat(Arrays.copyOfRange(across.array(), 0, 1024)).containsOnly(0xab);
            assertThat(Arrays.copyOfRange(across.array(), 1024, 4096)).containsOnly(0);
        }
    }

    @Test
    void opensAFixedDiskOfNoBytes() throws Exception {
        byte[] fixed = Files.readAllBytes(VhdTestImages.create(dir, "disk.vhd", "fixed", "on", "1M"));
        byte[] footer = Arrays.copyOfRange(fixed, fixed.length - 512, fixed.length);
        ByteBuffer.wrap(footer).putLong(40, 0).putLong(48, 0);
        sealFooter(footer, 0);
        Path empty = Files.write(dir.resolve("empty.vhd"), footer);

        try (VhdFile vhd = VhdFile.open(empty)) {
            assertThat(vhd.virtualSize()).isZero();
            assertThat(vhd.read(0, ByteBuffer.allocate(10))).isZero();
        }
    }

    @Test
    void reportsABadChecksumAtItsField() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        byte[] bytes = Files.readAllBytes(image);
        bytes[bytes.length - 412] ^= 1;
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class,
                e -> assertThat(e.offset()).isEqualTo(bytes.length - 512 + 64));
    }

    @Test
    void refusesADynamicHeaderThatRunsIntoTheEndFooter() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putLong(16, bytes.length - 1024);
        sealFooter(bytes, 0);
        System.arraycopy(bytes, 0, bytes, bytes.length - 512, 512);
        Files.write(image, bytes);

        assertCorrupt(image, VhdFormatException.Kind.TRUNCATED);
    }

    @Test
    void refusesAHeaderAndTableThatOverlap() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        byte[] bytes = Files.readAllBytes(image);
        ByteBuffer.wrap(bytes).putLong(HEADER + 16, 1024);
        sealHeader(bytes);
        Files.write(image, bytes);

        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class,
                e -> assertThat(e.getMessage()).contains("dynamic disk header").contains("block allocation table"));
    }

    @ParameterizedTest
    @CsvSource({"1536, block allocation table", "600, dynamic disk header"})
    void refusesLocatorDataOverOtherMetadata(int offset, String structure) throws Exception {
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "2M");
        byte[] image = makeDifferencing(Files.readAllBytes(childPath), UUID.randomUUID(), "p.vhd");
        locator(ByteBuffer.wrap(image), 3, "W2ru", 1, 10, offset);
        seal(image);
        Files.write(childPath, image);

        assertThatThrownBy(() -> VhdFile.open(childPath)).isInstanceOfSatisfying(VhdCorruptException.class, e -> {
            assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS);
            assertThat(e.getMessage()).contains("parent locator 3 data").contains(structure);
        });
    }

    @Test
    void refusesLocatorSpaceThatRunsIntoTheEndFooter() throws Exception {
        Path childPath = VhdTestImages.create(dir, "child.vhd", "dynamic", "on", "2M");
        byte[] image = makeDifferencing(Files.readAllBytes(childPath), UUID.randomUUID(), "p.vhd");
        // 10 bytes of data fit before the footer, the 2 sectors reserved for them do not.
        locator(ByteBuffer.wrap(image), 0, "W2ru", 2, 10, image.length - 1024);
        seal(image);
        Files.write(childPath, image);

        assertThatThrownBy(() -> VhdFile.open(childPath)).isInstanceOfSatisfying(VhdCorruptException.class,
                e -> assertThat(e.getMessage()).contains("reserved space"));
    }

    @Test
    void refusesToBecomeItsOwnParent() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M");
        UUID own;
        try (VhdFile vhd = VhdFile.open(image)) {
            own = vhd.uniqueId();
        }
        Files.write(image, makeDifferencing(Files.readAllBytes(image), own, "disk.vhd"));

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThatThrownBy(() -> vhd.attachParent(vhd)).isInstanceOf(VhdParentException.class)
                    .hasMessageContaining("own ancestor");
            assertThat(vhd.parent()).isEmpty();
        }
    }

    @Test
    void answersAllocationQuestionsPerBlock() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "4M");
        VhdTestImages.qemuIo(image, "write -P 1 2097152 512");

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThat(vhd.isAllocated(0)).isFalse();
            assertThat(vhd.isAllocated(1)).isTrue();
            assertThatThrownBy(() -> vhd.isAllocated(2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(vhd.dynamicHeader()).hasValueSatisfying(h -> assertThat(h.maxTableEntries()).isEqualTo(2));
            assertThat(vhd.timestamp()).isBetween(java.time.Instant.now().minusSeconds(600),
                    java.time.Instant.now().plusSeconds(5));
            assertThat(vhd.parentTimestamp()).isEmpty();
        }
    }

    @Test
    void acceptsBlocksThatTheTableListsOutOfFileOrder() throws Exception {
        Path image = VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "6M");
        // qemu allocates in the order of the writes: block 2 lies first in the file, block 0 last.
        VhdTestImages.qemuIo(image, "write -P 3 4194304 512", "write -P 2 2097152 512", "write -P 1 0 512");

        try (VhdFile vhd = VhdFile.open(image)) {
            assertThat(vhd.allocatedBlocks()).isEqualTo(3);
            assertThat(readAll(vhd)).isEqualTo(Files.readAllBytes(VhdTestImages.raw(image)));
        }
    }

    @Test
    void acceptsMetadataInAnyOrderThatTouchesButDoesNotOverlap() throws Exception {
        // Footer copy, table, locator data, header, end footer: each region ends where the next begins,
        // and the header ends exactly where the end footer starts.
        byte[] qemu = Files.readAllBytes(VhdTestImages.create(dir, "disk.vhd", "dynamic", "on", "2M"));
        VhdFooter qemuFooter = VhdFooter.read(ByteBuffer.wrap(qemu), 0);
        VhdDynamicHeader qemuHeader = VhdDynamicHeader.read(ByteBuffer.wrap(qemu, HEADER, 1024).slice(), HEADER);
        VhdFooter footer = new VhdFooter(qemuFooter.features(), qemuFooter.formatVersion(), 1536,
                qemuFooter.timestamp(), qemuFooter.creatorApp(), qemuFooter.creatorVersion(),
                qemuFooter.creatorHostOs(), qemuFooter.originalSize(), qemuFooter.currentSize(),
                qemuFooter.geometry(), VhdDiskType.DIFFERENCING.code(), 0, qemuFooter.uniqueId(), 0);
        byte[] path = ".\\p.vhd".getBytes(StandardCharsets.UTF_16LE);
        List<VhdParentLocator> locators = new java.util.ArrayList<>(qemuHeader.parentLocators());
        locators.set(0, new VhdParentLocator(VhdParentLocator.W2RU, 1, path.length, 1024));
        VhdDynamicHeader header = new VhdDynamicHeader(qemuHeader.dataOffset(), 512, qemuHeader.headerVersion(),
                qemuHeader.maxTableEntries(), qemuHeader.blockSize(), 0, UUID.randomUUID(), 0, "p.vhd", locators);
        ByteBuffer image = ByteBuffer.allocate(3072);
        image.put(0, footer.write(), 0, 512).put(2560, footer.write(), 0, 512);
        image.put(512, qemu, 1536, 512).put(1024, path).put(1536, header.write(), 0, 1024);
        Path file = Files.write(dir.resolve("reordered.vhd"), image.array());

        try (VhdFile vhd = VhdFile.open(file)) {
            assertThat(vhd.parentLocators()).containsExactly(new VhdFile.ParentLocator(0, "W2ru", ".\\p.vhd"));
            assertThat(vhd.allocatedBlocks()).isZero();
        }
    }

    // ----------------------------------------------------------------------------------------

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    private void assertCorrupt(Path image, VhdFormatException.Kind kind) {
        assertThatThrownBy(() -> VhdFile.open(image)).isInstanceOfSatisfying(VhdCorruptException.class, e -> {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.path()).isEqualTo(image);
            assertThat(e.getMessage()).contains(image.toString());
        });
    }

    private static byte[] readAll(VhdFile vhd) {
        ByteBuffer all = ByteBuffer.allocate((int) vhd.virtualSize());
        // Uneven pieces, so reads start and end inside sectors and blocks.
        long offset = 0;
        int piece = 777_777;
        while (all.hasRemaining()) {
            ByteBuffer part = all.slice(all.position(), Math.min(piece, all.remaining()));
            offset += vhd.read(offset, part);
            all.position((int) offset);
        }
        return all.array();
    }

    /** qemu cannot create differencing VHDs: turn a qemu-made dynamic one into one by hand. */
    private static byte[] makeDifferencing(byte[] image, UUID parentId, String parentName) {
        ByteBuffer all = ByteBuffer.wrap(image);
        all.putInt(60, VhdDiskType.DIFFERENCING.code());
        sealFooter(image, 0);
        System.arraycopy(image, 0, image, image.length - 512, 512);
        all.putLong(HEADER + 40, parentId.getMostSignificantBits()).putLong(HEADER + 48,
                parentId.getLeastSignificantBits());
        byte[] name = parentName.getBytes(StandardCharsets.UTF_16BE);
        Arrays.fill(image, HEADER + 64, HEADER + 576, (byte) 0);
        all.put(HEADER + 64, name);
        sealHeader(image);
        return image;
    }

    private static void clearBitmapBit(byte[] image, int block, int sector) {
        int bitmap = ByteBuffer.wrap(image).getInt(TABLE + block * 4) * 512;
        VhdSectorBitmap.set(ByteBuffer.wrap(image, bitmap, 512).slice(), sector, false);
    }

    private static void locator(ByteBuffer image, int slot, String platform, int space, int length, int offset) {
        int entry = HEADER + VhdDynamicHeader.OFF_LOCATORS + slot * 24;
        image.put(entry, platform.getBytes(StandardCharsets.US_ASCII));
        image.putInt(entry + 4, space).putInt(entry + 8, length).putLong(entry + 16, offset);
    }

    private static void seal(byte[] image) {
        sealHeader(image);
        sealFooter(image, 0);
        System.arraycopy(image, 0, image, image.length - 512, 512);
    }

    private static void sealFooter(byte[] image, int offset) {
        ByteBuffer footer = ByteBuffer.wrap(image, offset, 512).slice();
        footer.putInt(VhdFooter.OFF_CHECKSUM, (int) VhdFooter.checksumOf(footer));
    }

    private static void sealHeader(byte[] image) {
        ByteBuffer header = ByteBuffer.wrap(image, HEADER, 1024).slice();
        header.putInt(VhdDynamicHeader.OFF_CHECKSUM,
                (int) VhdChecksum.of(header, VhdDynamicHeader.SIZE, VhdDynamicHeader.OFF_CHECKSUM));
    }
}
