package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ISO 9660 and UDF walks at their exact bounds, the offsets findings point at, which failure of
 * the UDF recognition sequence is reported, and where the volume descriptor sequences may end.
 */
class IsoAndUdfBoundariesTest {

    private static final int SECTOR = IsoInspector.SECTOR;
    private static final int PVD = 16 * SECTOR;
    private static final int ANCHOR = 256 * SECTOR;

    private final IsoInspector inspector = new IsoInspector();

    @Test
    void acceptsATerminatorAsTheLastDescriptorOfTheBoundedWalk() {
        int[] types = new int[IsoInspector.MAX_DESCRIPTORS];
        Arrays.fill(types, 2);
        types[0] = 1;
        types[types.length - 1] = 255;

        assertThat(InspectorHarness.inspect(inspector, IsoInspectorTest.iso(100, types)).level())
                .isEqualTo(MatchLevel.MATCH);

        int[] longer = Arrays.copyOf(types, types.length + 1);
        longer[types.length - 1] = 2;
        longer[types.length] = 255;
        Inspection inspection = InspectorHarness.inspect(inspector, IsoInspectorTest.iso(100, longer));
        assertRejectedAt(inspection, FindingCode.ISO_MALFORMED, PVD);
        assertThat(inspection.findings()).anySatisfy(f -> assertThat(f.message()).contains("within 64"));
    }

