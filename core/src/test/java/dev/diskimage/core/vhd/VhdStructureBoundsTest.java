package dev.diskimage.core.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The exact limits of the core.vhd checks: the last value accepted and the first refused. */
class VhdStructureBoundsTest {

    private static final List<VhdParentLocator> NO_LOCATORS = Collections.nCopies(8,
            new VhdParentLocator(0, 0, 0, 0));

    @Test
    void findsTheCookieOnlyWhereItFitsTheBuffer() {
        ByteBuffer bytes = ByteBuffer.allocate(20);
        bytes.put(12, VhdFooter.COOKIE.getBytes(StandardCharsets.US_ASCII));

        assertThat(VhdFooter.hasCookie(bytes, 12)).isTrue();
        assertThat(VhdFooter.hasCookie(bytes.limit(19), 12)).isFalse();
        assertThat(VhdFooter.hasCookie(bytes.limit(20), 11)).isFalse();
        assertThat(VhdFooter.hasCookie(bytes, -1)).isFalse();
        assertThat(VhdFooter.hasCookie(bytes, 13)).isFalse();
    }

    @Test
    void refusesFootersWithCodesOtherThanFourCharacters() {
        assertThatThrownBy(() -> footer("qemu", "Wi2kx", 0, VhdGeometry.MAX))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host OS");
        assertThatThrownBy(() -> footer("qem", "Wi2k", 0, VhdGeometry.MAX))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("creator application");
        assertThatThrownBy(() -> footer("q\u4e2dmu", "Wi2k", 0, VhdGeometry.MAX))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsSizesFromZeroToTheLimitExactly() {
        assertThat(footer("win ", "Wi2k", 0, VhdGeometry.MAX).virtualSize(0)).isZero();
        assertThat(footer("win ", "Wi2k", VhdFooter.MAX_VIRTUAL_SIZE, VhdGeometry.MAX).virtualSize(0))
                .isEqualTo(VhdFooter.MAX_VIRTUAL_SIZE);
        assertThatThrownBy(() -> footer("win ", "Wi2k", VhdFooter.MAX_VIRTUAL_SIZE + 1, VhdGeometry.MAX)
                .virtualSize(0)).isInstanceOf(VhdFormatException.class);
    }

    @Test
    void checksTheDynamicHeaderOffsetAtItsField() {
        VhdFooter footer = footer("qemu", "Wi2k", 0, VhdGeometry.MAX);
        VhdFooter at512 = new VhdFooter(2, VhdFooter.FORMAT_VERSION, 512, 0, "qemu", 0, "Wi2k", 0, 0,
                VhdGeometry.MAX, 3, 0, new UUID(0, 0), 0);

        assertThat(at512.requireDataOffset(1000)).isEqualTo(512);
        assertThatThrownBy(() -> footer.requireDataOffset(1000)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED);
                    assertThat(e.offset()).isEqualTo(1000 + VhdFooter.OFF_DATA_OFFSET);
                });
    }

    @Test
    void refusesAHeaderWithoutItsCookieOrCutShort() {
        ByteBuffer bytes = header(2L << 20, 5).write();
        bytes.put(7, (byte) 'X');
        bytes.putInt(VhdDynamicHeader.OFF_CHECKSUM,
                (int) VhdChecksum.of(bytes, VhdDynamicHeader.SIZE, VhdDynamicHeader.OFF_CHECKSUM));

        assertThatThrownBy(() -> VhdDynamicHeader.read(bytes, 512)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.MALFORMED);
                    assertThat(e.offset()).isEqualTo(512);
                    assertThat(e.reason()).contains("cxsparse");
                });
        ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(header(2L << 20, 5).write().array(), 1023));
        assertThatThrownBy(() -> VhdDynamicHeader.read(cut, 512)).isInstanceOfSatisfying(VhdFormatException.class,
                e -> assertThat(e.kind()).isEqualTo(VhdFormatException.Kind.TRUNCATED));
    }

    @Test
    void acceptsParentNamesUpToTheFieldExactly() {
        String longest = "n".repeat(VhdDynamicHeader.PARENT_NAME_BYTES / 2);
        VhdDynamicHeader header = new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, 1, 512, 0,
                new UUID(0, 0), 0, longest, NO_LOCATORS);

        assertThat(VhdDynamicHeader.read(header.write(), 0).parentName()).isEqualTo(longest);
        assertThatThrownBy(() -> new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, 1, 512, 0,
                new UUID(0, 0), 0, longest + "n", NO_LOCATORS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, 1, 512, 0,
                new UUID(0, 0), 0, "", NO_LOCATORS.subList(0, 7))).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"512, true", "511, false", "268435456, true", "268435457, false", "536870912, false"})
    void acceptsBlockSizesFromOneSectorTo256MiB(long blockSize, boolean accepted) {
        if (accepted) {
            VhdDynamicHeader.requireBlockSize(blockSize, 0);
        } else {
            assertThatThrownBy(() -> VhdDynamicHeader.requireBlockSize(blockSize, 32))
                    .isInstanceOfSatisfying(VhdFormatException.class, e -> assertThat(e.offset()).isEqualTo(32));
        }
    }

    @Test
    void acceptsTablesUpToWhatA2040GibDiskUses() {
        long maximum = VhdFooter.MAX_VIRTUAL_SIZE / (2L << 20);

        assertThat(header(2L << 20, maximum).requireTableEntries(0, 512)).isEqualTo(maximum);
        assertThat(header(2L << 20, maximum).tableBytes()).isEqualTo(maximum * 4);
        assertThatThrownBy(() -> header(2L << 20, maximum + 1).requireTableEntries(0, 512))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(512 + VhdDynamicHeader.OFF_MAX_TABLE_ENTRIES));
        assertThatThrownBy(() -> header(2L << 20, 4).requireTableEntries(10L << 20, 512))
                .isInstanceOfSatisfying(VhdFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(512 + VhdDynamicHeader.OFF_MAX_TABLE_ENTRIES));
    }

    @Test
    void placesATableThatEndsExactlyAtTheEndOfTheFile() {
        assertThat(header(512, 128).requireTablePlacement(2048, 512)).isEqualTo(1536);
        VhdDynamicHeader atZero = new VhdDynamicHeader(-1, 0, VhdDynamicHeader.HEADER_VERSION, 128, 512, 0,
                new UUID(0, 0), 0, "", NO_LOCATORS);
        assertThat(atZero.requireTablePlacement(512, 512)).isZero();
        assertThatThrownBy(() -> header(512, 128).requireTablePlacement(2047, 512))
                .isInstanceOf(VhdFormatException.class);
    }

    @Test
    void locatesLocatorEntriesInTheFile() {
        assertThat(VhdDynamicHeader.locatorAt(512, 0)).isEqualTo(512 + 576);
        assertThat(VhdDynamicHeader.locatorAt(512, 7)).isEqualTo(512 + 576 + 7 * 24);
    }

    @Test
    void acceptsLocatorDataThatFillsItsSpaceOrEndsAtTheEndOfTheFile() {
        VhdParentLocator full = new VhdParentLocator(VhdParentLocator.W2KU, 1, 512, 1024);

        assertThat(full.dataSpaceBytes(0)).isEqualTo(512);
        assertThat(full.isEmpty()).isFalse();
        assertThat(full.requireDataWithin(0, 0, 1536)).isEqualTo(1024);
        assertThat(new VhdParentLocator(VhdParentLocator.W2KU, 1, 0, 1536).requireDataWithin(0, 0, 1536))
                .isEqualTo(1536);
        assertThatThrownBy(() -> new VhdParentLocator(VhdParentLocator.W2KU, 1, 1, 1536).requireDataWithin(0, 0,
                1536)).isInstanceOf(VhdFormatException.class);
        assertThat(new VhdParentLocator(VhdParentLocator.W2KU, 1, 0, 0).requireDataWithin(0, 0, 1536)).isZero();
    }

    @Test
    void writesALocatorEntryInItsOwn24BytesWithAZeroReservedField() {
        ByteBuffer header = ByteBuffer.allocate(72);
        Arrays.fill(header.array(), (byte) 0x77);

        new VhdParentLocator(VhdParentLocator.W2RU, 1, 20, 4096).write(header, 24);

        assertThat(Arrays.copyOfRange(header.array(), 0, 24)).containsOnly(0x77);
        assertThat(Arrays.copyOfRange(header.array(), 48, 72)).containsOnly(0x77);
        assertThat(header.getInt(24 + 12)).isZero();
        assertThat(VhdParentLocator.read(header, 24)).isEqualTo(new VhdParentLocator(VhdParentLocator.W2RU, 1, 20,
                4096));
    }

    @Test
    void decodesUtf8LocatorsOfOddLengthWhole() {
        byte[] url = "file://./abc".getBytes(StandardCharsets.UTF_8);

        assertThat(new VhdParentLocator(VhdParentLocator.MACX, 1, url.length, 0).decode(ByteBuffer.wrap(url),
                url.length)).isEqualTo("file://./abc");
        assertThat(new VhdParentLocator(VhdParentLocator.W2RU, 1, 3, 0).decode(ByteBuffer.wrap(new byte[] {'a', 0,
            'b'}), 3)).isEqualTo("a");
    }

    @ParameterizedTest
    @CsvSource({"65535, 255, 255", "0, 0, 0"})
    void acceptsGeometriesThatFitTheirFields(int cylinders, int heads, int sectors) {
        assertThat(new VhdGeometry(cylinders, heads, sectors).sectors()).isEqualTo((long) cylinders * heads * sectors);
    }

    @ParameterizedTest
    @CsvSource({"65536, 1, 1", "-1, 1, 1", "1, 256, 1", "1, -1, 1", "1, 1, 256", "1, 1, -1"})
    void refusesGeometriesThatDoNotFitTheirFields(int cylinders, int heads, int sectors) {
        assertThatThrownBy(() -> new VhdGeometry(cylinders, heads, sectors))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({
        // The specification's branches at their thresholds: 17 sectors per track up to 16383
        // cylinders x heads, then 31, then 63, then 255 from 65535 x 16 x 63 sectors on.
        "278527, 1023, 16, 17", "278528, 561, 16, 31", "507903, 1023, 16, 31", "507904, 503, 16, 63",
        "66059279, 65534, 16, 63", "66059280, 16191, 16, 255", "69631, 1023, 4, 17", "69649, 819, 5, 17"})
    void computesTheSpecificationsGeometryAtEachThreshold(long sectors, int cylinders, int heads, int perTrack) {
        assertThat(VhdGeometry.forSectors(sectors)).isEqualTo(new VhdGeometry(cylinders, heads, perTrack));
    }

    @Test
    void namesTheDiskTypesByTheirCodes() {
        assertThat(VhdDiskType.FIXED.code()).isEqualTo(2);
        assertThat(VhdDiskType.DIFFERENCING.code()).isEqualTo(4);
        assertThat(VhdDiskType.of(3, 0)).isEqualTo(VhdDiskType.DYNAMIC);
        assertThat(VhdDiskType.FIXED.isSparse()).isFalse();
        assertThat(VhdDiskType.DYNAMIC.isSparse()).isTrue();
        assertThat(VhdDiskType.DIFFERENCING.isSparse()).isTrue();
    }

    private static VhdFooter footer(String creator, String hostOs, long currentSize, VhdGeometry geometry) {
        return new VhdFooter(VhdFooter.FEATURES_RESERVED, VhdFooter.FORMAT_VERSION, VhdFooter.FIXED_DATA_OFFSET, 0,
                creator, 0, hostOs, currentSize, currentSize, geometry, 2, 0, new UUID(0, 0), 0);
    }

    private static VhdDynamicHeader header(long blockSize, long entries) {
        return new VhdDynamicHeader(-1, 1536, VhdDynamicHeader.HEADER_VERSION, entries, blockSize, 0, new UUID(0, 0),
                0, "", NO_LOCATORS);
    }
}
