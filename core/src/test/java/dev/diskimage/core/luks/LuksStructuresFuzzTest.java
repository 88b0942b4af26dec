package dev.diskimage.core.luks;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Feeds arbitrary bytes to every core.luks parser (LUKS1 header, LUKS2 binary header and checksum,
 * LUKS2 JSON metadata): each returns a value or throws {@link LuksFormatException}, nothing else.
 */
class LuksStructuresFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesAnyBytes(byte[] data) {
        ByteBuffer bytes = ByteBuffer.wrap(data);
        try {
            if (data.length >= Luks1Header.LENGTH) {
                Luks1Header.parse(bytes, data.length);
            }
        } catch (LuksFormatException expected) {
            // The one failure the contract allows.
        }
        try {
            if (data.length >= Luks2BinaryHeader.BINARY_LENGTH) {
                Luks2BinaryHeader header = Luks2BinaryHeader.parsePrimary(bytes);
                if (header.checksumSupported() && data.length >= header.hdrSize()) {
                    header.verifyChecksum(bytes);
                }
            }
        } catch (LuksFormatException expected) {
            // The one failure the contract allows.
        }
        try {
            Luks2Metadata.parse(data, data.length, Luks2BinaryHeader.MIN_HDR_SIZE, 1L << 40);
        } catch (LuksFormatException expected) {
            // The one failure the contract allows.
        }
    }
}