    @Test
    void rejectsADescriptorWithoutIdentifierAtTheIdentifier() {
        byte[] image = IsoInspectorTest.iso(20, 1, 255);
        image[PVD + SECTOR + 1] = 'X';

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.ISO_MALFORMED, PVD + SECTOR + 1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"version, 6", "logical block size, 128", "volume space size copies, 80",
        "logical block size copies, 128"})
    void rejectsABadPrimaryDescriptorFieldAtTheField(String field, int offset) {
        byte[] image = IsoInspectorTest.iso(20, 1, 255);
        ByteBuffer little = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        switch (field) {
            case "version" -> image[PVD + 6] = 2;
            case "logical block size" -> {
                little.putShort(PVD + 128, (short) 4096);
                ByteBuffer.wrap(image).putShort(PVD + 130, (short) 4096);
            }
            case "volume space size copies" -> ByteBuffer.wrap(image).putInt(PVD + 84, 21);
            default -> ByteBuffer.wrap(image).putShort(PVD + 130, (short) 512);
        }

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.ISO_MALFORMED, PVD + offset);
    }

    @Test
    void warnsAboutAVolumeSpaceLargerThanTheFileAtItsField() {
        byte[] image = IsoInspectorTest.iso(20, 1, 255);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(PVD + 80, 21);
        ByteBuffer.wrap(image).putInt(PVD + 84, 21);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.TRUNCATED);
            assertThat(finding.offset()).isEqualTo(PVD + 80);
        });
    }

    @Test
    void acceptsAUdfTerminatorAsTheLastDescriptorOfTheBoundedWalk() {
        String[] descriptors = new String[UdfVolume.MAX_DESCRIPTORS];
        Arrays.fill(descriptors, "BOOT2");
        descriptors[0] = "BEA01";
        descriptors[1] = "NSR03";
        descriptors[descriptors.length - 1] = "TEA01";

        assertThat(InspectorHarness.inspect(inspector, IsoInspectorTest.udf(300, 2048, 2048, descriptors)).level())
                .isEqualTo(MatchLevel.MATCH);

        String[] longer = Arrays.copyOf(descriptors, descriptors.length + 1);
        longer[descriptors.length - 1] = "BOOT2";
        longer[descriptors.length] = "TEA01";
        assertRejectedAt(InspectorHarness.inspect(inspector, IsoInspectorTest.udf(300, 2048, 2048, longer)),
                FindingCode.UDF_MALFORMED, PVD);
    }

    @ParameterizedTest(name = "file of {0} sectors")
    @CsvSource({"300", "18"})
    void reportsTheBrokenSequenceAsFoundWith2KibDescriptors(int sectors) {
        // 2 KiB apart the second descriptor is garbage; 4 KiB apart it is zeros, or past the end
        // of the file: either way the 2 KiB reading is what is reported.
        byte[] image = Arrays.copyOf(IsoInspectorTest.udf(300, 2048, 2048, "BEA01", "XXXXX"), sectors * SECTOR);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertRejectedAt(inspection, FindingCode.UDF_MALFORMED, PVD + SECTOR);
        assertThat(inspection.findings()).noneMatch(f -> f.code() == FindingCode.TRUNCATED);
    }

    @ParameterizedTest(name = "block size {0}")
    @CsvSource({"2048, 2048, 524288", "4096, 4096, 1048576"})
    void rejectsAMissingAnchorAtTheLargestBlockSizeTried(int blockSize, int stride, int expected) {
        byte[] image = IsoInspectorTest.udf(600, blockSize, stride, "BEA01", "NSR03", "TEA01");
        Arrays.fill(image, 256 * blockSize, 256 * blockSize + 512, (byte) 0);

        assertRejectedAt(InspectorHarness.inspect(inspector, image), FindingCode.UDF_MALFORMED, expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "main ending at the end of the file, 16, 284, 32768, false",
        "reserve empty at the end of the file, 24, 300, 0, false",
        "main starting past the end, 16, 301, 0, true",
        "reserve one byte too long, 24, 284, 32769, true"})
    void warnsOnlyAboutADescriptorSequenceThatLeavesTheFile(String what, int extent, int location, int length,
            boolean warned) {
        byte[] image = IsoInspectorTest.udf(300, 2048, 2048, "BEA01", "NSR02", "TEA01");
        ByteBuffer anchor = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        anchor.putInt(ANCHOR + extent, length).putInt(ANCHOR + extent + 4, location);
        sealAnchor(image);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        if (warned) {
            assertThat(inspection.findings()).singleElement().satisfies(finding -> {
                assertThat(finding.code()).isEqualTo(FindingCode.TRUNCATED);
                assertThat(finding.severity()).isEqualTo(Severity.WARN);
                assertThat(finding.offset()).isEqualTo(ANCHOR + extent);
            });
        } else {
            assertThat(inspection.findings()).isEmpty();
        }
    }

    @Test
    void udfTagChecksumIsTheByteSumOfTheOtherFifteenTagBytes() {
        // ECMA-167 3/7.2.3: bytes 0-3 and 5-15 modulo 256; byte 4 (the checksum) and what follows
        // the tag do not count. 2 + 3 + 1 + 0x34 + 0x12 + 0xF0 + 1 + 1 = 318 = 0x13E.
        byte[] tag = {2, 0, 3, 0, 0x77, 0, 1, 0, 0x34, 0x12, (byte) 0xF0, 1, 0, 1, 0, 0, (byte) 0xFF, (byte) 0xFF};

        assertThat(UdfVolume.tagChecksum(ByteBuffer.wrap(tag))).isEqualTo(0x3E);
    }

    /** Recomputes the anchor's descriptor CRC and tag checksum. */
    private static void sealAnchor(byte[] image) {
        ByteBuffer anchor = ByteBuffer.wrap(image, ANCHOR, 512).slice().order(ByteOrder.LITTLE_ENDIAN);
        anchor.putShort(8, (short) Checksums.crc16Itu(anchor, 16, 496));
        anchor.put(4, (byte) UdfVolume.tagChecksum(anchor));
    }

    private static void assertRejectedAt(Inspection inspection, FindingCode code, long offset) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).anySatisfy(finding -> {
            assertThat(finding.code()).isEqualTo(code);
            assertThat(finding.rejects()).isTrue();
            assertThat(finding.offset()).isEqualTo(offset);
        });
    }
}
