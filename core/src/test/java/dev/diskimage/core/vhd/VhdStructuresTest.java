package dev.diskimage.core.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VhdStructuresTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"dynamic, off", "dynamic, on", "fixed, off", "fixed, on"})
    void readsAndWritesQemuCreatedStructuresByteForByte(String subformat, String forceSize) throws Exception {
        byte[] image = qemuImage(subformat, forceSize, "10M");
        int end = image.length - VhdFooter.SIZE;
        ByteBuffer endBytes = ByteBuffer.wrap(image, end, VhdFooter.SIZE).slice();

        VhdFooter footer = VhdFooter.read(endBytes, end);

        assertThat(VhdFooter.checksumMatches(endBytes)).isTrue();
        assertThat(footer.write().array()).isEqualTo(Arrays.copyOfRange(image, end, image.length));
        assertThat(footer.sealed()).isEqualTo(footer);
        assertThat(footer.creatorApp()).isEqualTo(forceSize.equals("on") ? "qem2" : "qemu");
        assertThat(footer.virtualSize(end)).isGreaterThanOrEqualTo(10L << 20);
        if (subformat.equals("dynamic")) {
            assertThat(footer.requireType(end)).isEqualTo(VhdDiskType.DYNAMIC);
            ByteBuffer headerBytes = ByteBuffer.wrap(image, 512, VhdDynamicHeader.SIZE).slice();
            VhdDynamicHeader header = VhdDynamicHeader.read(headerBytes, 512);
            assertThat(header.write().array()).isEqualTo(Arrays.copyOfRange(image, 512, 512 + VhdDynamicHeader.SIZE));
            assertThat(header.blockSize()).isEqualTo(VhdDynamicHeader.DEFAULT_BLOCK_SIZE);
            assertThat(header.requireTableEntries(footer.virtualSize(end), 512))
                    .isEqualTo(VhdBat.entriesFor(footer.virtualSize(end), header.blockSize()));
            assertThat(header.requireTablePlacement(image.length, 512)).isEqualTo(1536);
            assertThat(header.parentLocators()).allMatch(VhdParentLocator::isEmpty);
            assertThat(VhdFooter.read(ByteBuffer.wrap(image), 0)).isEqualTo(footer);
        } else {
            assertThat(footer.requireType(end)).isEqualTo(VhdDiskType.FIXED);
            assertThat(footer.dataOffset()).isEqualTo(VhdFooter.FIXED_DATA_OFFSET);
        }
    }

    @Test
    void roundTripsEveryFooterField() {
        VhdFooter footer = new VhdFooter(3, VhdFooter.FORMAT_VERSION, 512, 0xFEDCBA98L, "tap\0", 0x00050003L, "Wi2k",
                1L << 40, (1L << 40) + 512, new VhdGeometry(65535, 16, 255), 4, 0, UUID.randomUUID(), 1);

        ByteBuffer bytes = footer.write();
        VhdFooter read = VhdFooter.read(bytes, 0);

        assertThat(read).isEqualTo(footer.sealed());
        assertThat(read.checksum()).isEqualTo(footer.computeChecksum());
        assertThat(VhdFooter.checksumMatches(bytes)).isTrue();
        assertThat(read.usesCurrentSize()).isTrue();
        assertThat(read.time()).isEqualTo(VhdFooter.EPOCH.plusSeconds(0xFEDCBA98L));
    }

    @Test
    void roundTripsEveryDynamicHeaderFieldWithLocators() {
        List<VhdParentLocator> locators = new ArrayList<>(Collections.nCopies(8, new VhdParentLocator(0, 0, 0, 0)));
        locators.set(0, new VhdParentLocator(VhdParentLocator.W2KU, 1, 20, 4096));
        locators.set(7, new VhdParentLocator(VhdParentLocator.MACX, 1024, 30, 8192));
        VhdDynamicHeader header = new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, 4096, 512 << 10, 0,
                UUID.randomUUID(), 123456, "parent \u00e9\u4e2d.vhd", locators);

        ByteBuffer bytes = header.write();
        VhdDynamicHeader read = VhdDynamicHeader.read(bytes, 512);

        assertThat(read).isEqualTo(header.sealed());
        assertThat(read.parentLocators().get(0).platform()).isEqualTo("W2ku");
        assertThat(read.parentLocators().get(7).platform()).isEqualTo("MacX");
        assertThat(read.bitmapBytes()).isEqualTo(512);
    }

    @Test
    void theChecksumIsTheOnesComplementOfTheByteSumWithoutTheField() {
        byte[] structure = {1, 2, (byte) 0xff, 9, 9, 9, 9, 3};

        // 1 + 2 + 255 + 3 = 261; the field at 3..6 is skipped.
        assertThat(VhdChecksum.of(ByteBuffer.wrap(structure), 8, 3)).isEqualTo(~261L & 0xFFFFFFFFL);
        assertThat(VhdChecksum.of(ByteBuffer.wrap(structure), 2, 3)).isEqualTo(~3L & 0xFFFFFFFFL);
        assertThat(VhdChecksum.of(ByteBuffer.wrap(new byte[4]), 4, 0)).isEqualTo(0xFFFFFFFFL);
    }

    @Test
    void aFooterChecksumCoversTheReservedBytes() {
        ByteBuffer bytes = sampleFooter().write();
        bytes.put(500, (byte) 1);

        assertThat(VhdFooter.checksumMatches(bytes)).isFalse();
    }

    @Test
    void refusesAFooterWithoutCookieOrCutShort() {
        ByteBuffer bytes = sampleFooter().write();

        assertThatThrownBy(() -> VhdFooter.read(ByteBuffer.wrap(Arrays.copyOf(bytes.array(), 511)), 1000))
                .isInstanceOfSatisfying(VhdFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.TRUNCATED);
                    assertThat(e.offset()).isEqualTo(1000);
                });
        bytes.put(0, (byte) 'C');
        assertThatThrownBy(() -> VhdFooter.read(bytes, 1000)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED));
    }

    @Test
    void refusesAHeaderWithABadChecksumAtItsField() {
        ByteBuffer bytes = sampleHeader(2L << 20, 10).write();
        bytes.put(100, (byte) 1);

        assertThatThrownBy(() -> VhdDynamicHeader.read(bytes, 512)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.BAD_CHECKSUM);
                    assertThat(e.offset()).isEqualTo(512 + VhdDynamicHeader.OFF_CHECKSUM);
                });
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 256, 1000, 3 << 20, 512L << 20, 0xFFFFFFFFL})
    void refusesBlockSizesThatAreNotSanePowersOfTwo(long blockSize) {
        ByteBuffer bytes = sampleHeader(blockSize, 10).write();

        assertThatThrownBy(() -> VhdDynamicHeader.read(bytes, 512)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED);
                    assertThat(e.offset()).isEqualTo(512 + VhdDynamicHeader.OFF_BLOCK_SIZE);
                });
    }

    @Test
    void checksTheTableAgainstTheVirtualSizeAndTheFile() {
        VhdDynamicHeader header = sampleHeader(2L << 20, 5);

        assertThat(header.requireTableEntries(10L << 20, 512)).isEqualTo(5);
        assertThatThrownBy(() -> header.requireTableEntries((10L << 20) + 1, 512))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED));
        assertThat(header.requireTablePlacement(2048, 512)).isEqualTo(1536);
        assertThatThrownBy(() -> header.requireTablePlacement(1555, 512))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS));
        // The table's 20 bytes fit, but qemu reads its whole last sector.
        assertThatThrownBy(() -> header.requireTablePlacement(1600, 512))
                .isInstanceOfSatisfying(VhdFormatException.class, e -> assertThat(e.offset()).isEqualTo(1536));
        VhdDynamicHeader huge = sampleHeader(512, 0xFFFFFFFFL);
        assertThatThrownBy(() -> huge.requireTableEntries(0, 512)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS));
    }

    @Test
    void refusesATableOffsetWhoseEndOverflows() {
        VhdDynamicHeader header = new VhdDynamicHeader(-1, Long.MAX_VALUE - 8, VhdDynamicHeader.HEADER_VERSION, 5,
                2L << 20, 0, new UUID(0, 0), 0, "", emptyLocators());

        assertThatThrownBy(() -> header.requireTablePlacement(1L << 30, 512))
                .isInstanceOfSatisfying(VhdFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS);
                    assertThat(e.offset()).isEqualTo(Long.MAX_VALUE - 8);
                });
        VhdDynamicHeader negative = new VhdDynamicHeader(-1, -1, VhdDynamicHeader.HEADER_VERSION, 5, 2L << 20, 0,
                new UUID(0, 0), 0, "", emptyLocators());
        assertThatThrownBy(() -> negative.requireTablePlacement(1L << 30, 512))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(512 + VhdDynamicHeader.OFF_TABLE_OFFSET));
    }

    @ParameterizedTest
    @CsvSource({"1, 20, 512", "3, 20, 1536", "512, 20, 512", "1024, 600, 1024"})
    void readsLocatorDataSpaceInSectorsOrBytes(long dataSpace, long dataLength, long expected) {
        assertThat(new VhdParentLocator(VhdParentLocator.W2RU, dataSpace, dataLength, 4096).dataSpaceBytes(0))
                .isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"513, 20", "1, 600", "1024, 2000"})
    void refusesLocatorDataSpaceThatIsNeitherOrTooSmall(long dataSpace, long dataLength) {
        assertThatThrownBy(() -> new VhdParentLocator(VhdParentLocator.W2RU, dataSpace, dataLength, 4096)
                .dataSpaceBytes(576)).isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(580));
    }

    @Test
    void decodesAndEncodesLocatorsByPlatform() {
        byte[] windows = VhdParentLocator.encode(VhdParentLocator.W2RU, ".\\parent.vhd");
        byte[] mac = VhdParentLocator.encode(VhdParentLocator.MACX, "file://./p\u00e4rent.vhd");
        ByteBuffer padded = ByteBuffer.allocate(512).put(0, windows);

        assertThat(windows).isEqualTo(".\\parent.vhd".getBytes(StandardCharsets.UTF_16LE));
        assertThat(new VhdParentLocator(VhdParentLocator.W2RU, 1, 512, 0).decode(padded, 512))
                .isEqualTo(".\\parent.vhd");
        assertThat(new VhdParentLocator(VhdParentLocator.MACX, 1, mac.length, 0).decode(ByteBuffer.wrap(mac),
                mac.length)).isEqualTo("file://./p\u00e4rent.vhd");
        assertThatThrownBy(() -> VhdParentLocator.encode(0x12345678, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesLocatorDataOutsideTheFile() {
        VhdParentLocator locator = new VhdParentLocator(VhdParentLocator.W2KU, 1, 100, 1000);

        assertThat(locator.requireDataWithin(600, 1, 1100)).isEqualTo(1000);
        assertThatThrownBy(() -> locator.requireDataWithin(600, 1, 1099))
                .isInstanceOfSatisfying(VhdFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED);
                    assertThat(e.reason()).contains("VHD parent locator 1");
                });
        assertThatThrownBy(() -> new VhdParentLocator(VhdParentLocator.W2KU, 1, 100, -1).requireDataWithin(600, 1,
                1100)).isInstanceOfSatisfying(VhdFormatException.class, e -> assertThat(e.offset()).isEqualTo(616));
    }

    @Test
    void sectorBitmapsAreMostSignificantBitFirstAndPaddedToSectors() {
        assertThat(VhdSectorBitmap.bytesFor(2L << 20)).isEqualTo(512);
        assertThat(VhdSectorBitmap.bytesFor(512)).isEqualTo(512);
        assertThat(VhdSectorBitmap.bytesFor(4L << 20)).isEqualTo(1024);
        ByteBuffer bitmap = ByteBuffer.allocate(512);
        VhdSectorBitmap.set(bitmap, 0, true);
        VhdSectorBitmap.set(bitmap, 9, true);
        VhdSectorBitmap.set(bitmap, 10, true);
        assertThat(bitmap.get(0)).isEqualTo((byte) 0x80);
        assertThat(bitmap.get(1)).isEqualTo((byte) 0x60);
        VhdSectorBitmap.set(bitmap, 10, false);

        assertThat(VhdSectorBitmap.runs(bitmap, 16)).containsExactly(new VhdSectorBitmap.Run(0, 1, true),
                new VhdSectorBitmap.Run(1, 8, false), new VhdSectorBitmap.Run(9, 1, true),
                new VhdSectorBitmap.Run(10, 6, false));
        assertThat(VhdSectorBitmap.runs(bitmap, 0)).isEmpty();
    }

    @Test
    void batEntriesAreBigEndianSectorsAndAllOnesIsUnallocated() {
        ByteBuffer table = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        VhdBat.put(table, 0, VhdBat.UNALLOCATED);
        VhdBat.put(table, 1, 3);

        assertThat(table.array()).containsExactly(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3);
        assertThat(VhdBat.isAllocated(VhdBat.entry(table, 0))).isFalse();
        assertThat(VhdBat.entry(table, 1)).isEqualTo(3);
        assertThat(VhdBat.entriesFor(0, 512)).isZero();
        assertThat(VhdBat.entriesFor(513, 512)).isEqualTo(2);
        assertThat(VhdBat.requireBlockWithin(0, 3, 512, 3 * 512 + 1024)).isEqualTo(1536);
        assertThatThrownBy(() -> VhdBat.requireBlockWithin(7, 3, 512, 3 * 512 + 1023))
                .isInstanceOfSatisfying(VhdFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.OUT_OF_BOUNDS);
                    assertThat(e.offset()).isEqualTo(1536);
                    assertThat(e.reason()).contains("VHD data block 7");
                });
        assertThatThrownBy(() -> VhdBat.requireBlockAfter(2, 3, 2048)).isInstanceOfSatisfying(
                VhdFormatException.class, e -> assertThat(e.reason()).contains("overlaps"));
        VhdBat.requireBlockAfter(2, 4, 2048);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1M", "10M", "100M", "1000000000", "3G", "40G", "127G", "200G"})
    void computesTheGeometryQemuStores(String size) throws Exception {
        byte[] image = qemuImage("fixed", "off", size);
        VhdFooter footer = VhdFooter.read(ByteBuffer.wrap(image, image.length - 512, 512).slice(), 0);
        long requested = parse(size) / 512;

        // qemu, like the specification suggests, tries larger sizes until the geometry covers the request.
        VhdGeometry expected = VhdGeometry.forSectors(requested);
        for (long i = 1; expected.sectors() < requested && !expected.isMax(); i++) {
            expected = VhdGeometry.forSectors(requested + i);
        }
        assertThat(footer.geometry()).isEqualTo(expected);
    }

    @Test
    void computesTheSpecificationsGeometryAtItsThresholds() {
        assertThat(VhdGeometry.forSectors(0)).isEqualTo(new VhdGeometry(0, 4, 17));
        assertThat(VhdGeometry.forSectors(65535L * 16 * 63)).isEqualTo(new VhdGeometry(16191, 16, 255));
        assertThat(VhdGeometry.forSectors(Long.MAX_VALUE)).isEqualTo(VhdGeometry.MAX);
        assertThatThrownBy(() -> VhdGeometry.forSectors(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VhdGeometry(65536, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sizesByGeometryOrCurrentSizeAsQemuDoes() {
        VhdFooter vpc = withCreator("vpc ", new VhdGeometry(31, 4, 17), 512000);
        assertThat(vpc.virtualSize(0)).isEqualTo(31L * 4 * 17 * 512);
        assertThat(withCreator("win ", new VhdGeometry(31, 4, 17), 512000).virtualSize(0)).isEqualTo(512000);
        assertThat(withCreator("vpc ", VhdGeometry.MAX, 512000).virtualSize(0)).isEqualTo(512000);
        assertThatThrownBy(() -> withCreator("win ", VhdGeometry.MAX, -1).virtualSize(1000))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(1000 + VhdFooter.OFF_CURRENT_SIZE));
        assertThatThrownBy(() -> withCreator("win ", VhdGeometry.MAX, VhdFooter.MAX_VIRTUAL_SIZE + 1).virtualSize(0))
                .isInstanceOf(VhdFormatException.class);
    }

    @Test
    void namesTheFieldsInWhichTwoFooterCopiesDisagree() {
        VhdFooter footer = sampleFooter();
        VhdFooter other = new VhdFooter(footer.features(), footer.formatVersion(), 1024, 99, "win ", 0, "Wi2k",
                footer.originalSize(), footer.currentSize() + 512, footer.geometry(), 4, 0, footer.uniqueId(), 0);

        assertThat(footer.disagreements(footer)).isEmpty();
        assertThat(footer.disagreements(other)).hasSize(4).anyMatch(d -> d.startsWith("disk type"))
                .anyMatch(d -> d.startsWith("creator application"));
    }

    @Test
    void refusesUnknownDiskTypesAtTheirField() {
        VhdFooter footer = withCreator("qemu", new VhdGeometry(1, 1, 1), 512);
        VhdFooter five = new VhdFooter(footer.features(), footer.formatVersion(), footer.dataOffset(), 0,
                "qemu", 0, "Wi2k", 512, 512, footer.geometry(), 5, 0, footer.uniqueId(), 0);

        assertThatThrownBy(() -> five.requireType(1000)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> assertThat(e.offset()).isEqualTo(1000 + VhdFooter.OFF_DISK_TYPE));
        assertThatThrownBy(() -> new VhdFooter(2, 0, 0, 0, "toolong", 0, "Wi2k", 0, 0, VhdGeometry.MAX, 2, 0,
                new UUID(0, 0), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static VhdFooter sampleFooter() {
        return withCreator("qemu", new VhdGeometry(20, 16, 63), 10L << 20);
    }

    private static VhdFooter withCreator(String creator, VhdGeometry geometry, long currentSize) {
        return new VhdFooter(VhdFooter.FEATURES_RESERVED, VhdFooter.FORMAT_VERSION, 512, 0, creator, 0x00050003,
                "Wi2k", currentSize, currentSize, geometry, 3, 0, new UUID(1, 2), 0);
    }

    private static VhdDynamicHeader sampleHeader(long blockSize, long entries) {
        return new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, entries, blockSize, 0, new UUID(0, 0),
                0, "", emptyLocators());
    }

    private static List<VhdParentLocator> emptyLocators() {
        return Collections.nCopies(8, new VhdParentLocator(0, 0, 0, 0));
    }

    private static long parse(String size) {
        char unit = size.charAt(size.length() - 1);
        if (Character.isDigit(unit)) {
            return Long.parseLong(size);
        }
        long number = Long.parseLong(size.substring(0, size.length() - 1));
        return number << (unit == 'M' ? 20 : 30);
    }

    private byte[] qemuImage(String subformat, String forceSize, String size) throws Exception {
        Path image = dir.resolve(subformat + "-" + forceSize + "-" + size + ".vhd");
        Process process = new ProcessBuilder("qemu-img", "create", "-q", "-f", "vpc", "-o",
                "subformat=" + subformat + ",force_size=" + forceSize, image.toString(), size)
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        if (subformat.equals("fixed")) {
            // Only the footer matters here; a fixed image of 200G is sparse, read just its end.
            try (var channel = java.nio.channels.FileChannel.open(image)) {
                long length = channel.size();
                ByteBuffer tail = ByteBuffer.allocate(512);
                channel.read(tail, length - 512);
                byte[] small = new byte[1024];
                System.arraycopy(tail.array(), 0, small, 512, 512);
                return small;
            }
        }
        return Files.readAllBytes(image);
    }
}
