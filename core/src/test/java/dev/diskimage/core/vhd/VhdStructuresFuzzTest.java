package dev.diskimage.core.vhd;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import org.assertj.core.api.Assertions;

/**
 * Feeds arbitrary bytes to every core.vhd reader and to the checks that use what they read: each
 * returns a value or throws {@link VhdFormatException}, nothing else; and what reads back writes
 * back to bytes that read back as the same value.
 */
class VhdStructuresFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesAnyBytes(byte[] data) {
        ByteBuffer bytes = ByteBuffer.wrap(data);
        long fileSize = data.length;
        try {
            VhdFooter footer = VhdFooter.read(bytes, 0);
            Assertions.assertThat(VhdFooter.read(footer.write(), 0)).isEqualTo(footer.sealed());
            long virtualSize = footer.virtualSize(0);
            footer.requireType(0);
            long dataOffset = footer.requireDataOffset(0);
            if (data.length >= VhdDynamicHeader.SIZE + VhdFooter.SIZE && dataOffset == VhdFooter.SIZE) {
                ByteBuffer headerBytes = ByteBuffer.wrap(data, VhdFooter.SIZE, VhdDynamicHeader.SIZE).slice();
                VhdDynamicHeader header = VhdDynamicHeader.read(headerBytes, dataOffset);
                Assertions.assertThat(VhdDynamicHeader.read(header.write(), dataOffset)).isEqualTo(header.sealed());
                header.requireTableEntries(virtualSize, dataOffset);
                long tableOffset = header.requireTablePlacement(fileSize, dataOffset);
                for (int i = 0; i < VhdDynamicHeader.LOCATOR_COUNT; i++) {
                    VhdParentLocator locator = header.parentLocators().get(i);
                    long at = VhdDynamicHeader.locatorAt(dataOffset, i);
                    long offset = locator.requireDataWithin(at, i, fileSize);
                    locator.dataSpaceBytes(at);
                    int length = (int) Math.min(locator.dataLength(), 2048);
                    locator.decode(ByteBuffer.wrap(data, (int) offset, length).slice(), length);
                }
                long entries = Math.min(header.maxTableEntries(), (fileSize - tableOffset) / VhdBat.ENTRY_SIZE);
                ByteBuffer table = ByteBuffer.wrap(data, (int) tableOffset, (int) (entries * VhdBat.ENTRY_SIZE))
                        .slice();
                for (int i = 0; i < entries; i++) {
                    long entry = VhdBat.entry(table, i);
                    if (VhdBat.isAllocated(entry)) {
                        long start = VhdBat.requireBlockWithin(i, entry, header.blockSize(), fileSize);
                        int sectors = (int) (header.blockSize() / VhdSectorBitmap.SECTOR);
                        ByteBuffer bitmap = ByteBuffer.wrap(data, (int) start, (int) header.bitmapBytes()).slice();
                        Assertions.assertThat(VhdSectorBitmap.runs(bitmap, sectors).stream()
                                .mapToInt(VhdSectorBitmap.Run::sectors).sum()).isEqualTo(sectors);
                    }
                }
            }
        } catch (VhdFormatException expected) {
            // The one failure the contract allows.
        }
    }
}
