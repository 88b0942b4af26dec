package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionTableInspectorTest {
    private final PartitionTableInspector inspector = new PartitionTableInspector();

    @TempDir
    Path dir;

    @Test
    void matchesMbrDisk() throws Exception {
        byte[] image = mbr(1 << 20, 0x83, 2048, 2048);
        Path file = dir.resolve("mbr.raw");
        Files.write(file, image);

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("mbr");
        assertThat(inspection.virtualSize()).hasValue(image.length);
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.details()).containsEntry("mbr_partitions", 1L);
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void matchesGptDisk(int sectorSize) throws Exception {
        Path file = dir.resolve("gpt.raw");
        Files.write(file, gpt(64 * 1024 * (sectorSize / 512), sectorSize));

        Inspection inspection = InspectorHarness.inspect(inspector, file);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("gpt");
        assertThat(inspection.findings()).isEmpty();
        assertThat(inspection.details()).containsEntry("gpt_partitions", 2L)
                .containsEntry("gpt_sector_size", (long) sectorSize);
    }

    @Test
    void matchesGptWithShortReads() throws Exception {
        Path file = dir.resolve("gpt.raw");
        Files.write(file, gpt(64 * 1024, 512));

        assertThat(InspectorHarness.inspectWithShortReads(inspector, file).variant()).contains("gpt");
    }

    @Test
    void warnsButNeverRejectsGptWithBadHeaderCrc() {
        byte[] image = gpt(64 * 1024, 512);
        image[512 + 56] ^= 1;

        assertWarnsGptMalformed(InspectorHarness.inspect(inspector, image));
    }

    @Test
    void warnsButNeverRejectsGptWithBadEntryArrayCrc() {
        byte[] image = gpt(64 * 1024, 512);
        image[1024 + 200] ^= 1;

        assertWarnsGptMalformed(InspectorHarness.inspect(inspector, image));
    }

    @Test
    void warnsAboutAbsurdGptEntryCountWithoutReadingIt() {
        byte[] image = gpt(64 * 1024, 512);
        ByteBuffer header = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(512 + 80, Integer.MAX_VALUE);
        resealHeader(image, 512);

        assertWarnsGptMalformed(InspectorHarness.inspect(inspector, image));
    }

    @Test
    void warnsAboutGptEntryArrayBeyondEndOfFile() {
        byte[] image = gpt(64 * 1024, 512);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(512 + 72, Long.MAX_VALUE / 256);
        resealHeader(image, 512);

        assertWarnsGptMalformed(InspectorHarness.inspect(inspector, image));
    }

    @Test
    void warnsAboutProtectiveMbrWithoutGptHeader() {
        assertWarnsGptMalformed(InspectorHarness.inspect(inspector, mbr(64 * 1024, 0xEE, 1, 127)));
    }

    @Test
    void truncatedGptDegradesToMbrWithWarning() {
        byte[] image = gpt(64 * 1024, 512);

        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 600, 1024, 1500)) {
            assertWarnsGptMalformed(inspection);
        }
        for (Inspection inspection : InspectorHarness.inspectTruncatedAt(inspector, image, 0, 100, 511)) {
            assertThat(inspection.level()).isEqualTo(MatchLevel.NONE);
        }
    }

    @Test
    void zeroFileIsNotAPartitionTable() {
        assertThat(InspectorHarness.inspect(inspector, new byte[1 << 16]).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void randomBytesWithBootSignatureAreNotAPartitionTable() {
        byte[] image = new byte[4096];
        new Random(7).nextBytes(image);
        image[446] = 0x33;
        image[510] = 0x55;
        image[511] = (byte) 0xAA;

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void bootSignatureWithoutPartitionsIsNotAPartitionTable() {
        byte[] image = new byte[4096];
        image[510] = 0x55;
        image[511] = (byte) 0xAA;

        assertThat(InspectorHarness.inspect(inspector, image).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void partitionBeyondMbrAddressRangeIsNotAPartitionTable() {
        assertThat(InspectorHarness.inspect(inspector, mbr(4096, 0x83, 0xFFFFFF00, 0x1000)).level())
                .isEqualTo(MatchLevel.NONE);
    }

    /** A raw file of {@code size} bytes with one MBR partition entry. */
    static byte[] mbr(int size, int type, long first, long sectors) {
        byte[] image = new byte[size];
        ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(446 + 4, (byte) type);
        buffer.putInt(446 + 8, (int) first);
        buffer.putInt(446 + 12, (int) sectors);
        image[510] = 0x55;
        image[511] = (byte) 0xAA;
        return image;
    }

    /** A raw file with a protective MBR and a GPT of two partitions, 128 entries of 128 bytes. */
    static byte[] gpt(int size, int sectorSize) {
        long lastLba = size / sectorSize - 1;
        byte[] image = mbr(size, PartitionTableInspector.TYPE_PROTECTIVE, 1, Math.min(lastLba, 0xFFFFFFFFL));
        ByteBuffer buffer = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int array = 2 * sectorSize;
        for (int i = 0; i < 2; i++) {
            int entry = array + i * 128;
            buffer.putLong(entry, 0x4F68BCE3E8CD4DB1L + i);
            buffer.putLong(entry + 8, 0x96E7FBCAF984B709L);
            buffer.putLong(entry + 16, 1000 + i);
            buffer.putLong(entry + 32, 40 + i * 10);
            buffer.putLong(entry + 40, 45 + i * 10);
        }
        int header = sectorSize;
        System.arraycopy("EFI PART".getBytes(StandardCharsets.US_ASCII), 0, image, header, 8);
        buffer.putInt(header + 8, PartitionTableInspector.GPT_REVISION);
        buffer.putInt(header + 12, 92);
        buffer.putLong(header + 24, 1);
        buffer.putLong(header + 32, lastLba);
        buffer.putLong(header + 40, 34);
        buffer.putLong(header + 48, lastLba - 33);
        buffer.putLong(header + 56, 0x1122334455667788L);
        buffer.putLong(header + 72, 2);
        buffer.putInt(header + 80, 128);
        buffer.putInt(header + 84, 128);
        ByteBuffer entries = ByteBuffer.wrap(image, array, 128 * 128).slice();
        buffer.putInt(header + 88, (int) Checksums.crc32(entries, 128 * 128));
        resealHeader(image, header);
        return image;
    }

    static void resealHeader(byte[] image, int header) {
        ByteBuffer slice = ByteBuffer.wrap(image, header, 92).slice();
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(header + 16,
                (int) Checksums.crc32(slice, 92, 16));
    }

    private static void assertWarnsGptMalformed(Inspection inspection) {
        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).contains("mbr");
        assertThat(inspection.findings()).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.GPT_MALFORMED);
            assertThat(finding.severity()).isEqualTo(Severity.WARN);
        });
        assertThat(inspection.findings()).noneMatch(Finding::rejects);
    }
}
