package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MBR slots beyond the first, the MBR address limit, and each GPT check at its exact limit, with
 * the warning that names what is wrong.
 */
class PartitionTableBoundariesTest {

    private static final int SIZE = 1 << 20;

    private final PartitionTableInspector inspector = new PartitionTableInspector();

    @Test
    void countsPartitionsInEverySlot() {
        byte[] image = PartitionTableInspectorTest.mbr(SIZE, 0x83, 2048, 100);
        ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(446 + 4, (byte) 0);
        slot(buffer, 1, 0x80, 0x83, 2048, 100);
        slot(buffer, 3, 0x00, 0x07, 4096, 100);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("mbr");
        assertThat(inspection.details()).containsEntry("mbr_partitions", 2L);
    }

    @Test
    void anInvalidStatusInALaterSlotIsNotAPartitionTable() {
        byte[] image = PartitionTableInspectorTest.mbr(SIZE, 0x83, 2048, 100);
        slot(ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN), 2, 0x12, 0x83, 4096, 100);

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void acceptsAPartitionEndingExactlyAtTheMbrAddressLimit() {
        byte[] image = PartitionTableInspectorTest.mbr(SIZE, 0x83, 1, 0xFFFFFFFFL);

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.MATCH);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "standard, 128, 128, 2, 92",
        "header filling its sector, 128, 128, 2, 512",
        "1024 entries of 128 bytes, 1024, 128, 2, 92",
        "32 entries of 4096 bytes, 32, 4096, 2, 92"})
    void acceptsGptAtEachLimit(String what, int count, int entrySize, long entriesLba, int headerSize) {
        byte[] image = gpt(SIZE, count, entrySize, entriesLba, headerSize);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.variant()).contains("gpt");
        assertThat(inspection.details()).containsEntry("gpt_partitions", 2L).containsEntry("gpt_sector_size", 512L);
    }

    @Test
    void acceptsAnEntryArrayEndingExactlyAtTheEndOfTheFile() {
        byte[] image = gpt(1024 + 128 * 128, 128, 128, 2, 92);

        assertThat(InspectorHarness.inspect(inspector, image).variant()).contains("gpt");
    }

    @Test
    void acceptsAnEmptyEntryArrayAtTheEndOfTheFile() {
        byte[] image = gpt(SIZE, 0, 128, SIZE / 512, 92);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.variant()).contains("gpt");
        assertThat(inspection.details()).containsEntry("gpt_partitions", 0L);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "revision, GPT header revision 20000 is not 1.0",
        "header size 91, GPT header size 91 is outside 92..512",
        "header size 513, GPT header size 513 is outside 92..512",
        "header crc, GPT header CRC32 does not match",
        "my lba, GPT header does not record LBA 1 as its own location",
        "entry size 4104, GPT partition entry array of 31 entries of 4104 bytes is not sane",
        "array over 128 KiB, GPT partition entry array of 1024 entries of 136 bytes is not sane",
        "array one byte past the end, GPT partition entry array at LBA 2 lies outside the image",
        "array at lba 1, GPT partition entry array at LBA 1 lies outside the image",
        "array crc, GPT partition entry array CRC32 does not match",
        "no header, protective MBR without a GPT header at LBA 1",
        "header at the very end, GPT partition entry array at LBA 2 lies outside the image"})
    void warnsNamingWhatIsWrongWithTheGpt(String damage, String warning) {
        byte[] image = damaged(damage);

        Inspection inspection = InspectorHarness.inspect(inspector, image);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("mbr");
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.GPT_MALFORMED);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
            assertThat(finding.offset()).isEqualTo(512);
            assertThat(finding.message()).isEqualTo(warning);
        });
    }

    private static byte[] damaged(String damage) {
        switch (damage) {
            case "revision": {
                byte[] image = gpt(SIZE, 128, 128, 2, 92);
                le(image).putInt(512 + 8, 0x00020000);
                return reseal(image, 92);
            }
            case "header size 91":
                return gpt(SIZE, 128, 128, 2, 91);
            case "header size 513":
                return gpt(SIZE, 128, 128, 2, 513);
            case "header crc": {
                byte[] image = gpt(SIZE, 128, 128, 2, 92);
                image[512 + 60] ^= 1;
                return image;
            }
            case "my lba": {
                byte[] image = gpt(SIZE, 128, 128, 2, 92);
                le(image).putLong(512 + 24, 2);
                return reseal(image, 92);
            }
            case "entry size 4104":
                return gpt(SIZE, 31, 4104, 2, 92);
            case "array over 128 KiB":
                return gpt(SIZE, 1024, 136, 2, 92);
            case "array one byte past the end":
                return gpt(1024 + 128 * 128 - 1, 128, 128, 2, 92);
            case "array at lba 1":
                return gpt(SIZE, 128, 128, 1, 92);
            case "array crc": {
                byte[] image = gpt(SIZE, 128, 128, 2, 92);
                image[1024 + 5000] ^= 1;
                return image;
            }
            case "no header": {
                byte[] image = gpt(SIZE, 128, 128, 2, 92);
                image[512] = 'X';
                return image;
            }
            case "header at the very end":
                // The file ends right after the 92-byte header: read, then its array found missing.
                return gpt(512 + 92, 128, 128, 2, 92);
            default:
                throw new IllegalArgumentException(damage);
        }
    }

    /**
     * A protective MBR and a GPT header at LBA 1 (512-byte sectors) declaring {@code count}
     * entries of {@code entrySize} bytes at {@code entriesLba}, two of them used; checksums are
     * computed over what lies inside the file.
     */
    private static byte[] gpt(int size, int count, int entrySize, long entriesLba, int headerSize) {
        byte[] image = PartitionTableInspectorTest.mbr(size, PartitionTableInspector.TYPE_PROTECTIVE, 1,
                Math.max(1, size / 512 - 1));
        ByteBuffer buffer = le(image);
        int array = (int) Math.min(entriesLba * 512, Integer.MAX_VALUE);
        int arrayBytes = count * entrySize;
        boolean arrayInside = (long) array + arrayBytes <= size;
        for (int i = 0; i < Math.min(count, 2) && arrayInside; i++) {
            int entry = array + i * entrySize;
            buffer.putLong(entry, 0x4F68BCE3E8CD4DB1L + i);
            buffer.putLong(entry + 8, 0x96E7FBCAF984B709L);
            buffer.putLong(entry + 32, 40 + i * 10);
            buffer.putLong(entry + 40, 45 + i * 10);
        }
        System.arraycopy("EFI PART".getBytes(StandardCharsets.US_ASCII), 0, image, 512, 8);
        buffer.putInt(512 + 8, PartitionTableInspector.GPT_REVISION);
        buffer.putInt(512 + 12, headerSize);
        buffer.putLong(512 + 24, 1);
        buffer.putLong(512 + 72, entriesLba);
        buffer.putInt(512 + 80, count);
        buffer.putInt(512 + 84, entrySize);
        if (arrayInside) {
            buffer.putInt(512 + 88, (int) Checksums.crc32(ByteBuffer.wrap(image, array, arrayBytes).slice(), arrayBytes));
        }
        return reseal(image, headerSize);
    }

    private static byte[] reseal(byte[] image, int headerSize) {
        int covered = Math.min(Math.max(headerSize, 92), Math.min(512, image.length - 512));
        ByteBuffer header = ByteBuffer.wrap(image, 512, covered).slice();
        le(image).putInt(512 + 16, 0);
        le(image).putInt(512 + 16, (int) Checksums.crc32(header, covered, 16));
        return image;
    }

    private static void slot(ByteBuffer mbr, int slot, int status, int type, long first, long sectors) {
        int entry = 446 + slot * 16;
        mbr.put(entry, (byte) status).put(entry + 4, (byte) type).putInt(entry + 8, (int) first)
                .putInt(entry + 12, (int) sectors);
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }
}
